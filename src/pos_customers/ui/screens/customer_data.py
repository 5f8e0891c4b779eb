"""The customer card's tabs that headquarters feeds besides the orders: Stores (with the preferred
store), Active carts and Saved payments; and the lines and shipments of a cart or an order (Enter).

Each tab is a self-contained pane: the card calls :meth:`DataPane.show` with the customer once it
has read it, and the pane asks the services in a thread worker (headquarters when it answers, the
copy kept on this till otherwise) and fills itself. Its keys are its own bindings, active while
its table has the focus.
"""

from __future__ import annotations

from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static, TabPane

from ...domain.customer_data import Cart, ItemLine, Shipment
from ...domain.formats import amount_text, date_text, phone_text
from ...domain.money import format_minor as money
from ...domain.errors import ValidationFailed
from ...services import customer_data as data
from ...services.context import NotFound, Permission, PermissionDenied
from ...services.views import CustomerView
from ..text import plain, safe
from .dialogs import ConfirmModal

#: what the line under a tab says about where its rows came from (the Orders tab says it too)
SOURCE_NOTES = {
    data.HEADQUARTERS: "From headquarters.",
    data.CACHE: "Headquarters is not reachable: showing the copy kept on this terminal.",
    data.NOT_CONNECTED: "Not connected to headquarters: only what this terminal knows.",
}
ASKING = "Asking headquarters…"


def source_note(source: str) -> str:
    return SOURCE_NOTES.get(source, "")


def _day(moment: Any) -> str:
    return date_text(moment) if moment else "—"


class DataPane(TabPane):
    """A tab of the card filled from headquarters (or the kept copy) in a thread worker."""

    TITLE = ""
    PANE_ID = ""
    AFTER_ORDERS = False  # True: the card shows it once the Orders tab's answer is kept (it reads them)
    DEFAULT_CSS = """
    DataPane DataTable { height: auto; max-height: 100%; }
    DataPane .muted { color: $text-muted; padding: 0 1; }
    DataPane .section { text-style: bold; margin-top: 1; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(self.TITLE, id=self.PANE_ID)
        self.view: CustomerView | None = None
        self.rows: list[Any] = []

    def show(self, view: CustomerView) -> None:
        """The card read (or read again) this customer: ask for the tab's rows."""
        self.view = view
        if not self.rows:
            self._fill([Label(ASKING, classes="muted")])
        self.load(view.id)

    @work(exclusive=True, thread=True)
    def load(self, customer_id: str) -> None:
        rows, source = self.fetch(customer_id)
        self.app.call_from_thread(self._loaded, customer_id, list(rows), source)

    def _loaded(self, customer_id: str, rows: list[Any], source: str) -> None:
        if self.view is None or self.view.id != customer_id:
            return
        had_focus = self.screen.focused is not None and self in self.screen.focused.ancestors
        row = self.query_one(DataTable).cursor_row if had_focus and self.query(DataTable) else 0
        self.rows = rows
        self._fill(self.render_rows(rows, source))
        self.refresh_bindings()
        if had_focus and self.rows:
            self.call_after_refresh(self._refocus, row)

    def _refocus(self, row: int) -> None:
        tables = self.query(DataTable)
        if tables:
            tables.first().focus()
            tables.first().move_cursor(row=max(0, min(row, len(self.rows) - 1)))

    def _fill(self, widgets: list) -> None:
        self.remove_children()
        self.mount(Vertical(*widgets))

    def current(self) -> Any | None:
        tables = self.query(DataTable)
        if not tables or not self.rows:
            return None
        row = tables.first().cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    # -- what each tab fills in ---------------------------------------------------------------
    def fetch(self, customer_id: str) -> tuple[list[Any], str]:
        raise NotImplementedError

    def render_rows(self, rows: list[Any], source: str) -> list:
        raise NotImplementedError


