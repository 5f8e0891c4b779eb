"""The customer card's Organizations tab (a person: the organizations they belong to) and People tab
(an organization: its people; add an existing customer, create one, remove, role, primary contact,
manager), and the two small pickers they use. The card mixes :class:`MembershipTabs` in."""

from __future__ import annotations

from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, OptionList, Static, TabbedContent
from textual.widgets.option_list import Option

from ...domain import i18n
from ...domain.enums import CustomerType
from ...domain.errors import ValidationFailed
from ...domain.formats import phone_text
from ...domain.i18n import N_, _, tr
from ...domain.reference import format_reference
from ...services import memberships
from ...services.context import NotFound, Permission
from ..widgets.footer import keys_as_shown
from ..widgets.results import fit_phone
from ..text import plain, safe
from ..widgets.text_input import TextInput
from .customer_data import problems

TAB_PEOPLE, TAB_ORGANIZATIONS = "tab-people", "tab-organizations"

# first in the card's bindings: on the People tab, 80 columns show them
MEMBER_BINDINGS = [
    Binding("plus", "member_add", N_("Add person"), id="card.member_add",
            tooltip=N_("People tab: add an existing customer to this organization")),
    Binding("c", "member_new", N_("New person"), id="card.member_new",
            tooltip=N_("People tab: create a person, then add them to this organization")),
    Binding("p", "member_mark('primary')", N_("Primary"), id="card.member_primary",
            tooltip=N_("People tab: make the person the primary contact (again: no longer)")),
    Binding("m", "member_mark('manager')", N_("Manager"), id="card.member_manager",
            tooltip=N_("People tab: make the person the organization's manager (again: no longer)")),
    Binding("o", "member_role", N_("Role"), id="card.member_role", tooltip=N_("People tab: change the person's role")),
    Binding("delete", "member_remove", N_("Remove"), id="card.member_remove",
            tooltip=N_("People / Organizations tab: remove the person from the organization (asks first)")),
]
MEMBER_ACTIONS = {"member_add", "member_new", "member_mark", "member_role", "member_remove"}

PEOPLE_HINT = N_("+ add · c new person · p primary · m manager · o role · del remove · ⏎ open")
ORGANIZATIONS_HINT = N_("⏎ open the organization · del remove from it")


PICKER_PHONE = 14  # the phone column's width in the person picker


def _phone_cell(e164: str | None, width: int) -> str:
    """A phone number in a column of ``width`` cells: too long, it keeps its digits (as the results
    list's, :func:`fit_phone`), where the table would cut its end."""
    return fit_phone(phone_text(e164), width).rstrip()


def _marks(item) -> str:
    return ", ".join(word for word, on_ in ((_("primary"), item.primary), (_("manager"), item.manager)) if on_)


def people_table(people: list[memberships.MemberView]) -> DataTable:
    table = DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
    phone = 13
    for label, width in ((_("Name"), 18), (_("Reference"), 11), (_("Role"), 11), (_("Phone"), phone), (_("Marks"), 16)):
        table.add_column(label, width=width)
    for p in people:
        table.add_row(plain(p.name), plain(format_reference(p.reference)), plain(p.role_label),
                      plain(_phone_cell(p.phone, phone)), plain(_marks(p)), key=p.person_id)
    return table


def organizations_table(orgs: list[memberships.OrganizationLink]) -> DataTable:
    table = DataTable(id="organizations-table", cursor_type="row", zebra_stripes=True)
    phone = 14
    for label, width in ((_("Number"), 11), (_("Organization"), 16), (_("Role"), 11), (_("Manager"), 16),
                         (_("Phone"), phone)):
        table.add_column(label, width=width)
    for o in orgs:
        table.add_row(plain(format_reference(o.reference)), plain(o.name), plain(o.role_label),
                      plain(o.manager_name or "—"), plain(_phone_cell(o.manager_phone, phone)),
                      key=o.organization_id)
    return table


def organization_detail(o: memberships.OrganizationLink) -> str:
    parts = [_("Address: {address}").format(address=o.address or "—"),
             _("manager {name} {phone}").format(name=o.manager_name, phone=phone_text(o.manager_phone)).strip()
             if o.manager_name else _("no manager")]
    if o.primary:
        parts.append(_("primary contact"))
    return safe(" · ".join(parts))


