"""`associates …`: store staff who sign in to the terminal."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from .common import (
    DB_OPTION,
    _actor,
    _errors,
    _services,
    associates_app,
    fail,
    say,
)


@associates_app.command("add", help=N_("Add a store associate; the PIN is stored as an argon2id hash only."))
def associates_add(
    number: str = typer.Option(..., "--number", help=N_("Associate number (what they type to sign in).")),
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option("associate", "--role", help=N_("associate, manager, support or admin.")),
    pin: Optional[str] = typer.Option(None, "--pin", help=N_("4-12 digits (asked for twice, hidden, when omitted)."),
                                      envvar="POS_CUSTOMERS_PIN"),
    pin_stdin: bool = typer.Option(False, "--pin-stdin", help=N_("Read the PIN from the first line of standard "
                                                              "input (for scripts).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.associates import add_associate

    if pin_stdin:
        pin = (sys.stdin.readline() if sys.stdin else "").rstrip("\r\n")
    elif pin is None:
        if sys.stdin is None or not sys.stdin.isatty():
            fail(_("no terminal to type the PIN on: give it on standard input with --pin-stdin"), 2)
        pin = typer.prompt(_("PIN"), hide_input=True, confirmation_prompt=_("PIN again"))
    svc = _services(db)
    from ..services.auth import role_name

    with _errors():
        view = add_associate(svc, _actor(), number=number, name=name, role=role, pin=pin)
    say(_("associate {number} ({name}, {role}) added").format(number=view.number, name=view.name,
                                                               role=tr(role_name(view.role))))


# -- diagnostics -----------------------------------------------------------------------------------
