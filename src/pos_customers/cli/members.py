"""`customers members / organizations / link / unlink`: organizations and their people."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Optional

import typer
from ..domain.i18n import N_, _, tr

from ..domain.formats import phone_text
from ..domain.reference import format_reference
from .common import DB_OPTION, _actor, _errors, _services, customers_app, say

MARKS = (("primary", N_("primary contact")), ("manager", N_("manager")))


def _marks(item) -> str:
    return ", ".join(tr(label) for name, label in MARKS if getattr(item, name))


def _listing(items: list, as_json: bool, empty: str, lines) -> None:
    """A list as JSON, or as lines (``lines(item)``); an empty one says so on stderr (exit 1)."""
    if as_json:
        typer.echo(json.dumps([asdict(i) for i in items], ensure_ascii=False, indent=2))
        return
    if not items:
        say(empty, err=True)
        raise typer.Exit(1)
    for item in items:
        for line in lines(item):
            say(line)


@customers_app.command("members", help=N_("The people of an organization: role, primary contact, manager."))
def customers_members(
    org: str = typer.Argument(..., help=N_("The organization's reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.memberships import members

    svc = _services(db)
    with _errors():
        people = members(svc, _actor(), org)
    _listing(people, as_json, _("no people in this organization"), lambda p: [
        f"{format_reference(p.reference):<13} {p.name[:32]:<32} {p.role_label[:16]:<16} {phone_text(p.phone)[:18]:<18}"
        f" {_marks(p)}".rstrip()])


@customers_app.command("organizations",
                       help=N_("The organizations a person belongs to, with each one's manager and the manager's "
                               "phone."))
def customers_organizations(
    person: str = typer.Argument(..., help=N_("The person's reference or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.memberships import organizations_of

    svc = _services(db)
    with _errors():
        orgs = organizations_of(svc, _actor(), person)
    _listing(orgs, as_json, _("not a member of any organization"), lambda o: [
        f"{format_reference(o.reference):<13} {o.name[:28]:<28} {o.role_label[:14]:<14}"
        " " + _("manager: {name} {phone}").format(name=o.manager_name or '—', phone=phone_text(o.manager_phone)).rstrip() + (f"  ({_marks(o)})" if _marks(o) else ""),
        *([f"{'':<13} {o.address}"] if o.address else [])])


@customers_app.command("link",
                       help=N_("Make a person a member of an organization, or change their role and marks there."))
def customers_link(
    person: str = typer.Argument(..., help=N_("The person's reference or id.")),
    org: str = typer.Argument(..., help=N_("The organization's reference or id.")),
    role: Optional[str] = typer.Option(None, "--role", help=N_("The person's role there (reference data: "
                                                             "contact, buyer, manager, ...); a new member "
                                                             "without one gets the first.")),
    primary: Optional[bool] = typer.Option(None, "--primary/--no-primary",
                                           help=N_("Make them the organization's primary contact (or not).")),
    manager: Optional[bool] = typer.Option(None, "--manager/--no-manager",
                                           help=N_("Make them the organization's manager (or not).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.memberships import link

    svc = _services(db)
    with _errors():
        m = link(svc, _actor(), person, org, role=role, primary=primary, manager=manager)
    say(_("linked: {role}").format(role=m.role + (', ' + _marks(m) if _marks(m) else '')))


@customers_app.command("unlink", help=N_("Remove a person from an organization."))
def customers_unlink(
    person: str = typer.Argument(..., help=N_("The person's reference or id.")),
    org: str = typer.Argument(..., help=N_("The organization's reference or id.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.memberships import unlink

    svc = _services(db)
    with _errors():
        unlink(svc, _actor(), person, org)
    say(_("removed from the organization"))
