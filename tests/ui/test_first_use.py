"""What a person trying the app the first time ran into, through the real app at 80x24."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.ui.conftest import settle, sign_in

SIZE = (80, 24)


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_first(app, pilot, typed: str, who=("1002", "1357")) -> None:
    await sign_in(app, pilot, *who)
    await pilot.press(*typed)
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot, 0.1)
    assert type(app.screen).__name__ == "CustomerScreen"


async def test_ctrl_e_is_listed_for_an_associate_and_says_why_not(make_app):
    app = make_app(sync_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(app, pilot, "hans meier")
        await pilot.press("f1")
        await settle(app, pilot)
        keys = app.screen.query_one(DataTable)
        assert any("ctrl+e" in str(keys.get_row_at(i)[0]).lower() for i in range(keys.row_count))
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("ctrl+e")
        await settle(app, pilot)
        assert any("a manager makes it" in m for m in notices(app)), notices(app)
