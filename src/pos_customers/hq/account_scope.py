"""Account sharing scope at headquarters: the chain setting, and one registered account per email
within it (domain/account_scope.py says what the scopes are).

The setting is a record of kind ``setting`` (key ``account_scope``) every store pulls, carrying each
store's scope key (a till does not hold the other stores' regions). Changing it, or adding a store
while it is not ``shared``, publishes it again with the next seq.

``hq_account_email`` holds one row per claim, (scope key, folded email) -> customer. A push whose
customer would claim an address another registered account holds in the same scope is refused for
that event (409, ``payload.fields.emails``, naming the holder): the till parks it and offers to merge
with that account or to change the email. Two pushes claiming one address at the same moment meet
the primary key: the later batch is answered 409 as a whole, sent again, and then refused per event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from ..domain.i18n import Msg
from ..domain.account_scope import (SETTING_KEY, AccountScope, AccountScopeSetting, claimed_emails, claims,
                                    scope_words, store_key)
from . import audit
from . import tables as t
from .common import lock_seq, put_records, store_seq
from .errors import Conflict, Invalid

if TYPE_CHECKING:
    from .service import Headquarters

KIND = "setting"  # the pull record's kind (PullItemKind.SETTING)


@dataclass(frozen=True)
class Clash:
    """An address another registered account already holds in the scope."""

    email: str
    scope_key: str
    holder_id: str


_CURRENT = select(t.record.c.doc).where(t.record.c.kind == KIND, t.record.c.key == SETTING_KEY)


def current(conn: Connection) -> AccountScopeSetting:
    doc = conn.execute(_CURRENT).scalar_one_or_none()
    return AccountScopeSetting.model_validate_json(doc) if doc else AccountScopeSetting()


def scope_of(hq: Headquarters) -> AccountScopeSetting:
    with hq.engine.connect() as conn:
        return current(conn)


def _store_keys(conn: Connection, scope: AccountScope) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, region, country in conn.execute(select(t.store.c.code, t.store.c.region, t.store.c.country)):
        key = store_key(scope, code, region or "", country or "")
        if key is not None:
            out[code] = key
    return out


def _setting(conn: Connection, scope: AccountScope) -> AccountScopeSetting:
    return AccountScopeSetting(value=scope, stores=_store_keys(conn, scope) if scope == AccountScope.REGION else {})


@dataclass(frozen=True)
class ScopeChange:
    before: AccountScope
    after: AccountScope
    claims: int
    shared: list[tuple[str, str, list[str]]]  # (scope key, email, references) held by more than one account


def set_scope(hq: Headquarters, value: str, *, by: str = "headquarters") -> ScopeChange:
    """Set the chain's account sharing scope, fill hq_account_email from the customers held and
    publish the setting to every store. Addresses already shared by several registered accounts in
    the new scope are listed: the oldest account keeps the claim, the others keep working and are
    refused only when an edit of their emails or account type would claim the address again."""
    try:
        scope = AccountScope(value.strip().lower())
    except ValueError:
        raise Invalid(Msg("account scope: one of {choices}", choices=", ".join(s.value for s in AccountScope))) from None
    with hq.engine.begin() as conn:
        seq = lock_seq(conn)  # publishes with the next seq; no push writes meanwhile
        before = current(conn).value
        setting = _setting(conn, scope)
        conn.execute(delete(t.account_email))
        wanted: dict[tuple[str, str], list[str]] = {}
        if scope != AccountScope.SHARED:
            keys = _store_keys(conn, scope)
            rows = conn.execute(select(t.customer.c.id, t.customer.c.reference, t.customer.c.home_store,
                                       t.customer.c.fields).where(t.customer.c.anonymized_at.is_(None))
                                .order_by(t.customer.c.seq))
            refs: dict[str, str] = {}
            for cid, reference, home, fields in rows:
                for claim in claims(keys.get(home) or store_key(scope, home), claimed_emails(json.loads(fields))):
                    wanted.setdefault(claim, []).append(cid)
                    refs[cid] = reference
        if wanted:
            conn.execute(t.account_email.insert(), [{"scope_key": k, "email": e, "customer_id": ids[0]}
                                                    for (k, e), ids in wanted.items()])
        store_seq(conn, put_records(conn, [(KIND, SETTING_KEY, {"doc": setting.model_dump(mode="json")})], seq))
        audit.record(hq, conn, by=by, entity="setting", entity_id=SETTING_KEY, action="update",
                     changes={"account_scope": (before.value, scope.value)})
    shared = [(k, e, [refs[c] for c in ids]) for (k, e), ids in wanted.items() if len(ids) > 1]
    return ScopeChange(before, scope, len(wanted), sorted(shared))


def store_added(conn: Connection, seq: int) -> int:
    """A new store: the setting (its scope keys) published again when it names stores."""
    setting = current(conn)
    if setting.value != AccountScope.REGION:
        return seq
    return put_records(conn, [(KIND, SETTING_KEY, {"doc": _setting(conn, setting.value).model_dump(mode="json")})],
                       seq)


# -- pushes ------------------------------------------------------------------------------------------

@dataclass
class Claims:
    """One push's view of the claims: loaded once, kept in step as its events apply."""

    setting: AccountScopeSetting
    keys: dict[str, str]                          # store code -> scope key
    held: dict[tuple[str, str], str]              # (scope key, email) -> customer id, for what the batch names
    checked: set[str]                             # customers whose claims an event of the batch asked for

    def key_of(self, home_store: str) -> str | None:
        return self.keys.get(home_store) or store_key(self.setting.value, home_store)


