"""Issue 15: a name found because it sounds alike or is one typo away is marked in the list."""

from textual.widgets import Label

from pos_customers.ui.widgets.results import ResultsList
from tests.ui.conftest import settle, sign_in


async def test_sound_alike_and_typo_hits_are_marked(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"hans meyer")
        await settle(app, pilot)
        results = app.screen.query_one("#results", ResultsList)
        assert [results.get_row_at(i)[0] for i in range(results.row_count)] == ["≈ Hans Meier"]
        status = str(app.screen.query_one("#status", Label).render())
        assert "1 found" in status and "≈ alike ~ typo" in status
        await pilot.press(*["backspace"] * 5, *"meier")
        await settle(app, pilot)
        assert [results.get_row_at(i)[0] for i in range(results.row_count)] == ["Hans Meier"]
        assert "≈" not in str(app.screen.query_one("#status", Label).render())
