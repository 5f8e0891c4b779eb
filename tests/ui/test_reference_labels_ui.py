"""Customer groups, affiliations and custom attributes (their label and their choices) in the reader's
language: the card's Attributes tab and the form show the label stored for it, English keeps the
default; the back office's `l` key stores one and audits it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable, Input, Label, Select, SelectionList, TabbedContent

from pos_customers.domain import i18n
from pos_customers.services import backoffice as bo
from pos_customers.services.customers import draft_from_view, get_customer, update_customer
from pos_customers.services.search import search_customers
from pos_customers.ui.screens.backoffice import AffiliationsScreen, AttributesScreen, GroupsScreen
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.form_modal import FormModal
from tests.ui.conftest import settle, sign_in
from tests.ui.test_backoffice import open_menu, select_labels
from tests.ui.test_flows import cells, db_rows


@pytest.fixture
def labelled(shop, admin):
    """Anna in LOYAL and CLUB, contact time Morning; each with a German label."""
    anna = next(r for r in search_customers(shop, admin, "anna müller").rows)
    view = get_customer(shop, admin, anna.customer_id)
    update_customer(shop, admin, view.id, replace(draft_from_view(view), group_code="LOYAL", affiliations=["CLUB"],
                                                  attributes={"CONTACT_TIME": "Morning"}), opened=view)
    bo.label_group(shop, admin, "LOYAL", "de", "Treueclub")
    bo.label_affiliation(shop, admin, "CLUB", "de", "Kundenclub")
    bo.label_attribute(shop, admin, "CONTACT_TIME", "de", "Kontaktzeit")
    bo.label_attribute(shop, admin, "CONTACT_TIME", "de", "Vormittags", choice="Morning")
    yield shop
    i18n.set_language("en")


async def attributes_tab(app, pilot) -> list[tuple[str, str]]:
    await sign_in(app, pilot, "1001", "2468")
    await pilot.press(*"anna müller", "enter")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerScreen)
    app.screen.query_one("#tabs", TabbedContent).active = "tab-attributes"
    await settle(app, pilot)
    table = app.screen.query_one("#attributes-table", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def open_form(app, pilot) -> CustomerFormScreen:
    await pilot.press("f2")
    await settle(app, pilot)
    assert isinstance(app.screen, CustomerFormScreen)
    return app.screen


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_card_shows_group_affiliation_and_attribute_in_the_current_language(make_app, labelled, language):
    i18n.set_language(language)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        values = [v for _, v in await attributes_tab(app, pilot)]
        head = str(app.screen.query_one("#head-more").render())  # the header: the group's label, not its code
        if language == "de":
            assert "Treueclub (LOYAL)" in values and "Kundenclub" in values and "Vormittags" in values
            assert "Gruppe Treueclub" in head and "LOYAL" not in head, head
        else:
            assert "Loyalty club members (LOYAL)" in values and "Customer club" in values and "Morning" in values
            assert "Treueclub (LOYAL)" not in values and "Vormittags" not in values
            assert "group Loyalty club members" in head and "LOYAL" not in head, head


@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_form_offers_groups_affiliations_and_choices_in_the_current_language(make_app, labelled,
                                                                                       language):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        i18n.set_language(language)
        form = await open_form(app, pilot)
        groups = select_labels(form.query_one("#group_code", Select))
        affiliations = form.query_one("#affiliations", SelectionList)
        affs = [str(affiliations.get_option_at_index(i).prompt) for i in range(affiliations.option_count)]
        choices = select_labels(form.query_one("#attr-CONTACT_TIME", Select))
        labels = [str(w.render()) for w in form.query(Label)]
        if language == "de":
            assert "Treueclub (LOYAL)" in groups and "Kundenclub (CLUB)" in affs
            assert "Vormittags" in choices and "Morning" not in choices and "Kontaktzeit" in labels
        else:
            assert "Loyalty club members (LOYAL)" in groups and "Customer club (CLUB)" in affs
            assert "Morning" in choices and "Vormittags" not in choices and "Preferred contact time" in labels
        form.query_one("#attr-CONTACT_TIME", Select).value = "Evening"  # the value stored stays the choice
        assert form.query_one("#attr-CONTACT_TIME", Select).value == "Evening"


async def _label_with_l(app, pilot, screen_type, row_code: str, values: list[str]) -> None:
    assert isinstance(app.screen, screen_type)
    table = app.screen.query_one(DataTable)
    table.move_cursor(row=[r[0] for r in cells(table)].index(row_code))
    await pilot.press("l")
    await settle(app, pilot)
    assert isinstance(app.screen, FormModal)
    await pilot.press(*values[0], "tab", *values[1], "ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, screen_type)
    await pilot.press("escape")
    await settle(app, pilot)


async def test_the_back_office_l_key_labels_groups_affiliations_and_attributes_and_audits_it(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 2)
        await _label_with_l(app, pilot, GroupsScreen, "LOYAL", ["de", "Treueclub"])
        app.screen.query_one("#menu").highlighted = 3
        await pilot.press("enter")
        await settle(app, pilot)
        await _label_with_l(app, pilot, AffiliationsScreen, "CLUB", ["fr", "Club clients"])
        app.screen.query_one("#menu").highlighted = 4
        await pilot.press("enter")
        await settle(app, pilot)
        await _label_with_l(app, pilot, AttributesScreen, "CONTACT_TIME", ["de", "Kontaktzeit"])
        app.screen.query_one("#menu").highlighted = 4
        await pilot.press("enter")
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=[r[0] for r in cells(table)].index("CONTACT_TIME"))
        await pilot.press("l")  # a choice's label: the choice picked first
        await settle(app, pilot)
        app.screen.query_one("#f-choice", Select).value = "Evening"
        await pilot.press(*"de", "tab", *"Abends", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, AttributesScreen)
    assert db_rows(shop, "SELECT json_extract(labels, '$.de') FROM customer_group WHERE code = 'LOYAL'") == [
        ("Treueclub",)]
    assert db_rows(shop, "SELECT json_extract(labels, '$.fr') FROM affiliation WHERE code = 'CLUB'") == [
        ("Club clients",)]
    assert db_rows(shop, "SELECT json_extract(labels, '$.de'), json_extract(choice_labels, '$.Evening.de') "
                         "FROM attribute_definition WHERE code = 'CONTACT_TIME'") == [("Kontaktzeit", "Abends")]
    audit = db_rows(shop, "SELECT entity, entity_id, action, changes FROM audit_event WHERE action = 'label' "
                          "ORDER BY id")
    assert [(e, i, a) for e, i, a, _ in audit] == [
        ("customer_group", "LOYAL", "label"), ("affiliation", "CLUB", "label"),
        ("attribute_definition", "CONTACT_TIME", "label"), ("attribute_definition", "CONTACT_TIME", "label")]
    assert "name.de" in audit[0][3] and "name.fr" in audit[1][3] and "choice.Evening.de" in audit[3][3]


async def test_l_without_a_language_says_so_and_stores_nothing(make_app, shop):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await open_menu(app, pilot, 2)
        await pilot.press("l")
        await settle(app, pilot)
        await pilot.press("tab", *"Treueclub", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        assert "Language is required" in str(app.screen.query_one("#err-language").render())
    # the shipped groups' labels only (five groups, each labelled in de/fr/nl): no Treueclub
    assert db_rows(shop, "SELECT count(*) FROM customer_group WHERE labels LIKE '%Treueclub%'") == [(0,)]


async def test_switching_language_on_an_edit_form_with_affiliations_keeps_it(make_app, labelled, admin):
    """F12 on the edit form of a customer with affiliations: the form is made again in the new
    language with the same choices ticked (it once closed the app: the list's change on restore)."""
    from tests.ui.test_language_switch import _pick

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "1001", "2468")
        await pilot.press(*"anna müller")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        form.query_one("#first_name", Input).value = "Annette"
        await _pick(app, pilot, "de")
        assert app.screen is form and app.is_running
        assert form.query_one("#first_name", Input).value == "Annette"
        assert form.query_one("#affiliations", SelectionList).selected == ["CLUB"]
        assert str(form.query_one("#label-first_name", Label).render()).startswith("Vorname")


def test_the_header_line_breaks_between_parts_only():
    from pos_customers.ui.screens.customer import _between_dots

    parts = ["person", "group Retail customers", "active", "guest", ("sync synced", "bold")]
    assert "".join(p if isinstance(p, str) else p[0] for p in _between_dots(parts, 80)) == \
        "person · group Retail customers · active · guest · sync synced"
    cut = "".join(p if isinstance(p, str) else p[0] for p in _between_dots(parts, 56))
    assert cut == "person · group Retail customers · active · guest\nsync synced"
    assert all(len(line) <= 56 for line in cut.splitlines())
