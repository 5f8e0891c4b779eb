"""Resolving a sync conflict: keep the value headquarters kept, or take the value that lost.

Taking the other value is a real edit of the customer (the same path as the edit form: checked,
audited, queued as ``customer.updated`` with the stamp this terminal holds as its base, so it
simply overwrites at headquarters). Either way the conflict is marked resolved, an audit row
says who chose what, and a ``conflict.resolved`` event tells headquarters, which drops the
conflict for every store. One transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..domain.address import AddressInput
from ..domain.customer import AddressDraft, EmailInput, PhoneInput
from ..domain.enums import ConflictResolution
from ..domain.errors import FieldError, ValidationFailed
from ..domain.enums import EventKind
from ..domain.validation import phone_from_e164
from ..domain.i18n import Msg
from ..storage import conflicts as conflict_store
from ..storage.documents import customer_fields
from ..storage.tables import Customer, SyncConflict
from .context import Actor, Change, NotFound, Permission, Services
from .customers import announce_updated, draft_from_view, edit_in, view_in
from .sync import ConflictView, conflict_view

_LISTS = ("affiliations", "cards")  # lists of codes: taken as they are


def resolve_conflict(svc: Services, actor: Actor, conflict_id: str, take_other: bool) -> ConflictView:
    """Keep the winner (``take_other=False``) or set the value that lost (``True``)."""
    with svc.change(actor, Permission.EDIT) as tx:
        s = tx.session
        c = s.get(SyncConflict, conflict_id)
        if c is None:
            raise NotFound(Msg("no sync conflict {conflict}", conflict=conflict_id))
        if c.resolved_at is not None:
            raise ValidationFailed(FieldError(
                "conflict", Msg("This conflict was already resolved ({resolution} by {who})", resolution=c.resolution,
                                who=c.resolved_by or Msg("headquarters"))))
        row = s.get(Customer, c.customer_id)
        if row is None:
            raise NotFound(Msg("customer {customer} is not on this terminal", customer=c.customer_id))
        if row.anonymized_at is not None:
            raise ValidationFailed(FieldError("customer", Msg("This customer was anonymized: there is nothing to resolve")))
        resolution = ConflictResolution.TAKEN if take_other else ConflictResolution.KEPT
        if take_other:
            _take(svc, tx, c)
        c.resolved_at = tx.now
        c.resolved_by = tx.actor.associate_number or tx.actor.name
        c.resolution = resolution.value
        s.add(c)
        tx.audit("customer", c.customer_id, "resolve_conflict", {
            "field": (None, c.field), "resolution": (None, resolution.value),
            "kept": (None, c.kept), "other": (None, c.lost)})
        tx.outbox(EventKind.CONFLICT_RESOLVED, conflict_store.CONFLICT_ENTITY, c.id,
                  {"id": c.id, "customer_id": c.customer_id, "resolution": resolution.value})
        s.flush()
        conflict_store.settle(s, [c.customer_id])
        return conflict_view(c)


def _take(svc: Services, tx: Change, c: SyncConflict) -> None:
    """Set the field to the value that lost, as an edit of the customer made now."""
    s = tx.session
    current = view_in(tx, c.customer_id)
    draft = draft_from_view(current)
    # the fields a person edits on the form can take the other value; the others (password hash
    # and times, financial dimensions that follow the group) can only be kept
    if c.field not in draft.__dataclass_fields__:
        raise ValidationFailed(FieldError(c.field, Msg("{field} is not edited by hand: only the kept value can stay",
                                                   field=c.field)))
    row = s.get(Customer, c.customer_id)
    here = customer_fields(s, row)
    if here.get(c.field) == c.lost:
        # this terminal still holds the value that lost (sent, not pulled back since): nothing
        # changes here, but headquarters gets it again, over the value it kept
        row.field_clocks = {**(row.field_clocks or {}), c.field: c.kept_stamp}
        announce_updated(tx, row, {**here, c.field: c.kept})
        return
    # a choice between two values already entered: the store's account options do not judge it
    edit_in(svc, tx, c.customer_id, replace(draft, **{c.field: _draft_value(c.field, c.lost)}), opened=current,
            account_options=False)


def _draft_value(name: str, value: Any) -> Any:
    """A field as the sync document holds it -> as the edit form's draft holds it."""
    if name == "emails":
        return [EmailInput(e["address"], e.get("purpose") or "personal", bool(e.get("primary")),
                           bool(e.get("marketing_consent"))) for e in value or []]
    if name == "phones":
        return [PhoneInput(phone_from_e164(p["e164"]).international, p.get("purpose") or "mobile",
                           bool(p.get("primary")), bool(p.get("marketing_consent"))) for p in value or []]
    if name == "addresses":
        return [AddressDraft(AddressInput(a.get("line1", ""), a.get("line2", ""), a.get("city", ""),
                                          a.get("district", ""), a.get("region", ""), a.get("postal_code", ""),
                                          a.get("country", "")),
                             a.get("purpose"), bool(a.get("default_billing")), bool(a.get("default_shipping")))
                for a in value or []]
    if name in _LISTS:
        return list(value or [])
    if name == "attributes":
        return dict(value or {})
    return value


__all__ = ["ConflictView", "resolve_conflict"]
