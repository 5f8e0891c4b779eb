"""`associates …`: store staff who sign in to the terminal."""

from __future__ import annotations

from typing import Optional

import typer

from .common import (
    _actor,
    _errors,
    _services,
    associates_app,
    say,
)


@associates_app.command("add")
def associates_add(
    number: str = typer.Option(..., "--number", help="Associate number (what they type to sign in)."),
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option("associate", "--role", help="associate, manager, support or admin."),
    pin: Optional[str] = typer.Option(None, "--pin", help="4-12 digits (asked for when omitted).",
                                      envvar="POS_CUSTOMERS_PIN"),
) -> None:
    """Add a store associate; the PIN is stored as an argon2id hash only."""
    from ..services.associates import add_associate

    if pin is None:
        pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    svc = _services()
    with _errors():
        view = add_associate(svc, _actor(), number=number, name=name, role=role, pin=pin)
    say(f"associate {view.number} ({view.name}, {view.role}) added")


# -- diagnostics -----------------------------------------------------------------------------------
