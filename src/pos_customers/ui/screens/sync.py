"""Sync with headquarters: its state and "sync now"; customers of other stores (F5 on search)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Header, Label, Static

from ...domain.errors import FieldError, ValidationFailed
from ...domain.i18n import tr
from ...services import account_scope, sync
from ..text import plain, safe
from ..widgets.footer import KeysFooter
from .dialogs import ConfirmModal, DetailModal
from .form_modal import Field, FormModal


class SyncScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="sync.back", tooltip="Back"),
        Binding("ctrl+r", "sync_now", "Sync now", id="sync.now", tooltip="Send and fetch changes now"),
        Binding("r", "retry", "Retry", id="sync.retry",
                tooltip="Send the selected parked event again with the next sync"),
        Binding("d", "discard", "Discard", id="sync.discard",
                tooltip="Drop the selected parked event for good (managers; audited)"),
        # not in the footer (80 columns are full): the line above the parked events names it, F1 and
        # the command palette list it
        Binding("a", "account_clash", "Account email", id="sync.account_clash", show=False,
                tooltip="Refused for an account's email: merge with that account, or give it another email"),
    ]
    DEFAULT_CSS = """
    SyncScreen #state { height: auto; padding: 0 1; }
    SyncScreen #parked { height: 1fr; }
    SyncScreen #conflicts { height: 1fr; }
    SyncScreen .muted { color: $text-muted; padding: 0 1; }
    SyncScreen #standalone { padding: 1 2; height: 1fr; }
    """

    STANDALONE = ("standalone: this till is not connected to headquarters.\n\n"
                  "Its customers and changes are kept on this till only; nothing waits to be sent "
                  "anywhere. Once it is enrolled (pos-customers init --hq URL --token T), everything "
                  "made before is sent with the first sync.")

    def __init__(self) -> None:
        super().__init__()
        self._parked: list[sync.ParkedEventView] = []
        self.standalone = False

    def compose(self) -> ComposeResult:
        yield Header()
        self.standalone = not self.app.connected
        if self.standalone:
            yield Static(self.STANDALONE, id="standalone", markup=False)
            yield KeysFooter()
            return
        yield DataTable(id="state", show_header=False, cursor_type="none")
        yield Label("Refused by headquarters: enter details · r retry · d discard · a account",
                    classes="muted",
                    id="parked-label")
        yield DataTable(id="parked", cursor_type="row", zebra_stripes=True)
        yield Label("Conflicts headquarters resolved (newest first)", classes="muted")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(compact=True)  # six keys: compact fits them in 80 columns

    def on_mount(self) -> None:
        self.title = "Sync with headquarters"
        self.sub_title = self.app.header_text()
        if self.standalone:
            return
        table = self.query_one("#conflicts", DataTable)
        table.add_columns("When", "Customer", "Field", "Kept", "Lost", "From")
        parked = self.query_one("#parked", DataTable)
        # 80 columns, a scrollbar included; Enter shows what the cells cut
        for label, width in (("When", 11), ("Event", 17), ("Customer", 15), ("Why (enter: all of it)", 27)):
            parked.add_column(label, width=width)
        self.query_one("#state", DataTable).add_columns("What", "Value")
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
        for k, v in (("Headquarters", st.hq_url or "not connected: pos-customers init --hq URL --token T"),
                     ("Connection", self.app.sync_line or ("not checked yet" if st.enrolled else "—")),
                     ("Waiting to send", f"{st.outbox} change(s)"
                      + (f", oldest {st.oldest_pending:%Y-%m-%d %H:%M}" if st.oldest_pending else "")),
                     ("Last push", st.last_push_at or "never"),
                     ("Last pull", f"{st.last_pull_at or 'never'} (cursor {st.cursor})"),
                     ("Last error", f"{st.last_error} ({st.last_error_at})" if st.last_error else "none"),
                     ("Parked", f"{st.parked} refused"
                      + (f", {st.waiting} waiting behind them" if st.waiting else "")),
                     ("Conflicts", str(st.conflicts)),
                     *((("Audit trail", st.audit_problem),) if st.audit_problem else ())):
            state.add_row(plain(k), plain(v))
        table = self.query_one("#parked", DataTable)
        row = table.cursor_row
        table.clear()
        self._parked = list(parked)
        for p in parked:
            table.add_row(plain(f"{p.at:%m-%d %H:%M}" if p.at else "waiting"), plain(p.kind),
                          plain(p.customer or "—"), plain(_why(p)), key=p.id)
        if parked:
            table.move_cursor(row=min(row or 0, len(parked) - 1))
        table = self.query_one("#conflicts", DataTable)
        table.clear()
        for c in conflicts:
            table.add_row(plain(f"{c.at:%Y-%m-%d %H:%M}"), plain(c.customer), plain(c.field),
                          plain(c.kept), plain(c.lost), plain(c.origin_store))

    @on(DataTable.RowSelected, "#parked")
    def _show_parked(self, event: DataTable.RowSelected) -> None:
        """Enter: the whole refusal, which the Why column cuts."""
        p = next((p for p in self._parked if p.id == event.row_key.value), None)
        if p is None:
            return
        lines = [f"Why: {_why(p)}", f"Customer: {p.customer or '—'}", f"Event: {p.id}",
                 f"Parked: {p.at:%Y-%m-%d %H:%M} UTC" if p.at else "Not parked itself: it goes once that one is "
                 "retried (r) or discarded (d)", f"Attempts: {p.attempts}"]
        self.app.push_screen(DetailModal(f"{p.kind} · refused by headquarters" if p.parked else p.kind, lines))

    def _selected(self) -> sync.ParkedEventView | None:
        """The parked event under the cursor; a one-line notice when there is none to act on."""
        table = self.query_one("#parked", DataTable)
        if not self._parked or table.cursor_row is None or not 0 <= table.cursor_row < len(self._parked):
            self.notify("No parked event: nothing headquarters refused is waiting.", severity="information")
            return None
        chosen = self._parked[table.cursor_row]
        if not chosen.parked:
            self.notify(f"This event waits behind parked event {chosen.waiting_behind[:8]}: "
                        "retry or discard that one.", severity="warning")
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
            self.app.call_from_thread(self.notify, str(exc), severity="error")
        else:
            self.app.call_from_thread(self.notify, "It goes with the next sync (ctrl+r sends it now).")
            self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def action_discard(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        try:
            sync.check_discard(self.app.actor)
        except sync.PermissionDenied as exc:
            self.notify(str(exc), severity="error")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._discard(chosen.id)

        what = f"{chosen.kind} {chosen.customer}".strip()
        self.app.push_screen(ConfirmModal(f"Discard {what}? Headquarters will never get this change. "
                                          "The discard is recorded in the audit trail.",
                                          yes="Discard", no="Keep"), answer)

    @work(thread=True, exclusive=True, group="sync-parked")
    def _discard(self, event_id: str) -> None:
        try:
            done = sync.discard_parked(self.app.services, self.app.actor, event_id)
        except (sync.NotFound, sync.PermissionDenied) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
        else:
            extra = f" and {len(done.also)} waiting behind it" if done.also else ""
            local = "; the customer stays on this terminal only" if done.local_only else ""
            self.app.call_from_thread(self.notify, f"Discarded {done.kind}{extra}{local}.")
            self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def _clash(self) -> sync.ParkedEventView | None:
        chosen = self._selected()
        if chosen is None:
            return None
        try:
            account_scope.parked_clash(self.app.services, self.app.actor, chosen.id)
        except sync.NotFound as exc:
            self.notify(str(exc), severity="warning")
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
            self.app.call_from_thread(self.notify, f"Not merged: {exc}", severity="error")
        else:
            self.app.call_from_thread(self.notify, f"{done.removed_reference} merged into "
                                      f"{done.account.reference_display}; it goes with the next sync.")
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
                self.notify("Email changed: it goes with the next sync (ctrl+r sends it now).")
                self._changed()

        self.app.push_screen(FormModal(f"Another email for {chosen.customer}",
                                       [Field("email", "New email", placeholder="name@example.org")], submit), done)

    @work(thread=True, exclusive=True, group="sync-parked")
    def _changed(self) -> None:
        self.app.recount_outbox()
        self.app.call_from_thread(self.load)

    def action_sync_now(self) -> None:
        if not sync.is_enrolled(self.app.services):
            self.notify("This terminal is not connected to headquarters.", severity="warning")
            return
        self.notify("Syncing…")
        self.app.run_sync(announce=True)


class AccountClashModal(ModalScreen[str | None]):
    """A customer refused because another registered account holds its email: merge or new email."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="clash.cancel", tooltip="Decide later"),
        Binding("m", "dismiss('merge')", "Merge", id="clash.merge",
                tooltip="Merge this new customer into the account that holds the email"),
        Binding("e", "dismiss('email')", "New email", id="clash.email",
                tooltip="Give this customer another email and send it again"),
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

        text = (f"{self.chosen.customer}: {self.chosen.reason}\n\n"
                "m  merge: its details and notes join that account (a new customer made here only); "
                "it is removed from this till\n"
                "e  another email for it; the refused change is sent again\n"
                "Either is recorded in the audit trail.")
        with Vertical():
            yield Static(safe(text, multiline=True), id="clash-text", markup=False)
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel")
                yield Button("New email (e)", id="email")
                yield Button("Merge (m)", id="merge", variant="warning")
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
        Binding("escape", "dismiss_none", "Close", id="remote.close", tooltip="Back to the search"),
        Binding("enter", "choose", "Open", id="remote.open", tooltip="Bring this customer here and open it",
                show=True),
        # a modal screen hides the app's own keys: F5 and F8 are offered here as well
        Binding("f5", "app.all_stores", "Search again", id="remote.all_stores",
                tooltip="Ask headquarters again"),
        Binding("f8", "app.sync", "Sync", id="remote.sync",
                tooltip="Sync with headquarters: state, conflicts, sync now"),
    ]
    DEFAULT_CSS = """
    RemoteSearchScreen { align: center middle; }
    RemoteSearchScreen > #box { width: 90%; height: 80%; border: round $accent; background: $surface; }
    RemoteSearchScreen #msg { padding: 0 1; height: auto; }
    RemoteSearchScreen DataTable { height: 1fr; }
    """

    def __init__(self, query: str) -> None:
        super().__init__()
        self.query_text = query
        self._ids: list[str] = []

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="box"):
            yield Static(safe(f"All stores: looking for “{self.query_text}” at headquarters…"), id="msg",
                         markup=False)
            yield DataTable(id="remote", cursor_type="row", zebra_stripes=True)
            yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#remote", DataTable).add_columns("Name", "Reference", "Store", "Email", "Phone", "City")
        self.search()

    def all_stores(self) -> None:
        """F5 here: ask headquarters again."""
        self.query_one("#msg", Static).update(f"All stores: looking for “{self.query_text}” at headquarters…")
        self.search()

    @work(thread=True, exclusive=True, group="remote")
    def search(self) -> None:
        try:
            hits = sync.search_all_stores(self.app.services, self.app.actor, self.query_text)
            message = (f"{len(hits)} customer(s) at headquarters, not on this till, match “{self.query_text}”."
                       " Enter brings one here."
                       if hits else f"No customer at headquarters that is not on this till matches “{self.query_text}”.")
        except sync.NotConnected as exc:
            hits, message = [], str(exc)
        except (sync.HqUnavailable, sync.HqRefused) as exc:
            hits, message = [], f"Offline: headquarters is not reachable, so other stores cannot be searched. ({exc})"
        self.app.call_from_thread(self._show, hits, message)

    def _show(self, hits, message: str) -> None:
        from ...domain.reference import format_reference
        from ...services.search import via_name

        self.query_one("#msg", Static).update(safe(message))
        table = self.query_one("#remote", DataTable)
        table.clear()
        self._ids = [h.id for h in hits]
        for h in hits:
            table.add_row(plain(via_name(h.display_name, h.via)), plain(format_reference(h.reference)),
                          plain(h.store_code),
                          plain(h.email), plain(h.phone), plain(h.city))
        table.focus()

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
            sync.open_remote(self.app.services, self.app.actor, customer_id)
        except (sync.HqUnavailable, sync.HqRefused, sync.NotConnected) as exc:
            self.app.call_from_thread(self.query_one("#msg", Static).update,
                                      safe(f"Could not bring the customer here: {exc}"))
            return
        self.app.call_from_thread(self.dismiss, customer_id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
