"""After `pos-customers demo`, with no store set up, the command line uses the demo database
(saying so on stderr), and every line of the README's command-line block works as printed.

Run through the real `pos-customers` command in a shell, on a small demo (a prefix of the
10,000-customer demo: the same first customers, so the README's examples are in both)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_CUSTOMERS = 12  # the README's examples are among the demo's first customers


def make_home(root: Path):
    """A user whose data folder under ``root`` is empty: no store, no demo, no $POS_CUSTOMERS_DB.
    The returned ``sh(line)`` runs one shell line as that user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_CUSTOMERS") or k == "POS_CUSTOMERS_LANG"}
    env.update(XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config"),
               XDG_STATE_HOME=str(root / "state"), HOME=str(root),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    work = root / "work"
    work.mkdir()

    def sh(line: str, *, stdin: str = "", extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=work, env={**env, **(extra or {})},
                              input=stdin, capture_output=True, text=True, timeout=120)

    sh.env = env
    sh.data = root / "data" / "pos-customers"
    sh.work = work
    return sh


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    """The data folder as `pos-customers demo --customers DEMO_CUSTOMERS --seed-only` leaves it, made
    once per test process by the real command (a Python start, the migrations, the seeding):
    tests that start after the demo copy it (:func:`after_demo`); the demo command itself is
    tested in test_the_command_line_uses_the_demo_database_and_says_so."""
    sh = make_home(tmp_path_factory.mktemp("demo-home"))
    r = sh(f"pos-customers demo --customers {DEMO_CUSTOMERS} --seed-only")
    assert r.returncode == 0, r.stderr
    return sh.data


@pytest.fixture
def after_demo(home, demo_folder):
    """``home`` right after `pos-customers demo --customers DEMO_CUSTOMERS --seed-only` (a copy)."""
    shutil.copytree(demo_folder, home.data)
    return home


def readme_command_lines() -> list[str]:
    """The README's "Command line" block, one command per entry (continuations joined, comments off)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Command line\n+```sh\n(.*?)```", text, re.S).group(1)
    commands, current = [], ""
    for raw in block.splitlines():
        line = re.sub(r"\s+#.*$", "", raw).rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        current += " " + line.strip() if current else line.strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        commands.append(current)
        current = ""
    return commands


def test_without_a_store_or_a_demo_the_command_says_what_to_do(home):
    r = home("pos-customers customers search anna")
    assert r.returncode == 1 and "run `pos-customers init` or `pos-customers demo` first" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_command_line_uses_the_demo_database_and_says_so(home):
    r = home(f"pos-customers demo --customers {DEMO_CUSTOMERS} --seed-only")
    assert r.returncode == 0, r.stderr
    demo = home.data / "demo.db"
    assert demo.exists() and not (home.data / "customers.db").exists()
    r = home("pos-customers customers search möller")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [f"using the demo store at {demo} (pos-customers init sets up a real store)"]
    assert "Möller" in r.stdout
    assert "synced" not in r.stdout  # a standalone till has no sync state to show
    r = home("pos-customers sync status")
    assert r.returncode == 0 and r.stdout.startswith("standalone: this till is not connected to headquarters")
    # the app alone opens on it too (as the demo store: the sign-in screen shows its PINs)
    from tests.cli.test_cli import launch

    seen, err = launch(env=home.env)
    assert seen["opened"] == [str(demo)] and seen["code"] == 0
    assert err.strip() == f"using the demo store at {demo} (pos-customers init sets up a real store)"
    # --db before the command group and after the command reach the same file, without the notice
    copy = home.work / "elsewhere.db"
    home(f"cp {demo} {copy}")
    for line in (f"pos-customers --db {copy} customers search möller",
                 f"pos-customers customers search möller --db {copy}",
                 f"pos-customers doctor --quick --db {copy}",
                 f"pos-customers sync status --db {copy}"):
        r = home(line)
        assert r.returncode == 0, (line, r.stderr)
        assert "demo store" not in r.stderr, line
    # a store set up with init is the one used from then on
    r = home("pos-customers init --store HAM01 --number 103 --name Hamburg --country DE --currency EUR "
             "--language de")
    assert r.returncode == 0, r.stderr
    assert (home.data / "customers.db").exists()
    r = home("pos-customers customers search möller")
    assert r.returncode == 1 and "demo store" not in r.stderr and "no customers found" in r.stderr


def test_every_readme_command_works_after_the_demo(after_demo):
    home = after_demo
    ran = 0
    for line in readme_command_lines():
        words = line.split()
        # `init` sets up a real store (after it the demo is no longer used); `hq` lines need a
        # headquarters (the "Headquarters and sync" block, tested in tests/cli/test_hq_cli.py)
        if words[:2] == ["pos-customers", "init"] or words[1:2] == ["hq"]:
            continue
        stdin, extra = "", {}
        if " anonymize " in f"{line} ":
            stdin = words[words.index("anonymize") + 1] + "\n"  # it asks for the reference again
        r = home(line, stdin=stdin, extra=extra)
        assert r.returncode == 0, f"{line}\nexit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr, line
        assert "using the demo store at" in r.stderr, line
        ran += 1
    assert ran >= 12
