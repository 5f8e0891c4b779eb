"""The People tab of an organization and the Organizations tab of a person, driven by keys at 80x24,
asserting on the database and on what the screen shows; and searching an organization's name."""

import pytest
from textual.widgets import DataTable, Input, OptionList, TabbedContent

from pos_customers.services.customers import create_customer
from pos_customers.services.memberships import link
from pos_customers.ui.screens.customer import CustomerScreen
from pos_customers.ui.screens.dialogs import ConfirmModal
from pos_customers.ui.screens.form import CustomerFormScreen
from pos_customers.ui.screens.members import PersonPickerModal, RolePickerModal
from pos_customers.ui.widgets.results import ResultsList
from tests.helpers import organization
from tests.ui.conftest import settle, sign_in
from tests.ui.test_flows import cells, db_rows


def member(svc, last_name):
    return db_rows(svc, "SELECT m.role, m.active, m.is_primary, m.is_manager FROM customer_membership m"
                        " JOIN customer c ON c.id = m.person_id WHERE c.last_name = ?", last_name)


@pytest.fixture
def acme(shop, admin):
    """Acme GmbH with Anna Müller as its buyer and primary contact."""
    org = create_customer(shop, admin, organization("Acme GmbH", postal="10115"))
    anna = shop_id(shop, "Müller")
    link(shop, admin, anna, org.id, role="buyer", primary=True)
    return org


def shop_id(svc, last_name):
    return db_rows(svc, "SELECT id FROM customer WHERE last_name = ?", last_name)[0][0]


async def open_card(app, pilot, query: str, tab: str) -> CustomerScreen:
    await sign_in(app, pilot)
    await pilot.press(*query)
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    card = app.screen
    assert isinstance(card, CustomerScreen)
    card.query_one("#tabs", TabbedContent).active = tab
    await settle(app, pilot)
    return card


async def test_people_tab_add_mark_role_remove_and_create(make_app, shop, acme):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot, "acme gmbh", "tab-people")
        tabs = card.query_one("#tabs", TabbedContent)
        assert tabs.get_tab("tab-organizations").display is False  # an organization has people
        table = card.query_one("#people-table", DataTable)
        assert cells(table)[0][0] == "Anna Müller" and cells(table)[0][2] == "Buyer"
        assert cells(table)[0][4] == "primary"
        table.focus()
        # + : find Hans, Enter, pick a role
        await pilot.press("plus")
        await settle(app, pilot)
        assert isinstance(app.screen, PersonPickerModal)
        await pilot.press(*"meier")
        await settle(app, pilot)
        assert cells(app.screen.query_one("#person-results", DataTable))[0][0] == "Hans Meier"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerModal)
        roles = app.screen.query_one("#roles", OptionList)
        assert roles.get_option_at_index(0).prompt.plain == "Contact"  # from the reference data
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is card
        assert member(shop, "Meier") == [("contact", 1, 0, 0)]
        # m on Hans: the manager; p on Hans: the primary contact moves from Anna
        table = card.query_one("#people-table", DataTable)
        assert app.focused is table  # the list comes back focused after a change
        rows = cells(table)
        await pilot.press(*["down"] * [r[0] for r in rows].index("Hans Meier"))
        await pilot.press("m")
        await settle(app, pilot)
        assert member(shop, "Meier") == [("contact", 1, 0, 1)]
        table = card.query_one("#people-table", DataTable)
        assert app.focused is table and cells(table)[table.cursor_row][0] == "Hans Meier"  # same row
        await pilot.press("p")
        await settle(app, pilot)
        assert member(shop, "Meier") == [("contact", 1, 1, 1)] and member(shop, "Müller") == [("buyer", 1, 0, 0)]
        table = card.query_one("#people-table", DataTable)
        assert cells(table)[0][0] == "Hans Meier" and cells(table)[0][4] == "primary, manager"
        # o: another role (the cursor stayed on Hans, now first)
        assert app.focused is table and table.cursor_row == 0
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerModal)
        await pilot.press("down", "enter")  # from Contact to Buyer
        await settle(app, pilot)
        assert member(shop, "Meier") == [("buyer", 1, 1, 1)]
        # Delete asks, y removes
        table = card.query_one("#people-table", DataTable)
        assert app.focused is table and cells(table)[table.cursor_row][0] == "Hans Meier"
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(app, pilot)
        assert member(shop, "Meier") == [("buyer", 0, 0, 0)]
        # c: a role, then the create form; saving adds the new person
        assert app.focused is card.query_one("#people-table", DataTable)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, RolePickerModal)
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        form.query_one("#first_name", Input).value = "Lena"
        form.query_one("#last_name", Input).value = "Vogel"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is card  # back on the organization, not on the new person's card
        assert member(shop, "Vogel") == [("contact", 1, 0, 0)]
        assert [r[0] for r in cells(card.query_one("#people-table", DataTable))] == ["Anna Müller", "Lena Vogel"]
    assert db_rows(shop, "SELECT count(*) FROM outbox_event WHERE event_type = 'membership.changed'")[0][0] >= 7
    assert db_rows(shop, "SELECT DISTINCT associate_number FROM audit_event WHERE entity = 'membership'"
                         " AND associate_number != '9000'") == [("1002",)]


