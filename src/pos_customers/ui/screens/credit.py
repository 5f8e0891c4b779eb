"""The card's Store credit tab: the balance in each currency as of when headquarters gave it, the
movements queued here (and any headquarters refused), and the history; managers add or correct
credit with a reason (g), offline too (services/credit.py)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Select, Static

from ...domain.credit import CreditKind, parse_signed, signed
from ...domain.errors import FieldProblem, ValidationFailed
from ...domain.formats import datetime_text, number_example
from ...domain.i18n import N_, Msg, _, tr
from ...domain.money import format_minor
from ...services import credit as store_credit
from ...services.context import NotFound, Permission, PermissionDenied
from ..widgets.footer import keys_as_shown
from ..text import plain, safe
from ..widgets.text_input import TextInput
from .customer_data import DataPane, problems, source_note

KIND_TEXT = {CreditKind.ADDED: N_("added"), CreditKind.REFUNDED: N_("refund"), CreditKind.USED: N_("used in sale"),
             CreditKind.EXPIRED: N_("expired"), CreditKind.CORRECTED: N_("correction")}


def _when(moment: Any) -> str:
    return datetime_text(moment) if moment else "—"


class CreditPane(DataPane):
    """Store credit: balance, queued and refused movements, history (newest first)."""

    TITLE, PANE_ID = N_("Store credit"), "tab-credit"
    TAB_KEYS = [Binding("c", "move_credit", N_("Add/correct credit"), id="card.credit",
                        tooltip=N_("Store credit tab: add or correct the customer's store credit, with a reason "
                                   "(managers)"))]

    def fetch(self, customer_id: str):
        view = store_credit.credit_account(self.app.services, self.app.actor, customer_id)
        return [view], view.source

    def render_rows(self, rows, source):
        view: store_credit.CreditView = rows[0]
        if view.lines:
            balance = " · ".join(format_minor(x.balance_minor, x.currency) for x in view.lines)
        else:
            balance = _("none")
        if view.as_of:
            said = _("Balance: {balance} (as of {when})").format(balance=balance, when=_when(view.as_of))
        else:
            said = _("Balance: {balance} (headquarters not asked yet)").format(balance=balance)
        parts: list = [Label(safe(said), id="credit-balance", classes="section", markup=False)]
        queued = [x for x in view.lines if x.queued_minor]
        if queued:
            parts.append(Label(safe(_("Queued here: {amounts}").format(amounts=" · ".join(
                f"{signed(x.queued_minor, x.currency)} → {format_minor(x.expected_minor, x.currency)}"
                for x in queued))), classes="muted", markup=False))
        table = DataTable(id="credit-table", cursor_type="row", zebra_stripes=True)
        # who before the reason: at 80 columns a long reason is what gets cut, never the number
        table.add_columns(_("When"), _("Movement"), _("Amount"), _("Balance"), _("By"), _("Reason"))
        for p in view.pending:
            state = _("REFUSED") if p.parked else _("sent") if p.sent else _("queued")
            table.add_row(plain(_when(p.queued_at)), plain(f"{tr(KIND_TEXT[p.kind])} ({state})"),
                          plain(signed(p.amount_minor, p.currency)), plain("—"), plain(p.by or "—"),
                          plain(tr(p.parked_reason) if p.parked else p.reason))
        for m in view.movements:
            table.add_row(plain(_when(m.at)), plain(tr(KIND_TEXT[m.kind])), plain(signed(m.amount_minor, m.currency)),
                          plain(format_minor(m.balance_minor, m.currency)), plain(m.by or "—"),
                          plain(m.reason or "—"))
        parts.append(table)
        if not view.pending and not view.movements:
            parts.append(Label(_("No store credit movements."), classes="muted"))
        hint = _("c add or correct") + " · " if self.app.actor.can(Permission.MOVE_CREDIT) else ""
        parts.append(Label(f"{hint}{source_note(source)}", classes="muted", markup=False))
        return parts

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "move_credit":
            return (self.app.actor.can(Permission.MOVE_CREDIT) and self.view is not None
                    and self.view.anonymized_at is None)
        return True

    def action_move_credit(self) -> None:
        if self.view is None:
            return
        view = self.view
        currency = store_credit.currency_for(self.app.services, view.currency)
        # the balance a movement is checked against (services/credit.py), not the one shown when the tab loaded
        balance = store_credit.balance_here(self.app.services, view.id, currency)

        def saved(done: bool | None) -> None:
            if done:
                self.load(view.id)
                self.screen.action_reload()  # the Activity tab shows the movement

        self.app.push_screen(CreditModal(view.id, view.display_name, currency, balance), saved)


class CreditModal(ModalScreen[bool]):
    """Add or correct store credit: kind, amount (a correction may be negative), currency, reason."""

    BINDINGS = [
        Binding("escape", "dismiss(False)", N_("Cancel"), id="credit.cancel",
                tooltip=N_("Back to the card; nothing is saved")),
        Binding("ctrl+s", "save", N_("Save"), id="credit.save", tooltip=N_("Queue the movement for headquarters")),
    ]
    DEFAULT_CSS = """
    CreditModal { align: center middle; }
    CreditModal > Vertical { width: 70; max-width: 98%; height: auto; border: thick $primary; padding: 0 1;
                             background: $surface; }
    CreditModal #credit-title { text-style: bold; }
    CreditModal Horizontal { height: auto; }
    CreditModal #credit-amount { width: 1fr; }
    CreditModal #credit-currency { width: 12; }
    CreditModal #credit-error { color: $error; height: auto; }
    CreditModal .muted { color: $text-muted; }
    """

    def __init__(self, customer_id: str, name: str, currency: str, balance_minor: int) -> None:
        super().__init__()
        self.customer_id, self.customer_name, self.currency, self.balance_minor = (customer_id, name, currency,
                                                                                   balance_minor)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe(_("Store credit of {name}: {balance}").format(
                name=self.customer_name, balance=format_minor(self.balance_minor, self.currency))),
                id="credit-title", markup=False)
            yield Select([(_("Add credit"), CreditKind.ADDED.value),
                          (_("Correct (+ or −)"), CreditKind.CORRECTED.value)],
                         value=CreditKind.ADDED.value, allow_blank=False, id="credit-kind")
            with Horizontal():
                # written the store's way (25,00 in de), as the field reads it
                yield TextInput(placeholder=_("Amount, e.g. {example} (a correction: {correction})").format(
                    example=number_example("25.00"), correction="-" + number_example("5.00")), id="credit-amount")
                # letters only: a currency code like EUR (checked again when saving)
                yield TextInput(value=self.currency, max_length=3, restrict=r"[A-Za-z]*", id="credit-currency")
            yield TextInput(placeholder=_("Reason (kept with the movement)"), max_length=200, id="credit-reason")
            yield Static("", id="credit-error", markup=False)
            yield Label(keys_as_shown(_("Enter or ctrl+s saves · Esc cancels")), classes="muted", markup=False)

    def on_mount(self) -> None:
        self.query_one("#credit-amount", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.input.remove_class("-invalid")

    def _at_field(self, field: str, text: str) -> None:
        """Say what is wrong, with the field marked and focused."""
        box = self.query_one(f"#credit-{field}", Input)
        box.add_class("-invalid")
        box.focus()
        self._error(text)

    def action_save(self) -> None:
        currency = self.query_one("#credit-currency", Input).value.strip().upper() or self.currency
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            self._at_field("currency", tr(Msg("'{code}' is not a currency code like EUR", code=currency)))
            return
        try:
            amount = parse_signed(self.query_one("#credit-amount", Input).value, currency)
        except FieldProblem as exc:
            self._at_field("amount", tr(exc))
            return
        kind = str(self.query_one("#credit-kind", Select).value)
        if kind == CreditKind.ADDED.value and amount < 0:
            self._error(_("A negative amount is a correction: choose Correct above (shift+tab)."))
            return
        self.save(kind, amount, currency,
                  self.query_one("#credit-reason", Input).value)

    def _error(self, text: str) -> None:
        self.query_one("#credit-error", Static).update(safe(text))

    @work(exclusive=True, thread=True, group="credit")
    def save(self, kind: str, amount: int, currency: str, reason: str) -> None:
        try:
            moved = store_credit.move_credit(self.app.services, self.app.actor, self.customer_id, kind=kind,
                                             amount_minor=amount, currency=currency, reason=reason)
        except (ValidationFailed, PermissionDenied, NotFound) as exc:
            self.app.call_from_thread(self._error, problems(exc))
            return
        self.app.call_from_thread(self.notify, _("Store credit {amount} queued for headquarters.").format(
            amount=signed(moved.amount_minor, moved.currency)), markup=False)
        self.app.call_from_thread(self.dismiss, True)


__all__ = ["CreditPane", "CreditModal"]
