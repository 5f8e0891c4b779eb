"""The terminal app's settings, from config.toml in the user config folder.

    [security]
    idle_minutes = 5          # lock back to sign-in after this long without a key
    max_pin_attempts = 5
    lockout_minutes = 5

    [search]
    debounce_ms = 10           # keys closer together than this are one burst: one search at its end

    [keymap]                  # binding id = keys, e.g. a second key for "new customer"
    "search.new" = "f2,ctrl+n"

    [backup]                  # rolling local backups (services/backup.py)
    every_hours = 24          # 0: none
    keep = 7
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import config_path


if TYPE_CHECKING:
    from ..services.backup import BackupSettings


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class UiConfig:
    idle_minutes: float = 5.0
    max_pin_attempts: int = 5
    lockout_minutes: float = 5.0
    debounce_ms: int = 10
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str = ""
    sync_seconds: float = 15.0  # background sync with headquarters, when the terminal is enrolled
    cursor_blink: bool = True  # off: less redrawing over slow SSH links (and still screenshots)
    backup: BackupSettings | None = None  # [backup]; None: the defaults (daily, 7 kept)

    @property
    def backups(self) -> BackupSettings:
        from ..services.backup import BackupSettings

        return self.backup or BackupSettings()


def _backup(table: Any) -> BackupSettings | None:
    if table is None:
        return None  # the defaults, without loading the backup module on the way to sign-in
    from ..services.backup import backup_settings

    return backup_settings(table)


def load_config(path: Path | None = None) -> UiConfig:
    path = path or config_path()
    if not path.exists():
        return UiConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    sec, search = data.get("security", {}), data.get("search", {})
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(f"{path}: [keymap] values must be key names like \"f2\" or \"ctrl+n\"")
    try:
        return UiConfig(
            idle_minutes=float(sec.get("idle_minutes", 5)),
            max_pin_attempts=int(sec.get("max_pin_attempts", 5)),
            lockout_minutes=float(sec.get("lockout_minutes", 5)),
            debounce_ms=int(search.get("debounce_ms", 10)),
            keymap=dict(keymap),
            theme=str(data.get("theme", "")),
            sync_seconds=max(1.0, float(data.get("sync", {}).get("every_seconds", 15))),
            cursor_blink=bool(data.get("display", {}).get("cursor_blink", True)),
            backup=_backup(data.get("backup")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
