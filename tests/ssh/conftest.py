"""A real OpenSSH server for the tests: Debian's sshd on a free loopback port, run by the current
user (or by root, as in CI) with its own sshd_config, a throw-away host key and user key, all in a
temporary folder. Its ForceCommand opens the app on a prepared store database, as the README's
setup does for the ``pos-customers`` system user. The client is ``ssh -tt`` inside tmux, which is
the support person's terminal: keys go in with send-keys and the screen comes back with
capture-pane.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pos_customers.domain.enums import Role
from pos_customers.services.associates import add_associate
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer
from pos_customers.services.store import init_store
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade
from tests.helpers import person

SSHD = shutil.which("sshd") or shutil.which("sshd", path="/usr/sbin:/usr/local/sbin:/sbin")
TOOLS = {"sshd": SSHD, "ssh": shutil.which("ssh"), "ssh-keygen": shutil.which("ssh-keygen"),
         "tmux": shutil.which("tmux")}
MISSING = [name for name, path in TOOLS.items() if not path]

SUPPORT_NUMBER, SUPPORT_PIN = "7001", "8642"
WAIT = 30.0  # seconds at most for one thing to show on the screen (a loaded CI machine)


def need_tools() -> None:
    if MISSING:
        why = (f"not installed: {', '.join(MISSING)} (apt-get install openssh-server openssh-client tmux; "
               f"CI installs them)")
        if os.environ.get("POS_CUSTOMERS_REQUIRE_SSH"):
            pytest.fail(why)  # CI: the SSH tests must run
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path, comment: str) -> None:
    subprocess.run([TOOLS["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, capture_output=True)


def make_store(path: Path) -> None:
    """A store with one support associate (a support person signs in with their own number and
    PIN) and a few customers to find."""
    db = Database(path)
    upgrade(db)
    svc = Services(db)
    admin = Actor("9000", "Admin", Role.ADMIN, "T-ssh")
    init_store(svc, admin, code="BER01", number=101, name="Berlin Alexanderplatz",
               country="DE", currency="EUR", language="de")
    add_associate(svc, admin, number=SUPPORT_NUMBER, name="Sam Support", role="support", pin=SUPPORT_PIN)
    create_customer(svc, admin, person("Anna", "Müller", "anna.mueller@gmx.de", "0151 23456789", "10115"))
    create_customer(svc, admin, person("Hans", "Meier", "hans@meier.de", "0170 5551234", "10117"))
    db.dispose()


@dataclass
class Screen:
    """One tmux pane running ``ssh -tt`` to the test server."""

    tmux: list[str]
    name: str
    status_file: Path
    sshd_log: Path

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name).stdout

    def styled(self) -> str:
        """The screen with its colours, as SGR escape sequences."""
        return self._tmux("capture-pane", "-p", "-e", "-t", self.name).stdout

    def info(self, fmt: str) -> str:
        return self._tmux("display-message", "-p", "-t", self.name, fmt).stdout.strip()

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def press(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, pattern: str, what: str = "", *, absent: str | None = None) -> str:
        """The screen once it shows ``pattern`` (a regular expression), and no longer ``absent``;
        fails with the screen as it was after WAIT seconds."""
        deadline, screen = time.monotonic() + WAIT, ""
        while time.monotonic() < deadline:
            screen = self.text()
            if re.search(pattern, screen) and not (absent and re.search(absent, screen)):
                return screen
            if self.status_file.exists():
                break
            time.sleep(0.1)
        log = self.sshd_log.read_text(errors="replace")
        if os.geteuid() != 0 and "chown(/dev/pts" in log:
            # devpts mounted without gid=5 (some containers): only root's sshd can hand out a terminal
            pytest.skip("this machine's /dev/pts lets only a root sshd give a session its terminal")
        pytest.fail(f"{what or pattern!r} never showed; the screen:\n{screen}\nsshd's log:\n{log[-2000:]}")

    def wait_closed(self) -> int:
        """The exit status of ssh (the app's, passed on by sshd). Read from a file the pane's
        shell writes: tmux sometimes leaves a quickly ended pane's process unreaped."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status = self.status_file.read_text().strip() if self.status_file.exists() else ""
            if status.isdigit():
                return int(status)
            time.sleep(0.1)
        pytest.fail(f"the session did not end; the screen:\n{self.text()}")

    def _tmux(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.tmux, *args], check=True, capture_output=True, text=True)


