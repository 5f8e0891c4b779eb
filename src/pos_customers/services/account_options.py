"""A store's account options (which fields of the new-customer form it hides, leaves optional or
requires): read for the form, changed in the back office. They are kept with the store's
default-customer template, so a change is audited as the template's and reaches headquarters and
every till of the store as the template does (``template.updated``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.account_options import (OPTION_FIELDS, AccountOptions, FieldOption, OptionField,
                                      check_choices)
from ..domain.enums import EventKind
from ..domain.i18n import Msg
from ..storage.tables import StoreTemplate
from .context import Actor, NotFound, Permission, Services
from .store import template_of


@dataclass(frozen=True)
class OptionRow:
    field: OptionField
    level: FieldOption
    choices: tuple[FieldOption, ...]  # what the back office offers (a needed name: required only)


@dataclass(frozen=True)
class AccountOptionsView:
    store_code: str
    options: AccountOptions
    rows: tuple[OptionRow, ...]


def form_options(svc: Services, actor: Actor) -> AccountOptions:
    """This store's options, as the customer form shows them."""
    actor.require(Permission.SEARCH)
    with svc.db.read() as s:
        return template_of(s, svc.store_code).account_options


def options_view(svc: Services, actor: Actor, store_code: str | None = None) -> AccountOptionsView:
    """Every field that has an option, with the store's choice (the back-office screen)."""
    code = store_code or svc.store_code
    actor.require(Permission.CONFIGURE_STORE)
    actor.require_store(code)
    with svc.db.read() as s:
        options = template_of(s, code).account_options
    return _view(code, options)


def _view(code: str, options: AccountOptions) -> AccountOptionsView:
    every = tuple(FieldOption)
    return AccountOptionsView(code, options, tuple(
        OptionRow(f, options.level(f.name), (FieldOption.REQUIRED,) if f.needed else every)
        for f in OPTION_FIELDS))


def set_account_options(svc: Services, actor: Actor, store_code: str | None = None,
                        **levels: FieldOption | str) -> AccountOptionsView:
    """Set fields (by the record's name: ``birth_date="required"``) to hidden, optional or
    required. A name the record needs cannot be hidden or optional; a refusal changes nothing.
    One audit row (``store_template``, ``account_options``) and one ``template.updated`` event."""
    code = store_code or svc.store_code
    actor.require_store(code)
    with svc.change(actor, Permission.CONFIGURE_STORE, store_code=code) as tx:
        row = tx.session.get(StoreTemplate, code)
        if row is None:
            raise NotFound(Msg("store {store} has no template", store=code))
        current = AccountOptions.from_stored(row.account_options)
        new = check_choices(current, levels)
        changes = {f"account_options.{f.name}": (current.level(f.name).value, new.level(f.name).value)
                   for f in OPTION_FIELDS if current.level(f.name) != new.level(f.name)}
        if changes:
            row.account_options = new.stored()
            row.updated_at = tx.now
            tx.session.add(row)
            tx.audit("store_template", code, "account_options", changes)
            tx.outbox_row(EventKind.TEMPLATE_UPDATED, "store_template", code, row)
    return _view(code, new)
