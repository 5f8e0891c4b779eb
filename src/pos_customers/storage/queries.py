"""Read queries used by the services that are not plain primary-key lookups."""

from __future__ import annotations

import sqlite3
from datetime import date

CANDIDATE_LIMIT = 25


def customers_by_email(conn: sqlite3.Connection, keys: list[str]) -> list[tuple[str, str]]:
    """(customer_id, email key) pairs for the given case-folded emails."""
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    return conn.execute(
        f"SELECT customer_id, address_key FROM customer_email WHERE address_key IN ({marks}) LIMIT ?",
        (*keys, CANDIDATE_LIMIT)).fetchall()


def customers_by_phone(conn: sqlite3.Connection, numbers: list[str]) -> list[tuple[str, str]]:
    if not numbers:
        return []
    marks = ",".join("?" * len(numbers))
    return conn.execute(
        f"SELECT customer_id, e164 FROM customer_phone WHERE e164 IN ({marks}) LIMIT ?",
        (*numbers, CANDIDATE_LIMIT)).fetchall()


_NAME_COLUMNS = "c.id, c.reference, c.customer_type, c.first_name, c.last_name, c.organization_name"


def customers_by_name_key_and_birth(conn: sqlite3.Connection, key: str, birth: date) -> list[tuple]:
    return conn.execute(
        f"SELECT {_NAME_COLUMNS} FROM customer c WHERE c.name_key = ? AND c.birth_date = ? LIMIT ?",
        (key, birth.isoformat(), CANDIDATE_LIMIT * 4)).fetchall()


def customers_by_name_key_and_postal(conn: sqlite3.Connection, key: str, country: str,
                                     postal_code: str) -> list[tuple]:
    return conn.execute(
        f"SELECT {_NAME_COLUMNS} FROM customer_match_key k JOIN customer c ON c.id = k.customer_id"
        " WHERE k.name_key = ? AND k.country = ? AND k.postal_code = ? LIMIT ?",
        (key, country, postal_code, CANDIDATE_LIMIT * 4)).fetchall()


def names_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r[0]: r for r in conn.execute(
        f"SELECT {_NAME_COLUMNS} FROM customer c WHERE c.id IN ({marks})", ids)}
