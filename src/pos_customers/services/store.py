"""The store this terminal belongs to, its settings and its default-customer template."""

from __future__ import annotations

import uuid

from sqlmodel import select

from ..domain.enums import EventKind
from ..domain import template as domain_template
from ..domain.errors import FieldError, FieldProblem, ValidationFailed
from ..domain.reference import MAX_STORE, MAX_TERMINAL
from ..domain.validation import clean_country, clean_currency, clean_language, clean_text
from ..domain.i18n import Msg
from ..storage.tables import Setting, Store, StoreTemplate
from .context import Actor, Permission, Services
from .reference_data import load_reference_data
from .store_info import StoreInfo, store_info
# what a customer's save reads of the store (plain SQL): here too for the screens that show them
from .store_rules import attribute_defs, group_dimensions, purpose_rules, template_of  # noqa: F401
from .terminal import LEGACY_TERMINAL, has_terminal_number, set_terminal_number


def init_store(svc: Services, actor: Actor, *, code: str, number: int, name: str, country: str,
               currency: str, language: str, region: str = "",
               template: domain_template.StoreTemplate | None = None,
               terminal: int | None = None) -> StoreInfo:
    """Set this database up as a store's terminal (idempotent for the same store).

    ``terminal`` is this till's number in its store (1..64, part of every reference it issues);
    None keeps the number a database already has, and makes a new one till 1."""
    errors: list[FieldError] = []

    def run(field, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except FieldProblem as exc:
            errors.append(FieldError(field, exc.args[0]))

    code = (code or "").strip().upper()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 32:
        errors.append(FieldError("code", Msg("Store code must be 1-32 letters, digits, - or _")))
    if not 1 <= int(number) <= MAX_STORE:
        errors.append(FieldError("number", Msg("Store number must be between 1 and {most}", most=MAX_STORE)))
    if terminal is not None and not 1 <= int(terminal) <= MAX_TERMINAL:
        errors.append(FieldError("terminal", Msg("Terminal number must be between 1 and {most}",
                                                 most=MAX_TERMINAL)))
    name = run("name", clean_text, name, max_len=120, required=True, what=Msg("Store name"))
    country = run("country", clean_country, country)
    currency = run("currency", clean_currency, currency)
    language = run("language", clean_language, language)
    if errors:
        raise ValidationFailed(errors)
    with svc.change(actor, Permission.CONFIGURE_STORE, store_code=code) as tx:
        s = tx.session
        load_reference_data(s)
        current = s.get(Setting, "store_code")
        if current and current.value != code:
            raise ValidationFailed(FieldError(
                "code", Msg("this database already belongs to store {store}", store=current.value)))
        store = s.get(Store, code)
        if store is None:
            clash = s.exec(select(Store).where(Store.number == int(number))).first()
            if clash:
                raise ValidationFailed(FieldError("number", Msg("store number {number} is used by {store}", number=number,
                                                                store=clash.code)))
            store = Store(code=code, number=int(number), name=name, country=country,
                          currency=currency, language=language, region=region)
            s.add(store)
            s.flush()
            t = template or domain_template.StoreTemplate(
                currency=currency, language=language, address_country=country)
            s.add(StoreTemplate(
                store_code=code, customer_type=t.customer_type.value, group_code=t.group_code,
                receipt_option=t.receipt_option.value, receipt_email=t.receipt_email,
                currency=t.currency or currency, language=t.language or language,
                affiliations=list(t.affiliations), address_country=t.address_country or country,
                account_options=t.account_options.stored()))
            tx.audit("store", code, "create", {"name": (None, name), "number": (None, int(number)),
                                               "country": (None, country)})
            tx.outbox(EventKind.STORE_CREATED, "store", code, {"code": code, "number": int(number), "name": name,
                                                        "country": country, "currency": currency,
                                                        "language": language, "region": region})
        if current is None:
            s.add(Setting(key="store_code", value=code))
            s.add(Setting(key="store_country", value=store.country))
        if s.get(Setting, "terminal_id") is None:
            s.add(Setting(key="terminal_id", value=f"T-{uuid.uuid4().hex[:12]}"))
        if terminal is not None:
            set_terminal_number(s, int(terminal))
        elif not has_terminal_number(s):
            set_terminal_number(s, LEGACY_TERMINAL)
    svc.forget_settings()
    return store_info(svc, code)
