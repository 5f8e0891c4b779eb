"""Sync with headquarters: its state and "sync now"; customers of other stores (F5 on search)."""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Header, Label, Static

from ...domain.errors import FieldError, ValidationFailed
from ...domain.formats import datetime_text, number_text, phone_text
from ...domain.i18n import N_, _, ngettext, tr
from ...services import account_scope, sync
from ..text import plain, safe
from ..widgets.footer import KeysFooter, keys_as_shown
from .dialogs import ConfirmModal, DetailModal
from .form_modal import Field, FormModal


ENROL = "pos-customers init --hq URL --token T"  # a command: never translated


class SyncScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="sync.back", tooltip=N_("Back")),
        Binding("ctrl+r", "sync_now", N_("Sync now"), id="sync.now", tooltip=N_("Send and fetch changes now")),
        Binding("r", "retry", N_("Retry"), id="sync.retry",
                tooltip=N_("Send the selected parked event again with the next sync")),
        Binding("d", "discard", N_("Discard"), id="sync.discard",
                tooltip=N_("Drop the selected parked event for good (managers; audited)")),
        # not in the footer (80 columns are full): the line above the parked events names it, F1 and
        # the command palette list it
        Binding("a", "account_clash", N_("Account email"), id="sync.account_clash", show=False,
                tooltip=N_("Refused for an account's email: merge with that account, or give it another email")),
    ]
    DEFAULT_CSS = """
    SyncScreen #state { height: auto; padding: 0 1; }
    SyncScreen #parked { height: 1fr; }
    SyncScreen #conflicts { height: 1fr; }
    SyncScreen .muted { color: $text-muted; padding: 0 1; }
    SyncScreen #standalone { padding: 1 2; height: 1fr; }
    """

    STANDALONE = N_("standalone: this till is not connected to headquarters.\n\n"
                    "Its customers and changes are kept on this till only; nothing waits to be sent "
                    "anywhere. Once it is enrolled ({command}), everything made before is sent with "
                    "the first sync.")

    def __init__(self) -> None:
        super().__init__()
        self._parked: list[sync.ParkedEventView] = []
        self.standalone = False

    def compose(self) -> ComposeResult:
        yield Header()
        self.standalone = not self.app.connected
        if self.standalone:
            yield Static(tr(self.STANDALONE).format(command=ENROL), id="standalone", markup=False)
            yield KeysFooter()
            return
        yield DataTable(id="state", show_header=False, cursor_type="none")
        yield Label(_("Refused by headquarters: enter details · r retry · d discard · a account"),
                    classes="muted", markup=False,
                    id="parked-label")
        yield DataTable(id="parked", cursor_type="row", zebra_stripes=True)
        yield Label(_("Conflicts headquarters resolved (newest first)"), classes="muted", markup=False)
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(compact=True)  # six keys: compact fits them in 80 columns

    def on_mount(self) -> None:
        self.title = _("Sync with headquarters")
        self.sub_title = self.app.header_text()
        if self.standalone:
            return
        table = self.query_one("#conflicts", DataTable)
        table.add_columns(_("When"), _("Customer"), _("Field"), _("Kept"), _("Lost"), _("From"))
        parked = self.query_one("#parked", DataTable)
        # 80 columns, a scrollbar included; Enter shows what the cells cut. The time takes what the
        # store's date-time format needs; the reason gets the rest.
        when = max(len(datetime_text(datetime(2026, month, 28, 22, 58))) for month in range(1, 13))
        for label, width in ((_("When"), when), (_("Event"), 17), (_("Customer"), 15),
                             (_("Why (Enter: all)"), max(12, 38 - when))):
            parked.add_column(label, width=width)
        self.query_one("#state", DataTable).add_columns(_("What"), _("Value"))
        self.query_one("#parked", DataTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("sync_now", "retry", "discard", "account_clash"):
            return not self.standalone
        return True

    def sync_finished(self) -> None:
        if not self.standalone:
            self.load()

    @work(thread=True, exclusive=True, group="sync-screen")
    def load(self) -> None:
        st = sync.status(self.app.services, self.app.actor)
        parked = sync.parked_events(self.app.services, self.app.actor)
        rows = sync.recent_conflicts(self.app.services, self.app.actor, limit=50)
        self.app.call_from_thread(self._show, st, parked, rows)

    def _show(self, st: sync.SyncStatus, parked: list[sync.ParkedEventView], conflicts) -> None:
        state = self.query_one("#state", DataTable)
        state.clear()
        never = _("never")
        waiting = ngettext("{n} change", "{n} changes", st.outbox).format(n=number_text(st.outbox))
        if st.oldest_pending:
            waiting = _("{changes}, oldest {when}").format(changes=waiting, when=datetime_text(st.oldest_pending))
        parked_text = ngettext("{n} refused", "{n} refused", st.parked).format(n=number_text(st.parked))
        if st.waiting:
            parked_text = ngettext("{parked}, {n} waiting behind them", "{parked}, {n} waiting behind them",
                                   st.waiting).format(parked=parked_text, n=number_text(st.waiting))
        for k, v in ((_("Headquarters"), st.hq_url or _("not connected: {command}").format(command=ENROL)),
                     (_("Connection"), self.app.sync_line or (_("not checked yet") if st.enrolled else "—")),
                     (_("Waiting to send"), waiting),
                     (_("Last push"), datetime_text(st.last_push_at) or never),
                     (_("Last pull"), _("{when} (cursor {cursor})").format(
                         when=datetime_text(st.last_pull_at) or never, cursor=st.cursor)),
                     (_("Last error"), _("{error} ({when})").format(error=tr(st.last_error),
                                                                    when=datetime_text(st.last_error_at))
                      if st.last_error else _("none")),
                     (_("Parked"), parked_text),
                     (_("Conflicts"), number_text(st.conflicts)),
                     *(((_("Audit trail"), tr(st.audit_problem)),) if st.audit_problem else ())):
            state.add_row(plain(k), plain(v))
        table = self.query_one("#parked", DataTable)
        row = table.cursor_row
        table.clear()
        self._parked = list(parked)
        for p in parked:
            table.add_row(plain(datetime_text(p.at) if p.at else _("waiting")), plain(p.kind),
                          plain(p.customer or "—"), plain(_why(p)), key=p.id)
        if parked:
            table.move_cursor(row=min(row or 0, len(parked) - 1))
        table = self.query_one("#conflicts", DataTable)
        table.clear()
        for c in conflicts:
            table.add_row(plain(datetime_text(c.at)), plain(c.customer), plain(c.field),
                          plain(c.kept), plain(c.lost), plain(c.origin_store))

    @on(DataTable.RowSelected, "#parked")
    def _show_parked(self, event: DataTable.RowSelected) -> None:
        """Enter: the whole refusal, which the Why column cuts."""
        p = next((p for p in self._parked if p.id == event.row_key.value), None)
        if p is None:
            return
        lines = [_("Why: {reason}").format(reason=_why(p)), _("Customer: {customer}").format(customer=p.customer or "—"),
                 _("Event: {id}").format(id=p.id),
                 _("Parked: {when}").format(when=datetime_text(p.at)) if p.at
                 else _("Not parked itself: it goes once that one is retried (r) or discarded (d)"),
                 _("Attempts: {n}").format(n=p.attempts)]
        self.app.push_screen(DetailModal(_("{kind} · refused by headquarters").format(kind=p.kind) if p.parked
                                         else p.kind, lines))

    def _selected(self) -> sync.ParkedEventView | None:
        """The parked event under the cursor; a one-line notice when there is none to act on."""
        table = self.query_one("#parked", DataTable)
        if not self._parked or table.cursor_row is None or not 0 <= table.cursor_row < len(self._parked):
            self.notify(_("No parked event: nothing headquarters refused is waiting."), severity="information")
            return None
        chosen = self._parked[table.cursor_row]
        if not chosen.parked:
            self.notify(_("This event waits behind parked event {event}: retry or discard that one.").format(
                event=chosen.waiting_behind[:8]), severity="warning")
            return None
        return chosen

    def action_retry(self) -> None:
        chosen = self._selected()
        if chosen is not None:
            self._retry(chosen.id)

    @work(thread=True, exclusive=True, group="sync-parked")
    def _retry(self, event_id: str) -> None:
        try:
            sync.retry_parked(self.app.services, self.app.actor, event_id)
        except (sync.NotFound, sync.PermissionDenied) as exc:
            self.app.call_from_thread(self.notify, tr(exc), severity="error")
        else:
            self.app.call_from_thread(self.notify, keys_as_shown(_("It goes with the next sync (ctrl+r sends it now).")))
            self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def action_discard(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        try:
            sync.check_discard(self.app.actor)
        except sync.PermissionDenied as exc:
            self.notify(tr(exc), severity="error")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._discard(chosen.id)

        what = f"{chosen.kind} {chosen.customer}".strip()
        self.app.push_screen(ConfirmModal(_("Discard {event}? Headquarters will never get this change. "
                                            "The discard is recorded in the audit trail.").format(event=what),
                                          yes=_("Discard"), no=_("Keep")), answer)

    @work(thread=True, exclusive=True, group="sync-parked")
    def _discard(self, event_id: str) -> None:
        try:
            done = sync.discard_parked(self.app.services, self.app.actor, event_id)
        except (sync.NotFound, sync.PermissionDenied) as exc:
            self.app.call_from_thread(self.notify, tr(exc), severity="error")
        else:
            if done.also:
                text = ngettext("Discarded {event} and {n} event waiting behind it.",
                                "Discarded {event} and {n} events waiting behind it.",
                                len(done.also)).format(event=done.kind, n=len(done.also))
            else:
                text = _("Discarded {event}.").format(event=done.kind)
            if done.local_only:
                text = _("{done} The customer stays on this terminal only.").format(done=text)
            if done.restored:
                text = _("{done} {customer} is back on this till, not merged.").format(done=text,
                                                                                    customer=done.restored)
            self.app.call_from_thread(self.notify, text)
            self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def _clash(self) -> sync.ParkedEventView | None:
        chosen = self._selected()
        if chosen is None:
            return None
        try:
            account_scope.parked_clash(self.app.services, self.app.actor, chosen.id)
        except sync.NotFound as exc:
            self.notify(tr(exc), severity="warning")
            return None
        return chosen

    def action_account_clash(self) -> None:
        chosen = self._clash()
        if chosen is None:
            return

        def answer(choice: str | None) -> None:
            if choice == "merge":
                self._merge(chosen.id)
            elif choice == "email":
                self._change_email(chosen)

        self.app.push_screen(AccountClashModal(chosen), answer)

    @work(thread=True, exclusive=True, group="sync-parked")
    def _merge(self, event_id: str) -> None:
        try:
            done = account_scope.merge_into_account(self.app.services, self.app.actor, event_id)
        except (sync.NotFound, sync.PermissionDenied, sync.HqUnavailable, sync.HqRefused, sync.NotConnected,
                ValidationFailed) as exc:
            self.app.call_from_thread(self.notify, _("Not merged: {reason}").format(reason=tr(exc)), severity="error")
        else:
            self.app.call_from_thread(self.notify, _("{customer} merged into {account}; it goes with the next sync.")
                                      .format(customer=done.removed_reference,
                                              account=done.account.reference_display))
            self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def _change_email(self, chosen: sync.ParkedEventView) -> None:
        def submit(values: dict) -> None:
            try:
                account_scope.change_account_email(self.app.services, self.app.actor, chosen.id,
                                                   values.get("email") or "")
            except ValidationFailed as exc:  # the form shows it under the one field it has
                raise ValidationFailed([FieldError("email", e.message) for e in exc.errors]) from None

        def done(saved: bool | None) -> None:
            if saved:
                self.notify(keys_as_shown(_("Email changed: it goes with the next sync (ctrl+r sends it now).")))
                self._changed()

        self.app.push_screen(FormModal(_("Another email for {customer}").format(customer=chosen.customer),
                                       [Field("email", _("New email"), placeholder="name@example.org")], submit), done)

    @work(thread=True, exclusive=True, group="sync-parked")
    def _changed(self) -> None:
        self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def action_sync_now(self) -> None:
        if not sync.is_enrolled(self.app.services):
            self.notify(_("This terminal is not connected to headquarters."), severity="warning")
            return
        self.notify(_("Syncing…"))
        self.app.run_sync(announce=True)


class AccountClashModal(ModalScreen[str | None]):
    """A customer refused because another registered account holds its email: merge or new email."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", N_("Cancel"), id="clash.cancel", tooltip=N_("Decide later")),
        Binding("m", "dismiss('merge')", N_("Merge"), id="clash.merge",
                tooltip=N_("Merge this customer into the account that holds the email")),
        Binding("e", "dismiss('email')", N_("New email"), id="clash.email",
                tooltip=N_("Give this customer another email and send it again")),
    ]
    DEFAULT_CSS = """
    AccountClashModal { align: center middle; }
    AccountClashModal > Vertical { width: 70; max-width: 95%; height: auto; border: thick $warning;
                                   padding: 1 2; background: $surface; }
    AccountClashModal #clash-text { margin-bottom: 1; }
    AccountClashModal Horizontal { height: auto; align: right middle; }
    AccountClashModal Button { margin-left: 1; }
    """

    def __init__(self, chosen: sync.ParkedEventView) -> None:
        super().__init__()
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal, Vertical

        text = "\n".join((f"{self.chosen.customer}: {tr(self.chosen.reason)}", "",
                          _("m  merge: its details and notes join that account; it leaves this till (one "
                            "headquarters holds already: a manager merges it there with the next sync)"),
                          _("e  another email for it; the refused change is sent again"),
                          _("Either is recorded in the audit trail.")))
        with Vertical():
            yield Static(safe(text, multiline=True), id="clash-text", markup=False)
            with Horizontal():
                yield Button(_("Cancel (esc)"), id="cancel")
                yield Button(_("New email (e)"), id="email")
                yield Button(_("Merge (m)"), id="merge", variant="warning")
            yield KeysFooter()

    @on(Button.Pressed)
    def _pressed(self, event) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)


def _why(p: sync.ParkedEventView) -> str:
    """A refusal in one line: HTTP status, headquarters' reason, the field it named."""
    if not p.parked:
        return tr(p.reason)
    return f"{p.status or ''} {tr(p.reason)}".strip() + (f" [{p.field}]" if p.field else "")


class RemoteSearchScreen(ModalScreen[str | None]):
    """Customers at headquarters that this terminal does not hold: Enter brings one in."""

    APP_KEYS = ("all_stores", "sync")  # F5 again: ask headquarters again (after "offline"); F8

    BINDINGS = [
        Binding("escape", "dismiss_none", N_("Close"), id="remote.close", tooltip=N_("Back to the search")),
        Binding("enter", "choose", N_("Open"), id="remote.open", tooltip=N_("Bring this customer here and open it"),
                show=True),
        # a modal screen hides the app's own keys: F5 and F8 are offered here as well
        Binding("f5", "app.all_stores", N_("Search again"), id="remote.all_stores",
                tooltip=N_("Ask headquarters again")),
        Binding("f8", "app.sync", N_("Sync"), id="remote.sync",
                tooltip=N_("Sync with headquarters: state, conflicts, sync now")),
    ]
    DEFAULT_CSS = """
    RemoteSearchScreen { align: center middle; }
    RemoteSearchScreen > #box { width: 90%; min-width: 78; max-width: 100%; height: 80%; border: round $accent;
                                background: $surface; }
    RemoteSearchScreen #msg { padding: 0 1; height: auto; }
    RemoteSearchScreen DataTable { height: 1fr; }
    """

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query
        self._ids: list[str] = []
        self._hits: list = []
        self._widths: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="box"):
            yield Static(safe(self._looking()), id="msg", markup=False)
            yield DataTable(id="remote", cursor_type="row", zebra_stripes=True)
            yield KeysFooter()

    def on_mount(self) -> None:
        self._fill()
        self.search()

    def on_resize(self) -> None:
        self._fill()

    def _columns_for(self, width: int) -> dict[str, int]:
        """The columns in the box's width (at 80 columns: 76 inside its border), the phone number
        whole: reference, store and phone keep their size, name and email share the rest, the city
        comes when there is room for it."""
        fixed = {"Reference": 11, "Store": max(5, cell_len(_("Store"))), "Phone": 16}
        inside = max(width * 9 // 10, 78) - 2 - 2  # the box's border, the table's scrollbar
        rest = inside - 2 * 5 - sum(fixed.values())  # a blank each side of a column
        city = 12 if rest - 14 >= 30 else 0
        rest = max(rest - city - (2 if city else 0), 20)
        name = rest * 4 // 7
        widths = {"Name": name, "Reference": fixed["Reference"], "Store": fixed["Store"],
                  "Phone": fixed["Phone"], "Email": rest - name}
        return {**widths, "City": city} if city else widths

    def _fill(self) -> None:
        """The columns for the screen's width, then the rows found (again, after a resize)."""
        from ...domain.reference import format_reference
        from ...services.search import via_name
        from ..widgets.results import fit, fit_name, fit_phone

        widths = self._columns_for(self.app.size.width)
        table = self.query_one("#remote", DataTable)
        if widths != self._widths:
            self._widths = widths
            titles = {"Name": _("Name"), "Reference": _("Reference"), "Store": _("Store"), "Email": _("Email"),
                      "Phone": _("Phone"), "City": _("City")}
            table.clear(columns=True)
            for key, width in widths.items():
                table.add_column(titles[key], width=width, key=key)
        else:
            table.clear()
        for h in self._hits:
            name = via_name(h.display_name, h.via)
            cells = {"Name": (fit if h.via else fit_name)(name, widths["Name"]),
                     "Reference": format_reference(h.reference), "Store": h.store_code,
                     "Email": fit(h.email, widths["Email"]), "Phone": fit_phone(phone_text(h.phone), widths["Phone"]), "City": h.city}
            table.add_row(*(plain(cells[key]) for key in widths))

    def _looking(self) -> str:
        return _("All stores: looking for “{query}” at headquarters…").format(query=self.query_text)

    def all_stores(self) -> None:
        """F5 here: ask headquarters again."""
        self.query_one("#msg", Static).update(safe(self._looking()))
        self.search()

    @work(thread=True, exclusive=True, group="remote")
    def search(self) -> None:
        try:
            hits = sync.search_all_stores(self.app.services, self.app.actor, self.query_text)
            message = self._found(hits, sync.held_here(self.app.services, [h.id for h in hits]))
        except sync.NotConnected as exc:
            hits, message = [], tr(exc)
        except (sync.HqUnavailable, sync.HqRefused) as exc:
            hits, message = [], _("Offline: headquarters is not reachable, so other stores cannot be searched. "
                                  "({reason})").format(reason=tr(exc))
        self.app.call_from_thread(self._show, hits, message)

    def _found(self, hits, here: set[str]) -> str:
        """What was found: the customers not on this till, and apart from them one a typed
        reference leads to that is on this till already (the one a merged-away customer went into)."""
        from ...domain.reference import format_reference

        away = [h for h in hits if h.id not in here]
        held = [h for h in hits if h.id in here]
        parts = []
        if away:
            parts.append(ngettext("{n} customer at headquarters, not on this till, matches “{query}”. "
                                  "Enter brings it here.",
                                  "{n} customers at headquarters, not on this till, match “{query}”. "
                                  "Enter brings one here.", len(away)).format(n=len(away), query=self.query_text))
        for h in held:
            parts.append(_("“{query}” leads to {name} ({reference}), who is on this till. Enter opens the card.")
                         .format(query=self.query_text, name=h.display_name,
                                 reference=format_reference(h.reference)))
        if not parts:
            parts.append(_("No customer at headquarters that is not on this till matches “{query}”.")
                         .format(query=self.query_text))
        return " ".join(parts)

    def _show(self, hits, message: str) -> None:
        self.query_one("#msg", Static).update(safe(message))
        self._hits, self._ids = list(hits), [h.id for h in hits]
        self._fill()
        self.query_one("#remote", DataTable).focus()

    def action_choose(self) -> None:
        table = self.query_one("#remote", DataTable)
        if self._ids and table.cursor_row is not None and 0 <= table.cursor_row < len(self._ids):
            self.bring_in(self._ids[table.cursor_row])

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_choose()

    @work(thread=True, exclusive=True, group="remote")
    def bring_in(self, customer_id: str) -> None:
        try:
            view = sync.open_remote(self.app.services, self.app.actor, customer_id)
        except (sync.HqUnavailable, sync.HqRefused, sync.NotConnected, sync.NotFound) as exc:
            self.app.call_from_thread(self.query_one("#msg", Static).update,
                                      safe(_("Could not bring the customer here: {reason}").format(reason=tr(exc))))
            return
        # a customer merged at headquarters came as the one it went into: that one opens
        self.app.call_from_thread(self.dismiss, view.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
