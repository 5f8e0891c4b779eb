"""Headquarters over HTTP on loopback, and terminals (SQLite files) enrolled with it.

``hq_server`` is headquarters as `pos-customers hq serve` builds it (cli.hq.serve_app), served by
uvicorn in a thread of the test process: real HTTP on a real socket, its own database engine, and
stop()/start() take it off and back on its port, as a process would be. ``HqProcess`` starts the
real `hq serve` process instead, for the tests about processes (tests/hq/test_shutdown.py starts
its own too); starting one costs a Python start and every import, a second or more each time.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.service import Headquarters
from pos_customers.services.context import Actor, Services
from pos_customers.services.sync import enrol_terminal
from tests import templates


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
        if db_path.exists():  # a headquarters file made by the test: brought up to date
            engine = make_engine(f"sqlite:///{db_path}")
            upgrade(engine)
        else:
            engine = make_engine(templates.hq_sqlite_url(db_path))
        from pos_customers.hq.mailer import FileMailer
        self.hq = Headquarters(engine, mailer=FileMailer(self.mail_folder))

    def start(self) -> None:
        """Start the process and wait for its health answer. A port taken between free_port() and
        the server's bind (another xdist worker) is retried on a new port (before any terminal
        knows the URL)."""
        for _ in range(3):
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pos_customers.cli", "hq", "serve", "--db", str(self.db_path),
                 "--port", str(self.port), "--mail-folder", str(self.mail_folder)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if httpx.get(f"{self.url}/v1/health", timeout=0.5).status_code == 200:
                        if self.proc.poll() is None:  # ours answered, not another worker's
                            return
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            error = self.proc.stderr.read1(4000) if self.proc.poll() is not None else b"(no answer)"
            self.stop()
            if b"address already in use" not in error.lower():
                break
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError(f"headquarters did not start: {error!r}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class HqServer(HqProcess):
    """Headquarters served in a thread of this process (see the module's doc); HqProcess's interface."""

    def __init__(self, db_path: Path):
        super().__init__(db_path)
        self.server = None
        self.thread: threading.Thread | None = None
        self._sock: socket.socket | None = socket.socket()  # the port, held from now on: no race
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import uvicorn

        from pos_customers.cli.hq import serve_app

        if self._sock is None:  # started again after stop(): the same port, as the tills know it
            self._sock = socket.socket()
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind(("127.0.0.1", self.port))
        _, app = serve_app(str(self.db_path), port=self.port, mail_folder=self.mail_folder)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", log_config=None,
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]},
                                       name=f"hq-{self.port}", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self.server.started:
            self.stop()
            raise RuntimeError(f"headquarters did not start on port {self.port}")

    def stop(self) -> None:
        """Off the port: connections are refused until start() (the app closes its database)."""
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=30)
            self.server = self.thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


@pytest.fixture
def hq_server(tmp_path):
    server = HqServer(tmp_path / "hq.db")
    server.start()
    yield server
    server.stop()
    server.hq.engine.dispose()


def terminal(tmp_path: Path, server: HqProcess, code: str, **store) -> Services:
    token = server.hq.add_store(code, f"Store {code}", **store)
    svc = Services(templates.store_db(tmp_path / f"{code}.db"))
    enrol_terminal(svc, Actor.command_line(), server.url, token, terminal_name=f"{code} till")
    return svc


@pytest.fixture
def admin() -> Actor:
    return Actor.command_line()
