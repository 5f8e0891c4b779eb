"""Labels per language of reference data a manager names (purposes, groups, affiliations, attributes
and their choices, membership roles, genders, salutations): one rule to pick the one shown."""

from __future__ import annotations

from collections.abc import Mapping


def label_in(labels: Mapping[str, str] | None, default: str, language: str = "") -> str:
    """The label in ``language`` (de-CH, then de), else the default label."""
    lang = (language or "").split("-")[0]
    return (labels or {}).get(language) or (labels or {}).get(lang) or default
