"""The customer card: header and tabs (Account, Contacts, Addresses, Attributes & groups,
Notes for managers and support, Orders, Organizations of a person / People of an organization
(screens/members.py), Stores, Active carts, Saved payments, Store credit (screens/credit.py), Activity,
Online (screens/online.py)).

The tabs headquarters feeds besides the orders are panes of their own (customer_data.py)."""

from __future__ import annotations

from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label, Static, Tab, TabbedContent, TabPane, Tabs

from ...domain import i18n
from ...domain.enums import SyncState
from ...domain.errors import ValidationFailed
from ...domain.i18n import N_, _, ngettext, tr
from ...services import records, sync
from ...services.context import NotFound, Permission
from ...domain.formats import address_line, address_lines, amount_text, date_text, language_name, phone_text
from ...domain.money import format_minor
from ...services.customers import StaleEdit, choose_for_sale, draft_from_view, get_customer, update_customer
from ...services.segments import customer_segments, segment_rows
from ...services.views import CustomerView
from ...services.terminal import issuing_till
from ..text import change_lines, plain, safe, shown_value, yes_no
from ..widgets.footer import KeysFooter
from ..widgets.text_input import TextInput
from .address import AddressModal
from .credit import CreditPane
from .customer_data import PANES, DataPane, order_modal, problems, source_note, tab_bindings, word
from .dialogs import ConfirmModal
from .members import MEMBER_ACTIONS, MEMBER_BINDINGS, TAB_ORGANIZATIONS, TAB_PEOPLE, MembershipTabs
from .online import ASSIST_ACTION_TEXT, ASSIST_ACTIONS, ASSIST_BINDINGS, AssistActions, OnlinePane


def kv_table(rows: list[tuple[str, object]], table_id: str) -> DataTable:
    """Two columns, label and value (the labels already in the reader's language)."""
    table = DataTable(id=table_id, cursor_type="row", show_header=False, zebra_stripes=True)
    table.add_columns(_("Field"), _("Value"))
    for k, v in rows:
        table.add_row(plain(k, "bold"), plain(v))
    return table


# the audit actions in words on the Activity tab (an action not listed shows its code)
ACTION_TEXT = {"create": N_("created"), "update": N_("changed"), "import": N_("imported"),
               "anonymize": N_("anonymized"), "password_link": N_("password link sent"),
               "resolve_conflict": N_("sync conflict resolved"), "change_account_email": N_("account email changed"),
               "merge_account": N_("merged with the online account"),
               "merged_into_account": N_("merged into the online account"),
               "brought_in": N_("brought from headquarters"), "received": N_("received from headquarters"),
               "payment_delete": N_("saved payment deleted"), "membership_link": N_("membership added"),
               "membership_update": N_("membership changed"), "membership_unlink": N_("membership removed"),
               "membership_merge_moved": N_("membership moved by a merge"),
               "merge_undone": N_("merge undone: headquarters did not apply it"),
               "credit_added": N_("store credit added"), "credit_corrected": N_("store credit corrected"),
               **ASSIST_ACTION_TEXT}

# the card's own tabs (the panes of screens/customer_data.py, credit.py, online.py name themselves)
TAB_TITLES = {"tab-account": N_("Account"), "tab-contacts": N_("Contacts"), "tab-addresses": N_("Addresses"),
              "tab-attributes": N_("Attributes & groups"), "tab-notes": N_("Notes"), "tab-orders": N_("Orders"),
              TAB_ORGANIZATIONS: N_("Organizations"), TAB_PEOPLE: N_("People"), "tab-activity": N_("Activity")}
#: the label services.segments.segment_rows gives its first row (translated where shown)
SEGMENTS = N_("Segments")
#: the hint at the right of the card's head: how to reach the other tabs from where the focus is
TABS_HINT, TABS_HINT_INSIDE = N_("←/→ tabs"), N_("shift+tab: tabs")


def _between_dots(parts: list, width: int) -> list:
    """Parts joined by " · ", a part that would not fit on the line starting the next one whole
    ("sync synced" never split across two lines). A part is text or (text, style)."""
    out: list = []
    used = 0
    for part in parts:
        size = len(part[0] if isinstance(part, tuple) else part)
        if out and used + 3 + size > width:
            out.append("\n")
            used = 0
        elif out:
            out.append(" · ")
            used += 3
        out.append(part)
        used += size
    return out


class _Head(Static):
    """The card header's second line: drawn again at its new width (CustomerScreen._draw_head)."""

    def on_resize(self) -> None:
        draw = getattr(self.screen, "_draw_head", None)
        if draw is not None:
            draw()


