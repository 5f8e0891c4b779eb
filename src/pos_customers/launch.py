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

from .domain import i18n
from .domain.i18n import _, tr

# the command line's language (POS_CUSTOMERS_LANG, the shell's locale, the store's): decided in
# services/language.py with the app's, light to import (the plain start of the app loads no Typer)
from .services.language import cli_language, environment_language  # noqa: F401 - cli/common.py reads them here


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


def open_app(db: str | None, *, choose: str | None = None) -> int:
    """The app on the store's file (``--db``, else $POS_CUSTOMERS_DB, else the user data folder,
    else the demo store's file when only the demo was made).
    Returns the exit code; a problem is one line on stderr."""
    from .paths import demo_notice, store_db_path

    i18n.set_language(cli_language())  # the app may choose another once the store is open
    path, is_demo = store_db_path(db)
    if not path.exists():
        return _error(_("no database at {path}: run `pos-customers init` or `pos-customers demo` first")
                      .format(path=path))
    if is_demo:
        print(tr(demo_notice(path)), file=sys.stderr)
    return run_app(db_path=path, demo=is_demo, choose=choose)


#: The cyclic garbage collector's thresholds in the app's process. At Python's defaults (700, 10,
#: 10) it ran a collection every few keys (Textual makes many short-lived objects as it lays out
#: and paints) and now and then a full one, which walks every object of every module loaded: a
#: keystroke's search then waited up to 80 ms (bench/ui.py at a million customers: 2,400
#: collections in a typing run, 11 of them full; at these thresholds 24, none full). Cycles are
#: still collected, after 50,000 allocations instead of 700.
APP_GC_THRESHOLDS = (50_000, 50, 1_000)


def collect_garbage_rarely() -> tuple[int, int, int]:
    """The app's thresholds for the garbage collector (:data:`APP_GC_THRESHOLDS`); returns those
    they replace. The app is a long-lived process whose latency a person feels at every key."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(*APP_GC_THRESHOLDS)
    return before


#: `pos-customers choose`'s exit code when the app ended without a customer chosen
NOTHING_CHOSEN = 1


def hand_off_line(view, fmt: str) -> str:
    """What `pos-customers choose` prints on stdout for the point of sale: the chosen customer's
    reference (``text``), or one line of JSON with its id, reference and name (``json``)."""
    if fmt == "json":
        import json

        return json.dumps({"id": view.id, "reference": view.reference, "display_name": view.display_name},
                          ensure_ascii=False)
    return view.reference


def run_app(svc=None, *, db_path: Path | None = None, demo: bool = False, choose: str | None = None) -> int:
    """Given only a path, the app shows the sign-in screen at once and opens the database in
    the background. ``choose`` ("text" or "json"): started by the point of sale to have a customer
    chosen; the chosen one is printed on stdout (the app draws on stderr), else the exit code is
    :data:`NOTHING_CHOSEN`."""
    from . import ui
    from .services.origin import session_origin
    from .ui.config import ConfigError, for_session, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        return _error(_("config: {problem}").format(problem=tr(exc)), 2)
    # over SSH: no blinking, no animations, fewer frames, no mouse reporting (unless configured);
    # the frame rate must be in the environment before Textual is imported
    config, env = for_session(config, os.environ, fps_from_environment=ui.FPS_FROM_ENVIRONMENT)
    os.environ.update(env)
    from .ui.app import NoTerminal, PosApp

    app = PosApp(svc, db_path=db_path, config=config, demo=demo, origin=session_origin(), choose=choose is not None)
    collect_garbage_rarely()
    try:
        app.run()
    except NoTerminal as exc:
        return _error(tr(exc), 2)
    if app.file_problem is not None:  # the screen said it; the terminal keeps it after the app ends
        from .services.health import failure_line

        return _error(tr(failure_line(app.file_problem)))
    if choose is not None:
        if app.return_value is None:
            return app.return_code or NOTHING_CHOSEN
        print(hand_off_line(app.return_value, choose), flush=True)
    return app.return_code or 0


def _error(message: str, code: int = 1) -> int:
    print(_("error: {message}").format(message=message), file=sys.stderr)
    return code