async def test_organizations_tab_shows_the_manager_and_opens_the_organization(make_app, shop, admin, acme):
    hans = shop_id(shop, "Meier")
    link(shop, admin, hans, acme.id, role="manager", manager=True)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot, "mül ann", "tab-organizations")
        assert card.query_one("#tabs", TabbedContent).get_tab("tab-people").display is False
        table = card.query_one("#organizations-table", DataTable)
        [row] = cells(table)
        assert row[1] == "Acme GmbH" and row[2] == "Buyer" and row[3] == "Hans Meier" and row[4] == "0170 5551234"
        detail = str(card.query_one("#organization-detail").render())
        assert "10115 Berlin" in detail and "primary contact" in detail
        table.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomerScreen) and app.screen.customer_id == acme.id
        # the organization's Activity tab shows its people's memberships, as the person's does
        app.screen.query_one("#tabs", TabbedContent).active = "tab-activity"
        await settle(app, pilot)
        actions = [r[2] for r in cells(app.screen.query_one("#activity-table", DataTable))]
        assert actions.count("membership added") == 2 and actions[-1] == "created"


async def test_address_delete_still_works_on_a_persons_card(make_app, shop, acme):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot, "mül ann", "tab-addresses")
        card.query_one("#addresses-table", DataTable).focus()
        await pilot.press("delete", "y")
        await settle(app, pilot)
    assert db_rows(shop, "SELECT count(*) FROM customer_address a JOIN customer c ON c.id = a.customer_id"
                         " WHERE c.last_name = 'Müller'") == [(0,)]
    assert member(shop, "Müller") == [("buyer", 1, 1, 0)]  # the membership is untouched


async def test_searching_the_organization_lists_its_people_after_it(make_app, shop, acme):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press(*"acme")
        await settle(app, pilot)
        names = [r[0] for r in cells(app.screen.query_one("#results", ResultsList))]
        assert names[:2] == ["Acme GmbH", "Anna Müller (via Acme GmbH)"]


async def test_an_associate_without_edit_rights_gets_no_member_keys(make_app, shop, acme, admin):
    from pos_customers.services.associates import add_associate

    add_associate(shop, admin, number="7001", name="Sam Support", role="support", pin="8642")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot, "7001", "8642")
        await pilot.press(*"acme gmbh")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        card = app.screen
        card.query_one("#tabs", TabbedContent).active = "tab-people"
        await settle(app, pilot)
        assert card.check_action("member_add", ()) is False
        await pilot.press("plus")
        await settle(app, pilot)
        assert app.screen is card


# -- snapshots at 80x24 ------------------------------------------------------------------------------

def _at_tab(query: str, tab: str, table: str):
    async def run(pilot):
        await sign_in(pilot.app, pilot, "1001", "2468")
        await pilot.press(*query)
        await settle(pilot.app, pilot)
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        pilot.app.screen.query_one("#tabs", TabbedContent).active = tab
        await settle(pilot.app, pilot)
        pilot.app.screen.query_one(f"#{table}", DataTable).focus()
        await settle(pilot.app, pilot)
    return run


@pytest.fixture
def acme_people(shop, admin, acme):
    link(shop, admin, shop_id(shop, "Meier"), acme.id, role="manager", manager=True)
    return acme


def test_snapshot_people_tab(snap_compare, make_app, acme_people):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_at_tab("acme gmbh", "tab-people",
                                                                               "people-table"))


def test_snapshot_organizations_tab(snap_compare, make_app, acme_people):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_at_tab("mül ann", "tab-organizations",
                                                                               "organizations-table"))


def test_snapshot_person_picker(snap_compare, make_app, acme_people):
    async def run(pilot):
        await _at_tab("acme gmbh", "tab-people", "people-table")(pilot)
        await pilot.press("plus", *"we")
        await settle(pilot.app, pilot)
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run)


async def test_f1_lists_the_people_tabs_keys(make_app, shop, acme):
    from pos_customers.ui.screens.keys import KeysScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        card = await open_card(app, pilot, "acme gmbh", "tab-people")
        card.query_one("#people-table", DataTable).focus()
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, KeysScreen)
        listed = {r[0]: r[1] for r in cells(app.screen.query_one(DataTable))}
        assert listed["+"].startswith("People tab: add an existing customer")
        assert {"c", "p", "m", "o", "del"} <= set(listed)


async def test_a_long_phone_number_keeps_every_digit_in_the_people_and_organizations_tables():
    """The tables' phone columns cut a number as the results list does (fit_phone): its digits stay."""
    from types import SimpleNamespace

    from textual.app import App

    from pos_customers.ui.screens.members import organizations_table, people_table

    person = SimpleNamespace(name="Joseph Castillo", reference="YJAV8QW7T", role_label="Manager",
                             phone="+16177420583", primary=False, manager=True, person_id="p1")
    org = SimpleNamespace(reference="XYYHDN25W", name="Edwards Trading Ltd", role_label="Buyer",
                          manager_name="Joseph Castillo", manager_phone="+16177420583", organization_id="o1")
    async with App().run_test():
        assert people_table([person]).get_row_at(0)[3].plain == "+16177420583"  # "+1 617-742-0583" is 15
        assert organizations_table([org]).get_row_at(0)[4].plain == "+16177420583"
