"""What a store manager (and support over SSH) uses to shape how customers are created:
the default-customer template, address purposes, customer groups, affiliations, attribute
definitions. Every refusal says why and changes nothing; every change is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlmodel import Session, func, select

from ..domain.enums import EventKind
from ..domain.enums import AttributeType, CustomerType, ReceiptOption
from ..domain.errors import FieldError, FieldProblem, ValidationFailed
from ..domain.template import StoreTemplate as TemplateValue
from ..domain.template import apply_template, financial_dimensions_for
from ..domain.customer import CustomerDraft
from ..domain.validation import clean_country, clean_currency, clean_email, clean_language, clean_text
from ..domain.i18n import N_, Msg
from ..storage.tables import (AddressPurpose, Affiliation, AttributeDefinition, CustomerAddress,
                              CustomerAttribute, CustomerGroup, Store, StoreTemplate)
from .context import Actor, NotFound, Permission, Services
from .store import group_dimensions, template_of

_CODE = re.compile(r"^[A-Z0-9_]{1,32}$")


def _code(value: str, field: str = "code") -> str:
    code = (value or "").strip().upper()
    if not _CODE.match(code):
        raise ValidationFailed(FieldError(field, Msg("Code must be 1-32 letters, digits or _")))
    return code


def _label(value: str, field: str = "label", what: Msg | None = None) -> str:
    try:
        return clean_text(value, max_len=80, required=True, what=what or Msg("Label"))
    except FieldProblem as exc:
        raise ValidationFailed(FieldError(field, exc.args[0])) from None


# -- the default-customer template ---------------------------------------------------------------

@dataclass(frozen=True)
class NewCustomerPreview:
    customer_type: str
    group_code: str | None
    receipt_option: str
    receipt_email: str
    currency: str
    language: str
    affiliations: tuple[str, ...]
    financial_dimensions: dict[str, str]
    address_country: str
    address_purpose: str


@dataclass(frozen=True)
class TemplateView:
    store_code: str
    template: TemplateValue
    person: NewCustomerPreview
    organization: NewCustomerPreview
    receipt_email_warning: str


RECEIPT_EMAIL_WARNING = N_("A receipt email here is copied onto every new customer who gives none, "
                           "so all of them would get the same receipt address. Leave it empty unless a "
                           "business process needs it.")


def _preview(s: Session, store: Store, t: TemplateValue, ctype: CustomerType) -> NewCustomerPreview:
    draft = apply_template(CustomerDraft(customer_type=ctype), t)
    purposes = s.exec(select(AddressPurpose)).all()
    default = next((p.code for p in purposes if (p.default_organization if ctype == CustomerType.ORGANIZATION
                                                 else p.default_person)), "")
    return NewCustomerPreview(
        customer_type=str(draft.customer_type), group_code=draft.group_code,
        receipt_option=str(draft.receipt_option), receipt_email=draft.receipt_email or "",
        currency=draft.currency or store.currency, language=draft.language or store.language,
        affiliations=tuple(draft.affiliations or ()),
        financial_dimensions=financial_dimensions_for(group_dimensions(s, draft.group_code)),
        address_country=t.address_country or store.country, address_purpose=default)


def template_view(svc: Services, actor: Actor, store_code: str | None = None, **changes) -> TemplateView:
    """The store's template and what a new Person and a new Organization would get. With
    ``changes``, the preview of those values (checked, not saved): what the edit screen shows."""
    code = store_code or svc.store_code
    actor.require(Permission.CONFIGURE_STORE)
    actor.require_store(code)
    with svc.db.read() as s:
        store = s.get(Store, code)
        if store is None:
            raise NotFound(Msg("store {store} not found", store=code))
        t = template_of(s, code)
        if changes:
            v = _check_template(s, {**_template_value_dict(t), **changes})
            t = TemplateValue(customer_type=CustomerType(v["customer_type"]), group_code=v["group_code"],
                              receipt_option=ReceiptOption(v["receipt_option"]),
                              receipt_email=v["receipt_email"], currency=v["currency"],
                              language=v["language"], affiliations=tuple(v["affiliations"]),
                              address_country=v["address_country"])
        return TemplateView(code, t, _preview(s, store, t, CustomerType.PERSON),
                            _preview(s, store, t, CustomerType.ORGANIZATION),
                            RECEIPT_EMAIL_WARNING if t.receipt_email else "")


def _template_value_dict(t: TemplateValue) -> dict:
    return {"customer_type": t.customer_type.value, "group_code": t.group_code,
            "receipt_option": t.receipt_option.value, "receipt_email": t.receipt_email,
            "currency": t.currency, "language": t.language, "affiliations": list(t.affiliations),
            "address_country": t.address_country}


def stores_for(svc: Services, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the stores whose template this actor may change."""
    actor.require(Permission.CONFIGURE_STORE)
    with svc.db.read() as s:
        rows = s.exec(select(Store).order_by(Store.code)).all()
        return [(r.code, r.name) for r in rows
                if actor.role.value in ("support", "admin") or r.code == (actor.store_code or svc.store_code)]