class RolePickerModal(ModalScreen[str | None]):
    """The roles of the reference data: ⏎ picks one, Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), id="role.cancel", tooltip=N_("Do nothing"))]
    DEFAULT_CSS = """
    RolePickerModal { align: center middle; }
    RolePickerModal > Vertical { width: 50; max-width: 95%; height: auto; max-height: 20; border: thick $primary;
                                 padding: 0 1; background: $surface; }
    RolePickerModal OptionList { height: auto; max-height: 12; }
    RolePickerModal .hint { color: $text-muted; }
    """

    def __init__(self, title: str, roles: list[memberships.RoleChoice], current: str = "") -> None:
        super().__init__()
        self.title_text, self.roles, self.current = title, roles, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text))
            yield OptionList(*(Option(plain(r.label), id=r.code) for r in self.roles), id="roles")
            yield Static(keys_as_shown(_("⏎ choose · esc cancel")), classes="hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one("#roles", OptionList)
        codes = [r.code for r in self.roles]
        options.highlighted = codes.index(self.current) if self.current in codes else 0
        options.focus()

    @on(OptionList.OptionSelected, "#roles")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class PersonPickerModal(ModalScreen[str | None]):
    """Find an existing person to add to an organization: type, ↓ to the list, ⏎ picks."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), id="picker.cancel", tooltip=N_("Do nothing"))]
    DEFAULT_CSS = """
    PersonPickerModal { align: center middle; }
    PersonPickerModal > Vertical { width: 76; max-width: 100%; height: 20; border: thick $primary;
                                   padding: 0 1; background: $surface; }
    PersonPickerModal DataTable { height: 1fr; }
    PersonPickerModal .hint { color: $text-muted; }
    """

    def __init__(self, organization_id: str, organization_name: str) -> None:
        super().__init__()
        self.organization_id, self.organization_name = organization_id, organization_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(_("Add a person to {name}").format(name=self.organization_name)))
            yield TextInput(placeholder=_("name, phone, email or reference"), id="person-query")
            table = DataTable(id="person-results", cursor_type="row", zebra_stripes=True)
            for label, width in ((_("Name"), 24), (_("Reference"), 11), (_("Phone"), PICKER_PHONE), (_("City"), 14)):
                table.add_column(label, width=width)
            yield table
            yield Static(keys_as_shown(_("type to search · ↓ the list · ⏎ add · esc cancel")), classes="hint", id="picker-hint",
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#person-query", Input).focus()

    @on(Input.Changed, "#person-query")
    def _typed(self, event: Input.Changed) -> None:
        self.find(event.value)

    @work(exclusive=True, thread=True, group="person-picker")
    def find(self, text: str) -> None:
        found = memberships.candidates(self.app.services, self.app.actor, self.organization_id, text)
        self.app.call_from_thread(self._show, found)

    def _show(self, found) -> None:
        table = self.query_one("#person-results", DataTable)
        table.clear()
        for r in found:
            table.add_row(plain(r.display_name), plain(format_reference(r.reference)),
                          plain(_phone_cell(r.primary_phone, PICKER_PHONE)), plain(r.city), key=r.customer_id)

    def on_key(self, event) -> None:
        table = self.query_one("#person-results", DataTable)
        if event.key == "down" and self.focused is self.query_one("#person-query") and table.row_count:
            table.focus()
            event.stop()

    @on(Input.Submitted, "#person-query")
    def _first(self) -> None:
        table = self.query_one("#person-results", DataTable)
        if table.row_count:
            self.dismiss(table.coordinate_to_cell_key((0, 0)).row_key.value)

    @on(DataTable.RowSelected, "#person-results")
    def _picked(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)


class MembershipTabs:
    """What the customer card does on its People and Organizations tabs (mixed into CustomerScreen)."""

    _new_member_role: str | None = None
    _members: list = []
    _organizations: list = []

    # -- showing -----------------------------------------------------------------------------------
    def show_member_tab(self, view) -> None:
        """The card of an organization has People, the card of a person Organizations."""
        tabs = self.query_one("#tabs", TabbedContent)
        organization = view.customer_type == CustomerType.ORGANIZATION
        tabs.show_tab(TAB_PEOPLE if organization else TAB_ORGANIZATIONS)
        tabs.hide_tab(TAB_ORGANIZATIONS if organization else TAB_PEOPLE)
        self.load_members(view)

    @work(exclusive=True, thread=True, group="members")
    def load_members(self, view) -> None:
        svc, actor = self.app.services, self.app.actor
        if view.customer_type == CustomerType.ORGANIZATION:
            people = memberships.members(svc, actor, view.id, language=i18n.language())
            self.app.call_from_thread(self._show_people, people)
        else:
            orgs = memberships.organizations_of(svc, actor, view.id, language=i18n.language())
            self.app.call_from_thread(self._show_organizations, orgs)

    def _show_people(self, people) -> None:
        self._members = list(people)
        if not people:
            self._fill(TAB_PEOPLE, [Label(_("No people yet: + adds an existing customer, c creates one."),
                                          classes="muted", markup=False)])
            return
        self._fill(TAB_PEOPLE, [people_table(people), Label(tr(PEOPLE_HINT), classes="muted", markup=False)])
        self._member_focus_again("people-table", [p.person_id for p in people])

    def _show_organizations(self, orgs) -> None:
        self._organizations = list(orgs)
        if not orgs:
            self._fill(TAB_ORGANIZATIONS, [Label(_("Not a member of any organization."), classes="muted")])
            return
        self._fill(TAB_ORGANIZATIONS, [organizations_table(orgs),
                                       Static(organization_detail(orgs[0]), id="organization-detail",
                                              classes="muted", markup=False),
                                       Label(tr(ORGANIZATIONS_HINT), classes="muted", markup=False)])
        self._member_focus_again("organizations-table", [o.organization_id for o in orgs])

    # the row a change was made on (its key, its index): the list comes back focused on it
    _member_row: tuple[str, int] | None = None

    def _member_focus_again(self, table_id: str, keys: list[str]) -> None:
        at, self._member_row = self._member_row, None
        if at is not None:
            key, row = at
            self.call_later(self._refocus, list(self._filling), table_id, keys.index(key) if key in keys else row)

    # (plain handler names: a mixin's @on handlers are not collected)
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "organizations-table":
            return
        found = [o for o in self._organizations if o.organization_id == event.row_key.value]
        details = self.query("#organization-detail")
        if found and details:
            details.first(Static).update(organization_detail(found[0]))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id in ("people-table", "organizations-table"):
            self.app.open_customer(event.row_key.value)

    # -- which keys work where ---------------------------------------------------------------------
    def _on_tab(self, pane: str) -> bool:
        """Asked for every key whenever the footer is refreshed: the tabs widget is looked up once
        (a query walks the whole card each time)."""
        tabs = getattr(self, "_tabs_widget", None)
        if tabs is None or not tabs.is_attached:
            found = self.query("#tabs")
            if not found:
                return False  # not composed yet
            tabs = self._tabs_widget = found.first(TabbedContent)
        return tabs.active == pane

    def member_action_allowed(self, action: str) -> bool:
        view = self.view
        if view is None or view.anonymized_at is not None or not self.app.actor.can(Permission.EDIT):
            return False
        if action == "member_remove":
            return ((self._on_tab(TAB_PEOPLE) and bool(self._members))
                    or (self._on_tab(TAB_ORGANIZATIONS) and bool(self._organizations)))
        if not self._on_tab(TAB_PEOPLE):
            return False
        if action == "member_new":
            return self.app.actor.can(Permission.CREATE)
        return action == "member_add" or bool(self._members)

    def _current_member(self):
        found = self.query("#people-table")
        if not found or not self._members:
            return None
        row = found.first(DataTable).cursor_row
        return self._members[max(0, min(row, len(self._members) - 1))]

    # -- changing ----------------------------------------------------------------------------------
    def _run(self, change, done: str) -> None:
        """One membership change: a toast saying what happened, or one line saying why not."""
        try:
            change()
        except (ValidationFailed, NotFound) as exc:
            self.notify(problems(exc), severity="error", markup=False, timeout=8)
            return
        self.notify(done, markup=False)
        tables = [t for t in self.query("#people-table, #organizations-table").results(DataTable) if t.row_count]
        if tables:
            t = tables[0]
            self._member_row = (t.coordinate_to_cell_key((t.cursor_row, 0)).row_key.value, t.cursor_row)
        self.load()

    def _roles(self) -> list[memberships.RoleChoice]:
        return memberships.membership_roles(self.app.services, self.app.actor, language=i18n.language())

    def action_member_add(self) -> None:
        org = self.view

        def picked(person_id: str | None) -> None:
            if person_id:
                self._ask_role(_("Role at {organization}").format(organization=org.display_name), "",
                               lambda role: self._run(
                    lambda: memberships.link(self.app.services, self.app.actor, person_id, org.id, role=role),
                    _("Added to {organization}.").format(organization=org.display_name)))
        self.app.push_screen(PersonPickerModal(org.id, org.display_name), picked)

    def action_member_new(self) -> None:
        from ...services.customers import template_draft
        from .form import CustomerFormScreen

        def chosen(role: str) -> None:
            self._new_member_role = role
            draft = replace(template_draft(self.app.services, self.app.actor), customer_type=CustomerType.PERSON.value)
            self.app.push_screen(CustomerFormScreen(draft=draft))
        self._ask_role(_("Role of the new person at {organization}").format(organization=self.view.display_name),
                       "", chosen)

    def took_created(self, created) -> bool:
        """A person just created from this organization's People tab (c): linked with the role chosen
        before. False when this card was not waiting for one (a form left without saving leaves
        nothing waiting once another customer is saved from here)."""
        role, self._new_member_role = self._new_member_role, None
        if role is None or created.id == self.customer_id or created.customer_type != CustomerType.PERSON:
            return False
        self._run(lambda: memberships.link(self.app.services, self.app.actor, created.id, self.customer_id, role=role),
                  _("{name} created and added to {organization}.").format(name=created.display_name,
                                                                            organization=self.view.display_name))
        return True

    def _ask_role(self, title: str, current: str, then) -> None:
        def chosen(role: str | None) -> None:
            if role:
                then(role)
        self.app.push_screen(RolePickerModal(title, self._roles(), current), chosen)

    def action_member_mark(self, mark: str) -> None:
        m, org = self._current_member(), self.view
        if m is None:
            return
        value = not getattr(m, mark)
        said = {("primary", True): _("{name} is now the primary contact of {organization}."),
                ("primary", False): _("{name} is no longer the primary contact of {organization}."),
                ("manager", True): _("{name} is now the manager of {organization}."),
                ("manager", False): _("{name} is no longer the manager of {organization}.")}[mark, value]
        self._run(lambda: memberships.set_mark(self.app.services, self.app.actor, m.person_id, org.id, mark, value),
                  said.format(name=m.name, organization=org.display_name))

    def action_member_role(self) -> None:
        m, org = self._current_member(), self.view
        if m is None:
            return
        labels = {r.code: r.label for r in self._roles()}
        self._ask_role(_("Role of {name} at {organization}").format(name=m.name, organization=org.display_name),
                       m.role, lambda role: self._run(
            lambda: memberships.set_role(self.app.services, self.app.actor, m.person_id, org.id, role),
            f"{m.name}: {labels.get(role, role)}."))

    def action_member_remove(self) -> None:
        from .dialogs import ConfirmModal

        if self._on_tab(TAB_PEOPLE):
            m = self._current_member()
            if m is None:
                return
            person_id, org_id, person, org = m.person_id, self.view.id, m.name, self.view.display_name
        else:
            found = self.query("#organizations-table")
            if not found or not self._organizations:
                return
            o = self._organizations[max(0, min(found.first(DataTable).cursor_row, len(self._organizations) - 1))]
            person_id, org_id, person, org = self.view.id, o.organization_id, self.view.display_name, o.name

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(lambda: memberships.unlink(self.app.services, self.app.actor, person_id, org_id),
                          _("{name} removed from {organization}.").format(name=person, organization=org))
        self.app.push_screen(ConfirmModal(_("Remove {name} from {organization}?").format(name=person, organization=org),
                                          yes=_("Remove"), no=_("No")), confirmed)