class StoresPane(DataPane):
    """The stores the customer uses, most used first, the preferred one on top (★)."""

    TITLE, PANE_ID = "Stores", "tab-stores"
    AFTER_ORDERS = True
    BINDINGS = [Binding("p", "preferred", "Preferred store", id="card.preferred_store",
                        tooltip="Stores tab: make the store under the cursor the preferred one (again: clear it)")]

    def fetch(self, customer_id: str):
        return data.customer_stores(self.app.services, self.app.actor, customer_id, refresh_orders=False)

    def render_rows(self, rows, source):
        if not rows:
            return [Label(f"No store known. {source_note(source)}", classes="muted")]
        table = DataTable(id="stores-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("★", "Store · address", "Phone · status", "Customer here")
        for u in rows:  # two lines a store: 80 columns hold them
            table.add_row("★" if u.preferred else "", plain(f"{u.code} {u.name}".strip() + "\n" + (u.address or "—"),
                                                            multiline=True),
                          plain(f"{phone_text(u.phone) or '—'}\n{u.status or '—'}", multiline=True), plain(u.how), height=2)
        return [table, Label(f"p preferred store · {source_note(source)}", classes="muted")]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "preferred":
            return (self.app.actor.can(Permission.EDIT) and self.view is not None
                    and self.view.anonymized_at is None and bool(self.rows))
        return True

    def action_preferred(self) -> None:
        store = self.current()
        if store is not None and self.view is not None:
            self.set_preferred(self.view.id, "" if store.preferred else store.code)

    @work(exclusive=True, thread=True, group="preferred")
    def set_preferred(self, customer_id: str, code: str) -> None:
        try:
            data.set_preferred_store(self.app.services, self.app.actor, customer_id, code)
        except (ValidationFailed, PermissionDenied, NotFound) as exc:
            message = "; ".join(e.message for e in exc.errors) if isinstance(exc, ValidationFailed) else str(exc)
            self.app.call_from_thread(self.notify, f"Not changed: {message}", severity="error", markup=False)
            return
        said = f"Preferred store: {code}" if code else "No preferred store"
        self.app.call_from_thread(self.notify, said, markup=False)
        self.app.call_from_thread(self.screen.action_reload)  # the card reads the customer again


class CartsPane(DataPane):
    """Carts the customer filled and has not ordered yet; Enter shows a cart's lines."""

    TITLE, PANE_ID = "Active carts", "tab-carts"

    def fetch(self, customer_id: str):
        return data.carts(self.app.services, self.app.actor, customer_id)

    def render_rows(self, rows, source):
        if not rows:
            return [Label(f"No active carts. {source_note(source)}", classes="muted")]
        table = DataTable(id="carts-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Scope", "Name", "Type", "Created", "Items", "Total")
        for c in rows:
            table.add_row(plain(c.store_code), plain(c.name), plain(c.type), plain(_day(c.created_at)),
                          plain(c.items), plain(money(c.total_minor, c.currency)))
        return [table, Label(f"⏎ the cart's lines · {source_note(source)}", classes="muted")]

    @on(DataTable.RowSelected, "#carts-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        cart: Cart | None = self.current()
        if cart is not None:
            title = f"{cart.name} · {cart.store_code} · {cart.type} · {_day(cart.created_at)}"
            self.app.push_screen(LinesModal(title, lambda: (list(cart.lines), [], cart.currency, "")))


class PaymentsPane(DataPane):
    """Saved payments: brand, last four digits, expiry, holder, added. Managers delete one."""

    TITLE, PANE_ID = "Saved payments", "tab-payments"
    BINDINGS = [Binding("delete", "delete_payment", "Delete payment", id="card.delete_payment",
                        tooltip="Saved payments tab: delete the saved payment under the cursor, after asking "
                                "(managers)")]

    def fetch(self, customer_id: str):
        return data.saved_payments(self.app.services, self.app.actor, customer_id)

    def render_rows(self, rows, source):
        if not rows:
            return [Label(f"No saved payments. {source_note(source)}", classes="muted")]
        table = DataTable(id="payments-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Brand", "Card", "Expires", "Holder", "Added")
        for p in rows:
            table.add_row(plain(p.brand), plain(f"•••• {p.last4}"), plain(p.expiry), plain(p.holder or "—"),
                          plain(_day(p.added_at)))
        hint = "Delete removes one · " if self.app.actor.can(Permission.DELETE_PAYMENT) else ""
        return [table, Label(f"{hint}{source_note(source)}", classes="muted")]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "delete_payment":
            return self.app.actor.can(Permission.DELETE_PAYMENT) and bool(self.rows)
        return True

    def action_delete_payment(self) -> None:
        payment = self.current()
        if payment is None or self.view is None:
            return
        customer_id = self.view.id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete(customer_id, payment.id)

        self.app.push_screen(ConfirmModal(
            f"Delete the saved payment {data.payment_label(payment)} of {self.view.display_name}? "
            "The customer can no longer pay with it without giving the card again.", yes="Delete"), confirmed)

    @work(exclusive=True, thread=True, group="delete")
    def delete(self, customer_id: str, payment_id: str) -> None:
        try:
            gone = data.delete_saved_payment(self.app.services, self.app.actor, customer_id, payment_id)
        except (PermissionDenied, NotFound) as exc:
            self.app.call_from_thread(self.notify, f"Not deleted: {exc}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"Saved payment {data.payment_label(gone)} deleted.", markup=False)
        self.app.call_from_thread(self.screen.action_reload)  # the Activity tab shows it; the list again


#: the tabs, in the order the card shows them (after Orders)
PANES: tuple[type[DataPane], ...] = (StoresPane, CartsPane, PaymentsPane)


# -- a cart's or an order's lines (and shipments) --------------------------------------------------------

Loaded = tuple[list[ItemLine], list[Shipment], str, str]  # lines, shipments, currency, a note


class LinesModal(ModalScreen[None]):
    """The lines of a cart or an order, and an order's shipments; ``load`` runs in a thread."""

    BINDINGS = [Binding("escape", "dismiss", "Close", id="lines.close", tooltip="Back to the card")]
    DEFAULT_CSS = """
    LinesModal { align: center middle; }
    LinesModal > Vertical { width: 96%; height: auto; max-height: 92%; border: thick $primary; padding: 0 1;
                            background: $surface; }
    LinesModal #title { text-style: bold; }
    LinesModal #body { height: auto; }
    LinesModal DataTable { height: auto; max-height: 10; }
    LinesModal .section { text-style: bold; margin-top: 1; }
    LinesModal .muted { color: $text-muted; }
    """

    def __init__(self, title: str, load: Callable[[], Loaded], *, shipments: bool = False) -> None:
        super().__init__()
        self.title_text, self._load, self.with_shipments = title, load, shipments

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(plain(self.title_text), id="title")
            yield Vertical(Label(ASKING, classes="muted"), id="body")
            yield Static("esc close", classes="muted")

    def on_mount(self) -> None:
        self.fetch()

    @work(exclusive=True, thread=True)
    def fetch(self) -> None:
        got = self._load()
        self.app.call_from_thread(self._show, *got)

    def _show(self, lines: list[ItemLine], shipments: list[Shipment], currency: str, note: str) -> None:
        body = self.query_one("#body", Vertical)
        body.remove_children()
        parts: list = []
        if lines:
            table = DataTable(id="lines-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("Item", "SKU", "Qty", "Unit", "Total")
            for line in lines:
                table.add_row(plain(line.name), plain(line.sku), plain(line.quantity),
                              plain(money(line.unit_price_minor, currency)), plain(money(line.total_minor, currency)))
            total = money(sum(line.total_minor for line in lines), currency)
            items = sum(line.quantity for line in lines)
            parts += [table, Label(safe(f"{items} item{'s' if items != 1 else ''} · {total}"), classes="muted",
                                   markup=False)]
        else:
            parts.append(Label("No lines.", classes="muted"))
        if self.with_shipments:
            parts.append(Label("Shipments", classes="section"))
            if shipments:
                ships = DataTable(id="shipments-table", cursor_type="row", zebra_stripes=True)
                ships.add_columns("Carrier", "Tracking", "Status", "Shipped", "Delivered", "Items")
                for s in shipments:
                    ships.add_row(plain(s.carrier or "—"), plain(s.tracking or "—"), plain(s.status),
                                  plain(_day(s.shipped_at)), plain(_day(s.delivered_at)), plain(s.items))
                parts.append(ships)
            else:
                parts.append(Label("None: collected in a store, not shipped yet, or cancelled.", classes="muted"))
        if note:
            parts.append(Label(safe(note), classes="muted", markup=False))
        body.mount_all(parts)


def order_modal(app, customer_id: str, order) -> LinesModal:
    """Enter on the Orders tab: the order's lines and shipments, from headquarters (kept for offline)."""
    def load() -> Loaded:
        detail, source = data.order_detail(app.services, app.actor, customer_id, order.id)
        if detail is None:
            return [], [], order.currency, (
                "Headquarters is not reachable and this terminal kept no copy of this order's lines."
                if source == data.CACHE else source_note(source))
        return list(detail.lines), list(detail.shipments), detail.currency, source_note(source)

    title = f"Order {order.number} · {date_text(order.ordered_at)} · {order.store_code} · {order.status} · " \
            f"{amount_text(order.total, order.currency)}"
    return LinesModal(title, load, shipments=True)


__all__ = ["PANES", "DataPane", "StoresPane", "CartsPane", "PaymentsPane", "LinesModal", "order_modal",
           "source_note", "SOURCE_NOTES"]
