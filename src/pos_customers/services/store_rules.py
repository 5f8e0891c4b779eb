"""What saving a customer reads of the store's own data: the store, its default-customer template,
the address purposes, attribute definitions, groups and affiliations.

Plain SQL on the transaction's connection (an ORM session's or a plain sqlite3 one's), so a save
loads no ORM (``customers add`` is a new process each time) and the app's saves run the same code.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain import template as domain_template
from ..domain.account_options import AccountOptions
from ..domain.customer import AttributeDef, PurposeRules
from ..domain.enums import CustomerType, ReceiptOption
from ..domain.i18n import Msg
from ..storage.conn import connection
from .auth import NotFound

if TYPE_CHECKING:
    from sqlmodel import Session


def _json(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


@dataclass(frozen=True)
class StoreRow:
    code: str
    number: int
    country: str


def store_row(s: Session | sqlite3.Connection, code: str) -> StoreRow | None:
    row = connection(s).execute("SELECT code, number, country FROM store WHERE code = ?", (code,)).fetchone()
    return StoreRow(*row) if row else None


def template_of(s: Session | sqlite3.Connection, store_code: str) -> domain_template.StoreTemplate:
    row = connection(s).execute(
        "SELECT customer_type, group_code, receipt_option, receipt_email, currency, language, affiliations,"
        " address_country, account_options FROM store_template WHERE store_code = ?", (store_code,)).fetchone()
    if row is None:
        raise NotFound(Msg("store {store} has no default-customer template", store=store_code))
    return domain_template.StoreTemplate(
        customer_type=CustomerType(row[0]), group_code=row[1], receipt_option=ReceiptOption(row[2]),
        receipt_email=row[3], currency=row[4], language=row[5], affiliations=tuple(_json(row[6], [])),
        address_country=row[7], account_options=AccountOptions.from_stored(_json(row[8], {})))


def purpose_rules(s: Session | sqlite3.Connection) -> PurposeRules:
    rows = connection(s).execute(
        "SELECT code, active, default_person, default_organization FROM address_purpose").fetchall()
    person = next((code for code, _a, p, _o in rows if p), "HOME")
    org = next((code for code, _a, _p, o in rows if o), "BUSINESS")
    return PurposeRules(frozenset(code for code, active, _p, _o in rows if active), person, org)


def attribute_defs(s: Session | sqlite3.Connection, language: str = "") -> list[AttributeDef]:
    """The attribute definitions; their labels and their choices' labels in ``language`` (else the defaults)."""
    return [AttributeDef.labelled(r[0], r[1], r[2], required=bool(r[3]), choices=_json(r[4], []),
                                  active=bool(r[5]), labels=_json(r[6], {}), choice_labels=_json(r[7], {}),
                                  language=language)
            for r in connection(s).execute(
                "SELECT code, label, type, required, choices, active, labels, choice_labels"
                " FROM attribute_definition ORDER BY sort_order")]


def group_dimensions(s: Session | sqlite3.Connection, group_code: str | None) -> dict[str, str]:
    if not group_code:
        return {}
    row = connection(s).execute("SELECT financial_dimensions FROM customer_group WHERE code = ?",
                                (group_code,)).fetchone()
    return dict(_json(row[0], {})) if row else {}


def group_codes(s: Session | sqlite3.Connection) -> frozenset[str]:
    return frozenset(r[0] for r in connection(s).execute("SELECT code FROM customer_group"))


def affiliation_codes(s: Session | sqlite3.Connection) -> frozenset[str]:
    return frozenset(r[0] for r in connection(s).execute("SELECT code FROM affiliation"))
