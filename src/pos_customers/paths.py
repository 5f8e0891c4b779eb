"""Where things live: the database and config under platformdirs, overridable."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "pos-customers"
DB_ENV = "POS_CUSTOMERS_DB"
CONFIG_ENV = "POS_CUSTOMERS_CONFIG"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "customers.db"


def demo_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "demo.db"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db PATH, then POS_CUSTOMERS_DB, then the platform's user data folder."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    return default_db_path()


def config_path() -> Path:
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    """Reference data shipped with the app: inside the wheel, or data/ in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parents[1] / "data"):
        if (candidate / "address_purposes.csv").exists():
            return candidate
    raise FileNotFoundError("reference data folder not found (expected data/address_purposes.csv)")
