"""The customer card: header and tabs (Account, Contacts, Addresses, Attributes & groups,
Notes for managers and support, Orders, Organizations of a person / People of an organization
(screens/members.py), Stores, Active carts, Saved payments, Store credit (screens/credit.py), Activity,
Online (screens/online.py)).

The tabs headquarters feeds besides the orders are panes of their own (customer_data.py)."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label, Static, TabbedContent, TabPane

from ...domain.enums import SyncState
from ...domain.errors import ValidationFailed
from ...services import records, sync
from ...services.context import Permission
from ...domain.formats import address_line, address_lines, amount_text, date_text, datetime_text, phone_text
from ...domain.money import format_minor
from ...services.customers import StaleEdit, choose_for_sale, draft_from_view, get_customer, update_customer
from ...services.segments import customer_segments, segment_rows
from ...services.views import CustomerView
from ...services.terminal import issuing_till
from ..text import change_lines, plain, safe, shown_value, yes_no
from ..widgets.footer import KeysFooter
from .address import AddressModal
from .credit import CreditPane
from .customer_data import PANES, DataPane, order_modal, source_note
from .dialogs import ConfirmModal
from .members import MEMBER_ACTIONS, MEMBER_BINDINGS, TAB_ORGANIZATIONS, TAB_PEOPLE, MembershipTabs
from .online import ASSIST_ACTION_TEXT, ASSIST_ACTIONS, ASSIST_BINDINGS, AssistActions, OnlinePane


def kv_table(rows: list[tuple[str, object]], table_id: str) -> DataTable:
    table = DataTable(id=table_id, cursor_type="row", show_header=False, zebra_stripes=True)
    table.add_columns("Field", "Value")
    for k, v in rows:
        table.add_row(plain(k, "bold"), plain(v))
    return table


# audit actions that read better in words on the Activity tab (the others are plain words already)
ACTION_TEXT = {"brought_in": "brought from headquarters", "received": "received from headquarters",
               "payment_delete": "saved payment deleted", "membership_link": "membership added",
               "membership_update": "membership changed", "membership_unlink": "membership removed",
               "credit_added": "store credit added", "credit_corrected": "store credit corrected",
               **ASSIST_ACTION_TEXT}


class CustomerScreen(AssistActions, MembershipTabs, Screen):
    APP_KEYS = ("sync",)  # F8 from the card
    BINDINGS = [
        Binding("escape", "back", "Back", id="card.back", tooltip="Back to the search"),
        # shown on the Activity tab while a conflict is open: first, so 80 columns show them
        Binding("k", "resolve_conflict(False)", "Keep", id="card.conflict_keep",
                tooltip="Sync conflict (Activity tab): keep the value headquarters kept"),
        Binding("t", "resolve_conflict(True)", "Take other", id="card.conflict_take",
                tooltip="Sync conflict (Activity tab): set the field to the other value, as an edit"),
        *MEMBER_BINDINGS,  # the People / Organizations tab's keys (screens/members.py)
        Binding("e", "edit", "Edit", id="card.edit", tooltip="Edit this customer"),
        Binding("s", "choose_for_sale", "For sale", id="card.sale",
                tooltip="Choose this customer for the sale at the till (refused while blocked)"),
        Binding("a", "add_address", "Add address", id="card.add_address", tooltip="Add an address"),
        Binding("n", "note", "Add note", id="card.note", tooltip="Write a note (managers, support)"),
        Binding("r", "reload", "Reload", id="card.reload", tooltip="Read the customer again"),
        Binding("l", "password_link", "Password link", id="card.password_link",
                tooltip="Mail the customer a link to set their password (registered accounts)"),
        Binding("ctrl+e", "export_data", "Data export", id="card.export",
                tooltip="Access request: everything held on this customer, as JSON and text files"),
        Binding("ctrl+x", "anonymize", "Anonymize", id="card.anonymize",
                tooltip="Delete on request: erase this customer's personal data everywhere (managers)"),
        *ASSIST_BINDINGS,  # shopper assistance (screens/online.py)
    ]
    DEFAULT_CSS = """
    CustomerScreen #head { height: auto; padding: 0 1; background: $boost; }
    CustomerScreen TabbedContent { height: 1fr; }
    CustomerScreen DataTable { height: auto; max-height: 100%; }
    CustomerScreen .section { text-style: bold; margin-top: 1; padding: 0 1; }
    CustomerScreen .muted { color: $text-muted; padding: 1; }
    CustomerScreen #note-input { margin: 0 1; }
    """

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.view: CustomerView | None = None
        self._row_after_save: int | None = None  # the address row to land on once reloaded
        self._filling: list = []  # the tabs' contents being mounted
        self._activity: list = []  # the Activity tab's rows, in order
        self._conflicts: list = []  # the Activity tab's sync conflicts, open ones first
        self._orders: list = []  # the Orders tab's rows, in order

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="head")
        with TabbedContent(id="tabs"):
            yield TabPane("Account", id="tab-account")
            yield TabPane("Contacts", id="tab-contacts")
            yield TabPane("Addresses", id="tab-addresses")
            yield TabPane("Attributes & groups", id="tab-attributes")
            if self.app.actor.can(Permission.NOTES):
                yield TabPane("Notes", id="tab-notes")
            yield TabPane("Orders", id="tab-orders")
            yield TabPane("Organizations", id=TAB_ORGANIZATIONS)  # a person's; an organization shows People
            yield TabPane("People", id=TAB_PEOPLE)
            for pane in (*PANES, CreditPane):  # Store credit: screens/credit.py
                yield pane()
            yield TabPane("Activity", id="tab-activity")
            yield OnlinePane()  # online now, shopper assistance (screens/online.py)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = self.app.header_text()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
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
        if action == "export_data":
            return self.app.actor.can(Permission.NOTES)
        if action == "resolve_conflict":
            return (self.app.actor.can(Permission.EDIT) and self.view is not None and self.view.anonymized_at is None
                    and any(c.resolved_at is None for c in self._conflicts) and self._on_activity_tab())
        return True

    def _on_activity_tab(self) -> bool:
        return self._on_tab("tab-activity")

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_changed(self) -> None:
        self.refresh_bindings()  # k and t are offered on the Activity tab only, the members' keys on theirs

    @work(exclusive=True, thread=True, group="card")
    def load(self) -> None:
        svc, actor = self.app.services, self.app.actor
        view = get_customer(svc, actor, self.customer_id)
        consents = records.consent_history(svc, actor, self.customer_id)
        activity = records.activity(svc, actor, self.customer_id)
        conflicts = sync.conflicts_for(svc, actor, self.customer_id)
        notes = records.notes(svc, actor, self.customer_id) if actor.can(Permission.NOTES) else None
        choices = records.form_choices(svc, actor)
        self._segments = customer_segments(svc, actor, self.customer_id)  # headquarters' last evaluation
        self.app.call_from_thread(self._show_customer, view, consents, activity, notes, choices, conflicts)

    def _show_customer(self, view: CustomerView, consents, activity, notes, choices, conflicts=()) -> None:
        # the tabs are made anew: the address list after an address was saved or removed (on
        # that row), else a table that had the focus, on the same row, gets the focus back
        was = self.focused if isinstance(self.focused, DataTable) else None
        if self._row_after_save is not None:
            refocus = ("addresses-table", self._row_after_save)
        else:
            refocus = (was.id, was.cursor_row) if was is not None else None
        self._row_after_save = None
        self._filling = []
        self.view, self.choices = view, choices
        self.app.customer_shown(view)  # the strip of open customers names it
        self._conflicts = list(conflicts)
        self.refresh_bindings()
        sync_text = (("! conflict: see Activity", "bold") if view.sync_state == SyncState.CONFLICT
                     else safe(view.sync_state))
        # a standalone till syncs with nothing: no sync state on the card
        sync_part = ((safe(" · sync "), sync_text) if self.app.connected or view.sync_state == SyncState.CONFLICT
                     else ())
        blocked = ((safe(f"BLOCKED: {view.status_reason}" if view.status_reason else "BLOCKED"), "bold reverse"),
                   "  ") if view.blocked and view.anonymized_at is None else ()
        head = Text.assemble(
            *blocked, (safe(view.display_name) or "(no name)", "bold"), "  ",
            (safe(view.reference_display), "bold reverse"),
            "\n", safe(f"{view.customer_type} · group {view.group_code or '—'} · {view.status} · "
                       f"{view.account_type}"), *sync_part)
        self.query_one("#head", Static).update(head)
        labels = {"gender": {c.code: c.label for c in choices.genders},
                  "salutation": {c.code: c.label for c in choices.salutations}}
        self._fill("tab-account", [kv_table([
            ("Salutation", labels["salutation"].get(view.salutation, view.salutation)),
            ("Title", view.title), ("First name", view.first_name), ("Middle name", view.middle_name),
            ("Last name", view.last_name), ("Suffix", view.suffix), ("Organization", view.organization_name),
            ("Company", view.company), ("Date of birth", view.birth_date),
            ("Gender", labels["gender"].get(view.gender, view.gender)),
            ("Language", view.language), ("Currency", view.currency),
            ("Receipt", view.receipt_option), ("Receipt email", view.receipt_email),
            ("Status", f"{view.status}: {view.status_reason}" if view.status_reason else view.status),
            ("Account type", view.account_type),
            ("VAT number", view.vat_number), ("Tax exempt", yes_no(view.tax_exempt)),
            ("Credit limit", format_minor(view.credit_limit, view.currency) or "—"),
            ("Registered", view.created_at),
            ("Registering store", ", ".join(filter(None, (view.store_code, issuing_till(view.reference))))),
            ("Last activity", view.last_activity_at), ("Last sign-in", view.last_sign_in_at or "—"),
            ("Last password change", " · ".join(filter(None, (
                safe(view.password_changed_at) or "—",
                "must change at next sign-in" if view.must_change_password else "")))),
            ("Cards", ", ".join(view.cards) or "—")], "account-table")])
        contacts = DataTable(id="contacts-table", cursor_type="row", zebra_stripes=True)
        contacts.add_columns("Kind", "Contact", "Purpose", "Primary", "Marketing")
        for e in view.emails:
            contacts.add_row("email", plain(e.address), plain(e.purpose), yes_no(e.primary),
                             yes_no(e.marketing_consent))
        for p in view.phones:
            contacts.add_row("phone", plain(phone_text(p.e164)), plain(p.purpose), yes_no(p.primary),
                             yes_no(p.marketing_consent))
        history = DataTable(id="consent-table", cursor_type="row")
        history.add_columns("When", "Contact", "Consent", "Store", "By")
        for c in consents:
            history.add_row(plain(c.at), plain(c.contact), "given" if c.granted else "withdrawn",
                            plain(c.store_code), plain(c.associate))
        self._fill("tab-contacts", [contacts, Label("Marketing consent history", classes="section"),
                                    history if consents else Label("No consent given or withdrawn yet.",
                                                                   classes="muted")])
        addresses = DataTable(id="addresses-table", cursor_type="row", zebra_stripes=True)
        addresses.add_columns("Purpose", "Address", "Billing", "Shipping")
        for i, a in enumerate(view.addresses):
            addresses.add_row(plain(choices.all_purposes.get(a.purpose, a.purpose)),
                              plain(address_line(a.input)),
                              yes_no(a.default_billing), yes_no(a.default_shipping), key=str(i))
        self._fill("tab-addresses", [addresses, Label(
            "a add · enter edit · delete remove", classes="muted")])
        attrs = [("Customer group", view.group_code or "—"),
                 ("Financial dimensions", ", ".join(f"{k}={v}" for k, v in view.financial_dimensions.items()) or "—"),
                 ("Affiliations", ", ".join(view.affiliations) or "—"),
                 *segment_rows(getattr(self, "_segments", []))]
        labels = {d.code: d.label for d in choices.attributes_all}
        attrs += [(labels.get(k, k), v) for k, v in view.attributes.items()]
        self._fill("tab-attributes", [kv_table(attrs, "attributes-table")])
        if notes is not None:
            notes_table = DataTable(id="notes-table", cursor_type="row")
            notes_table.add_columns("When", "Author", "Note")
            for n in notes:
                notes_table.add_row(plain(n.at), plain(f"{n.author_name} ({n.author_number})"), plain(n.text))
            self._fill("tab-notes", [Input(placeholder="n: write a note, Enter saves", id="note-input"),
                                     notes_table if notes else Label("No notes yet.", classes="muted")])
        self._fill("tab-orders", [Label("Asking headquarters for the order history…", classes="muted")])
        self.load_orders(view.id)
        self.show_member_tab(view)
        for pane in self.query(DataPane):
            if not pane.AFTER_ORDERS:
                pane.show(view)
        act = DataTable(id="activity-table", cursor_type="row", zebra_stripes=True)
        act.add_columns("When", "Who", "Action", "Changes")
        self._activity = list(activity)
        for i, entry in enumerate(activity):
            act.add_row(plain(entry.at), plain(entry.who), plain(ACTION_TEXT.get(entry.action, entry.action)),
                        plain("; ".join(change_lines(entry.changes))), key=str(i))
        parts = [act] if activity else [Label(
            "No change to this customer has been recorded on this terminal yet.", classes="muted")]
        if conflicts:
            ct = DataTable(id="conflicts-table", cursor_type="row", zebra_stripes=True)
            ct.add_columns("When", "Field", "Kept", "Other", "From", "Resolved")
            for i, c in enumerate(conflicts):
                done = "open" if c.resolved_at is None else f"{c.resolution} ({c.resolved_by})"
                ct.add_row(plain(c.at), plain(c.field), plain(conflict_value(c.kept)),
                           plain(conflict_value(c.lost)), plain(c.origin_store), plain(done), key=str(i))
            opened = sum(c.resolved_at is None for c in conflicts)
            hint = f"{opened} open · k keep the kept value · t take the other" if opened else "all resolved"
            parts += [Label(f"Sync conflicts: {hint}", classes="section", markup=False), ct]
        self._fill("tab-activity", parts)
        if refocus is not None:
            self.call_later(self._refocus, self._filling, *refocus)

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
                "Order history comes from headquarters when this terminal is connected to it.", classes="muted")])
            return
        note = source_note(source)
        self._orders = list(orders)
        if not orders:
            self._fill("tab-orders", [Label(f"No orders. {note}", classes="muted")])
            return
        table = DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Order", "Date", "Store", "Status", "Shipments", "Total")
        for i, o in enumerate(orders):
            table.add_row(plain(o.number), plain(date_text(o.ordered_at)), plain(o.store_code),
                          plain(o.status), plain(o.shipments), plain(amount_text(o.total, o.currency)), key=str(i))
        self._fill("tab-orders", [table, Label(f"⏎ lines and shipments · {note}", classes="muted")])

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
        self.app.close_customer(self.customer_id)  # one of the open customers: closed, back where it was opened

    def action_reload(self) -> None:
        self.load()

    def action_edit(self) -> None:
        if self.view:
            self.app.edit_customer(self.view)

    def action_choose_for_sale(self) -> None:
        """The customer for the sale at the till: a blocked customer is refused, with the reason."""
        try:
            view = choose_for_sale(self.app.services, self.app.actor, self.customer_id)
        except ValidationFailed as exc:
            self.notify("; ".join(e.message for e in exc.errors), severity="error", markup=False, timeout=8)
            return
        self.notify(f"{view.display_name} ({view.reference_display}) chosen for the sale", markup=False)
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
            f"Anonymize {view.display_name} ({view.reference_display})? Names, contacts, addresses, date of birth, "
            "notes and attribute values are erased here, at headquarters and in every store. Orders stay. "
            f"This cannot be undone. Type the reference {view.reference_display} to confirm.",
            view.reference_display, placeholder=safe(view.reference_display)), confirmed)

    @work(thread=True, exclusive=True, group="privacy")
    def run_anonymize(self, customer_id: str, typed: str) -> None:
        from ...domain.errors import ValidationFailed
        from ...services.privacy import anonymize_customer

        try:
            result = anonymize_customer(self.app.services, self.app.actor, customer_id, typed)
        except ValidationFailed as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"Customer {result.reference} anonymized.", markup=False)
        self.app.call_from_thread(self.load)

    @work(thread=True, exclusive=True, group="password")
    def action_password_link(self) -> None:
        from ...domain.errors import ValidationFailed

        try:
            message = sync.send_password_link(self.app.services, self.app.actor, self.customer_id)
        except (sync.HqUnavailable, sync.HqRefused, sync.NotConnected, ValidationFailed) as exc:
            self.app.call_from_thread(self.notify, f"No link sent: {exc}", severity="warning", markup=False)
            return
        self.app.call_from_thread(self.notify, message, markup=False, timeout=8)

    @work(thread=True, exclusive=True, group="privacy")
    def action_export_data(self) -> None:
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
            write_private(stem.with_suffix(".txt"), report_text(report))
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"Not written: {exc.strerror or exc} ({folder})",
                                      severity="error", markup=False, timeout=10)
            return
        self.app.call_from_thread(self.notify, f"Written: {stem}.json and .txt", markup=False, timeout=10)

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
            self.notify(str(exc.errors[0].message), severity="error")
            return
        event.input.value = ""
        self.notify("Note saved")
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
        self.app.push_screen(DetailModal(f"{datetime_text(entry.at)} · {entry.who} · {entry.action}", change_lines(entry.changes)))

    @on(DataTable.RowSelected, "#conflicts-table")
    def _show_conflict(self, event: DataTable.RowSelected) -> None:
        from .dialogs import DetailModal

        c = self._conflicts[int(event.row_key.value)]
        self.app.push_screen(DetailModal(f"{safe(c.at)} · {c.field} · from {c.origin_store}",
                                         [f"kept: {shown_value(c.kept)}", f"other: {shown_value(c.lost)}"]))

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
            self.app.call_from_thread(self.notify, "Not resolved: " + "; ".join(e.message for e in exc.errors),
                                      severity="error", markup=False, timeout=8)
            return
        except (NotFound, StaleEdit) as exc:
            self.app.call_from_thread(self.notify, f"Not resolved: {exc}. Press r to reload.",
                                      severity="error", markup=False, timeout=8)
            return
        what = "the other value is set" if take_other else "the kept value stays"
        self.app.call_from_thread(self.notify, f"Conflict on {done.field} resolved: {what}.", markup=False)
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
            self._save(draft, "Address saved")
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
                self._save(draft, "Address removed")
        self.app.push_screen(ConfirmModal("Remove this address?\n" + "\n".join(address_lines(address.input)), yes="Remove"),
                             confirmed)

    def _save(self, draft, message: str) -> None:
        try:
            update_customer(self.app.services, self.app.actor, self.view.id, draft, opened=self.view)
        except StaleEdit:
            self.notify("Another terminal changed this customer: reloaded, please try again.",
                        severity="warning")
        except ValidationFailed as exc:
            self.notify("; ".join(e.message for e in exc.errors), severity="error", timeout=8)
            self._row_after_save = None  # nothing was saved: the next reload keeps the focus as it is
            return
        else:
            self.notify(message)
        self.load()


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
