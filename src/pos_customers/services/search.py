"""Finding customers: the search box at the till and ``customers search`` on the command line.

Runs on a pooled plain sqlite3 snapshot and imports no ORM, so the first search after a cold
start does not wait for SQLAlchemy to load.
"""

from __future__ import annotations

from ..domain.search import parse_query
from ..storage import search_index
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


def search_customers(svc: Services, actor: Actor, text: str, *, limit: int = PAGE_SIZE,
                     offset: int = 0) -> SearchPage:
    """One box for everything; an empty box lists this store's most recently changed customers."""
    actor.require(Permission.SEARCH)
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    country = svc.settings().get("store_country", "")
    query = parse_query(text, country=country)
    with svc.db.snapshot() as conn:
        if query.empty:
            if query.text:
                return SearchPage(rows=[], offset=offset, has_more=False)
            return search_index.recent(conn, svc.store_code, limit=limit, offset=offset)
        return search_index.search(conn, query, limit=limit, offset=offset)
