"""Customer segments: named rules over customer data and order history, defined at headquarters.

A segment is a code (``vip``: what ``seg:vip`` in the search box names), a name and a rule. The
rule is JSON, read by these models only: every condition has a ``kind``, unknown keys are refused,
numbers and lists are bounded and conditions nest at most :data:`MAX_DEPTH` deep. Headquarters
compiles a rule to one SQL condition (hq/segments.py); each customer's segment codes reach the
tills by pull (:class:`CustomerSegments`), so a till filters its search by segment offline.

Money is a whole number of minor units (cents) in the rule's currency, never a float.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .i18n import Msg
from .money import MAX_MINOR
from .protocol import Code, CustomerId, Shown, StoreCode

MAX_DEPTH = 4          # all/any/not nested inside each other
MAX_CONDITIONS = 50    # conditions in one rule, counted over every level
MAX_LIST = 20          # codes or stores one condition names
MAX_DAYS = 3650
MAX_MONTHS = 120
MAX_RULE_CHARS = 20_000
MAX_SEGMENTS = 200     # segments a chain defines (each is evaluated over every customer)
MAX_BATCH = 5000       # customers in one batch of membership changes the tills receive

SEGMENT_CODE = r"^[a-z0-9][a-z0-9_-]{0,31}$"
SegmentCode = Annotated[str, Field(min_length=1, max_length=32, pattern=SEGMENT_CODE,
                                   description="lower-case letters, digits, - and _ (what seg:CODE names)")]

Codes = Annotated[list[Code], Field(min_length=1, max_length=MAX_LIST)]
Stores = Annotated[list[StoreCode], Field(min_length=1, max_length=MAX_LIST)]
Days = Annotated[int, Field(strict=True, ge=1, le=MAX_DAYS)]
Months = Annotated[int, Field(strict=True, ge=1, le=MAX_MONTHS)]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupIs(_Rule):
    """The customer's group is one of these codes."""

    kind: Literal["group"]
    codes: Codes


class RegisteredWithin(_Rule):
    """The customer was registered (created) in the last ``days`` days."""

    kind: Literal["registered_within"]
    days: Days


class Spent(_Rule):
    """Orders in ``currency`` over the last ``months`` months add up to more than ``more_than``
    minor units (cancelled and returned orders do not count)."""

    kind: Literal["spent"]
    more_than: Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    months: Months = 12


class BoughtIn(_Rule):
    """An order (not cancelled) in one of these stores (``WEB``: the web shop), in the last
    ``months`` months when given."""

    kind: Literal["bought_in"]
    stores: Stores
    months: Months | None = None


class HomeStore(_Rule):
    """The customer's home store is one of these."""

    kind: Literal["home_store"]
    stores: Stores


class MarketingConsent(_Rule):
    """The customer agreed to marketing on an email (``email``), a phone (``phone``) or either."""

    kind: Literal["marketing_consent"]
    channel: Literal["email", "phone", "any"] = "any"


class AllOf(_Rule):
    """Every condition holds."""

    kind: Literal["all"]
    rules: Annotated[list[Rule], Field(min_length=1, max_length=MAX_LIST)]


class AnyOf(_Rule):
    """At least one condition holds."""

    kind: Literal["any"]
    rules: Annotated[list[Rule], Field(min_length=1, max_length=MAX_LIST)]


class NotRule(_Rule):
    """The condition does not hold."""

    kind: Literal["not"]
    rule: Rule


Rule = Annotated[Union[GroupIs, RegisteredWithin, Spent, BoughtIn, HomeStore, MarketingConsent, AllOf, AnyOf,
                       NotRule], Field(discriminator="kind")]
for _model in (AllOf, AnyOf, NotRule):
    _model.model_rebuild()

_RULE: TypeAdapter = TypeAdapter(Rule)

CONDITION_KINDS = ("group", "registered_within", "spent", "bought_in", "home_store", "marketing_consent",
                   "all", "any", "not")


def _shape(rule: _Rule, depth: int = 1) -> tuple[int, int]:
    """(conditions, deepest level) of a rule."""
    inner = rule.rules if isinstance(rule, (AllOf, AnyOf)) else [rule.rule] if isinstance(rule, NotRule) else []
    count, deepest = 1, depth
    for r in inner:
        c, d = _shape(r, depth + 1)
        count, deepest = count + c, max(deepest, d)
    return count, deepest


