"""Customer segments at the till: their codes and names and who belongs, as headquarters last
evaluated them (received by pull, domain/segment.py). Read on plain sqlite3 as the search is: the
search imports this module, so the ORM is imported only by the functions that write."""

from __future__ import annotations

import sqlite3
from typing import Iterable

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session


def put_definition(s: Session, code: str, name: str, *, deleted: bool = False) -> None:
    """A segment defined, renamed or (``deleted``) removed at headquarters: a removed one takes its
    memberships along."""
    from sqlmodel import delete

    from .tables import CustomerSegment, Segment

    row = s.get(Segment, code)
    if deleted:
        if row is not None:
            s.delete(row)
        s.exec(delete(CustomerSegment).where(CustomerSegment.code == code))
        return
    if row is None:
        s.add(Segment(code=code, name=name))
    elif row.name != name:
        row.name = name
        s.add(row)


def put_memberships(s: Session, customer_id: str, codes: Iterable[str]) -> None:
    """The customer's segments, replacing what the till held."""
    from sqlmodel import delete

    from .tables import CustomerSegment

    s.exec(delete(CustomerSegment).where(CustomerSegment.customer_id == customer_id))
    for code in dict.fromkeys(codes):
        s.add(CustomerSegment(customer_id=customer_id, code=code))


def change_members(s: Session, code: str, *, add: Iterable[str] = (), remove: Iterable[str] = (),
                   clear: bool = False) -> None:
    """One batch of a segment's membership changes: these customers came, those went (``clear``:
    nobody belongs any more). Written as two statements of many rows each."""
    conn = s.connection()
    if clear:
        conn.exec_driver_sql("DELETE FROM customer_segment WHERE code = ?", (code,))
    gone = [(cid, code) for cid in remove]
    came = [(cid, code) for cid in dict.fromkeys(add)]
    if gone:
        conn.exec_driver_sql("DELETE FROM customer_segment WHERE customer_id = ? AND code = ?", gone)
    if came:
        conn.exec_driver_sql("INSERT OR IGNORE INTO customer_segment (customer_id, code) VALUES (?, ?)", came)


def of_customer(conn: sqlite3.Connection, customer_id: str) -> list[tuple[str, str]]:
    """(code, name) of the segments the customer belongs to, by code (a membership whose segment
    has not arrived yet shows its code as its name)."""
    return [(code, name or code) for code, name in conn.execute(
        "SELECT m.code, g.name FROM customer_segment m LEFT JOIN segment g ON g.code = m.code"
        " WHERE m.customer_id = ? ORDER BY m.code", (customer_id,))]


def known(conn: sqlite3.Connection) -> dict[str, str]:
    """Every segment this till knows: code -> name."""
    return dict(conn.execute("SELECT code, name FROM segment ORDER BY code").fetchall())


def member_filter(codes: tuple[str, ...], column: str) -> tuple[str, list[str]]:
    """An SQL condition (`` AND ...``) keeping the rows whose ``column`` (a customer id) belongs to
    every one of these segments, and its parameters. No codes: no condition."""
    sql = "".join(f" AND {column} IN (SELECT customer_id FROM customer_segment WHERE code = ?)" for _ in codes)
    return sql, list(codes)
