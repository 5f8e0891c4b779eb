"""Headquarters on a SQLite file shuts down cleanly: its write-ahead log is checkpointed into the
file and closed (no -wal or -shm left), and `hq demo` writes its server log to a file, never to
the terminal the app draws on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.sync.conftest import free_port


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_CUSTOMERS")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def start(args: list[str], tmp_path: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "pos_customers.cli", *args], env=env_for(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"headquarters did not start: {proc.communicate()}")


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return out, err


def left_behind(db: Path) -> list[str]:
    """The -wal and -shm files still there (an empty -wal counts as gone: nothing is in it)."""
    wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
    return [p.name for p in (wal, shm) if p.exists() and (p is shm or p.stat().st_size)]


def test_hq_serve_checkpoints_and_closes_its_sqlite_file_on_shutdown(tmp_path):
    db, port = tmp_path / "hq.db", free_port()
    proc = start(["hq", "serve", "--db", str(db), "--port", str(port)], tmp_path, port)
    assert Path(f"{db}-wal").exists()  # migrated and serving: the log is in use
    for _ in range(3):
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200
    _, err = stop(proc)
    assert proc.returncode in (0, -signal.SIGTERM), err  # uvicorn shuts down, then re-raises the signal
    assert left_behind(db) == [], err
    assert "Traceback" not in err


def test_hq_demo_logs_to_a_file_and_leaves_no_wal_when_it_stops(tmp_path):
    db, terminal_db, port = tmp_path / "demo-hq.db", tmp_path / "till.db", free_port()
    proc = start(["hq", "demo", "--serve-only", "--customers", "10", "--port", str(port), "--db", str(db),
                  "--terminal-db", str(terminal_db)], tmp_path, port)
    assert httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{port}/v1/pull").status_code == 401  # a refusal: logged
    out, err = stop(proc)
    assert proc.returncode == 0, err
    log = tmp_path / "state" / "pos-customers" / "log" / "demo-hq.log"
    written = log.read_text(encoding="utf-8")
    assert "GET /v1/health" in written and "401" in written and "Uvicorn running" in written
    # the terminal got only the demo's own lines: no server message, no access log, no traceback
    for text in (out, err):
        assert "/v1/" not in text and "Uvicorn" not in text and "INFO" not in text and "Traceback" not in text
    assert f"its log {log}" in err
    assert left_behind(db) == []