class SegmentRule(BaseModel):
    """A whole rule: its top condition, checked for size and depth."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    root: Rule

    @model_validator(mode="after")
    def _bounded(self) -> SegmentRule:
        count, depth = _shape(self.root)
        if depth > MAX_DEPTH:
            raise ValueError(Msg("conditions nest at most {depth} deep (all/any/not inside each other)", depth=MAX_DEPTH))
        if count > MAX_CONDITIONS:
            raise ValueError(Msg("a rule has at most {count} conditions", count=MAX_CONDITIONS))
        return self


class SegmentDefinition(BaseModel):
    """A segment as headquarters stores and `hq segments add` takes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: SegmentCode
    name: Shown(80, min_length=1)
    rule: Rule

    @model_validator(mode="after")
    def _bounded(self) -> SegmentDefinition:
        SegmentRule(root=self.rule)
        return self


class SegmentInfo(BaseModel):
    """A segment as the tills receive it (:attr:`PullItemKind.SEGMENT`): code and name, no rule."""

    model_config = ConfigDict(extra="forbid")
    code: SegmentCode
    name: Shown(80, min_length=1)


class CustomerSegments(BaseModel):
    """The segments one customer belongs to (:attr:`PullItemKind.CUSTOMER_SEGMENTS`)."""

    model_config = ConfigDict(extra="forbid")
    customer_id: CustomerId
    codes: Annotated[list[SegmentCode], Field(max_length=MAX_SEGMENTS)] = []


class SegmentMembers(BaseModel):
    """A batch of one segment's membership changes (:attr:`PullItemKind.SEGMENT_MEMBERS`): the
    customers who came (``add``) and went (``remove``), or ``clear``: the segment has no members."""

    model_config = ConfigDict(extra="forbid")
    code: SegmentCode
    add: Annotated[list[CustomerId], Field(max_length=MAX_BATCH)] = []
    remove: Annotated[list[CustomerId], Field(max_length=MAX_BATCH)] = []
    clear: bool = False


class RuleProblem(ValueError):
    """A rule that is not valid JSON or does not fit the models: one line naming where (a
    :class:`~.i18n.Msg` where the words are ours; pydantic's own explanations stay its English)."""


def parse_rule(text: str) -> Rule:
    """A rule from its JSON text; :class:`RuleProblem` says what is wrong and where."""
    if len(text) > MAX_RULE_CHARS:
        limit = f"{MAX_RULE_CHARS:,}"
        raise RuleProblem(Msg("the rule is longer than {limit} characters", limit=limit))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise RuleProblem(Msg("the rule is not valid JSON: {reason}", reason=str(exc))) from None
    return rule_from(data)


def rule_from(data: object) -> Rule:
    try:
        return SegmentRule.model_validate({"root": data}).root
    except ValidationError as exc:
        raise RuleProblem(explain(exc)) from None
    except RecursionError:
        raise RuleProblem(Msg("conditions nest at most {depth} deep", depth=MAX_DEPTH)) from None


def explain(exc: ValidationError) -> str:
    """The first problem of a validation error as one line: ``rules.0.days: Input should be ...``."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if p != "root" and not _is_tag(p))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "union_tag_invalid":
        msg = f"kind must be one of: {', '.join(CONDITION_KINDS)}"
    elif first["type"] == "union_tag_not_found":
        msg = f"a condition needs a kind (one of: {', '.join(CONDITION_KINDS)})"
    return f"{where}: {msg}" if where else msg


def _is_tag(part: object) -> bool:
    return isinstance(part, str) and part in CONDITION_KINDS


def rule_json(rule: Rule) -> str:
    """A rule's canonical JSON text (what headquarters stores and `show` prints)."""
    return _RULE.dump_json(rule, exclude_none=True).decode()


def valid_code(code: str) -> bool:
    return re.fullmatch(SEGMENT_CODE, code) is not None


__all__ = ["Rule", "SegmentRule", "SegmentDefinition", "SegmentInfo", "CustomerSegments", "SegmentMembers", "RuleProblem",
           "parse_rule", "rule_from", "rule_json", "valid_code", "GroupIs",
           "RegisteredWithin", "Spent", "BoughtIn", "HomeStore", "MarketingConsent", "AllOf", "AnyOf", "NotRule"]
