"""`customers credit / credit-add / credit-correct`: a customer's store credit (services/credit.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from ..domain.formats import datetime_text
from .common import DB_OPTION, _actor, _errors, _services, customers_app, fail, say


#: where the balance came from, in a word (the card's tab says the same at more length)
SOURCES = {"headquarters": N_("headquarters"), "cache": N_("kept copy"), "not connected": N_("not connected")}
#: what moved the credit (domain.enums.CreditKind), as a person reads it
KINDS = {"added": N_("added"), "refunded": N_("refunded"), "used": N_("used"), "expired": N_("expired"),
         "corrected": N_("corrected")}


def _kind(kind) -> str:
    return tr(KINDS.get(kind.value, kind.value))


def _when(moment) -> str:
    return datetime_text(moment) if moment else "—"


@customers_app.command("credit",
                       help=N_("The customer's store credit: balance per currency (as of when headquarters gave "
                               "it), the movements queued here, and the history."))
def customers_credit(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..domain.credit import signed
    from ..domain.money import format_minor
    from ..domain.text import shown
    from ..services.credit import credit_account
    from ..services.customers import get_customer

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        acct = credit_account(svc, _actor(), view.id)
    if as_json:
        typer.echo(json.dumps({
            "customer_id": acct.customer_id, "as_of": acct.as_of.isoformat() if acct.as_of else None,
            "source": acct.source, "balances": [asdict(x) | {"expected_minor": x.expected_minor} for x in acct.lines],
            "pending": [asdict(p) | {"queued_at": p.queued_at.isoformat()} for p in acct.pending],
            "movements": [m.model_dump(mode="json") for m in acct.movements]}, ensure_ascii=False, indent=2))
        return
    balance = ", ".join(format_minor(x.balance_minor, x.currency) for x in acct.lines) or _("none")
    when = _("as of {moment}").format(moment=_when(acct.as_of)) if acct.as_of else _("headquarters not asked yet")
    source = tr(SOURCES.get(acct.source, acct.source))
    say(f"{view.display_name}  [{view.reference_display}]  "
        + _("store credit: {balance} ({when}, {source})").format(balance=balance, when=when, source=source))
    for x in acct.lines:
        if x.queued_minor:
            say("  " + _("queued here: {amount} -> {expected}").format(
                amount=signed(x.queued_minor, x.currency), expected=format_minor(x.expected_minor, x.currency)))
    for p in acct.pending:
        state = _("REFUSED: {reason}").format(reason=shown(tr(p.parked_reason))) if p.parked else _("queued")
        say(f"  {_when(p.queued_at)}  {_kind(p.kind):<10} {signed(p.amount_minor, p.currency):>14}  "
            f"{'':>14}  {shown(p.reason)} · {shown(p.by)} ({state})")
    for m in acct.movements:
        say(f"  {_when(m.at)}  {_kind(m.kind):<10} {signed(m.amount_minor, m.currency):>14}  "
            f"{format_minor(m.balance_minor, m.currency):>14}  {shown(m.reason) or '—'} · {shown(m.by) or '—'}")


def _move(ref: str, kind: str, amount: str, reason: str, currency: str, db: Optional[str]) -> None:
    from ..domain.credit import parse_signed, signed
    from ..domain.errors import FieldProblem
    from ..domain.money import format_minor
    from ..services.credit import credit_account, currency_for, move_credit
    from ..services.customers import get_customer

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        code = (currency or "").strip().upper() or currency_for(svc, view.currency)
        try:
            minor = parse_signed(amount, code)
        except FieldProblem as exc:
            fail(_("amount: {problem}").format(problem=tr(exc)), 2)
        credit_account(svc, _actor(), view.id)  # headquarters' balance, fresh where it can be
        moved = move_credit(svc, _actor(), view.id, kind=kind, amount_minor=minor, reason=reason, currency=code)
        expected = credit_account(svc, _actor(), view.id).line(code).expected_minor
    say(_("{reference}: store credit {amount} queued for headquarters (balance to expect: {expected})").format(
        reference=view.reference_display, amount=signed(moved.amount_minor, moved.currency),
        expected=format_minor(expected, code)))


@customers_app.command("credit-add",
                       help=N_("Add store credit (managers): queued for headquarters, applied there once."))
def customers_credit_add(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    amount: str = typer.Argument(..., help=N_("Amount to add, e.g. 25.00.")),
    reason: str = typer.Option(..., "--reason", help=N_("Why (kept with the movement).")),
    currency: str = typer.Option("", "--currency", help=N_("Currency code; default: the customer's, else the store's.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    _move(ref, "added", amount, reason, currency, db)


@customers_app.command("credit-correct",
                       help=N_("Correct store credit either way (managers); never below zero."))
def customers_credit_correct(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    amount: str = typer.Argument(..., metavar="AMOUNT", help=N_("Signed amount, e.g. -5.00 or +2.50 (options first, "
                                                             "then -- before a negative one: credit-correct "
                                                             "--reason 'Counted twice' REF -- -5.00).")),
    reason: str = typer.Option(..., "--reason", help=N_("Why (kept with the movement).")),
    currency: str = typer.Option("", "--currency", help=N_("Currency code; default: the customer's, else the store's.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    _move(ref, "corrected", amount, reason, currency, db)