def load(conn: Connection, emails: Iterable[str]) -> Claims:
    setting = current(conn)
    keys = _store_keys(conn, setting.value) if setting.value != AccountScope.SHARED else {}
    held: dict[tuple[str, str], str] = {}
    wanted = sorted(set(emails))
    if setting.value != AccountScope.SHARED:
        for k in range(0, len(wanted), 500):
            for key, email, cid in conn.execute(select(
                    t.account_email.c.scope_key, t.account_email.c.email, t.account_email.c.customer_id).where(
                    t.account_email.c.email.in_(wanted[k:k + 500]))):
                held[(key, email)] = cid
    return Claims(setting, keys, held, set())


def clash(state: Claims, customer_id: str, home_store: str, fields: dict[str, Any], anonymized: bool) -> Clash | None:
    """The first address this customer's fields would claim that another account holds in its scope."""
    key = state.key_of(home_store)
    for k, email in claims(key, claimed_emails(fields, anonymized=anonymized)):
        holder = state.held.get((k, email), customer_id)
        if holder != customer_id:
            return Clash(email, k, holder)
    return None


def hold(state: Claims, customer_id: str, home_store: str, fields: dict[str, Any], anonymized: bool) -> None:
    """The batch's view after the customer's fields changed."""
    mine = set(claims(state.key_of(home_store), claimed_emails(fields, anonymized=anonymized)))
    for claim in [c for c, holder in state.held.items() if holder == customer_id and c not in mine]:
        del state.held[claim]
    for claim in mine:
        state.held.setdefault(claim, customer_id)


def refusal_reason(conn: Connection, found: Clash) -> Msg:
    row = conn.execute(select(t.customer.c.reference, t.customer.c.home_store).where(
        t.customer.c.id == found.holder_id)).first()
    from ..domain.reference import format_reference
    other = Msg("{reference} (store {store})", reference=format_reference(row.reference),
                store=row.home_store) if row else found.holder_id
    return Msg("{email} is the email of registered account {account}: one account per email in {scope}. "
               "Merge with that account, or change the email", email=found.email, account=other,
               scope=scope_words(found.scope_key))


def write(conn: Connection, state: Claims, customers: Iterable[tuple[str, str, dict[str, Any], bool]]) -> None:
    """Each written customer's claims as its fields now say. A claim another customer holds is left
    to it when it was there before (addresses shared before the scope was set); for a customer an
    event asked to claim, the insert meets the primary key and the batch is sent again."""
    if current(conn).value != state.setting.value:  # `hq settings set` ran since the batch was loaded
        raise Conflict(Msg("the chain's account scope changed meanwhile: send the batch again"))
    if state.setting.value == AccountScope.SHARED:
        return
    todo = list(customers)
    if not todo:
        return
    ids = [cid for cid, _, _, _ in todo]
    for k in range(0, len(ids), 500):
        conn.execute(delete(t.account_email).where(t.account_email.c.customer_id.in_(ids[k:k + 500])))
    rows: dict[tuple[str, str], str] = {}
    for cid, home, fields, anonymized in todo:
        for claim in claims(state.key_of(home), claimed_emails(fields, anonymized=anonymized)):
            rows.setdefault(claim, cid)
    if not rows:
        return
    others = {}
    wanted = sorted({e for _, e in rows})
    for k in range(0, len(wanted), 500):
        for key, email, cid in conn.execute(select(
                t.account_email.c.scope_key, t.account_email.c.email, t.account_email.c.customer_id).where(
                t.account_email.c.email.in_(wanted[k:k + 500]))):
            others[(key, email)] = cid
    insert = [{"scope_key": k, "email": e, "customer_id": cid} for (k, e), cid in rows.items()
              if (k, e) not in others or cid in state.checked]
    if insert:
        conn.execute(t.account_email.insert(), insert)  # a claim taken meanwhile: IntegrityError


__all__ = ["Clash", "Claims", "KIND", "ScopeChange", "clash", "current", "hold", "load", "refusal_reason",
           "scope_of", "set_scope", "store_added", "write"]
