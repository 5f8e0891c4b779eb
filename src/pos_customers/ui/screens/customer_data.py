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
from ...domain.i18n import N_, _, ngettext, tr
from ...services import customer_data as data
from ...services.context import NotFound, Permission, PermissionDenied
from ...services.views import CustomerView
from ..widgets.footer import keys_as_shown
from ..text import plain, safe
from .dialogs import ConfirmModal

#: what the line under a tab says about where its rows came from (the Orders tab says it too)
SOURCE_NOTES = {
    data.HEADQUARTERS: N_("From headquarters."),
    data.CACHE: N_("Headquarters is not reachable: showing the copy kept on this terminal."),
    data.NOT_CONNECTED: N_("Not connected to headquarters: only what this terminal knows."),
}
ASKING = N_("Asking headquarters…")

#: the codes of the closed vocabularies (domain/enums.py) as the card shows them, in words
CODE_WORDS = {
    "person": N_("person"), "organization": N_("organization"), "active": N_("active"), "blocked": N_("blocked"),
    "registered": N_("registered"), "guest": N_("guest"), "pending": N_("pending"), "synced": N_("synced"),
    "conflict": N_("conflict"), "local": N_("local"), "kept": N_("kept"), "taken": N_("taken"),
    "print": N_("print"), "both": N_("print and email"), "none": N_("none"),
    "email": N_("email"), "phone": N_("phone"), "personal": N_("personal"), "work": N_("work"),
    "other": N_("other"), "mobile": N_("mobile"), "home": N_("home"), "fax": N_("fax"),
    "open": N_("open"), "closed": N_("closed"),  # a store's status in the directory
}


def word(code: object) -> str:
    """A code of a closed vocabulary in the reader's language; anything else (data) as it is."""
    text = "" if code is None else str(code)
    return tr(CODE_WORDS[text]) if text in CODE_WORDS else text


