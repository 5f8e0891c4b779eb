"""The reference data shipped in data/: address purposes, groups, affiliations, attributes, stores."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.labels import label_in
from ..paths import data_dir

if TYPE_CHECKING:  # the ORM only where rows are written: a customer's save reads the lists, not them
    from sqlmodel import Session


def _rows(name: str, folder: Path | None = None) -> list[dict[str, str]]:
    with open((folder or data_dir()) / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for part in (text or "").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _choice_labels(text: str) -> dict[str, dict[str, str]]:
    """``Morning:de=Vormittags,fr=Matin|Evening:...`` -> {"Morning": {"de": "Vormittags", ...}, ...}"""
    out = {}
    for part in (text or "").split("|"):
        choice, sep, labels = part.partition(":")
        if sep and choice.strip():
            out[choice.strip()] = _pairs(labels.replace(",", ";"))
    return out


def _bool(text: str) -> bool:
    return (text or "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class StoreSeed:
    code: str
    number: int
    name: str
    country: str
    currency: str
    language: str
    region: str
    customer_type: str
    group: str
    receipt_option: str
    affiliations: tuple[str, ...]


def demo_stores(folder: Path | None = None) -> list[StoreSeed]:
    return [StoreSeed(r["code"], int(r["number"]), r["name"], r["country"], r["currency"],
                      r["language"], r["region"], r["customer_type"], r["group"],
                      r["receipt_option"], tuple(a for a in r["affiliations"].split("|") if a))
            for r in _rows("stores.csv", folder)]


def load_reference_data(session: Session, folder: Path | None = None) -> list[str]:
    """Insert the shipped reference data that is missing; never overwrite local edits.

    Returns the codes added, as "kind:code".
    """
    from ..storage.tables import AddressPurpose, Affiliation, AttributeDefinition, CustomerGroup, MembershipRole

    added: list[str] = []

    def missing(model, key) -> bool:
        return session.get(model, key) is None

    for r in _rows("address_purposes.csv", folder):
        if missing(AddressPurpose, r["code"]):
            session.add(AddressPurpose(
                code=r["code"], label=r["label"], labels=_pairs(r["labels"]),
                sort_order=int(r["sort_order"]), default_person=_bool(r["default_person"]),
                default_organization=_bool(r["default_organization"])))
            added.append(f"purpose:{r['code']}")
    for r in _rows("customer_groups.csv", folder):
        if missing(CustomerGroup, r["code"]):
            session.add(CustomerGroup(code=r["code"], name=r["name"], labels=_pairs(r.get("labels", "")),
                                      financial_dimensions=_pairs(r["financial_dimensions"])))
            added.append(f"group:{r['code']}")
    for r in _rows("affiliations.csv", folder):
        if missing(Affiliation, r["code"]):
            session.add(Affiliation(code=r["code"], name=r["name"], description=r["description"],
                                    labels=_pairs(r.get("labels", ""))))
            added.append(f"affiliation:{r['code']}")
    for r in _rows("attributes.csv", folder):
        if missing(AttributeDefinition, r["code"]):
            session.add(AttributeDefinition(
                code=r["code"], label=r["label"], type=r["type"], required=_bool(r["required"]),
                choices=[c for c in r["choices"].split("|") if c], show_on_create=_bool(r["show_on_create"]),
                sort_order=int(r["sort_order"]), labels=_pairs(r.get("labels", "")),
                choice_labels=_choice_labels(r.get("choice_labels", ""))))
            added.append(f"attribute:{r['code']}")
    for r in _rows("membership_roles.csv", folder):
        if missing(MembershipRole, r["code"]):
            session.add(MembershipRole(code=r["code"], label=r["label"], labels=_pairs(r["labels"]),
                                       sort_order=int(r["sort_order"])))
            added.append(f"membership role:{r['code']}")
    session.flush()
    return added


@dataclass(frozen=True)
class ListEntry:
    """One entry of a short list shipped in data/ (genders, salutations): a code and its labels."""

    code: str
    label: str
    labels: dict[str, str]

    def label_in(self, language: str = "") -> str:
        return label_in(self.labels, self.label, language)


#: the lists that are data files of their own, one code per row, labels per language
CHOICE_LISTS = {"gender": "genders.csv", "salutation": "salutations.csv"}
_lists: dict[tuple[str, Path | None], tuple[ListEntry, ...]] = {}


def choice_list(name: str, folder: Path | None = None) -> tuple[ListEntry, ...]:
    """The entries of one shipped list, in their order (read once)."""
    key = (name, folder)
    if key not in _lists:
        rows = sorted(_rows(CHOICE_LISTS[name], folder), key=lambda r: int(r.get("sort_order") or 0))
        _lists[key] = tuple(ListEntry(r["code"], r["label"], _pairs(r["labels"])) for r in rows)
    return _lists[key]


def choice_codes(name: str) -> frozenset[str]:
    return frozenset(e.code for e in choice_list(name))


def has_reference_data(session: Session) -> bool:
    from sqlmodel import select

    from ..storage.tables import AddressPurpose

    return session.exec(select(AddressPurpose).limit(1)).first() is not None
