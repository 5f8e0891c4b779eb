"""Finding customers: the search box at the till and ``customers search`` on the command line.

Runs on a pooled plain sqlite3 snapshot and imports no ORM, so the first search after a cold
start does not wait for SQLAlchemy to load.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

from ..domain.search import parse_query, whole_reference
from ..domain.i18n import Msg
from ..storage import search_index, segments
from ..storage.search_index import SearchPage
from .auth import Actor, Permission
from .context import Services

PAGE_SIZE = 50


BLOCKED_MARK = "⊘"  # before a blocked customer's name: found, but not for a sale


def via_name(name: str, via: str) -> str:
    """A person found through an organization's name (here or at headquarters) says which."""
    return f"{name} (via {via})" if via else name


def listed_name(row) -> str:
    """A result's name as a list shows it: a person found through an organization says which; a
    blocked customer is marked."""
    name = via_name(row.display_name, row.via)
    return f"{BLOCKED_MARK} {name}" if row.status == "blocked" else name


class UnknownSegment(LookupError):
    """``seg:CODE`` names a segment this till does not know (headquarters defines them; a till
    learns them with its sync). ``known``: the codes it does know."""

    def __init__(self, code: str, known: list[str]):
        self.code, self.known = code, known
        super().__init__(code)


def unknown_segment_text(exc: UnknownSegment) -> Msg:
    """One line for a person: what is wrong with the seg: word and which codes there are."""
    known = ", ".join(f"seg:{k}" for k in exc.known[:8]) + (" …" if len(exc.known) > 8 else "")
    if not exc.code:
        return (Msg("seg: needs a segment's code: {codes}", codes=known) if known else
                Msg("seg: needs a segment's code: this till knows no segments yet (headquarters defines them)"))
    return (Msg("No segment “{code}”: {codes}", code=exc.code, codes=known) if known else
            Msg("No segment “{code}”: this till knows no segments yet (headquarters defines them)", code=exc.code))


PROGRESS_STEPS = 2000  # SQLite steps between two looks at the clock of a search with a ``within``


class SearchInterrupted(Exception):
    """The search took longer than the ``within`` it was given and was stopped (nothing changed)."""


def search_customers(svc: Services, actor: Actor, text: str, *, limit: int = PAGE_SIZE,
                     offset: int = 0, within: float | None = None) -> SearchPage:
    """One box for everything; an empty box lists this store's most recently changed customers.
    ``seg:CODE`` words keep to a segment's members (:class:`UnknownSegment` for a code not known).
    ``within`` (seconds): SQLite stops the search once it has run that long and
    :class:`SearchInterrupted` says so (the search box runs each search at once, on the app's
    own thread, within a budget; the rare longer one goes to its search thread)."""
    actor.require(Permission.SEARCH)
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    compact = whole_reference(text)
    if compact:
        # a complete reference: one indexed statement, and found, the whole answer (read no further)
        with svc.db.snapshot(begin=False) as conn:
            page = search_index.by_reference(conn, compact, limit=limit, offset=offset)
        if page is not None:
            return page
    country = svc.settings().get("store_country", "")
    query = parse_query(text, country=country)
    if compact:  # looked up just now: nobody here has it; what else the text may be is looked up
        query = replace(query, reference=None)
    # a search without seg: words begins its read transaction after the exact lookups: a whole
    # email, phone, card or reference is answered by one statement, without BEGIN and COMMIT
    with svc.db.snapshot(begin=bool(query.segments) or query.empty) as conn:
        if within is None:
            return _search(svc, conn, query, limit, offset)
        deadline = time.perf_counter() + within
        conn.set_progress_handler(lambda: time.perf_counter() > deadline, PROGRESS_STEPS)
        try:
            return _search(svc, conn, query, limit, offset)
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc) and time.perf_counter() > deadline:
                raise SearchInterrupted(text) from None
            raise
        finally:
            conn.set_progress_handler(None, 0)


def _search(svc: Services, conn: sqlite3.Connection, query, limit: int, offset: int) -> SearchPage:
    if query.segments:
        known = segments.known(conn)
        for code in query.segments:
            if code not in known:
                raise UnknownSegment(code, list(known))
    if query.empty:
        if query.text:
            return SearchPage(rows=[], offset=offset, has_more=False)
        if query.segments:
            return search_index.segment_members(conn, query.segments, limit=limit, offset=offset)
        return search_index.recent(conn, svc.store_code, limit=limit, offset=offset)
    return search_index.search(conn, query, limit=limit, offset=offset)
