"""While the app runs, library logging and a thread's traceback go to the user log folder, not to
the terminal the app draws on."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import logging, threading
from pos_customers.logs import to_file
logging.basicConfig()  # a handler on the terminal, as a library might set up
path = to_file()
logging.getLogger("httpx").warning("headquarters answered 503")
def boom():
    raise RuntimeError("sync thread failed")
t = threading.Thread(target=boom, name="sync-worker")
t.start(); t.join()
print(path)
"""


def test_logging_and_thread_tracebacks_go_to_the_log_file(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    r = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    path = tmp_path / "state" / "pos-customers" / "log" / "app.log"
    assert r.stdout.strip() == str(path)
    text = path.read_text(encoding="utf-8")
    assert "headquarters answered 503" in text
    assert "uncaught in thread sync-worker" in text and "RuntimeError: sync thread failed" in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
