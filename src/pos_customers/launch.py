"""`pos-customers`: with no command it opens the terminal app at once; every command goes to
the command line tool (:mod:`pos_customers.cli`).

The till starts the app many times a day, so this path imports neither Typer nor the command
line tool: Typer alone takes about 25 ms to import, and before running anything it builds a
converter for every option of every command (about 200 ms on a till PC).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def app_only(args: list[str]) -> tuple[bool, str | None]:
    """Is this the plain start of the app (no command; at most ``--db PATH``), and with which
    file? Only those few shapes; everything else, ``--help`` included, goes to the command line
    tool."""
    if not args:
        return True, None
    if len(args) == 2 and args[0] == "--db" and not args[1].startswith("-"):
        return True, args[1]
    if len(args) == 1 and args[0].startswith("--db=") and len(args[0]) > 5:
        return True, args[0][5:]
    return False, None


def main() -> None:
    plain, db = app_only(sys.argv[1:])
    if not plain:
        from .cli import main as cli_main

        cli_main()
        return
    sys.exit(open_app(db))


def open_app(db: str | None) -> int:
    """The app on the store's file (``--db``, else $POS_CUSTOMERS_DB, else the user data folder).
    Returns the exit code; a problem is one line on stderr."""
    from .paths import resolve_db_path

    path = resolve_db_path(db)
    if not path.exists():
        return _error(f"no database at {path}: run `pos-customers init` or `pos-customers demo` first")
    return run_app(db_path=path)


def run_app(svc=None, *, db_path: Path | None = None, demo: bool = False) -> int:
    """Given only a path, the app shows the sign-in screen at once and opens the database in
    the background."""
    from . import ui
    from .services.origin import session_origin
    from .ui.config import ConfigError, for_session, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        return _error(f"config: {exc}", 2)
    # over SSH: no blinking, no animations, fewer frames, no mouse reporting (unless configured);
    # the frame rate must be in the environment before Textual is imported
    config, env = for_session(config, os.environ, fps_from_environment=ui.FPS_FROM_ENVIRONMENT)
    os.environ.update(env)
    from .ui.app import NoTerminal, PosApp

    app = PosApp(svc, db_path=db_path, config=config, demo=demo, origin=session_origin())
    try:
        app.run()
    except NoTerminal as exc:
        return _error(str(exc), 2)
    if app.file_problem is not None:  # the screen said it; the terminal keeps it after the app ends
        from .services.health import failure_line

        return _error(failure_line(app.file_problem))
    return app.return_code or 0


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
