"""Sync with headquarters: its state and "sync now"; customers of other stores (F5 on search)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Header, Label, Static

from ...services import sync
from ..text import plain
from ..widgets.footer import KeysFooter


class SyncScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="sync.back", tooltip="Back"),
        Binding("ctrl+r", "sync_now", "Sync now", id="sync.now", tooltip="Send and fetch changes now"),
    ]
    DEFAULT_CSS = """
    SyncScreen #state { height: auto; padding: 0 1; }
    SyncScreen #conflicts { height: 1fr; }
    SyncScreen .muted { color: $text-muted; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="state", show_header=False, cursor_type="none")
        yield Label("Conflicts headquarters resolved (newest first)", classes="muted")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "Sync with headquarters"
        self.sub_title = self.app.header_text()
        table = self.query_one("#conflicts", DataTable)
        table.add_columns("When", "Customer", "Field", "Kept", "Lost", "From")
        self.query_one("#state", DataTable).add_columns("What", "Value")
        self.load()

    def sync_finished(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="sync-screen")
    def load(self) -> None:
        st = sync.status(self.app.services, self.app.actor)
        rows = sync.recent_conflicts(self.app.services, self.app.actor, limit=50)
        self.app.call_from_thread(self._show, st, rows)

    def _show(self, st: sync.SyncStatus, conflicts) -> None:
        state = self.query_one("#state", DataTable)
        state.clear()
        for k, v in (("Headquarters", st.hq_url or "not connected: pos-customers init --hq URL --token T"),
                     ("Connection", self.app.sync_line or ("not checked yet" if st.enrolled else "—")),
                     ("Waiting to send", f"{st.outbox} change(s)"
                      + (f", oldest {st.oldest_pending:%Y-%m-%d %H:%M}" if st.oldest_pending else "")),
                     ("Last push", st.last_push_at or "never"),
                     ("Last pull", f"{st.last_pull_at or 'never'} (cursor {st.cursor})"),
                     ("Last error", f"{st.last_error} ({st.last_error_at})" if st.last_error else "none"),
                     ("Conflicts", str(st.conflicts)),
                     *((("Audit trail", st.audit_problem),) if st.audit_problem else ())):
            state.add_row(k, plain(v))
        table = self.query_one("#conflicts", DataTable)
        table.clear()
        for c in conflicts:
            table.add_row(plain(f"{c.at:%Y-%m-%d %H:%M}"), plain(c.customer), plain(c.field),
                          plain(c.kept), plain(c.lost), plain(c.origin_store))

    def action_sync_now(self) -> None:
        if not sync.is_enrolled(self.app.services):
            self.notify("This terminal is not connected to headquarters.", severity="warning")
            return
        self.notify("Syncing…")
        self.app.run_sync(announce=True)


class RemoteSearchScreen(ModalScreen[str | None]):
    """Customers at headquarters that this terminal does not hold: Enter brings one in."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="remote.close", tooltip="Back to the search"),
        Binding("enter", "choose", "Open", id="remote.open", tooltip="Bring this customer here and open it",
                show=True),
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
            yield Static(f"All stores: looking for “{self.query_text}” at headquarters…", id="msg", markup=False)
            yield DataTable(id="remote", cursor_type="row", zebra_stripes=True)
            yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#remote", DataTable).add_columns("Name", "Reference", "Store", "Email", "Phone", "City")
        self.search()

    @work(thread=True, exclusive=True, group="remote")
    def search(self) -> None:
        try:
            hits = sync.search_all_stores(self.app.services, self.app.actor, self.query_text)
            message = (f"{len(hits)} customer(s) of other stores match “{self.query_text}”. Enter brings one here."
                       if hits else f"No customer of another store matches “{self.query_text}”.")
        except sync.NotConnected as exc:
            hits, message = [], str(exc)
        except (sync.HqUnavailable, sync.HqRefused) as exc:
            hits, message = [], f"Offline: headquarters is not reachable, so other stores cannot be searched. ({exc})"
        self.app.call_from_thread(self._show, hits, message)

    def _show(self, hits, message: str) -> None:
        from ...domain.reference import format_reference

        self.query_one("#msg", Static).update(message)
        table = self.query_one("#remote", DataTable)
        self._ids = [h.id for h in hits]
        for h in hits:
            table.add_row(plain(h.display_name), format_reference(h.reference), plain(h.store_code),
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
            self.app.call_from_thread(self.query_one("#msg", Static).update, f"Could not bring the customer here: {exc}")
            return
        self.app.call_from_thread(self.dismiss, customer_id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
