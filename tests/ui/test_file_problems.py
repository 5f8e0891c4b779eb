"""The app when the till's file fails: at start a screen that says what happened and what to do;
while working, a dialog over the screen, which keeps what was typed; the file as it was."""

from __future__ import annotations

import sqlite3

import pytest
from textual.widgets import Input

from pos_customers.services.health import Failure, StorageError
from pos_customers.storage import engine
from pos_customers.ui.app import PosApp
from pos_customers.ui.config import UiConfig
from pos_customers.ui.screens.file_problem import FileProblemModal, FileProblemScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.search import SearchScreen
from tests.cli.test_file_failures import TABLES, damage, fill_the_disk
from tests.ui.conftest import settle, sign_in


def counts(path):
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


@pytest.fixture
def till(shop, tmp_path):
    """A copy of the shop's file, for the app to open by path as `pos-customers` does."""
    shop.db.dispose()
    path = tmp_path / "till.db"
    src = sqlite3.connect(shop.db.path)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return path


def problem_text(app) -> str:
    return str(app.screen.query_one("#file-problem-line").render())


async def start(path):
    app = PosApp(db_path=path, config=UiConfig(debounce_ms=10, cursor_blink=False))
    return app


@pytest.mark.parametrize("how", ["header", "truncated", "middle"])
async def test_a_damaged_file_at_start_shows_what_to_do(till, how):
    damage(till, how)
    before = till.read_bytes()
    app = await start(till)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, 0.2)
        for _ in range(40):  # the middle page is found by the background quick_check
            if isinstance(app.screen, FileProblemScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, FileProblemScreen)
        text = problem_text(app)
        assert "is damaged" in text and "pos-customers recover" in text and "`" not in text  # the command in bold
        assert "damaged" in str(app.screen.query_one("#file-problem-title").render())
        await pilot.press("ctrl+q")
    assert app.file_problem is not None and app.file_problem.kind is Failure.DAMAGED
    assert till.read_bytes() == before


async def test_a_read_only_file_at_start_shows_what_to_do(till):
    before = counts(till)
    till.chmod(0o444)
    try:
        app = await start(till)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot, 0.2)
            assert isinstance(app.screen, FileProblemScreen)
            assert "read-only" in problem_text(app) and "chmod u+w" in problem_text(app)
    finally:
        till.chmod(0o600)
    assert counts(till) == before


async def test_an_empty_file_at_start_stays_empty(tmp_path):
    path = tmp_path / "zero.db"
    path.touch()
    app = await start(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, 0.2)
        assert isinstance(app.screen, FileProblemScreen)
        assert "is empty" in problem_text(app)
    assert path.stat().st_size == 0


async def test_a_full_disk_keeps_the_form_and_the_file_as_they_were(till, monkeypatch):
    app = await start(till)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("f2")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        await pilot.press(*"Eva", "tab", "tab", *"Lang")
        form.query_one("#email", Input).value = "eva.lang@example.org"
        await settle(app, pilot)
        app.services.db.dispose()  # the next connections open under the page limit
        limit = fill_the_disk(till)
        monkeypatch.setattr(engine, "CONNECT_PRAGMAS", [*engine.CONNECT_PRAGMAS, limit])
        before = counts(till)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, FileProblemModal)
        assert "is full" in problem_text(app) and "nothing was saved" in problem_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is form  # what was typed is still there
        assert form.query_one("#first_name", Input).value == "Eva"
        assert form.query_one("#email", Input).value == "eva.lang@example.org"
        assert counts(till) == before
        monkeypatch.setattr(engine, "CONNECT_PRAGMAS", [p for p in engine.CONNECT_PRAGMAS if p != limit])
        app.services.db.dispose()
        conn = sqlite3.connect(till)
        conn.execute("DELETE FROM setting WHERE key LIKE 'filler-%'")  # room again
        conn.commit()
        conn.close()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, (FileProblemModal, CustomerFormScreen))
    assert counts(till)["customer"] == before["customer"] + 1


async def test_a_search_or_a_worker_failing_on_the_file_shows_the_dialog_and_the_app_goes_on(
        make_app, monkeypatch):
    """The search (its own thread, ui/latest.py) and a Textual worker (the form's check): for the
    worker, this fails if Textual stops routing a failed worker to App._handle_exception, the one
    Textual internal the app overrides."""
    import pos_customers.ui.screens.form as form
    import pos_customers.ui.screens.search as search

    def broken(*_a, **_k):
        raise sqlite3.DatabaseError("database disk image is malformed")

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        monkeypatch.setattr(search, "search_customers", broken)
        await pilot.press(*"anna")
        await settle(app, pilot)
        assert isinstance(app.screen, FileProblemModal)
        assert "is damaged" in problem_text(app)
        monkeypatch.undo()
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen) and app.is_running
        await pilot.press("backspace")
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)

        monkeypatch.setattr(form, "find_duplicates", broken)
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press(*"Eva")
        await settle(app, pilot, 0.3)  # the form's check runs 0.25 s after the last key
        assert isinstance(app.screen, FileProblemModal) and app.is_running
        assert "is damaged" in problem_text(app)


async def test_the_cards_data_export_is_private(shop, tmp_path, monkeypatch):
    import os
    import stat

    import platformdirs

    def mode(p):
        return stat.S_IMODE(os.stat(p).st_mode)

    docs = tmp_path / "Documents"
    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(docs))
    app = PosApp(shop, config=UiConfig(debounce_ms=10, cursor_blink=False))
    old = os.umask(0o022)  # a usual shell's: without care the files would be 0644
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(app, pilot, "1001", "2468")  # a manager
            await pilot.press(*"anna")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            await pilot.press("ctrl+e")
            await settle(app, pilot)
    finally:
        os.umask(old)
    written = sorted((docs / "pos-customers").iterdir())
    assert [p.suffix for p in written] == [".json", ".txt"]
    assert all(mode(p) == 0o600 for p in written) and mode(docs / "pos-customers") == 0o700