class CustomerScreen(AssistActions, MembershipTabs, Screen):
    APP_KEYS = ("sync",)  # F8 from the card
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="card.back", tooltip=N_("Back to the search")),
        # shown on the Activity tab while a conflict is open: first, so 80 columns show them
        Binding("k", "resolve_conflict(False)", N_("Keep"), id="card.conflict_keep",
                tooltip=N_("Sync conflict (Activity tab): keep the value headquarters kept")),
        Binding("t", "resolve_conflict(True)", N_("Take other"), id="card.conflict_take",
                tooltip=N_("Sync conflict (Activity tab): set the field to the other value, as an edit")),
        *MEMBER_BINDINGS,  # the People / Organizations tab's keys (screens/members.py)
        # Stores, Saved payments, Store credit: the tab's own key while that tab is shown (after the
        # People tab's, which share c, p and delete: the footer keeps their order)
        *tab_bindings((*PANES, CreditPane, OnlinePane)),
        Binding("e", "edit", N_("Edit"), id="card.edit", tooltip=N_("Edit this customer")),
        Binding("s", "choose_for_sale", N_("Sale"), id="card.sale",
                tooltip=N_("Choose this customer for the sale at the till (refused while blocked)")),
        Binding("a", "add_address", N_("Add address"), id="card.add_address", tooltip=N_("Add an address")),
        Binding("n", "note", N_("Add note"), id="card.note", tooltip=N_("Write a note (managers, support)")),
        Binding("r", "reload", N_("Reload"), id="card.reload", tooltip=N_("Read the customer again")),
        Binding("l", "password_link", N_("Password link"), id="card.password_link",
                tooltip=N_("Mail the customer a link to set their password (registered accounts)")),
        Binding("ctrl+e", "export_data", N_("Data export"), id="card.export",
                tooltip=N_("Access request: everything held on this customer, as JSON and text files")),
        Binding("ctrl+x", "anonymize", N_("Anonymize"), id="card.anonymize",
                tooltip=N_("Delete on request: erase this customer's personal data everywhere (managers)")),
        *ASSIST_BINDINGS,  # shopper assistance (screens/online.py)
    ]
    DEFAULT_CSS = """
    CustomerScreen #head-bar { height: auto; background: $boost; }
    CustomerScreen #head-top { height: auto; }
    CustomerScreen #head-more { width: 1fr; height: auto; padding: 0 1; }
    CustomerScreen #head { width: 1fr; height: auto; padding: 0 1; }
    CustomerScreen #tabs-hint { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    CustomerScreen TabbedContent { height: 1fr; }
    CustomerScreen DataTable { height: auto; max-height: 100%; }
    CustomerScreen .section { text-style: bold; margin-top: 1; padding: 0 1; }
    CustomerScreen .muted { width: 1fr; color: $text-muted; padding: 1; }
    CustomerScreen #note-input { margin: 0 1; }
    """

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.place = customer_id  # the open customer it is (ui/desk.py), whatever it comes to show
        self.view: CustomerView | None = None
        self._row_after_save: int | None = None  # the address row to land on once reloaded
        self._head: tuple | None = None  # the header's parts (_draw_head)
        self._head_drawn: tuple | None = None
        self._filling: list = []  # the tabs' contents being mounted
        self._activity: list = []  # the Activity tab's rows, in order
        self._conflicts: list = []  # the Activity tab's sync conflicts, open ones first
        self._syncs_seen = 0  # the app's syncs_moved when the card last read the customer
        self._orders: list = []  # the Orders tab's rows, in order

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="head-bar"):
            with Horizontal(id="head-top"):
                yield Static(_("Loading…"), id="head")
                yield Static(tr(TABS_HINT), id="tabs-hint", markup=False)
            yield _Head("", id="head-more")
        with TabbedContent(id="tabs"):
            for pane_id in ("tab-account", "tab-contacts", "tab-addresses", "tab-attributes"):
                yield TabPane(tr(TAB_TITLES[pane_id]), id=pane_id)
            if self.app.actor.can(Permission.NOTES):
                yield TabPane(tr(TAB_TITLES["tab-notes"]), id="tab-notes")
            yield TabPane(tr(TAB_TITLES["tab-orders"]), id="tab-orders")
            # a person's Organizations; an organization shows People
            yield TabPane(tr(TAB_TITLES[TAB_ORGANIZATIONS]), id=TAB_ORGANIZATIONS)
            yield TabPane(tr(TAB_TITLES[TAB_PEOPLE]), id=TAB_PEOPLE)
            for pane in (*PANES, CreditPane):  # Store credit: screens/credit.py
                yield pane()
            yield TabPane(tr(TAB_TITLES["tab-activity"]), id="tab-activity")
            yield OnlinePane()  # online now, shopper assistance (screens/online.py)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = self.app.header_text()
        self.watch(self, "focused", self._show_tabs_hint)
        # the strip scrolls as tabs are chosen: the hint counts the tabs out of view each side
        strip = self.query_one("#tabs", TabbedContent).query_one("#tabs-scroll")
        for what in ("scroll_x", "virtual_size"):  # scrolled; tabs shown or hidden
            self.watch(strip, what, lambda _x: self._show_tabs_hint(self.focused), init=False)
        self.load()

    def on_resize(self) -> None:
        self.call_after_refresh(lambda: self._show_tabs_hint(self.focused))

    def _draw_head(self) -> None:
        """The header: the name and reference (beside the tabs hint), then on a line of the whole
        width the customer's kind, group, status and sync state, a part that does not fit
        starting the next line."""
        if self._head is None:
            return
        more = self.query_one("#head-more", Static)
        width = more.content_size.width or (self.size.width - 2 if self.size.width else 78)
        if self._head_drawn == (width, self._head):
            return
        self._head_drawn = (width, self._head)
        first, parts = self._head
        self.query_one("#head", Static).update(Text.assemble(*first))
        more.update(Text.assemble(*_between_dots(list(parts), width)))

    def _tabs_out_of_view(self) -> tuple[int, int]:
        """How many tabs the strip hides to the left and to the right of what it shows (at 80
        columns the card has more tabs than fit: "+3 →" says that → reaches more)."""
        strip = self.query_one("#tabs", TabbedContent).query_one("#tabs-scroll")
        start, end = strip.scroll_x, strip.scroll_x + strip.size.width
        left = right = 0
        if strip.size.width:
            for tab in strip.query(Tab):
                if not tab.display:
                    continue
                where, pad = tab.virtual_region, tab.styles.padding  # its label hidden, not its padding
                left += where.x + pad.left < start
                right += where.right - pad.right > end
        return left, right

    def _show_tabs_hint(self, focused) -> None:
        """← → switch tabs while the tab strip has the focus; from inside a tab, shift+tab goes back
        to it. Tabs out of view are counted at either side: "←+2 ←/→ tabs +3→"."""
        on_strip = focused is None or isinstance(focused, Tabs)
        left, right = self._tabs_out_of_view()
        text = ((f"←+{left} " if left else "") + tr(TABS_HINT if on_strip else TABS_HINT_INSIDE)
                + (f" +{right}→" if right else ""))
        self.query_one("#tabs-hint", Static).update(text)

    def retranslate(self) -> None:
        """The reader chose another language (ui/language.py): the tab titles and hints again, then
        every tab anew; the tab shown, the focus and a note being typed stay."""
        self.sub_title = self.app.header_text()
        tabs = self.query_one("#tabs", TabbedContent)
        for pane in tabs.query(TabPane):
            title = pane.TITLE if isinstance(pane, DataPane) else TAB_TITLES.get(pane.id or "")
            if title:
                tabs.get_tab(pane).label = tr(title)
        self._show_tabs_hint(self.focused)
        self.refresh_bindings()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if "(" in action:  # F1 and the footer checks ask with a binding's whole action text
            from textual.actions import parse
            _ns, action, parameters = parse(action)
        if action == "tab_key":
            return self._tab_key_allowed(action, parameters)
        if action in MEMBER_ACTIONS:
            return self.member_action_allowed(action)
        if action in ASSIST_ACTIONS:
            return self.assist_action_allowed(action)
        if action == "note":
            return self.app.actor.can(Permission.NOTES)
        if action == "edit" or action == "add_address":
            return self.app.actor.can(Permission.EDIT) and self.view is not None and self.view.anonymized_at is None
        if action == "anonymize":
            return self.app.actor.can(Permission.ANONYMIZE) and self.view is not None and self.view.anonymized_at is None
        if action == "password_link":
            return (self.app.actor.can(Permission.EDIT) and self.view is not None
                    and self.view.account_type == "registered" and self.view.anonymized_at is None)
        if action == "resolve_conflict":
            return (self.app.actor.can(Permission.EDIT) and self.view is not None and self.view.anonymized_at is None
                    and any(c.resolved_at is None for c in self._conflicts) and self._on_activity_tab())
        return True

    def _tab_key_allowed(self, action: str, parameters: tuple) -> bool:
        pane_id, name = parameters
        if not self._on_tab(pane_id):
            return False
        found = self.query(f"#{pane_id}")
        return bool(found) and found.first().check_action(name, ()) is not False

    def action_tab_key(self, pane_id: str, name: str) -> None:
        """A tab's key (DataPane.TAB_KEYS), from wherever the focus is on the card."""
        if self._tab_key_allowed("tab_key", (pane_id, name)):
            getattr(self.query_one(f"#{pane_id}"), f"action_{name}")()

    def _on_activity_tab(self) -> bool:
        return self._on_tab("tab-activity")

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_changed(self) -> None:
        self.call_after_refresh(lambda: self._show_tabs_hint(self.focused))
        self.refresh_bindings()  # k and t are offered on the Activity tab only, the members' keys on theirs

    @work(exclusive=True, thread=True, group="card")
    def load(self) -> None:
        svc, actor = self.app.services, self.app.actor
        self._syncs_seen = self.app.syncs_moved
        try:
            view = get_customer(svc, actor, self.customer_id)
        except NotFound as exc:  # gone meanwhile (anonymized and removed, merged without a redirect)
            self.app.call_from_thread(self._gone, exc)
            return
        self.customer_id = view.id  # a customer merged into another at headquarters shows that one
        consents = records.consent_history(svc, actor, self.customer_id)
        activity = records.activity(svc, actor, self.customer_id)
        conflicts = sync.conflicts_for(svc, actor, self.customer_id)
        notes = records.notes(svc, actor, self.customer_id) if actor.can(Permission.NOTES) else None
        choices = records.form_choices(svc, actor, language=i18n.language())
        self._segments = customer_segments(svc, actor, self.customer_id)  # headquarters' last evaluation
        self.app.call_from_thread(self._show_customer, view, consents, activity, notes, choices, conflicts)

    def _gone(self, exc: NotFound) -> None:
        """The customer is not on this till: one line says so, and the card closes."""
        self.app.show_refusal(exc)
        self.app.close_customer(self.place)

    def _show_customer(self, view: CustomerView, consents, activity, notes, choices, conflicts=()) -> None:
        # the tabs are made anew: the address list after an address was saved or removed (on
        # that row), else a table that had the focus, on the same row, gets the focus back
        was = self.focused if isinstance(self.focused, DataTable) else None
        typing = self.focused is not None and self.focused.id == "note-input"
        if self._row_after_save is not None:
            refocus = ("addresses-table", self._row_after_save)
        else:
            refocus = (was.id, was.cursor_row) if was is not None else None
        self._row_after_save = None
        self._filling = []
        self.view, self.choices = view, choices
        self.app.customer_shown(view, self.place)  # the strip of open customers names it
        self._conflicts = list(conflicts)
        self.refresh_bindings()
        # a standalone till syncs with nothing: no sync state on the card
        if view.sync_state == SyncState.CONFLICT:
            sync_part: tuple = ((_("sync ! conflict: see Activity"), "bold"),)
        elif self.app.connected:
            sync_part = (safe(_("sync {state}").format(state=word(view.sync_state))),)
        else:
            sync_part = ()
        if view.blocked and view.anonymized_at is None:
            said = (_("BLOCKED: {reason}").format(reason=safe(view.status_reason)) if view.status_reason
                    else _("BLOCKED"))
            blocked = ((said, "bold reverse"), "  ")
        else:
            blocked = ()
        groups = {c.code: c.label for c in choices.groups}
        self._head = ((*blocked, (safe(view.display_name) or _("(no name)"), "bold"), "  ",
                       (safe(view.reference_display), "bold reverse")),
                      tuple([safe(part) for part in (
                          word(view.customer_type),
                          _("group {group}").format(group=groups.get(view.group_code or "", view.group_code) or "—"),
                          word(view.status), word(view.account_type))] + list(sync_part)))
        self._draw_head()
        self.call_after_refresh(lambda: self._show_tabs_hint(self.focused))  # the tabs this customer has
        labels = {"gender": {c.code: c.label for c in choices.genders},
                  "salutation": {c.code: c.label for c in choices.salutations}}
        status = word(view.status)
        self._fill("tab-account", [kv_table([
            (_("Salutation"), labels["salutation"].get(view.salutation, view.salutation)),
            (_("Title"), view.title), (_("First name"), view.first_name), (_("Middle name"), view.middle_name),
            (_("Last name"), view.last_name), (_("Suffix"), view.suffix), (_("Organization"), view.organization_name),
            (_("Company"), view.company), (_("Date of birth"), view.birth_date),
            (_("Gender"), labels["gender"].get(view.gender, view.gender)),
            (_("Language"), language_name(view.language)), (_("Currency"), view.currency),
            (_("Receipt"), word(view.receipt_option)), (_("Receipt email"), view.receipt_email),
            (_("Status"), f"{status}: {view.status_reason}" if view.status_reason else status),
            (_("Online account"), word(view.account_type)),
            (_("VAT number"), view.vat_number), (_("Tax exempt"), yes_no(view.tax_exempt)),
            (_("Credit limit"), format_minor(view.credit_limit, view.currency) or "—"),
            (_("Registered"), view.created_at),
            (_("Registering store"), ", ".join(filter(None, (view.store_code, tr(issuing_till(view.reference) or None))))),
            (_("Last activity"), view.last_activity_at), (_("Last sign-in"), view.last_sign_in_at or "—"),
            (_("Last password change"), " · ".join(filter(None, (
                safe(view.password_changed_at) or "—",
                _("must change at next sign-in") if view.must_change_password else "")))),
            (_("Cards"), ", ".join(view.cards) or "—")], "account-table")])
        contacts = DataTable(id="contacts-table", cursor_type="row", zebra_stripes=True)
        contacts.add_columns(_("Kind"), _("Contact"), _("Purpose"), _("Primary"), _("Marketing"))
        for e in view.emails:
            contacts.add_row(word("email"), plain(e.address), plain(word(e.purpose)), yes_no(e.primary),
                             yes_no(e.marketing_consent))
        for p in view.phones:
            contacts.add_row(word("phone"), plain(phone_text(p.e164)), plain(word(p.purpose)),
                             yes_no(p.primary), yes_no(p.marketing_consent))
        history = DataTable(id="consent-table", cursor_type="row")
        history.add_columns(_("When"), _("Contact"), _("Consent"), _("Store"), _("By"))
        for c in consents:
            history.add_row(plain(c.at), plain(c.contact), _("given") if c.granted else _("withdrawn"),
                            plain(c.store_code), plain(c.associate))
        self._fill("tab-contacts", [contacts, Label(_("Marketing consent history"), classes="section"),
                                    history if consents else Label(_("No consent given or withdrawn yet."),
                                                                   classes="muted")])
        addresses = DataTable(id="addresses-table", cursor_type="row", zebra_stripes=True)
        addresses.add_columns(_("Purpose"), _("Address"), _("Billing"), _("Shipping"))
        for i, a in enumerate(view.addresses):
            addresses.add_row(plain(choices.all_purposes.get(a.purpose, a.purpose)),
                              plain(address_line(a.input)),
                              yes_no(a.default_billing), yes_no(a.default_shipping), key=str(i))
        self._fill("tab-addresses", [addresses, Label(
            _("a add · enter edit · delete remove"), classes="muted", markup=False)])
        affiliations = {c.code: c.label for c in choices.affiliations}
        group = view.group_code or ""
        attrs = [(_("Customer group"), f"{groups[group]} ({group})" if group in groups else group or "—"),
                 (_("Financial dimensions"),
                  ", ".join(f"{k}={v}" for k, v in view.financial_dimensions.items()) or "—"),
                 (_("Affiliations"), ", ".join(affiliations.get(a, a) for a in view.affiliations) or "—"),
                 *((tr(k), v) for k, v in segment_rows(getattr(self, "_segments", [])))]
        defs = {d.code: d for d in choices.attributes_all}
        attrs += [(defs[k].label, defs[k].choice_label(v)) if k in defs else (k, v)
                  for k, v in view.attributes.items()]
        self._fill("tab-attributes", [kv_table(attrs, "attributes-table")])
        if notes is not None:
            notes_table = DataTable(id="notes-table", cursor_type="row")
            notes_table.add_columns(_("When"), _("Author"), _("Note"))
            for n in notes:
                notes_table.add_row(plain(n.at), plain(f"{n.author_name} ({n.author_number})"), plain(n.text))
            typed = self.query("#note-input")  # a note being typed survives a reload (another language)
            self._fill("tab-notes", [TextInput(typed.first(Input).value if typed else "",
                                               placeholder=_("n: write a note, Enter saves"), id="note-input"),
                                     notes_table if notes else Label(_("No notes yet."), classes="muted")])
        self._fill("tab-orders", [Label(_("Asking headquarters for the order history…"), classes="muted")])
        self.load_orders(view.id)
        self.show_member_tab(view)
        for pane in self.query(DataPane):
            if not pane.AFTER_ORDERS:
                pane.show(view)
        self._activity = list(activity)
        parts: list = [activity_table(self._activity, self.app.size.width), Label(
            _("⏎ the whole change"), classes="muted")] if activity else [Label(
                _("No change to this customer has been recorded on this terminal yet."), classes="muted")]
        if conflicts:
            ct = DataTable(id="conflicts-table", cursor_type="row", zebra_stripes=True)
            ct.add_columns(_("When"), _("Field"), _("Kept"), _("Other"), _("From"), _("Resolved"))
            for i, c in enumerate(conflicts):
                done = _("open") if c.resolved_at is None else f"{word(c.resolution)} ({c.resolved_by})"
                ct.add_row(plain(c.at), plain(c.field), plain(conflict_value(c.kept)),
                           plain(conflict_value(c.lost)), plain(c.origin_store), plain(done), key=str(i))
            opened = sum(c.resolved_at is None for c in conflicts)
            hint = (ngettext("{n} open · k keep the kept value · t take the other",
                             "{n} open · k keep the kept value · t take the other", opened).format(n=opened)
                    if opened else _("all resolved"))
            parts += [Label(_("Sync conflicts: {hint}").format(hint=hint), classes="section", markup=False), ct]
        self._fill("tab-activity", parts)
        if refocus is not None:
            self.call_later(self._refocus, self._filling, *refocus)
        elif typing:
            self.call_later(self._refocus_note, self._filling)

    async def _refocus_note(self, mounting: list) -> None:
        for mounted in mounting:
            await mounted
        found = self.query("#note-input")
        if found:
            found.first(Input).focus()

    async def _refocus(self, mounting: list, table_id: str, row: int) -> None:
        for mounted in mounting:
            await mounted
        found = self.query(f"#{table_id}")
        if found:
            table = found.first(DataTable)
            table.focus()
            table.move_cursor(row=max(0, min(row, table.row_count - 1)))

    @work(exclusive=True, thread=True, group="orders")
    def load_orders(self, customer_id: str) -> None:
        orders, source = sync.orders(self.app.services, self.app.actor, customer_id)
        self.app.call_from_thread(self._show_orders, orders, source)

    def _show_orders(self, orders, source: str) -> None:
        if self.view is not None:  # the Stores tab counts the orders just kept: no second request
            for pane in self.query(DataPane):
                if pane.AFTER_ORDERS:
                    pane.show(self.view)
        if source == "not connected":
            self._fill("tab-orders", [Label(
                _("Order history comes from headquarters when this terminal is connected to it."), classes="muted")])
            return
        note = source_note(source)
        self._orders = list(orders)
        if not orders:
            self._fill("tab-orders", [Label(" ".join((_("No orders."), note)), classes="muted", markup=False)])
            return
        table = DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Order"), _("Date"), _("Store"), _("Status"), _("Shipments"), _("Total"))
        for i, o in enumerate(orders):
            table.add_row(plain(o.number), plain(date_text(o.ordered_at)), plain(o.store_code),
                          plain(o.status), plain(o.shipments), plain(amount_text(o.total, o.currency)), key=str(i))
        self._fill("tab-orders", [table, Label(" · ".join((_("⏎ lines and shipments"), note)), classes="muted",
                                               markup=False)])

    @on(DataTable.RowSelected, "#orders-table")
    def _show_order(self, event: DataTable.RowSelected) -> None:
        order = self._orders[int(event.row_key.value)]
        self.app.push_screen(order_modal(self.app, self.customer_id, order))

    def _fill(self, pane_id: str, widgets: list) -> None:
        pane = self.query_one(f"#{pane_id}", TabPane)
        pane.remove_children()
        self._filling.append(pane.mount(Vertical(*widgets)))

    # -- actions -----------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.close_customer(self.place)  # one of the open customers: closed, back where it was opened

    def action_reload(self) -> None:
        self.load()

    def sync_finished(self) -> None:
        """A sync sent or brought something (or one was asked for on the Sync screen): the card and
        its tabs read again, as when it is opened (the Store credit tab's kept copy, the Online
        tab's sign-ins); at once when the card is shown, else when it is shown again."""
        if self.app.syncs_moved > self._syncs_seen and self.view is not None:
            self._syncs_seen = self.app.syncs_moved
            self.load()

    def on_screen_resume(self) -> None:
        self.sync_finished()

    def action_edit(self) -> None:
        if self.view:
            self.app.edit_customer(self.view)

    def action_choose_for_sale(self) -> None:
        """The customer for the sale at the till: a blocked customer is refused, with the reason."""
        try:
            view = choose_for_sale(self.app.services, self.app.actor, self.customer_id)
        except ValidationFailed as exc:
            self.notify(problems(exc), severity="error", markup=False, timeout=8)
            return
        self.notify(_("{name} ({reference}) chosen for the sale").format(
            name=view.display_name, reference=view.reference_display), markup=False)
        self.app.hand_over(view)  # started by the point of sale: the app ends and hands the customer over

    def action_anonymize(self) -> None:
        from .dialogs import TypedConfirmModal

        view = self.view
        if view is None:
            return

        def confirmed(typed: str | None) -> None:
            if typed:
                self.run_anonymize(view.id, typed)

        self.app.push_screen(TypedConfirmModal(
            _("Anonymize {name} ({reference})? Names, contacts, addresses, date of birth, notes and attribute "
              "values are erased here, at headquarters and in every store. Orders stay. This cannot be undone. "
              "Type the reference {reference} to confirm.").format(name=view.display_name,
                                                                    reference=view.reference_display),
            view.reference_display, placeholder=safe(view.reference_display)), confirmed)

    @work(thread=True, exclusive=True, group="privacy")
    def run_anonymize(self, customer_id: str, typed: str) -> None:
        from ...domain.errors import ValidationFailed
        from ...services.privacy import anonymize_customer

        try:
            result = anonymize_customer(self.app.services, self.app.actor, customer_id, typed)
        except ValidationFailed as exc:
            self.app.call_from_thread(self.notify, problems(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, _("Customer {reference} anonymized.").format(
            reference=result.reference), markup=False)
        self.app.call_from_thread(self.load)

    @work(thread=True, exclusive=True, group="password")
    def action_password_link(self) -> None:
        from ...domain.errors import ValidationFailed

        try:
            message = sync.send_password_link(self.app.services, self.app.actor, self.customer_id)
        except (sync.HqUnavailable, sync.HqRefused, sync.NotConnected, ValidationFailed) as exc:
            self.app.call_from_thread(self.notify, _("No link sent: {reason}").format(reason=problems(exc)),
                                      severity="warning", markup=False)
            return
        self.app.call_from_thread(self.notify, tr(message), markup=False, timeout=8)

    def action_export_data(self) -> None:
        """ctrl+e: the access request; offered to everyone, refused in one line for a role that
        may not read the customer's notes (the report holds them; the services check it too)."""
        if not self.app.actor.can(Permission.NOTES):
            self.notify(_("The access request holds the customer's notes: a manager makes it (ctrl+e)."),
                        severity="warning", markup=False)
            return
        self.run_export_data()

    @work(thread=True, exclusive=True, group="privacy")
    def run_export_data(self) -> None:
        import json
        from pathlib import Path

        import platformdirs

        from ...services.privacy import access_report, report_text

        report = access_report(self.app.services, self.app.actor, self.customer_id)
        from ...paths import private_dir, write_private

        folder = private_dir(Path(platformdirs.user_documents_dir()) / "pos-customers")
        stem = folder / f"customer-{report['reference']}-{self.app.services.now():%Y%m%d-%H%M%S}"
        try:  # readable by this user only: it holds everything about the customer
            write_private(stem.with_suffix(".json"), json.dumps(report, ensure_ascii=False, indent=2, default=str))
            write_private(stem.with_suffix(".txt"), report_text(report, say=tr))
        except OSError as exc:
            self.app.call_from_thread(self.notify, _("Not written: {reason} ({folder})").format(
                reason=exc.strerror or exc, folder=folder), severity="error", markup=False, timeout=10)
            return
        self.app.call_from_thread(self.notify, _("Written: {name}.json and .txt").format(name=stem),
                                  markup=False, timeout=10)

    def action_note(self) -> None:
        if self.app.actor.can(Permission.NOTES):
            self.query_one("#tabs", TabbedContent).active = "tab-notes"
            self.call_after_refresh(lambda: self.query_one("#note-input", Input).focus())

    @on(Input.Submitted, "#note-input")
    def _note(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        try:
            records.add_note(self.app.services, self.app.actor, self.customer_id, event.value)
        except ValidationFailed as exc:
            self.notify(tr(exc.errors[0].message), severity="error", markup=False)
            return
        event.input.value = ""
        self.notify(_("Note saved"))
        self.load()

    def _purpose_default(self) -> str:
        rules = [c.code for c in self.choices.purposes]
        default = "BUSINESS" if self.view.customer_type == "organization" else "HOME"
        return default if default in rules or not rules else rules[0]

    def _line2_option(self) -> str:
        """The store's account option for an address's second line (the address dialog follows it)."""
        from ...services.account_options import form_options

        return form_options(self.app.services, self.app.actor).level("address_line2").value

    def action_add_address(self) -> None:
        if not self.view:
            return
        self.app.push_screen(AddressModal(
            draft=None, purposes=[(c.code, c.label) for c in self.choices.purposes],
            default_purpose=self._purpose_default(), default_country=self.app.store_country,
            line2=self._line2_option()), self._address_done(None))

    @on(DataTable.RowSelected, "#activity-table")
    def _show_change(self, event: DataTable.RowSelected) -> None:
        from .dialogs import DetailModal

        entry = self._activity[int(event.row_key.value)]
        action = tr(ACTION_TEXT.get(entry.action, entry.action))
        self.app.push_screen(DetailModal(f"{safe(entry.at)} · {entry.who} · {action}", change_lines(entry.changes)))

    @on(DataTable.RowSelected, "#conflicts-table")
    def _show_conflict(self, event: DataTable.RowSelected) -> None:
        from .dialogs import DetailModal

        c = self._conflicts[int(event.row_key.value)]
        self.app.push_screen(DetailModal(_("{at} · {field} · from {store}").format(at=safe(c.at), field=c.field,
                                                                                   store=c.origin_store),
                                         [_("kept: {value}").format(value=shown_value(c.kept)),
                                          _("other: {value}").format(value=shown_value(c.lost))]))

    def action_resolve_conflict(self, take_other: bool) -> None:
        """k / t on the Activity tab: the conflict under the cursor (the first open one otherwise)."""
        found = self.query("#conflicts-table")
        row = found.first(DataTable).cursor_row if found else 0
        if not 0 <= row < len(self._conflicts) or self._conflicts[row].resolved_at is not None:
            row = next((i for i, c in enumerate(self._conflicts) if c.resolved_at is None), -1)
        if row >= 0:
            self.run_resolve(self._conflicts[row].id, take_other)

    @work(thread=True, exclusive=True, group="conflict")
    def run_resolve(self, conflict_id: str, take_other: bool) -> None:
        from ...services.conflicts import resolve_conflict
        from ...services.context import NotFound

        try:
            done = resolve_conflict(self.app.services, self.app.actor, conflict_id, take_other)
        except ValidationFailed as exc:
            self.app.call_from_thread(self.notify, _("Not resolved: {reason}").format(reason=problems(exc)),
                                      severity="error", markup=False, timeout=8)
            return
        except (NotFound, StaleEdit) as exc:
            self.app.call_from_thread(self.notify, _("Not resolved: {reason}. Press r to reload.").format(
                reason=problems(exc)), severity="error", markup=False, timeout=8)
            return
        said = (_("Conflict on {field} resolved: the other value is set.") if take_other
                else _("Conflict on {field} resolved: the kept value stays."))
        self.app.call_from_thread(self.notify, said.format(field=done.field), markup=False)
        self.app.call_from_thread(self.load)

    @on(DataTable.RowSelected, "#addresses-table")
    def _edit_address(self, event: DataTable.RowSelected) -> None:
        index = int(event.row_key.value)
        draft = draft_from_view(self.view).addresses[index]
        self.app.push_screen(AddressModal(
            draft=draft, purposes=[(c.code, c.label) for c in self.choices.purposes],
            default_purpose=self._purpose_default(), default_country=self.app.store_country,
            line2=self._line2_option()), self._address_done(index))

    def _address_done(self, index: int | None):
        def done(result) -> None:
            if result is None:
                return
            draft = draft_from_view(self.view)
            if index is None:
                draft.addresses.append(result)
            else:
                draft.addresses[index] = result
            saved = index if index is not None else len(draft.addresses) - 1
            _exclusive_defaults(draft.addresses, saved)
            self._row_after_save = saved
            self._save(draft, _("Address saved"))
        return done

    def key_delete(self) -> None:
        table = self.query("#addresses-table")
        if not table or self.focused is not table.first() or not self.view or not self.view.addresses:
            return
        index = table.first().cursor_row
        address = self.view.addresses[index]

        def confirmed(yes: bool | None) -> None:
            if yes:
                draft = draft_from_view(self.view)
                del draft.addresses[index]
                self._row_after_save = index
                self._save(draft, _("Address removed"))
        self.app.push_screen(ConfirmModal("\n".join((_("Remove this address?"), *address_lines(address.input))),
                                          yes=_("Remove"), no=_("No")), confirmed)

    def _save(self, draft, message: str) -> None:
        try:
            update_customer(self.app.services, self.app.actor, self.view.id, draft, opened=self.view)
        except StaleEdit:
            self.notify(_("Another terminal changed this customer: reloaded, please try again."),
                        severity="warning")
        except ValidationFailed as exc:
            self.notify(problems(exc), severity="error", markup=False, timeout=8)
            self._row_after_save = None  # nothing was saved: the next reload keeps the focus as it is
            return
        else:
            self.notify(message)
        self.load()


def activity_table(entries: list, width: int) -> DataTable:
    """The Activity tab's rows: when, who, what, and the changes cut to what is left of ``width``
    (the whole change is one Enter away)."""
    table = DataTable(id="activity-table", cursor_type="row", zebra_stripes=True)
    rows = [(plain(e.at), plain(e.who), plain(tr(ACTION_TEXT.get(e.action, e.action))),
             plain("; ".join(change_lines(e.changes)))) for e in entries]
    titles = (_("When"), _("Who"), _("Action"))
    widths = [max([cell_len(t)] + [r[i].cell_len for r in rows]) for i, t in enumerate(titles)]
    for title, w in zip(titles, widths):
        table.add_column(title, width=w)
    # every column is padded by one cell on each side; the scrollbar and the pane's edge take 4
    table.add_column(_("Changes"), width=max(12, width - sum(w + 2 for w in widths) - 2 - 4))
    for i, row in enumerate(rows):
        table.add_row(*row, key=str(i))
    return table


def conflict_value(value: object) -> str:
    """A conflict's value in one table cell: contacts and addresses by what identifies them."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return ", ".join(str(v.get("address") or v.get("e164") or
                             " ".join(str(v.get(k) or "") for k in ("line1", "postal_code", "city")).strip())
                         for v in value)
    return shown_value(value)


def _exclusive_defaults(addresses: list, chosen: int) -> None:
    """The address just saved as default billing/shipping takes the flag from the others."""
    if not 0 <= chosen < len(addresses):
        return
    for i, a in enumerate(addresses):
        if i == chosen:
            continue
        if addresses[chosen].default_billing:
            addresses[i] = replace(a, default_billing=False)
            a = addresses[i]
        if addresses[chosen].default_shipping:
            addresses[i] = replace(a, default_shipping=False)
