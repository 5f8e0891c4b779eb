"""Health checks support staff run over SSH: file integrity, migrations, search index."""

from __future__ import annotations

from dataclasses import dataclass

from ..storage import audit_chain, migrate, search_index
from .context import Actor, Permission, Services


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(svc: Services, actor: Actor, *, full: bool = True) -> list[Check]:
    actor.require(Permission.DIAGNOSTICS)
    checks: list[Check] = []
    conn = svc.db.raw()
    try:
        result = [r[0] for r in conn.execute("PRAGMA quick_check" if not full else "PRAGMA integrity_check")]
        checks.append(Check("sqlite integrity", result == ["ok"], "; ".join(result[:5])))
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        checks.append(Check("foreign keys", not fk, f"{len(fk)} rows point at nothing" if fk else "ok"))
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        checks.append(Check("journal mode", mode == "wal", mode))
        current, head = migrate.current_revision(svc.db), migrate.head_revision(svc.db)
        checks.append(Check("migrations", current == head, f"at {current}, latest {head}"))
        problems = search_index.integrity_problems(conn, sample=None if full else 2000)
        count = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        checks.append(Check("search index", not problems,
                            "; ".join(problems) if problems else f"consistent for {count} customers"))
        rows, head, chain = audit_chain.verify(conn)
        checks.append(Check("audit chain", not chain,
                            "; ".join(map(str, chain[:3])) if chain else f"intact, {rows} rows"))
        pending = conn.execute("SELECT count(*) FROM outbox_event").fetchone()[0]
        checks.append(Check("outbox", True, f"{pending} events waiting for headquarters"))
    finally:
        conn.close()
    checks.append(_terminal_check(svc))
    return checks


def _terminal_check(svc: Services) -> Check:
    """Which till this is (its number is part of every reference it issues) and how many are left."""
    from .terminal import terminal_info

    with svc.db.read() as s:
        info = terminal_info(s)
    store = svc.settings().get("store_code", "")
    detail = f"till {info.number} of store {store}: {info.issued:,} of {info.capacity:,} references used"
    if not info.assigned:
        detail += (" (no number recorded: works as till 1; a store with several tills gives each its own, "
                   "by re-enrolling or `init --terminal N`)")
    nearly_out = info.issued >= info.capacity * 0.95
    if nearly_out:
        detail += "; re-enrol this till soon to get a new terminal number"
    return Check("terminal number", not nearly_out, detail)


@dataclass(frozen=True)
class AuditCheck:
    rows: int
    head: str
    problems: list[str]


def verify_audit(svc: Services, actor: Actor) -> AuditCheck:
    """Walk the audit trail's hash chain: a changed, removed or inserted row is named."""
    actor.require(Permission.DIAGNOSTICS)
    conn = svc.db.raw()
    try:
        rows, head, problems = audit_chain.verify(conn)
    finally:
        conn.close()
    return AuditCheck(rows, head, [str(p) for p in problems])


def repair_search_index(svc: Services, actor: Actor) -> None:
    actor.require(Permission.DIAGNOSTICS)
    conn = svc.db.raw()
    try:
        search_index.rebuild(conn)
    finally:
        conn.close()
    with svc.change(actor) as tx:
        tx.audit("search_index", "customer_search", "rebuild")
