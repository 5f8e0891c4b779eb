"""`pos-customers …` commands (support staff script them over SSH). The plain start of the app,
`pos-customers [--db PATH]`, is handled by :mod:`pos_customers.launch` before Typer loads.

One module per command group; importing this package registers them all on :data:`app`."""

from __future__ import annotations

# registration order is the order of `--help`
from . import store  # noqa: F401, I001  (init, demo first)
from . import customers, associates, maintenance, sync, hq  # noqa: F401, I001
from .common import app
from .hq import connected_demo

__all__ = ["app", "connected_demo", "main"]


def main() -> None:
    app()
