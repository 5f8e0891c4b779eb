"""A customer's field clocks (field -> HLC stamp of the edit that set it) as the till stores them.

Most customers have every field set by one edit (created here, or pulled once), so every field has
the same stamp: written out, that is 37 field names and 37 copies of one stamp, 1.6 kB a customer
(1.6 GB of a till holding a million customers, 40% of its file). Stored, the stamp most fields
share is written once as ``"*"``, with the number of the list of fields it stands for (``"#"``),
and only the fields whose stamp differs are written out: {"*": "0001700000000-00000-demo", "#": 1}.
Every reader gets the whole mapping back (:func:`unpack`); a mapping stored whole (written before,
or not covering the list) reads as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

#: The list of fields ``"*"`` stood for, by the number stored with it. When DOCUMENT_FIELDS
#: changes, its new list goes here under the next number and packing uses that one: rows written
#: before keep meaning what they meant (tests/unit/test_clocks.py checks that the last list is
#: DOCUMENT_FIELDS).
FIELD_LISTS: dict[int, tuple[str, ...]] = {
    1: ("customer_type", "salutation", "title", "first_name", "middle_name", "last_name", "suffix",
        "organization_name", "company", "birth_date", "gender", "language", "currency", "group_code",
        "financial_dimensions", "receipt_option", "receipt_email", "status", "status_reason", "account_type",
        "vat_number", "tax_exempt", "credit_limit", "password_hash", "password_changed_at",
        "must_change_password", "last_sign_in_at", "preferred_store", "assist_consent", "assist_consent_by",
        "assist_consent_at", "emails", "phones", "addresses", "affiliations", "cards", "attributes"),
}
CURRENT = max(FIELD_LISTS)
SHARED, LIST = "*", "#"


def pack(clocks: Mapping[str, str]) -> dict[str, object]:
    """The mapping as stored: compact when it has a stamp for every field of the current list
    (the stamp most of them share once, the others written out), else as it is."""
    fields = FIELD_LISTS[CURRENT]
    if not clocks or SHARED in clocks or any(f not in clocks for f in fields):
        return dict(clocks)
    shared = Counter(clocks[f] for f in fields).most_common(1)[0][0]
    packed: dict[str, object] = {SHARED: shared, LIST: CURRENT}
    packed.update((f, stamp) for f, stamp in clocks.items() if f not in fields or stamp != shared)
    return packed


def unpack(stored: Mapping[str, object] | None) -> dict[str, str]:
    """The whole mapping from what :func:`pack` stored (a mapping stored whole comes back as it is)."""
    if not stored:
        return {}
    if SHARED not in stored:
        return dict(stored)  # type: ignore[arg-type]
    shared, number = stored[SHARED], stored.get(LIST, CURRENT)
    out = {f: shared for f in FIELD_LISTS[number]}  # type: ignore[index]
    out.update((f, stamp) for f, stamp in stored.items() if f not in (SHARED, LIST))
    return out  # type: ignore[return-value]