@dataclass
class SshServer:
    folder: Path
    port: int
    db_path: Path
    user: str
    client: list[str]
    tmux: list[str]
    log: Path

    def login(self, name: str, term: str = "xterm-256color", size: tuple[int, int] = (80, 24)) -> Screen:
        """A support person's terminal (TERM=``term``) logging in: the app opens at once."""
        status = self.folder / f"{name}.status"
        ssh = shlex.join(["env", f"TERM={term}", *self.client])
        command = shlex.join(["sh", "-c", f"{ssh}; echo $? > {shlex.quote(str(status))}.new && "
                                          f"mv {shlex.quote(str(status))}.new {shlex.quote(str(status))}"])
        subprocess.run([*self.tmux, "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                        command], check=True, capture_output=True)
        return Screen(self.tmux, name, status, self.log)


def _start_sshd(folder: Path, config: str) -> tuple[subprocess.Popen, int, Path]:
    """sshd on a free loopback port; another process may take the port between the check and
    sshd's bind, so a refused bind tries the next free one."""
    log = folder / "sshd.log"
    for _ in range(5):
        port = _free_port()
        path = folder / "sshd_config"
        path.write_text(config.replace("{port}", str(port)), encoding="utf-8")
        with open(log, "wb") as out:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(path)], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and proc.poll() is None:
            if "Server listening on" in log.read_text(errors="replace"):
                return proc, port, log
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            break
        proc.wait()
        if "Bind to port" not in log.read_text(errors="replace"):
            break
    pytest.fail(f"sshd did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory):
    need_tools()
    folder = tmp_path_factory.mktemp("ssh")
    if len(str(folder)) > 80:  # a unix socket's path has ~100 bytes at most
        folder = Path(__import__("tempfile").mkdtemp(prefix="pos-ssh-"))
    user = getpass.getuser()
    if os.geteuid() == 0:
        # sshd run by root separates privileges into this folder (the init script makes it)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    _keygen(folder / "host_key", "pos-customers test host")
    _keygen(folder / "user_key", "support@test")
    # as the README's: no forwarding of any kind, no ~/.ssh/rc, but a terminal for the app
    (folder / "authorized_keys").write_text("restrict,pty " + (folder / "user_key.pub").read_text(),
                                            encoding="utf-8")
    db_path = folder / "store.db"
    make_store(db_path)
    config_toml = folder / "config.toml"
    config_toml.write_text("", encoding="utf-8")  # the app's defaults, not this machine's settings

    app = [sys.executable, "-c", "from pos_customers.launch import main; main()", "--db", str(db_path)]
    force = shlex.join(["env", f"POS_CUSTOMERS_CONFIG={config_toml}", "TZ=UTC", *app])
    # the README's Match block, for this one user, plus what a non-privileged test server needs
    config = "\n".join([
        "Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {folder / 'host_key'}",
        f"PidFile {folder / 'sshd.pid'}",
        "UsePAM no",
        "StrictModes no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PrintMotd no",
        "PrintLastLog no",
        f"AllowUsers {user}",
        f"Match User {user}",
        "    AuthenticationMethods publickey",
        "    PasswordAuthentication no",
        "    KbdInteractiveAuthentication no",
        f"    AuthorizedKeysFile {folder / 'authorized_keys'}",
        "    ForceCommand " + force,
        "    SetEnv POS_CUSTOMERS_LANG=en",  # support's own language (README), whatever the store's
        "    PermitTTY yes",
        "    DisableForwarding yes",
        "    AllowTcpForwarding no",
        "    AllowStreamLocalForwarding no",
        "    AllowAgentForwarding no",
        "    X11Forwarding no",
        "    PermitTunnel no",
        "    PermitUserRC no",
        "    ClientAliveInterval 30",
        "    ClientAliveCountMax 4",
        "",
    ])
    proc, port, log = _start_sshd(folder, config)
    known = folder / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {(folder / 'host_key.pub').read_text()}", encoding="utf-8")
    client = [TOOLS["ssh"], "-F", "/dev/null", "-tt", "-e", "none", "-p", str(port), "-i", str(folder / "user_key"),
              "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
              "-o", f"UserKnownHostsFile={known}", "-o", "GlobalKnownHostsFile=/dev/null",
              "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR", f"{user}@127.0.0.1"]
    tmux_conf = folder / "tmux.conf"
    tmux_conf.write_text("set -g remain-on-exit on\nset -g status off\nset -g history-limit 100\n",
                         encoding="utf-8")
    tmux = [TOOLS["tmux"], "-S", str(folder / "tmux.sock"), "-f", str(tmux_conf)]
    server = SshServer(folder, port, db_path, user, client, tmux, log)
    try:
        yield server
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