def update_template(svc: Services, actor: Actor, store_code: str | None = None, **values) -> TemplateView:
    """Change any of: customer_type, group_code, receipt_option, receipt_email, currency,
    language, affiliations, address_country. The next customer created uses it."""
    code = store_code or svc.store_code
    actor.require_store(code)
    allowed = {"customer_type", "group_code", "receipt_option", "receipt_email", "currency", "language",
               "affiliations", "address_country"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(FieldError(sorted(unknown)[0], Msg("not a template field")))
    with svc.change(actor, Permission.CONFIGURE_STORE, store_code=code) as tx:
        s = tx.session
        row = s.get(StoreTemplate, code)
        if row is None:
            raise NotFound(Msg("store {store} has no template", store=code))
        new = _check_template(s, {**_template_dict(row), **values})
        changes = {k: (getattr(row, k), v) for k, v in new.items() if getattr(row, k) != v}
        for k, v in new.items():
            setattr(row, k, v)
        row.updated_at = tx.now
        s.add(row)
        if changes:
            tx.audit("store_template", code, "update", changes)
            tx.outbox_row(EventKind.TEMPLATE_UPDATED, "store_template", code, row)
    return template_view(svc, actor, code)


def _template_dict(row: StoreTemplate) -> dict:
    return {k: getattr(row, k) for k in ("customer_type", "group_code", "receipt_option", "receipt_email",
                                         "currency", "language", "affiliations", "address_country")}


def _check_template(s: Session, v: dict) -> dict:
    errors: list[FieldError] = []

    def run(field, fn, *args):
        try:
            return fn(*args)
        except FieldProblem as exc:
            errors.append(FieldError(field, exc.args[0]))
        except ValueError:
            errors.append(FieldError(field, Msg("'{value}' is not allowed here", value=args[0])))

    out = {
        "customer_type": run("customer_type", lambda x: CustomerType(x).value, v["customer_type"]),
        "receipt_option": run("receipt_option", lambda x: ReceiptOption(x).value, v["receipt_option"]),
        "receipt_email": "",
        "currency": run("currency", clean_currency, v["currency"]) or "",
        "language": run("language", clean_language, v["language"]) or "",
        "address_country": run("address_country", clean_country, v["address_country"]) or "",
    }
    if (v.get("receipt_email") or "").strip():
        email = run("receipt_email", clean_email, v["receipt_email"])
        out["receipt_email"] = email.address if email else ""
    group = (v.get("group_code") or "").strip() or None
    if group and s.get(CustomerGroup, group) is None:
        errors.append(FieldError("group_code", Msg("Customer group '{group}' does not exist", group=group)))
    out["group_code"] = group
    affs = list(dict.fromkeys(a.strip().upper() for a in (v.get("affiliations") or []) if a.strip()))
    for a in affs:
        if s.get(Affiliation, a) is None:
            errors.append(FieldError("affiliations", Msg("Affiliation '{affiliation}' does not exist", affiliation=a)))
    out["affiliations"] = affs
    if errors:
        raise ValidationFailed(errors)
    return out


# -- labels per language (purposes, groups, affiliations, attributes and their choices) ----------

def _in_language(labels: dict[str, str], language: str, label: str,
                 key: str = "label") -> tuple[dict[str, str], dict[str, tuple]]:
    """``labels`` (language -> label) with one language's label set, and the audit's change."""
    lang = clean_language(language)
    if not lang:
        raise ValidationFailed(FieldError("language", Msg("Language is required, like de or en-GB")))
    out = dict(labels or {})
    old, out[lang] = out.get(lang), label
    return out, {f"{key}.{lang}": (old, label)}


def label_group(svc: Services, actor: Actor, code: str, language: str, label: str) -> None:
    """The name a customer group shows in one language (its name stays the default)."""
    _label_row(svc, actor, CustomerGroup, "customer_group", EventKind.GROUP_CHANGED, code, language,
               _label(label, "label", Msg("Name")), Msg("customer group {code} not found", code=code), key="name")


def label_affiliation(svc: Services, actor: Actor, code: str, language: str, label: str) -> None:
    """The name an affiliation shows in one language (its name stays the default)."""
    _label_row(svc, actor, Affiliation, "affiliation", EventKind.AFFILIATION_CHANGED, code, language,
               _label(label, "label", Msg("Name")), Msg("affiliation {code} not found", code=code), key="name")


def label_attribute(svc: Services, actor: Actor, code: str, language: str, label: str, *, choice: str = "") -> None:
    """The label a custom attribute, or one of its choices, shows in one language. The stored value of
    a choice never changes: customers keep it, each reader sees its label."""
    _label_row(svc, actor, AttributeDefinition, "attribute_definition", EventKind.ATTRIBUTE_CHANGED, code,
               language, _label(label), Msg("custom attribute {code} not found", code=code), choice=choice)


def _label_row(svc: Services, actor: Actor, model: type, entity: str, event: EventKind, code: str,
               language: str, label: str, missing: Msg, *, key: str = "label", choice: str = "") -> None:
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = tx.session.get(model, (code or "").upper())
        if row is None:
            raise NotFound(missing)
        if choice:
            if choice not in row.choices:
                raise ValidationFailed(FieldError("choice", Msg("{code} has no choice {choice}", code=row.code,
                                                                choice=choice)))
            every = dict(row.choice_labels or {})
            every[choice], changes = _in_language(every.get(choice, {}), language, label, f"choice.{choice}")
            row.choice_labels = every
        else:
            row.labels, changes = _in_language(row.labels, language, label, key)
        tx.session.add(row)
        tx.audit(entity, row.code, "label", changes)
        tx.outbox_row(event, entity, row.code, row)


# -- address purposes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PurposeView:
    code: str
    label: str
    labels: dict[str, str]
    active: bool
    sort_order: int
    default_person: bool
    default_organization: bool
    in_use: int  # addresses that use it


def purposes(svc: Services, actor: Actor) -> list[PurposeView]:
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        used = dict(s.exec(select(CustomerAddress.purpose_code, func.count())
                           .group_by(CustomerAddress.purpose_code)).all())
        return [PurposeView(p.code, p.label, dict(p.labels), p.active, p.sort_order, p.default_person,
                            p.default_organization, used.get(p.code, 0))
                for p in s.exec(select(AddressPurpose).order_by(AddressPurpose.sort_order,
                                                                AddressPurpose.code))]


def add_purpose(svc: Services, actor: Actor, code: str, label: str, labels: dict[str, str] | None = None) -> None:
    code, label = _code(code), _label(label)
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        s = tx.session
        if s.get(AddressPurpose, code) is not None:
            raise ValidationFailed(FieldError("code", Msg("Address purpose {code} already exists", code=code)))
        last = s.exec(select(func.max(AddressPurpose.sort_order))).one() or 0
        row = AddressPurpose(code=code, label=label, labels={k: _label(v) for k, v in (labels or {}).items()},
                             sort_order=last + 10)
        s.add(row)
        tx.audit("address_purpose", code, "create", {"label": (None, label)})
        tx.outbox_row(EventKind.PURPOSE_CHANGED, "address_purpose", code, row)


def _purpose(tx, code: str) -> AddressPurpose:
    row = tx.session.get(AddressPurpose, (code or "").upper())
    if row is None:
        raise NotFound(Msg("address purpose {code} not found", code=code))
    return row


def rename_purpose(svc: Services, actor: Actor, code: str, label: str, language: str | None = None) -> None:
    """The base label, or the label shown in one language."""
    label = _label(label)
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = _purpose(tx, code)
        if language:
            row.labels, changes = _in_language(row.labels, language, label)
        else:
            changes = {"label": (row.label, label)}
            row.label = label
        tx.session.add(row)
        tx.audit("address_purpose", row.code, "rename", changes)
        tx.outbox_row(EventKind.PURPOSE_CHANGED, "address_purpose", row.code, row)


def move_purpose(svc: Services, actor: Actor, code: str, steps: int) -> None:
    """Up (negative) or down (positive) in the list the associates choose from."""
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        rows = list(tx.session.exec(select(AddressPurpose).order_by(AddressPurpose.sort_order,
                                                                     AddressPurpose.code)))
        index = next((i for i, r in enumerate(rows) if r.code == (code or "").upper()), None)
        if index is None:
            raise NotFound(Msg("address purpose {code} not found", code=code))
        target = max(0, min(len(rows) - 1, index + steps))
        rows.insert(target, rows.pop(index))
        for i, r in enumerate(rows):
            r.sort_order = (i + 1) * 10
            tx.session.add(r)
        tx.audit("address_purpose", rows[target].code, "reorder",
                 {"position": (index + 1, target + 1)})
        for r in rows:
            tx.outbox_row(EventKind.PURPOSE_CHANGED, "address_purpose", r.code, r)


def set_default_purpose(svc: Services, actor: Actor, code: str, customer_type: CustomerType | str) -> None:
    ctype = CustomerType(customer_type)
    field = "default_organization" if ctype == CustomerType.ORGANIZATION else "default_person"
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = _purpose(tx, code)
        if not row.active:
            raise ValidationFailed(FieldError("code", Msg("{code} is retired: reactivate it before making it a default",
                                                     code=row.code)))
        old = tx.session.exec(select(AddressPurpose).where(getattr(AddressPurpose, field))).all()
        for o in old:
            setattr(o, field, False)
            tx.session.add(o)
        setattr(row, field, True)
        tx.session.add(row)
        tx.audit("address_purpose", row.code, "default", {field: ([o.code for o in old], row.code)})
        for r in [*old, row]:
            tx.outbox_row(EventKind.PURPOSE_CHANGED, "address_purpose", r.code, r)


def retire_purpose(svc: Services, actor: Actor, code: str) -> None:
    """Hidden for new addresses; addresses that have it keep showing it."""
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = _purpose(tx, code)
        if row.default_person or row.default_organization:
            raise ValidationFailed(FieldError("code", Msg(
                "{code} is the default for Person: choose another default first, so Person customers are not "
                "left without one", code=row.code) if row.default_person else Msg(
                "{code} is the default for Organization: choose another default first, so Organization "
                "customers are not left without one", code=row.code)))
        if not row.active:
            return
        row.active = False
        tx.session.add(row)
        tx.audit("address_purpose", row.code, "retire", {"active": (True, False)})
        tx.outbox_row(EventKind.PURPOSE_CHANGED, "address_purpose", row.code, row)


def reactivate_purpose(svc: Services, actor: Actor, code: str) -> None:
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = _purpose(tx, code)
        if row.active:
            return
        row.active = True
        tx.session.add(row)
        tx.audit("address_purpose", row.code, "reactivate", {"active": (False, True)})
        tx.outbox_row(EventKind.PURPOSE_CHANGED, "address_purpose", row.code, row)


def why_purpose_stays(p: PurposeView) -> Msg | None:
    """Why this purpose cannot be deleted (asked before the associate confirms), or None."""
    if p.in_use:
        return Msg("{code} is used by {count} address(es): retire it instead of deleting it", code=p.code,
                   count=p.in_use)
    if p.default_person or p.default_organization:
        return Msg("{code} is a default: choose another default first", code=p.code)
    return None


def delete_purpose(svc: Services, actor: Actor, code: str) -> None:
    """Only a purpose no address has ever used can be deleted; one in use is retired instead."""
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = _purpose(tx, code)
        used = tx.session.exec(select(func.count()).where(CustomerAddress.purpose_code == row.code)).one()
        reason = why_purpose_stays(PurposeView(row.code, row.label, {}, row.active, row.sort_order,
                                               row.default_person, row.default_organization, used))
        if reason:
            raise ValidationFailed(FieldError("code", reason))
        tx.session.delete(row)
        tx.audit("address_purpose", row.code, "delete", {"label": (row.label, None)})
        tx.outbox(EventKind.PURPOSE_DELETED, "address_purpose", row.code, {"code": row.code})


# -- groups, affiliations, attribute definitions ------------------------------------------------

def save_group(svc: Services, actor: Actor, code: str, name: str,
               financial_dimensions: dict[str, str] | None = None, *, active: bool = True) -> None:
    code, name = _code(code), _label(name, "name", Msg("Name"))
    dims = {clean_text(k, max_len=40, required=True, what=Msg("Dimension")): clean_text(v, max_len=80, what=Msg("Value"))
            for k, v in (financial_dimensions or {}).items()}
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = tx.session.get(CustomerGroup, code)
        before = None if row is None else {"name": row.name, "financial_dimensions": row.financial_dimensions,
                                           "active": row.active}
        row = row or CustomerGroup(code=code, name=name)
        row.name, row.financial_dimensions, row.active = name, dims, active
        tx.session.add(row)
        after = {"name": name, "financial_dimensions": dims, "active": active}
        tx.audit("customer_group", code, "create" if before is None else "update",
                 {k: ((before or {}).get(k), v) for k, v in after.items() if (before or {}).get(k) != v})
        tx.outbox_row(EventKind.GROUP_CHANGED, "customer_group", code, row)


def save_affiliation(svc: Services, actor: Actor, code: str, name: str, description: str = "", *,
                     active: bool = True) -> None:
    code, name = _code(code), _label(name, "name", Msg("Name"))
    description = clean_text(description, max_len=500, what=Msg("Description"))
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        row = tx.session.get(Affiliation, code)
        created = row is None
        row = row or Affiliation(code=code, name=name)
        changes = {k: (None if created else getattr(row, k), v)
                   for k, v in (("name", name), ("description", description), ("active", active))
                   if created or getattr(row, k) != v}
        row.name, row.description, row.active = name, description, active
        tx.session.add(row)
        tx.audit("affiliation", code, "create" if created else "update", changes)
        tx.outbox_row(EventKind.AFFILIATION_CHANGED, "affiliation", code, row)


def save_attribute(svc: Services, actor: Actor, code: str, label: str, type: AttributeType | str, *,  # noqa: A002
                   required: bool = False, choices: list[str] | None = None, show_on_create: bool = True,
                   active: bool = True) -> None:
    """A required attribute added today is asked for on the next create; customers saved before
    keep working (edits do not demand it until someone fills it)."""
    code, label = _code(code), _label(label)
    try:
        kind = AttributeType(type)
    except ValueError:
        raise ValidationFailed(FieldError("type", Msg("Type must be one of {types}",
                                                             types=", ".join(t.value for t in AttributeType)))) from None
    values = [clean_text(c, max_len=80, required=True, what=Msg("Choice")) for c in (choices or [])]
    if kind == AttributeType.CHOICE and not values:
        raise ValidationFailed(FieldError("choices", Msg("A choice list needs at least one value")))
    if len(set(values)) != len(values):
        raise ValidationFailed(FieldError("choices", Msg("A choice is listed twice")))
    with svc.change(actor, Permission.CONFIGURE_STORE) as tx:
        s = tx.session
        row = s.get(AttributeDefinition, code)
        created = row is None
        if not created and row.type != kind.value and s.exec(
                select(func.count()).where(CustomerAttribute.code == code)).one():
            raise ValidationFailed(FieldError("type", Msg("{code} already has values: its type cannot change", code=code)))
        if row is None:
            last = s.exec(select(func.max(AttributeDefinition.sort_order))).one() or 0
            row = AttributeDefinition(code=code, label=label, type=kind.value, sort_order=last + 10)
        after = {"label": label, "type": kind.value, "required": required, "choices": values,
                 "show_on_create": show_on_create or required, "active": active}
        changes = {k: (None if created else getattr(row, k), v) for k, v in after.items()
                   if created or getattr(row, k) != v}
        for k, v in after.items():
            setattr(row, k, v)
        row.choice_labels = {c: v for c, v in (row.choice_labels or {}).items() if c in values}
        s.add(row)
        tx.audit("attribute_definition", code, "create" if created else "update", changes)
        tx.outbox_row(EventKind.ATTRIBUTE_CHANGED, "attribute_definition", code, row)
