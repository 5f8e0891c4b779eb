"""Where a session comes from: the till's own keyboard, or an SSH connection (support staff) and
from which address. OpenSSH tells the program it starts in ``SSH_CONNECTION`` ("client address,
client port, server address, server port"); older servers only in ``SSH_CLIENT``."""

from __future__ import annotations

import os
from collections.abc import Mapping


def over_ssh(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return any(env.get(key, "").strip() for key in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"))


def session_origin(environ: Mapping[str, str] | None = None) -> str | None:
    """``"ssh from 192.0.2.7"`` for a session over SSH, None at the till itself. Only a well-formed
    address is written to the audit trail; anything else is "an unknown address"."""
    env = os.environ if environ is None else environ
    for key in ("SSH_CONNECTION", "SSH_CLIENT"):
        words = env.get(key, "").split()
        if words:
            import ipaddress  # only over SSH: not on the till's start path

            try:
                return f"ssh from {ipaddress.ip_address(words[0])}"
            except ValueError:
                return "ssh from an unknown address"
    return "ssh" if over_ssh(env) else None
