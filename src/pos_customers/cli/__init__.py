"""`pos-customers …` commands (support staff script them over SSH). The plain start of the app,
`pos-customers [--db PATH]`, is handled by :mod:`pos_customers.launch` before Typer loads.

One module per command group; each registers its commands on :data:`app` when imported. Naming
:data:`app` here imports them all (tests, ``--help``). :func:`main` imports them in order only until
the command it runs is registered, and has Typer build that one command: Typer turns every
option of every command it builds into a converter first, and the command line is a new
process for each command (issue 15: `customers search`, `show`, `add` each within 0.3 s)."""

from __future__ import annotations

import copy
import importlib
from typing import Any

#: the command modules; their order is the order of `--help` (init, demo first)
MODULES = ("store", "customers", "members", "customer_data", "credit", "associates", "maintenance", "backup",
           "sync", "hq", "assistance")

__all__ = ["app", "connected_demo", "main"]


def _register(until=None) -> None:
    """Import the command modules in order (each registers its commands), stopping once ``until()``
    says the one wanted is there."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
        if until is not None and until():
            return


def __getattr__(name: str) -> Any:
    if name == "app":
        _register()
        from .common import app

        return app
    if name == "connected_demo":
        from .hq import connected_demo

        return connected_demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _words(args: list[str]) -> list[str]:
    """The command's words: what comes before its first option, after the top level's own
    ``--db PATH`` (``pos-customers --db F customers search x``)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] != "--db":
            return []  # --help, or an option of the top level's: the whole tool
        i += 2
    words = []
    for word in args[i:i + 2]:
        if word.startswith("-"):
            break
        words.append(word)
    return words


def _name(info) -> str:
    from typer.main import get_command_name

    return info.name or get_command_name(info.callback.__name__)


def _group(typer_app, name: str):
    return next((g for g in typer_app.registered_groups if g.name == name), None)


def _only(app, words: list[str]):
    """``app`` with just the command ``words`` name (a command of the top level, a command of a
    group, or a group of a group, whole); None when it is not (yet) registered."""
    if not words:
        return None
    top = copy.copy(app)
    command = next((c for c in app.registered_commands if _name(c) == words[0]), None)
    if command is not None:
        top.registered_commands, top.registered_groups = [command], []
        return top
    group = _group(app, words[0])
    if group is None or len(words) < 2:
        return None
    sub = copy.copy(group.typer_instance)
    inner = next((c for c in sub.registered_commands if _name(c) == words[1]), None)
    if inner is not None:
        sub.registered_commands, sub.registered_groups = [inner], []
    elif _group(sub, words[1]) is not None:
        sub.registered_commands, sub.registered_groups = [], [_group(sub, words[1])]
    else:
        return None
    info = copy.copy(group)
    info.typer_instance = sub
    top.registered_commands, top.registered_groups = [], [info]
    return top


def main() -> None:
    """`pos-customers COMMAND`: a failure of the till's file that a command did not turn into its
    own message still ends in one line on stderr, never a traceback."""
    import os
    import sys

    from ..domain.i18n import _
    from .common import app, file_failure_line, say

    words = _words(sys.argv[1:])
    run = None
    if words:
        _register(until=lambda: _only(app, words) is not None)
        run = _only(app, words)
    if run is None:  # help, a group's list of commands, a mistyped command: everything, as registered
        _register()
        run = app
    try:
        run()
    except Exception as exc:
        line = file_failure_line(exc)
        if line is None:
            if os.environ.get("POS_CUSTOMERS_TRACEBACK"):
                raise
            line = _("unexpected failure ({kind}): run `pos-customers doctor`; "
                     "set POS_CUSTOMERS_TRACEBACK=1 to see the details").format(kind=type(exc).__name__)
        say(_("error: {message}").format(message=line), err=True)
        sys.exit(1)
