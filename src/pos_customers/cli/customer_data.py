"""`customers orders / order / stores / preferred-store / carts / payments / payment-delete`: what
headquarters holds about a customer besides the record, as the card's tabs show it.

Each list asks headquarters when the till is connected and falls back to the copy this till kept
(one line on stderr says which, as the tabs' notes do); `--json` prints the rows as the wire
carries them (money in minor units)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Optional

import typer
from ..domain.i18n import N_, _, ngettext, tr

from ..domain.enums import ORDER_STATUS_WORDS
from ..domain.formats import amount_text, date_text, phone_text
from ..domain.money import format_minor as money
from .common import DB_OPTION, _actor, _errors, _services, customers_app, fail, say

#: what the line on stderr says about where the rows came from (the card's tabs say the same)
SOURCES = {"headquarters": N_("from headquarters"),
           "cache": N_("headquarters is not reachable: the copy kept on this terminal"),
           "not connected": N_("not connected to headquarters: only what this terminal knows")}


def _source(source: str) -> str:
    return tr(SOURCES.get(source, source))


def _day(moment: Any) -> str:
    return date_text(moment) if moment else "—"


def _out(rows: list, as_json: bool, source: str, empty: str, lines) -> None:
    """Rows as JSON (models as the wire has them, dataclasses as their fields), or as lines; where
    they came from on stderr; none: ``empty`` on stderr, exit 1."""
    if as_json:
        docs = [r.model_dump(mode="json") if hasattr(r, "model_dump") else asdict(r) for r in rows]
        typer.echo(json.dumps(docs, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        say(f"{empty} ({_source(source)})", err=True)
        raise typer.Exit(1)
    for row in rows:
        for line in lines(row):
            say(line)
    say(_source(source), err=True)


def _customer(svc, ref: str):
    from ..services.customers import get_customer

    return get_customer(svc, _actor(), ref)


def _listed(db: Optional[str], ref: str, fetch) -> tuple[list, str]:
    """What ``fetch(svc, actor, customer_id)`` answers for the customer ``ref`` names, and where
    it came from (headquarters or the kept copy): the shape of every list command here."""
    svc = _services(db)
    with _errors():
        view = _customer(svc, ref)
        return fetch(svc, _actor(), view.id)


@customers_app.command("orders",
                       help=N_("The customer's orders, newest first: number, date, store, status, shipments, total."))
def customers_orders(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.sync import orders

    rows, source = _listed(db, ref, orders)
    _out(rows, as_json, source, _("no orders"), lambda o: [
        f"{o.number:<12} {date_text(o.ordered_at)} {o.store_code:<6} {tr(ORDER_STATUS_WORDS.get(o.status, o.status)):<12} "
        + ngettext("{n} shipment", "{n} shipments", o.shipments).format(n=o.shipments)
        + f"  {amount_text(o.total, o.currency)}"])


@customers_app.command("order", help=N_("One order's lines and shipments."))
def customers_order(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    number: str = typer.Argument(..., help=N_("The order's number (as `customers orders` lists it) or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customer_data import order_detail
    from ..services.sync import orders

    svc = _services(db)
    with _errors():
        view = _customer(svc, ref)
        listed, _where = orders(svc, _actor(), view.id)
        order = next((o for o in listed if number.strip().upper() in (o.number.upper(), o.id.upper())), None)
        if order is None:
            fail(_("no order {number} of {reference}: `customers orders {reference}` lists them")
                 .format(number=number, reference=view.reference_display), 1)
        detail, source = order_detail(svc, _actor(), view.id, order.id)
    if detail is None:
        fail(_("no lines of order {number} on this terminal ({source})").format(number=order.number,
                                                                               source=_source(source)), 1)
    if as_json:
        typer.echo(json.dumps(detail.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    say(_("order {number}").format(number=order.number)
        + f"  {date_text(order.ordered_at)}  {order.store_code}  {tr(ORDER_STATUS_WORDS.get(order.status, order.status))}"
        f"  {amount_text(order.total, order.currency)}")
    for line in detail.lines:
        say(f"  {line.quantity:>3} × {line.name[:34]:<34} {line.sku[:12]:<12}"
            f" {money(line.unit_price_minor, detail.currency):>12} {money(line.total_minor, detail.currency):>12}")
    if not detail.lines:
        say("  " + _("no lines"))
    for s in detail.shipments:
        say("  " + ngettext("shipment {carrier} {tracking}: {status}, shipped {shipped}, delivered {delivered}, "
                            "{n} item",
                            "shipment {carrier} {tracking}: {status}, shipped {shipped}, delivered {delivered}, "
                            "{n} items", s.items)
            .format(carrier=s.carrier or '—', tracking=s.tracking or '—', status=s.status,
                    shipped=_day(s.shipped_at), delivered=_day(s.delivered_at), n=s.items))
    if not detail.shipments:
        say("  " + _("no shipments: collected in a store, not shipped yet, or cancelled"))
    say(_source(source), err=True)


@customers_app.command("stores",
                       help=N_("The stores the customer uses (registered, bought, served), the preferred one first "
                               "(*), with address, phone and status from the chain's store directory."))
def customers_stores(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customer_data import customer_stores

    rows, source = _listed(db, ref, customer_stores)
    _out(rows, as_json, source, _("no store known"), lambda u: [
        f"{'*' if u.preferred else ' '} {u.code:<6} {u.name[:30]:<30} {u.status or '—':<18} {u.how}",
        f"  {'':<6} {u.address or '—'}{'  ' + phone_text(u.phone) if u.phone else ''}"])


@customers_app.command("preferred-store",
                       help=N_("Set the customer's preferred store (audited, sent to headquarters), or --clear it."))
def customers_preferred_store(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    code: Optional[str] = typer.Argument(None, help=N_("A store code of the chain's directory (see `customers stores`).")),
    clear: bool = typer.Option(False, "--clear", help=N_("The customer has no preferred store any more.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customer_data import set_preferred_store, store_directory

    if clear == bool(code):
        fail(_("give a store code, or --clear"), 2)
    svc = _services(db)
    with _errors():
        view = _customer(svc, ref)
        if not clear:
            store_directory(svc, _actor())  # the chain's stores, fresh where headquarters answers
        saved = set_preferred_store(svc, _actor(), view.id, "" if clear else code)
    say(_("{reference}: preferred store {store}").format(reference=saved.reference_display,
                                                         store=saved.preferred_store) if saved.preferred_store
        else _("{reference}: no preferred store").format(reference=saved.reference_display))


@customers_app.command("carts", help=N_("The customer's active carts, newest first, with their lines."))
def customers_carts(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON (with every cart's lines).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customer_data import carts

    rows, source = _listed(db, ref, carts)
    _out(rows, as_json, source, _("no active carts"), lambda c: [
        f"{c.store_code:<6} {c.name[:30]:<30} {c.type[:12]:<12} {_day(c.created_at)} "
        + ngettext("{n} item", "{n} items", c.items).format(n=f"{c.items:>3}")
        + f" {money(c.total_minor, c.currency):>12}",
        *(f"    {line.quantity:>3} × {line.name[:40]:<40} {money(line.total_minor, c.currency):>12}"
          for line in c.lines)])


@customers_app.command("payments",
                       help=N_("The customer's saved payments, newest first: brand, last four digits, expiry, "
                               "holder, added (never a card number: only the provider's token reference and the "
                               "last four digits exist)."))
def customers_payments(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customer_data import saved_payments

    rows, source = _listed(db, ref, saved_payments)
    _out(rows, as_json, source, _("no saved payments"), lambda p: [
        f"{p.brand[:12]:<12} •••• {p.last4}  " + _("expires {expiry}").format(expiry=p.expiry)
        + f"  {p.holder[:30] or '—':<30}  " + _("added {day}").format(day=_day(p.added_at)) + f"  id {p.id}"])


@customers_app.command("payment-delete",
                       help=N_("Delete one of the customer's saved payments (managers and administrators; audited, "
                               "sent to headquarters)."))
def customers_payment_delete(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    payment: str = typer.Argument(..., help=N_("The saved payment's id, or its last four digits when no other "
                                            "saved payment of the customer has them (see `customers payments`).")),
    yes: bool = typer.Option(False, "--yes", "-y", help=N_("Do not ask for confirmation.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.context import Permission
    from ..services.customer_data import delete_saved_payment, payment_label, saved_payments

    svc = _services(db)
    with _errors():
        actor = _actor()
        actor.require(Permission.DELETE_PAYMENT)  # refused before anything is asked or fetched
        view = _customer(svc, ref)
        rows, _where = saved_payments(svc, actor, view.id)
        chosen = [p for p in rows if payment.strip() in (p.id, p.last4)]
        if not chosen:
            fail(_("no saved payment {payment} of {reference}: `customers payments {reference}` lists them")
                 .format(payment=payment, reference=view.reference_display), 1)
        if len(chosen) > 1:
            fail(_("{n} saved payments end in {payment}: give the id (`customers payments {reference}` lists them)")
                 .format(n=len(chosen), payment=payment, reference=view.reference_display), 2)
        if not yes and not typer.confirm(_("Delete the saved payment {payment} of {name}?").format(
                payment=tr(payment_label(chosen[0])), name=view.display_name), default=False):
            fail(_("nothing deleted"), 1)
        gone = delete_saved_payment(svc, actor, view.id, chosen[0].id)
    say(_("deleted the saved payment {payment} of {reference}; headquarters gets it with the next sync")
        .format(payment=tr(payment_label(gone)), reference=view.reference_display))