def problems(exc: BaseException) -> str:
    """What a refusal says, in the reader's language: each field's problem of a ValidationFailed,
    else the exception's message."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(tr(e.message) for e in exc.errors)
    return tr(exc)


def store_use(u: data.StoreUse) -> str:
    """How the customer uses a store, in words (the Stores tab's "Customer here")."""
    parts = ([_("registered")] if u.registered else []) + (
        [ngettext("{n} order", "{n} orders", u.orders).format(n=u.orders)] if u.orders else []) + (
        [_("served {n}×").format(n=u.served)] if u.served else [])
    return ", ".join(parts) or _("preferred")


def source_note(source: str) -> str:
    return tr(SOURCE_NOTES[source]) if source in SOURCE_NOTES else ""


def _day(moment: Any) -> str:
    return date_text(moment) if moment else "—"


class DataPane(TabPane):
    """A tab of the card filled from headquarters (or the kept copy) in a thread worker."""

    TITLE = ""
    PANE_ID = ""
    AFTER_ORDERS = False  # True: the card shows it once the Orders tab's answer is kept (it reads them)
    #: the tab's own keys: the card binds them (tab_bindings), so they work whenever this tab is
    #: shown, wherever the focus is on the card (the tab strip, the table), and the footer and F1 list them
    TAB_KEYS: list[Binding] = []
    DEFAULT_CSS = """
    DataPane DataTable { height: auto; max-height: 100%; }
    DataPane .muted { width: 1fr; color: $text-muted; padding: 0 1; }
    DataPane .section { text-style: bold; margin-top: 1; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(tr(self.TITLE), id=self.PANE_ID)
        self.view: CustomerView | None = None
        self.rows: list[Any] = []

    def show(self, view: CustomerView) -> None:
        """The card read (or read again) this customer: ask for the tab's rows."""
        self.view = view
        if not self.rows:
            self._fill([Label(tr(ASKING), classes="muted")])
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

    TITLE, PANE_ID = N_("Stores"), "tab-stores"
    AFTER_ORDERS = True
    TAB_KEYS = [Binding("p", "preferred", N_("Preferred store"), id="card.preferred_store",
                        tooltip=N_("Stores tab: make the store under the cursor the preferred one (again: clear it)"))]

    def fetch(self, customer_id: str):
        return data.customer_stores(self.app.services, self.app.actor, customer_id, refresh_orders=False)

    def render_rows(self, rows, source):
        if not rows:
            return [Label(" ".join((_("No store known."), source_note(source))), classes="muted", markup=False)]
        table = DataTable(id="stores-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("★", _("Store · address"), _("Phone · status"), _("Customer here"))
        for u in rows:  # two lines a store: 80 columns hold them
            # what is not known says so in words (a till not connected knows its stores' names only)
            status = word(u.status) if u.status else _("status not known")
            phone = phone_text(u.phone) or _("no phone")  # (a call inside an f-string is not extracted)
            table.add_row("★" if u.preferred else "",
                          plain(f"{u.code} {u.name}".strip() + "\n" + (u.address or _("address not known")),
                                multiline=True),
                          plain(f"{phone}\n{status}", multiline=True),
                          plain(store_use(u)), height=2)
        return [table, Label(" · ".join((_("p preferred store"), source_note(source))), classes="muted",
                             markup=False)]

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
            self.app.call_from_thread(self.notify, _("Not changed: {reason}").format(reason=problems(exc)),
                                      severity="error", markup=False)
            return
        said = _("Preferred store: {code}").format(code=code) if code else _("No preferred store")
        self.app.call_from_thread(self.notify, said, markup=False)
        self.app.call_from_thread(self.screen.action_reload)  # the card reads the customer again


class CartsPane(DataPane):
    """Carts the customer filled and has not ordered yet; Enter shows a cart's lines."""

    TITLE, PANE_ID = N_("Active carts"), "tab-carts"

    def fetch(self, customer_id: str):
        return data.carts(self.app.services, self.app.actor, customer_id)

    def render_rows(self, rows, source):
        if not rows:
            return [Label(" ".join((_("No active carts."), source_note(source))), classes="muted", markup=False)]
        table = DataTable(id="carts-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Scope"), _("Name"), _("Type"), _("Created"), _("Items"), _("Total"))
        for c in rows:
            table.add_row(plain(c.store_code), plain(c.name), plain(c.type), plain(_day(c.created_at)),
                          plain(c.items), plain(money(c.total_minor, c.currency)))
        hint = _("⏎ the cart's lines")
        return [table, Label(f"{hint} · {source_note(source)}", classes="muted", markup=False)]

    @on(DataTable.RowSelected, "#carts-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        cart: Cart | None = self.current()
        if cart is not None:
            title = f"{cart.name} · {cart.store_code} · {cart.type} · {_day(cart.created_at)}"
            self.app.push_screen(LinesModal(title, lambda: (list(cart.lines), [], cart.currency, "")))


class PaymentsPane(DataPane):
    """Saved payments: brand, last four digits, expiry, holder, added. Managers delete one."""

    TITLE, PANE_ID = N_("Saved payments"), "tab-payments"
    TAB_KEYS = [Binding("delete", "delete_payment", N_("Delete payment"), id="card.delete_payment",
                        tooltip=N_("Saved payments tab: delete the saved payment under the cursor, after asking "
                                "(managers)"))]

    def fetch(self, customer_id: str):
        return data.saved_payments(self.app.services, self.app.actor, customer_id)

    def render_rows(self, rows, source):
        if not rows:
            return [Label(" ".join((_("No saved payments."), source_note(source))), classes="muted", markup=False)]
        table = DataTable(id="payments-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Brand"), _("Card"), _("Expires"), _("Holder"), _("Added"))
        for p in rows:
            table.add_row(plain(p.brand), plain(f"•••• {p.last4}"), plain(p.expiry), plain(p.holder or "—"),
                          plain(_day(p.added_at)))
        hint = _("delete removes one") + " · " if self.app.actor.can(Permission.DELETE_PAYMENT) else ""
        return [table, Label(f"{hint}{source_note(source)}", classes="muted", markup=False)]

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
            _("Delete the saved payment {payment} of {name}? The customer can no longer pay with it without giving "
              "the card again.").format(payment=data.payment_label(payment), name=self.view.display_name),
            yes=_("Delete"), no=_("No")), confirmed)

    @work(exclusive=True, thread=True, group="delete")
    def delete(self, customer_id: str, payment_id: str) -> None:
        try:
            gone = data.delete_saved_payment(self.app.services, self.app.actor, customer_id, payment_id)
        except (PermissionDenied, NotFound) as exc:
            self.app.call_from_thread(self.notify, _("Not deleted: {reason}").format(reason=problems(exc)),
                                      severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, _("Saved payment {payment} deleted.").format(
            payment=data.payment_label(gone)), markup=False)
        self.app.call_from_thread(self.screen.action_reload)  # the Activity tab shows it; the list again


