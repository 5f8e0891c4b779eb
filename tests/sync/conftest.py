"""A real headquarters process on loopback, and terminals (SQLite files) enrolled with it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters
from pos_customers.services.context import Actor, Services
from pos_customers.services.sync import enrol_terminal
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade as upgrade_terminal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HqProcess:
    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_folder = db_path.parent / "mail"
        self.proc: subprocess.Popen | None = None
        engine = make_engine(f"sqlite:///{db_path}")
        upgrade(engine)
        from pos_customers.hq.mailer import FileMailer
        self.hq = Headquarters(engine, mailer=FileMailer(self.mail_folder))

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pos_customers.cli", "hq", "serve", "--db", str(self.db_path),
             "--port", str(self.port), "--mail-folder", str(self.mail_folder)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"headquarters did not start: {self.proc.stderr.read1(4000)!r}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def hq_server(tmp_path):
    server = HqProcess(tmp_path / "hq.db")
    server.start()
    yield server
    server.stop()
    server.hq.engine.dispose()


def terminal(tmp_path: Path, server: HqProcess, code: str, **store) -> Services:
    token = server.hq.add_store(code, f"Store {code}", **store)
    db = Database(tmp_path / f"{code}.db")
    upgrade_terminal(db)
    svc = Services(db)
    enrol_terminal(svc, Actor.command_line(), server.url, token, terminal_name=f"{code} till")
    return svc


@pytest.fixture
def admin() -> Actor:
    return Actor.command_line()
