"""The terminal app's settings, from config.toml in the user config folder.

    [security]
    idle_minutes = 5          # lock back to sign-in after this long without a key
    max_pin_attempts = 5
    lockout_minutes = 5

    [search]
    debounce_ms = 10           # keys closer together than this are one burst: one search at its end

    [display]                 # each unset: the till's value, or the SSH one when SSH_CONNECTION is set
    cursor_blink = true       # till: true; over SSH: false
    fps = 120                 # frames a second at most; till: 120; over SSH: 30 (TEXTUAL_FPS wins)
    animations = "full"       # none | basic | full; till: full; over SSH: none (TEXTUAL_ANIMATIONS wins)
    mouse = true              # till: true; over SSH: false (the terminal's own copy and paste works)

    [keymap]                  # binding id = keys, e.g. a second key for "new customer"
    "search.new" = "f2,ctrl+n"

    [backup]                  # rolling local backups (services/backup.py)
    every_hours = 24          # 0: none
    keep = 7
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.i18n import Msg
from ..paths import config_path
from ..services.origin import over_ssh

ANIMATION_LEVELS = ("none", "basic", "full")
TILL_FPS, SSH_FPS = 120, 30


if TYPE_CHECKING:
    from ..services.backup import BackupSettings


class ConfigError(ValueError):
    """config.toml cannot be used: raised with a :class:`Msg` (``str()`` English, ``tr()`` translated)."""


@dataclass(frozen=True)
class UiConfig:
    idle_minutes: float = 5.0
    max_pin_attempts: int = 5
    lockout_minutes: float = 5.0
    debounce_ms: int = 10
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str = ""
    sync_seconds: float = 15.0  # background sync with headquarters, when the terminal is enrolled
    # [display]; None = not set in config.toml: see for_session()
    cursor_blink: bool | None = None  # off: less redrawing over slow SSH links (and still screenshots)
    fps: int | None = None
    animations: str | None = None
    mouse: bool | None = None
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
        raise ConfigError(Msg('{path}: [keymap] values must be key names like "f2" or "ctrl+n"', path=str(path)))
    display = data.get("display", {})
    if not isinstance(display, dict):
        raise ConfigError(Msg("{path}: [display] must be a table", path=str(path)))
    animations = display.get("animations")
    if animations is not None and animations not in ANIMATION_LEVELS:
        raise ConfigError(Msg("{path}: [display] animations must be one of {choices}", path=str(path),
                              choices=", ".join(ANIMATION_LEVELS)))
    for key in ("cursor_blink", "mouse"):
        if not isinstance(display.get(key, True), bool):
            raise ConfigError(Msg("{path}: [display] {key} must be true or false", path=str(path), key=key))
    fps = display.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 240):
        raise ConfigError(Msg("{path}: [display] fps must be a whole number from 1 to 240", path=str(path)))
    try:
        return UiConfig(
            idle_minutes=float(sec.get("idle_minutes", 5)),
            max_pin_attempts=int(sec.get("max_pin_attempts", 5)),
            lockout_minutes=float(sec.get("lockout_minutes", 5)),
            debounce_ms=int(search.get("debounce_ms", 10)),
            keymap=dict(keymap),
            theme=str(data.get("theme", "")),
            sync_seconds=max(1.0, float(data.get("sync", {}).get("every_seconds", 15))),
            cursor_blink=display.get("cursor_blink"),
            fps=fps,
            animations=animations,
            mouse=display.get("mouse"),
            backup=_backup(data.get("backup")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def for_session(config: UiConfig, environ: Mapping[str, str], *,
                fps_from_environment: bool) -> tuple[UiConfig, dict[str, str]]:
    """Fill in what config.toml left unset, for the till or for an SSH session (SSH_CONNECTION
    set: a support person on a link that may be slow): no cursor blink, no animations, at most
    30 frames a second, no mouse reporting. An explicit TEXTUAL_FPS or TEXTUAL_ANIMATIONS in the
    environment wins over both. Returns the settings and the environment variables to set
    before Textual is imported."""
    ssh = over_ssh(environ)
    env: dict[str, str] = {}
    fps: int | None = config.fps or (SSH_FPS if ssh else TILL_FPS)
    if fps_from_environment:
        fps = None  # Textual reads TEXTUAL_FPS itself
    else:
        env["TEXTUAL_FPS"] = str(fps)
    animations = config.animations or ("none" if ssh else "full")
    if environ.get("TEXTUAL_ANIMATIONS", "").lower() in ANIMATION_LEVELS:
        animations = environ["TEXTUAL_ANIMATIONS"].lower()
    return replace(
        config,
        cursor_blink=(not ssh) if config.cursor_blink is None else config.cursor_blink,
        fps=fps,
        animations=animations,
        mouse=(not ssh) if config.mouse is None else config.mouse,
    ), env
