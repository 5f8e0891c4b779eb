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

from ..domain.formats import amount_text, date_text, phone_text
from ..domain.money import format_minor as money
from .common import DB_OPTION, _actor, _errors, _services, customers_app, fail, say

#: what the line on stderr says about where the rows came from (the card's tabs say the same)
SOURCES = {"headquarters": "from headquarters",
           "cache": "headquarters is not reachable: the copy kept on this terminal",
           "not connected": "not connected to headquarters: only what this terminal knows"}


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
        say(f"{empty} ({SOURCES.get(source, source)})", err=True)
        raise typer.Exit(1)
    for row in rows:
        for line in lines(row):
            say(line)
    say(SOURCES.get(source, source), err=True)


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


@customers_app.command("orders")
def customers_orders(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """The customer's orders, newest first: number, date, store, status, shipments, total."""
    from ..services.sync import orders

    rows, source = _listed(db, ref, orders)
    _out(rows, as_json, source, "no orders", lambda o: [
        f"{o.number:<12} {date_text(o.ordered_at)} {o.store_code:<6} {o.status:<12}"
        f" {o.shipments} shipment{'s' if o.shipments != 1 else ''}  {amount_text(o.total, o.currency)}"])


@customers_app.command("order")
def customers_order(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    number: str = typer.Argument(..., help="The order's number (as `customers orders` lists it) or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """One order's lines and shipments."""
    from ..services.customer_data import order_detail
    from ..services.sync import orders

    svc = _services(db)
    with _errors():
        view = _customer(svc, ref)
        listed, _ = orders(svc, _actor(), view.id)
        order = next((o for o in listed if number.strip().upper() in (o.number.upper(), o.id.upper())), None)
        if order is None:
            fail(f"no order {number} of {view.reference_display}: `customers orders {view.reference_display}`"
                 " lists them", 1)
        detail, source = order_detail(svc, _actor(), view.id, order.id)
    if detail is None:
        fail(f"no lines of order {order.number} on this terminal ({SOURCES.get(source, source)})", 1)
    if as_json:
        typer.echo(json.dumps(detail.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    say(f"order {order.number}  {date_text(order.ordered_at)}  {order.store_code}  {order.status}"
        f"  {amount_text(order.total, order.currency)}")
    for line in detail.lines:
        say(f"  {line.quantity:>3} × {line.name[:34]:<34} {line.sku[:12]:<12}"
            f" {money(line.unit_price_minor, detail.currency):>12} {money(line.total_minor, detail.currency):>12}")
    if not detail.lines:
        say("  no lines")
    for s in detail.shipments:
        say(f"  shipment {s.carrier or '—'} {s.tracking or '—'}: {s.status}, shipped {_day(s.shipped_at)},"
            f" delivered {_day(s.delivered_at)}, {s.items} item{'s' if s.items != 1 else ''}")
    if not detail.shipments:
        say("  no shipments: collected in a store, not shipped yet, or cancelled")
    say(SOURCES.get(source, source), err=True)


@customers_app.command("stores")
def customers_stores(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """The stores the customer uses (registered, bought, served), the preferred one first (*), with
    address, phone and status from the chain's store directory."""
    from ..services.customer_data import customer_stores

    rows, source = _listed(db, ref, customer_stores)
    _out(rows, as_json, source, "no store known", lambda u: [
        f"{'*' if u.preferred else ' '} {u.code:<6} {u.name[:30]:<30} {u.status or '—':<18} {u.how}",
        f"  {'':<6} {u.address or '—'}{'  ' + phone_text(u.phone) if u.phone else ''}"])


@customers_app.command("preferred-store")
def customers_preferred_store(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    code: Optional[str] = typer.Argument(None, help="A store code of the chain's directory (see `customers stores`)."),
    clear: bool = typer.Option(False, "--clear", help="The customer has no preferred store any more."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """Set the customer's preferred store (audited, sent to headquarters), or --clear it."""
    from ..services.customer_data import set_preferred_store, store_directory

    if clear == bool(code):
        fail("give a store code, or --clear", 2)
    svc = _services(db)
    with _errors():
        view = _customer(svc, ref)
        if not clear:
            store_directory(svc, _actor())  # the chain's stores, fresh where headquarters answers
        saved = set_preferred_store(svc, _actor(), view.id, "" if clear else code)
    say(f"{saved.reference_display}: preferred store {saved.preferred_store}" if saved.preferred_store
        else f"{saved.reference_display}: no preferred store")


@customers_app.command("carts")
def customers_carts(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with every cart's lines)."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """The customer's active carts, newest first, with their lines."""
    from ..services.customer_data import carts

    rows, source = _listed(db, ref, carts)
    _out(rows, as_json, source, "no active carts", lambda c: [
        f"{c.store_code:<6} {c.name[:30]:<30} {c.type[:12]:<12} {_day(c.created_at)}"
        f" {c.items:>3} item{'s' if c.items != 1 else ' '} {money(c.total_minor, c.currency):>12}",
        *(f"    {line.quantity:>3} × {line.name[:40]:<40} {money(line.total_minor, c.currency):>12}"
          for line in c.lines)])


@customers_app.command("payments")
def customers_payments(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """The customer's saved payments, newest first: brand, last four digits, expiry, holder, added
    (never a card number: only the provider's token reference and the last four digits exist)."""
    from ..services.customer_data import saved_payments

    rows, source = _listed(db, ref, saved_payments)
    _out(rows, as_json, source, "no saved payments", lambda p: [
        f"{p.brand[:12]:<12} •••• {p.last4}  expires {p.expiry}  {p.holder[:30] or '—':<30}"
        f" added {_day(p.added_at)}  id {p.id}"])


@customers_app.command("payment-delete")
def customers_payment_delete(
    ref: str = typer.Argument(..., help="Customer reference or id."),
    payment: str = typer.Argument(..., help="The saved payment's id, or its last four digits when no other "
                                            "saved payment of the customer has them (see `customers payments`)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    db: Optional[str] = DB_OPTION,
) -> None:
    """Delete one of the customer's saved payments (managers and administrators; audited, sent to
    headquarters)."""
    from ..services.context import Permission
    from ..services.customer_data import delete_saved_payment, payment_label, saved_payments

    svc = _services(db)
    with _errors():
        actor = _actor()
        actor.require(Permission.DELETE_PAYMENT)  # refused before anything is asked or fetched
        view = _customer(svc, ref)
        rows, _ = saved_payments(svc, actor, view.id)
        chosen = [p for p in rows if payment.strip() in (p.id, p.last4)]
        if not chosen:
            fail(f"no saved payment {payment} of {view.reference_display}: `customers payments "
                 f"{view.reference_display}` lists them", 1)
        if len(chosen) > 1:
            fail(f"{len(chosen)} saved payments end in {payment}: give the id (`customers payments "
                 f"{view.reference_display}` lists them)", 2)
        if not yes and not typer.confirm(f"Delete the saved payment {payment_label(chosen[0])} of "
                                         f"{view.display_name}?", default=False):
            fail("nothing deleted", 1)
        gone = delete_saved_payment(svc, actor, view.id, chosen[0].id)
    say(f"deleted the saved payment {payment_label(gone)} of {view.reference_display};"
        " headquarters gets it with the next sync")
