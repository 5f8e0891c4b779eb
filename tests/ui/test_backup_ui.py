"""The app keeps rolling local backups in a background worker while the associate works."""

from __future__ import annotations

import sqlite3

from pos_customers.services.backup import BackupSettings, last_backup_at
from pos_customers.ui.app import PosApp
from pos_customers.ui.config import UiConfig
from pos_customers.storage.backup_files import integrity_problem, list_backups
from tests.ui.conftest import settle, sign_in


def till_app(shop, clock, backup: BackupSettings) -> PosApp:
    """A store's till (the demo store makes no rolling backups: it is rebuilt, not backed up)."""
    app = PosApp(shop, config=UiConfig(debounce_ms=10, cursor_blink=False, backup=backup), demo=False,
                 monotonic=clock)
    app.theme = "textual-dark"
    return app


async def test_the_app_makes_a_rolling_backup_in_the_background_and_keeps_working(shop, clock, tmp_path):
    app = till_app(shop, clock, BackupSettings(every_hours=24, keep=2, folder=str(tmp_path / "rolling")))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        app.background_backup()  # what the timer calls (a minute after start, then every ten)
        await pilot.press(*"anna")  # the screen answers while the copy is made
        await settle(app, pilot, 0.1)
        made = list_backups(shop.db.path, tmp_path / "rolling")
        assert len(made) == 1 and made[0].auto and integrity_problem(made[0].path) == ""
        assert last_backup_at(shop) == made[0].at
        app.background_backup()  # not due again for a day: nothing more
        await settle(app, pilot)
        assert len(list_backups(shop.db.path, tmp_path / "rolling")) == 1
    conn = sqlite3.connect(made[0].path)
    assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 3
    conn.close()


async def test_a_failed_backup_is_a_warning_not_a_crash(shop, clock, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    app = till_app(shop, clock, BackupSettings(every_hours=1, keep=2, folder=str(blocker)))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        app.background_backup()
        await settle(app, pilot, 0.1)
        assert any("Backup failed" in str(n.message) for n in app._notifications)
        assert app.is_running
    assert last_backup_at(shop) is None  # due again at the next look


def test_config_toml_backup_table_is_read_and_checked(tmp_path):
    import pytest

    from pos_customers.ui.config import ConfigError, load_config

    path = tmp_path / "config.toml"
    path.write_text("[backup]\nevery_hours = 6\nkeep = 14\n")
    assert load_config(path).backups == BackupSettings(6.0, 14)
    path.write_text("[sync]\nevery_seconds = 30\n")
    assert load_config(path).backups == BackupSettings()  # daily, 7 kept
    path.write_text("[backup]\nkeep = -1\n")
    with pytest.raises(ConfigError, match="keep must be a whole number"):
        load_config(path)
