"""Where logging goes while the app has the terminal: a file in the user log folder, never the
screen. Libraries log (httpx, uvicorn in `hq demo`, SQLAlchemy warnings) and threads can die
with a traceback; written to the terminal the app draws on, any of it would land over the
screen. What the associate must know, the app says in its own widgets."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path
from typing import Any

import platformdirs

from .paths import APP, private_file

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_BYTES = 1_000_000  # then the file rolls over, keeping two older ones
KEEP = 2


def log_dir() -> Path:
    """The user log folder (``~/.local/state/pos-customers/log`` on Linux)."""
    return Path(platformdirs.user_log_dir(APP, appauthor=False))


def log_file(name: str) -> Path:
    return private_file(log_dir() / name)


def to_file(name: str = "app.log", *, level: int = logging.WARNING) -> Path:
    """From now on, every log record and every uncaught exception in a thread goes to ``name`` in
    the user log folder; handlers that write to the terminal are taken off the root logger."""
    path = log_file(name)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=KEEP,
                                                       encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    threading.excepthook = _thread_died
    return path


def _thread_died(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("pos_customers.thread").error(
        "uncaught in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def uvicorn_config(path: Path) -> dict[str, Any]:
    """uvicorn's logging (server messages and the access log) into ``path``, nothing on the terminal."""
    handler = {"class": "logging.handlers.RotatingFileHandler", "filename": str(path),
               "maxBytes": MAX_BYTES, "backupCount": KEEP, "encoding": "utf-8", "formatter": "plain"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {"file": handler},
        "loggers": {name: {"handlers": ["file"], "level": "INFO", "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
