"""Where things live: the database and config under platformdirs, overridable."""

from __future__ import annotations

import os
from pathlib import Path

from .domain.i18n import Msg

APP = "pos-customers"
DB_ENV = "POS_CUSTOMERS_DB"
CONFIG_ENV = "POS_CUSTOMERS_CONFIG"


def default_db_path() -> Path:
    import platformdirs  # not needed when --db or the environment names the file

    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "customers.db"


def demo_db_path() -> Path:
    import platformdirs  # not needed when --db or the environment names the file

    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "demo.db"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """--db PATH, then POS_CUSTOMERS_DB, then the platform's user data folder."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    return default_db_path()


def store_db_path(explicit: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The store file a command or the app opens, and whether it is the demo's: as
    :func:`resolve_db_path`, except that with nothing given and no store set up in the user data
    folder, the demo database is used when `pos-customers demo` has made one."""
    path = resolve_db_path(explicit)
    if explicit or os.environ.get(DB_ENV) or path.exists():
        return path, False
    demo = demo_db_path()
    if demo.exists():
        return demo, True
    return path, False


def demo_notice(path: Path) -> Msg:
    """The one line that says the demo database is in use (made into text where it is printed)."""
    return Msg("using the demo store at {path} (pos-customers init sets up a real store)", path=str(path))


HQ_DB_ENV = "POS_CUSTOMERS_HQ_DB"


def hq_db_path(explicit: str | None = None) -> tuple[str | None, bool]:
    """The headquarters database an `hq` command opens and whether it is the demo's: --db, then
    $POS_CUSTOMERS_HQ_DB (returned as None: headquarters' own default rules apply), then hq.db in
    the user data folder; when that does not exist and `pos-customers hq demo` has made
    demo-hq.db beside it, that one."""
    if explicit or os.environ.get(HQ_DB_ENV):
        return explicit, False
    folder = demo_db_path().parent
    default, demo = folder / "hq.db", folder / "demo-hq.db"
    if not default.exists() and demo.exists():
        return str(demo), True
    return None, False


def default_hq_db_path() -> Path:
    return demo_db_path().parent / "hq.db"


def hq_demo_notice(path: str | os.PathLike) -> Msg:
    """The one line that says the demo headquarters is in use (made into text where it is printed)."""
    return Msg("using the demo headquarters at {path} (--db URL or $POS_CUSTOMERS_HQ_DB chooses another)",
               path=str(path))


def config_path() -> Path:
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    import platformdirs  # not needed when --db or the environment names the file

    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    """Reference data shipped with the app: inside the wheel, or data/ in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parents[1] / "data"):
        if (candidate / "address_purposes.csv").exists():
            return candidate
    raise FileNotFoundError("reference data folder not found (expected data/address_purposes.csv)")


# -- private files ---------------------------------------------------------------------------------
# A till's files hold every customer and headquarters' credential: on POSIX they are readable by
# their owner only (files 0600, folders 0700). Everything that writes such a file uses these.

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: str | os.PathLike) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can enter. An existing folder
    keeps its mode (it may be the user's home or a shared mount); a new one is 0700."""
    folder = Path(path)
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for new in reversed(missing):  # every folder made here is 0700, not only the last one
        try:
            new.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made by another process meanwhile: leave it as it is
            continue
        if os.name == "posix":
            os.chmod(new, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return folder


def private_file(path: str | os.PathLike) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist (its folder 0700 if new), so the
    program that writes it next never makes it readable by others. An existing file is left as it
    is (``wider_than_private`` tells whether it is)."""
    file = Path(path)
    private_dir(file.parent)
    if os.name == "posix" and not file.exists():
        try:
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:  # made by another process meanwhile: leave it as it is
            return file
        os.chmod(file, PRIVATE_FILE)  # the umask filters os.open's mode
    return file


def wider_than_private(path: str | os.PathLike) -> bool:
    """Can someone other than the owner read or write ``path``? (Always False off POSIX.)"""
    if os.name != "posix":
        return False
    try:
        return bool(Path(path).stat().st_mode & 0o077)
    except OSError:
        return False


def write_private(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` as a file only its owner can read (0600, a new folder 0700),
    whatever mode a file already there had: written beside it under another name, then renamed
    over it, so a half-written file never carries the real name."""
    target = Path(path)
    tmp = private_file(target.with_name(target.name + ".part"))
    if os.name == "posix":
        os.chmod(tmp, PRIVATE_FILE)  # a .part left over from an earlier run may be wider
    if isinstance(data, str):
        data = data.encode(encoding)
    with open(tmp, "wb") as fh:
        fh.write(data)
    tmp.replace(target)
    return target
