"""Segments at the till, as an associate meets them: seg:vip in the search box, an unknown code
said on the status line, the segments on the card's Attributes & groups tab."""

from sqlmodel import text
from textual.widgets import DataTable, Label, TabbedContent

from pos_customers.sync.engine import apply_item
from pos_customers.ui.screens.search import draft_from_query
from pos_customers.ui.widgets.results import ResultsList
from tests.ui.conftest import settle, sign_in


def _pull_vip(svc) -> None:
    with svc.db.write() as s:
        anna = s.exec(text("SELECT id FROM customer WHERE first_name = 'Anna'")).one()[0]
        apply_item(s, {"t": "segment", "doc": {"code": "vip", "name": "VIP customers"}}, "BER01", {})
        apply_item(s, {"t": "customer_segments", "doc": {"customer_id": anna, "codes": ["vip"]}}, "BER01", {})


async def test_seg_in_the_search_box_and_on_the_card(make_app, shop):
    _pull_vip(shop)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"seg:gold")
        await settle(app, pilot)
        results = app.screen.query_one("#results", ResultsList)
        assert results.row_count == 0
        assert "No segment “gold”: seg:vip" in str(app.screen.query_one("#status", Label).render())
        await pilot.press(*["backspace"] * 4, *"vip")
        await settle(app, pilot)
        assert [results.get_row_at(i)[0] for i in range(results.row_count)] == ["Anna Müller"]
        await pilot.press(*" hans")  # another customer's name: filtered out
        await settle(app, pilot)
        assert results.row_count == 0
        await pilot.press(*["backspace"] * 5, "enter")
        await settle(app, pilot)
        app.screen.query_one("#tabs", TabbedContent).active = "tab-attributes"
        await settle(app, pilot)
        table = app.screen.query_one("#attributes-table", DataTable)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert ("Segments", "vip") in rows and ("  seg:vip", "VIP customers") in rows


def test_seg_words_are_not_names_for_a_new_customer():
    draft = draft_from_query("seg:vip jan de vries")
    assert (draft.first_name, draft.last_name) == ("Jan", "de Vries")
