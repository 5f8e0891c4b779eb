"""`pos-customers …` commands (support staff script them over SSH). The plain start of the app,
`pos-customers [--db PATH]`, is handled by :mod:`pos_customers.launch` before Typer loads.

One module per command group; importing this package registers them all on :data:`app`."""

from __future__ import annotations

# registration order is the order of `--help`
from . import store  # noqa: F401, I001  (init, demo first)
from . import customers, members, customer_data, credit, associates, maintenance, backup, sync, hq, assistance  # noqa: F401, I001
from .common import app
from .hq import connected_demo

__all__ = ["app", "connected_demo", "main"]


def main() -> None:
    """`pos-customers COMMAND`: a failure of the till's file that a command did not turn into its
    own message still ends in one line on stderr, never a traceback."""
    import os
    import sys

    from ..domain.i18n import _
    from .common import file_failure_line, say

    try:
        app()
    except Exception as exc:
        line = file_failure_line(exc)
        if line is None:
            if os.environ.get("POS_CUSTOMERS_TRACEBACK"):
                raise
            line = _("unexpected failure ({kind}): run `pos-customers doctor`; "
                     "set POS_CUSTOMERS_TRACEBACK=1 to see the details").format(kind=type(exc).__name__)
        say(_("error: {message}").format(message=line), err=True)
        sys.exit(1)