#: the tabs, in the order the card shows them (after Orders)
PANES: tuple[type[DataPane], ...] = (StoresPane, CartsPane, PaymentsPane)


def tab_bindings(panes: tuple[type[DataPane], ...]) -> list[Binding]:
    """Each pane's TAB_KEYS as the card's own bindings: ``tab_key(pane id, action)`` runs the
    pane's action while that tab is the one shown (CustomerScreen.check_action says when)."""
    return [Binding(b.key, f"tab_key('{pane.PANE_ID}', '{b.action}')", b.description, id=b.id, tooltip=b.tooltip,
                    show=b.show) for pane in panes for b in pane.TAB_KEYS]


# -- a cart's or an order's lines (and shipments) --------------------------------------------------------

Loaded = tuple[list[ItemLine], list[Shipment], str, str]  # lines, shipments, currency, a note


class LinesModal(ModalScreen[None]):
    """The lines of a cart or an order, and an order's shipments; ``load`` runs in a thread."""

    BINDINGS = [Binding("escape", "dismiss", N_("Close"), id="lines.close", tooltip=N_("Back to the card"))]
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
            yield Vertical(Label(tr(ASKING), classes="muted"), id="body")
            yield Static(keys_as_shown(_("esc close")), classes="muted", markup=False)

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
            table.add_columns(_("Item"), _("SKU"), _("Qty"), _("Unit"), _("Total"))
            for line in lines:
                table.add_row(plain(line.name), plain(line.sku), plain(line.quantity),
                              plain(money(line.unit_price_minor, currency)), plain(money(line.total_minor, currency)))
            total = money(sum(line.total_minor for line in lines), currency)
            items = sum(line.quantity for line in lines)
            counted = ngettext("{n} item · {total}", "{n} items · {total}", items).format(n=items, total=total)
            parts += [table, Label(safe(counted), classes="muted", markup=False)]
        else:
            parts.append(Label(_("No lines."), classes="muted"))
        if self.with_shipments:
            parts.append(Label(_("Shipments"), classes="section"))
            if shipments:
                ships = DataTable(id="shipments-table", cursor_type="row", zebra_stripes=True)
                ships.add_columns(_("Carrier"), _("Tracking"), _("Status"), _("Shipped"), _("Delivered"), _("Items"))
                for s in shipments:
                    ships.add_row(plain(s.carrier or "—"), plain(s.tracking or "—"), plain(s.status),
                                  plain(_day(s.shipped_at)), plain(_day(s.delivered_at)), plain(s.items))
                parts.append(ships)
            else:
                parts.append(Label(_("None: collected in a store, not shipped yet, or cancelled."), classes="muted"))
        if note:
            parts.append(Label(safe(note), classes="muted", markup=False))
        body.mount_all(parts)


def order_modal(app, customer_id: str, order) -> LinesModal:
    """Enter on the Orders tab: the order's lines and shipments, from headquarters (kept for offline)."""
    def load() -> Loaded:
        detail, source = data.order_detail(app.services, app.actor, customer_id, order.id)
        if detail is None:
            return [], [], order.currency, (
                _("Headquarters is not reachable and this terminal kept no copy of this order's lines.")
                if source == data.CACHE else source_note(source))
        return list(detail.lines), list(detail.shipments), detail.currency, source_note(source)

    title = _("Order {number}").format(number=order.number) + \
        f" · {date_text(order.ordered_at)} · {order.store_code} · {order.status} · " \
        f"{amount_text(order.total, order.currency)}"
    return LinesModal(title, load, shipments=True)


__all__ = ["PANES", "DataPane", "StoresPane", "CartsPane", "PaymentsPane", "LinesModal", "order_modal",
           "source_note", "SOURCE_NOTES", "CODE_WORDS", "word", "problems"]
