"""Support over SSH, for real: OpenSSH's server and client, the app in a pseudo-terminal."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time

from tests.ssh.conftest import SUPPORT_NUMBER, SUPPORT_PIN, WAIT


def audit_rows(db_path, *actions: str) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            f"SELECT associate_number, action, changes FROM audit_event WHERE action IN "
            f"({','.join('?' * len(actions))}) ORDER BY id", actions).fetchall()
    return [(who, action, json.loads(changes)) for who, action, changes in rows]


def test_support_signs_in_over_ssh_finds_a_customer_and_quits(ssh_server):
    screen = ssh_server.login("support", term="xterm")  # 16 colours
    shown = screen.wait_for(r"Berlin Alexanderplatz", "the sign-in screen with the store's name")
    assert "pos-customers" in shown

    screen.type(SUPPORT_NUMBER)
    screen.press("Enter")
    screen.type(SUPPORT_PIN)
    screen.press("Enter")
    shown = screen.wait_for(r"Sam Support \(support\)", "the search screen, signed in as support")
    # keyboard only: mouse reporting is off over SSH, so the terminal's own selection works
    assert screen.info("#{mouse_any_flag}") == "0"

    screen.type("meier")
    # the home screen lists recent customers: the search has run once Anna Müller is gone
    shown = screen.wait_for(r"1 found", "the search result", absent=r"Anna Müller")
    assert "Hans Meier" in shown and "hans@meier.de" in shown
    assert not unreadable_text(screen.styled()), "the results in 16 colours"
    screen.press("Enter")
    shown = screen.wait_for(r"First name\s+Hans", "the customer card")
    assert re.search(r"Account\s+Contacts\s+Addresses", shown) and re.search(r"Last name\s+Meier", shown)
    assert not unreadable_text(screen.styled()), "the card in 16 colours"

    screen.press("C-q")
    assert screen.wait_closed() == 0

    # the sign-in's audit row says the session came over SSH, and from where
    (who, _, changes), = audit_rows(ssh_server.db_path, "sign_in")
    assert who == SUPPORT_NUMBER
    assert changes == {"via": {"old": None, "new": "ssh from 127.0.0.1"}}


def test_a_wrong_pin_over_ssh_is_audited_with_its_origin(ssh_server):
    screen = ssh_server.login("wrong-pin")
    screen.wait_for(r"Berlin Alexanderplatz", "the sign-in screen")
    screen.type(SUPPORT_NUMBER)
    screen.press("Enter")
    screen.type("0000")
    screen.press("Enter")
    deadline = time.monotonic() + WAIT
    while not audit_rows(ssh_server.db_path, "sign_in_failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Sam Support" not in screen.text()  # still on the sign-in screen
    screen.press("C-q")
    assert screen.wait_closed() == 0
    (who, _, changes), = audit_rows(ssh_server.db_path, "sign_in_failed")
    assert who == SUPPORT_NUMBER
    assert changes["via"] == {"old": None, "new": "ssh from 127.0.0.1"}


def test_the_login_runs_the_app_and_nothing_else(ssh_server):
    """A command given to ssh is not run (the ForceCommand is); without a terminal the app says
    it needs one instead of waiting; forwarding a port is refused."""
    no_tty = [arg for arg in ssh_server.client if arg != "-tt"]
    done = subprocess.run([*no_tty, "-T", "echo SHELL-REACHED; id"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "SHELL-REACHED" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1] == "error: the app needs a terminal (over SSH: ssh -t)"

    done = subprocess.run([*no_tty, "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 255 and "forwarding failed" in done.stderr


TERMS = ["xterm", "xterm-256color", "screen", "linux", "vt220"]
SIXTEEN = {"xterm", "screen", "linux", "vt220"}  # what these terminals announce: 16 colours at most


def test_the_sign_in_screen_renders_under_each_term(ssh_server):
    """Five support people's terminals at once (one app each), each checked in turn."""
    screens = {term: ssh_server.login(f"term-{term}", term=term) for term in TERMS}
    for term, screen in screens.items():
        shown = screen.wait_for(r"Berlin Alexanderplatz", f"the sign-in screen under TERM={term}")
        assert "Quit" in shown  # the footer's keys, at the bottom of 80x24
        styled = screen.styled()
        if term in SIXTEEN:
            # only the 16 ANSI colours reach the terminal: no 256-colour nor true-colour codes
            assert not re.search(r"\x1b\[[0-9;]*[34]8;[25];", styled), f"TERM={term}: {styled!r}"
        invisible = unreadable_text(styled)
        assert not invisible, f"text drawn in its own background colour under TERM={term}: {invisible}"
        screen.press("C-q")
    for term, screen in screens.items():
        assert screen.wait_closed() == 0, f"TERM={term}"


def unreadable_text(styled: str) -> list[str]:
    """Characters (other than blanks) whose foreground is their background, from capture-pane -e."""
    bad: list[str] = []
    for line in styled.splitlines():
        fg, bg, reverse = "fg", "bg", False  # the terminal's own foreground and background
        for part in re.split(r"(\x1b\[[0-9;:]*m)", line):
            if part.startswith("\x1b["):
                fg, bg, reverse = _sgr(part[2:-1], fg, bg, reverse)
                continue
            shown_fg, shown_bg = (bg, fg) if reverse else (fg, bg)
            if shown_fg == shown_bg and part.strip():
                bad.append(part.strip())
    return bad


def _sgr(params: str, fg: str, bg: str, reverse: bool) -> tuple[str, str, bool]:
    codes = [int(c) if c.isdigit() else 0 for c in params.replace(":", ";").split(";")] or [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            fg, bg, reverse = "fg", "bg", False
        elif c == 7:
            reverse = True
        elif c == 27:
            reverse = False
        elif 30 <= c <= 37 or 90 <= c <= 97:
            fg = f"c{c - 30 if c < 90 else c - 82}"
        elif 40 <= c <= 47 or 100 <= c <= 107:
            bg = f"c{c - 40 if c < 100 else c - 92}"
        elif c == 39:
            fg = "fg"
        elif c == 49:
            bg = "bg"
        elif c in (38, 48) and i + 1 < len(codes):
            if codes[i + 1] == 5 and i + 2 < len(codes):
                value, i = f"c{codes[i + 2]}", i + 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                value, i = "rgb" + ",".join(map(str, codes[i + 2:i + 5])), i + 4
            else:
                value = "fg" if c == 38 else "bg"
            if c == 38:
                fg = value
            else:
                bg = value
        i += 1
    return fg, bg, reverse
