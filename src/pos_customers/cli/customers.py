"""`customers …`: search, show, add, import, export, access requests, anonymize."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from ..domain.i18n import N_, Msg, _, tr

from ..domain.reference import format_reference
from ..domain.text import shown
from .common import (
    DB_OPTION,
    _actor,
    _errors,
    _services,
    customers_app,
    fail,
    say,
)

# -- customers -----------------------------------------------------------------------------------

#: codes a person reads on `show` and in search results, in their language (JSON keeps the codes)
STATES = {"person": N_("person"), "organization": N_("organization"), "active": N_("active"),
          "blocked": N_("blocked"), "registered": N_("registered"), "guest": N_("guest"),
          "pending": N_("pending"), "synced": N_("synced"), "conflict": N_("conflict"), "local": N_("local")}


def _state(code) -> str:
    return tr(STATES.get(str(code), str(code)))


def _row_line(r, connected: bool = True) -> str:
    """One result; the sync state only on a till connected to headquarters (a standalone one has none)."""
    from ..domain.formats import phone_text
    from ..services.search import listed_name

    name, phone, email, city = (shown(v) for v in (listed_name(r), phone_text(r.primary_phone), r.primary_email,
                                                   r.city))
    line = (f"{format_reference(r.reference):<13} {name[:32]:<32} {phone[:18]:<18}"
            f" {email[:34]:<34} {city[:18]:<18}")
    return f"{line} {_state(r.sync_state)}" if connected else line.rstrip()


@customers_app.command("search", help=N_("Find customers; an empty TEXT lists this store's recent customers."))
def customers_search(
    text: str = typer.Argument("", help=N_("Name words, email or part of it, phone digits, reference, card.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    offset: int = typer.Option(0, "--offset", min=0),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.search import UnknownSegment, search_customers, unknown_segment_text

    svc = _services(db)
    with _errors():
        try:
            page = search_customers(svc, _actor(), text, limit=limit, offset=offset)
        except UnknownSegment as exc:
            fail(tr(unknown_segment_text(exc)), 2)
    if as_json:
        typer.echo(json.dumps({"offset": page.offset, "has_more": page.has_more,
                               "results": [r.__dict__ for r in page.rows]}, ensure_ascii=False, indent=2))
        return
    if not page.rows:
        say(_("no customers found"), err=True)
        raise typer.Exit(1)
    from ..services.store_info import is_connected

    connected = is_connected(svc)
    for r in page.rows:
        say(_row_line(r, connected))
    if page.has_more:
        say(_("... more: --offset {offset}").format(offset=offset + limit), err=True)


@customers_app.command("show", help=N_("Everything about one customer."))
def customers_show(
    ref: str = typer.Argument(..., help=N_("Customer reference (any case, separators optional) or id.")),
    as_json: bool = typer.Option(False, "--json", help=N_("Print JSON.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customers import get_customer
    from ..services.terminal import reference_origin

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
    if as_json:
        typer.echo(json.dumps(view.to_json(), ensure_ascii=False, indent=2))
        return
    from ..services.store_info import is_connected

    sync_state = ", " + _("sync: {state}").format(state=_state(view.sync_state)) if is_connected(svc) else ""
    say(f"{view.display_name}  [{view.reference_display}]  {_state(view.customer_type)}, {_state(view.status)},"
        f" {_state(view.account_type)}{sync_state}")
    from ..domain.enums import PURPOSE_WORDS, RECEIPT_WORDS
    from ..domain.formats import address_lines, date_text, datetime_text, phone_text
    from ..domain.money import format_minor

    from ..domain import i18n
    from ..services.customers import shown_names

    names = shown_names(svc, _actor(), i18n.language())  # in the command line's language
    groups, affiliations, defs = names.groups, names.affiliations, names.attributes
    group = f"{groups[view.group_code]} ({view.group_code})" if view.group_code in groups else view.group_code
    primary, marketing = _("primary"), _("marketing ok")
    rows = [(_("blocked:"), view.status_reason if view.blocked else ""),
            (_("password"), _("must change at next sign-in") if view.must_change_password else ""),
            (_("salutation"), view.salutation), (_("title"), view.title), (_("suffix"), view.suffix),
            (_("gender"), view.gender), (_("group"), group), (_("language"), view.language),
            (_("currency"), view.currency), (_("birth date"), date_text(view.birth_date)),
            (_("affiliations"), ", ".join(affiliations.get(a, a) for a in view.affiliations)),
            *((defs[k].label, str(defs[k].choice_label(v))) if k in defs else (k, str(v))
              for k, v in view.attributes.items()),
            (_("receipt"), f"{tr(RECEIPT_WORDS.get(view.receipt_option, view.receipt_option))} "
                           f"{view.receipt_email}".strip()),
            (_("VAT number"), view.vat_number), (_("tax exempt"), _("yes") if view.tax_exempt else ""),
            (_("credit limit"), format_minor(view.credit_limit, view.currency)),
            (_("store"), view.store_code), (_("pref. store"), view.preferred_store),
            (_("issued by"), tr(reference_origin(view.reference))),
            (_("created"), datetime_text(view.created_at)), (_("updated"), datetime_text(view.updated_at))]
    def purpose(code: str) -> str:
        return tr(PURPOSE_WORDS.get(code, code))

    for e in view.emails:
        rows.append((_("email"), f"{e.address} ({purpose(e.purpose)}{', ' + primary if e.primary else ''}"
                                 f"{', ' + marketing if e.marketing_consent else ''})"))
    for p in view.phones:
        rows.append((_("phone"), f"{phone_text(p.e164)} ({purpose(p.purpose)}{', ' + primary if p.primary else ''})"))
    for a in view.addresses:
        flags = ", ".join(x for x, on in ((_("billing"), a.default_billing), (_("shipping"), a.default_shipping))
                          if on)
        said = names.purposes.get(a.purpose, a.purpose)  # the address purpose's label in this language
        rows.append((_("address"), f"{said}{' (' + flags + ')' if flags else ''}"))
        rows.extend(("", line) for line in address_lines(a.input))
    rows.extend((_("card"), c) for c in view.cards)
    width = max([13] + [len(label) for label, value in rows if value])
    for label, value in rows:
        if value:
            say(f"  {label:<{width}} {value}")


@customers_app.command("password-link",
                       help=N_("Ask headquarters to mail the customer a single-use link to set their password."))
def customers_password_link(ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
                            db: Optional[str] = DB_OPTION) -> None:
    from ..services.customers import get_customer
    from ..services.sync import (
        HqRefused,
        HqUnavailable,
        NotConnected,
        send_password_link,
    )

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        try:
            say(tr(send_password_link(svc, _actor(), view.id)))
        except (HqUnavailable, HqRefused, NotConnected) as exc:
            fail(tr(exc))


@customers_app.command("anonymize",
                       help=N_("Delete on request: erase the customer's personal data here, at headquarters and in "
                               "every store."))
def customers_anonymize(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    confirm: str = typer.Option(..., "--confirm", prompt=N_("Type the customer's reference to confirm"),
                                help=N_("The customer's reference again: anonymization cannot be undone.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customers import get_customer
    from ..services.privacy import anonymize_customer

    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        result = anonymize_customer(svc, _actor(), view.id, confirm)
    erased = ", ".join(f"{n} {k}" for k, n in result.erased.items())
    say(_("customer {reference} anonymized ({erased}); headquarters gets it with the next sync").format(
        reference=result.reference, erased=erased))


@customers_app.command("data",
                       help=N_("Access request: everything held on one customer, on this terminal and at "
                               "headquarters."))
def customers_data(
    ref: str = typer.Argument(..., help=N_("Customer reference or id.")),
    fmt: str = typer.Option("text", "--format", help=N_("text (readable) or json (complete).")),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help=N_("File to write (default: stdout).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.customers import get_customer
    from ..services.privacy import access_report, report_text

    if fmt not in ("text", "json"):
        fail(_("--format is text or json"), 2)
    svc = _services(db)
    with _errors():
        view = get_customer(svc, _actor(), ref)
        report = access_report(svc, _actor(), view.id)
    body = report_text(report, say=tr) if fmt == "text" else json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if output:
        from ..paths import write_private

        with _errors():
            write_private(output, body)
        say(_("written to {file}").format(file=output), err=True)
    elif fmt == "text":
        say(body, multiline=True)
    else:
        typer.echo(body)


@customers_app.command("add",
                       help=N_("Create a customer from flags, or from JSON on stdin (--json). The store template "
                               "fills the rest."))
def customers_add(
    first: str = typer.Option("", "--first", help=N_("First name.")),
    last: str = typer.Option("", "--last", help=N_("Last name.")),
    suffix: str = typer.Option("", "--suffix", help=N_("Name suffix (Jr., Sr., III).")),
    organization: str = typer.Option("", "--organization", help=N_("Organization name (type organization).")),
    customer_type: Optional[str] = typer.Option(None, "--type", help=N_("person or organization (default: store template).")),
    email: list[str] = typer.Option([], "--email", help=N_("Email (repeatable; first is primary).")),
    phone: list[str] = typer.Option([], "--phone", help=N_("Phone (repeatable; national or +international).")),
    birth_date: Optional[str] = typer.Option(None, "--birth-date", help=N_("YYYY-MM-DD.")),
    street: str = typer.Option("", "--street", help=N_("Street and number.")),
    city: str = typer.Option("", "--city"),
    postal_code: str = typer.Option("", "--postal-code"),
    region: str = typer.Option("", "--region", help=N_("State/province where the country uses one.")),
    country: str = typer.Option("", "--country", help=N_("Address country (default: store template).")),
    group: Optional[str] = typer.Option(None, "--group", help=N_("Customer group code.")),
    language: Optional[str] = typer.Option(None, "--language"),
    card: list[str] = typer.Option([], "--card", help=N_("Customer card number (repeatable).")),
    marketing: bool = typer.Option(False, "--marketing", help=N_("Marketing consent on the first email/phone.")),
    from_json: bool = typer.Option(False, "--json", help=N_("Read one customer as a JSON object on stdin.")),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help=N_("Create even when a likely duplicate exists.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..domain.address import AddressInput
    from ..domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput
    from ..services.customers import create_customer, find_duplicates

    svc = _services(db)
    actor = _actor()
    with _errors(customers_add):
        if from_json:
            from ..services.transfer import draft_from_json  # the import/export module: only for --json

            try:
                draft = draft_from_json(json.loads(sys.stdin.read()))
            except json.JSONDecodeError as exc:
                fail(_("stdin is not valid JSON: {reason}").format(reason=exc), 2)
        else:
            addresses = []
            if street or city or postal_code:
                addresses.append(AddressDraft(AddressInput(line1=street, city=city, region=region,
                                                           postal_code=postal_code, country=country)))
            draft = CustomerDraft(
                customer_type=customer_type, first_name=first, last_name=last, suffix=suffix,
                organization_name=organization, birth_date=birth_date, group_code=group,
                language=language,
                emails=[EmailInput(e, marketing_consent=marketing and i == 0) for i, e in enumerate(email)],
                phones=[PhoneInput(p, marketing_consent=marketing and i == 0) for i, p in enumerate(phone)],
                addresses=addresses, cards=list(card))
        if not allow_duplicate:
            hits = find_duplicates(svc, actor, draft)
            if hits:
                h = hits[0]
                fail(_("likely duplicate of {reference} {name} ({reasons}); use --allow-duplicate to create anyway")
                     .format(reference=format_reference(h.reference), name=h.display_name,
                             reasons="; ".join(tr(r) for r in h.reasons)), 4)
        view = create_customer(svc, actor, draft)
    say(_("created {reference} {name}").format(reference=view.reference_display, name=view.display_name))


@customers_app.command("edit",
                       help=N_("Change a customer: names, contacts, cards, status and the rest, from flags or a "
                               "JSON document."))
def customers_edit(
    ref: str = typer.Argument(..., help=N_("Customer reference (any case, separators optional) or id.")),
    json_file: Optional[str] = typer.Option(None, "--json", metavar="FILE|-",
                                            help=N_("A partial document in the shape of `show --json` (- reads stdin): "
                                                 "its keys replace the customer's values. Flags apply after it.")),
    first: Optional[str] = typer.Option(None, "--first", help=N_("First name.")),
    middle: Optional[str] = typer.Option(None, "--middle", help=N_("Middle name.")),
    last: Optional[str] = typer.Option(None, "--last", help=N_("Last name.")),
    suffix: Optional[str] = typer.Option(None, "--suffix", help=N_("Name suffix (Jr., Sr., III); '' removes it.")),
    organization: Optional[str] = typer.Option(None, "--organization", help=N_("Organization name.")),
    company: Optional[str] = typer.Option(None, "--company"),
    title: Optional[str] = typer.Option(None, "--title", help=N_("Academic or honorary title (free text, e.g. Dr.).")),
    salutation: Optional[str] = typer.Option(None, "--salutation", help=N_("Salutation code (MR, MS, MX, ...); '' for none.")),
    gender: Optional[str] = typer.Option(None, "--gender", help=N_("Gender code (FEMALE, MALE, DIVERSE); '' for not said.")),
    birth_date: Optional[str] = typer.Option(None, "--birth-date", help=N_("YYYY-MM-DD; '' removes it.")),
    language: Optional[str] = typer.Option(None, "--language"),
    currency: Optional[str] = typer.Option(None, "--currency"),
    group: Optional[str] = typer.Option(None, "--group", help=N_("Customer group code; '' for none.")),
    email_add: list[str] = typer.Option([], "--email-add", help=N_("Add an email (repeatable).")),
    email_remove: list[str] = typer.Option([], "--email-remove", help=N_("Remove an email (repeatable).")),
    email_primary: Optional[str] = typer.Option(None, "--email-primary", help=N_("Make this email the primary one.")),
    phone_add: list[str] = typer.Option([], "--phone-add", help=N_("Add a phone (repeatable).")),
    phone_remove: list[str] = typer.Option([], "--phone-remove", help=N_("Remove a phone (repeatable).")),
    phone_primary: Optional[str] = typer.Option(None, "--phone-primary", help=N_("Make this phone the primary one.")),
    purpose: list[str] = typer.Option([], "--purpose", metavar="CONTACT=PURPOSE",
                                      help=N_("Purpose of an email (personal, work, other) or phone (mobile, home, "
                                           "work, fax, other).")),
    marketing_on: list[str] = typer.Option([], "--marketing-on", metavar="CONTACT",
                                           help=N_("Marketing consent given for this email or phone.")),
    marketing_off: list[str] = typer.Option([], "--marketing-off", metavar="CONTACT",
                                            help=N_("Marketing consent withdrawn for this email or phone.")),
    card_add: list[str] = typer.Option([], "--card-add", help=N_("Add a loyalty card (repeatable).")),
    card_remove: list[str] = typer.Option([], "--card-remove", help=N_("Remove a loyalty card (repeatable).")),
    status: Optional[str] = typer.Option(None, "--status", help=N_("active or blocked (blocked needs --reason).")),
    reason: Optional[str] = typer.Option(None, "--reason", help=N_("Why the customer is blocked.")),
    vat: Optional[str] = typer.Option(None, "--vat", help=N_("VAT number, checked for its country; '' removes it.")),
    tax_exempt: Optional[bool] = typer.Option(None, "--tax-exempt/--no-tax-exempt", help=N_("Tax-exempt customer.")),
    credit_limit: Optional[str] = typer.Option(None, "--credit-limit",
                                               help=N_("Amount in the customer's currency (1500.00); 'none' removes "
                                                    "it. Managers only.")),
    must_change_password: Optional[bool] = typer.Option(
        None, "--must-change-password/--no-must-change-password",
        help=N_("A registered account must choose a new password at its next sign-in (or not).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..domain.errors import FieldError, ValidationFailed
    from ..services.customers import draft_from_view, get_customer, update_customer
    from ..services.transfer import DraftEdits, apply_edits, draft_with_json

    svc = _services(db)
    actor = _actor()
    given = {"first_name": first, "middle_name": middle, "last_name": last, "suffix": suffix,
             "organization_name": organization,
             "company": company, "title": title, "salutation": salutation, "gender": gender,
             "birth_date": birth_date, "language": language, "currency": currency, "group_code": group,
             "status": status, "status_reason": reason, "vat_number": vat, "tax_exempt": tax_exempt,
             "must_change_password": must_change_password}
    fields = {k: v for k, v in given.items() if v is not None}
    if "group_code" in fields or "birth_date" in fields:
        fields.update({k: fields[k] or None for k in ("group_code", "birth_date") if k in fields})
    if credit_limit is not None:
        fields["credit_limit"] = None if credit_limit.strip().lower() in ("", "none") else credit_limit
    with _errors(customers_edit):
        pairs = {}
        for item in purpose:
            contact, sep, value = item.rpartition("=")
            if not sep or not contact or not value:
                raise ValidationFailed(FieldError("purpose", Msg("'{item}' is not CONTACT=PURPOSE", item=item)))
            pairs[contact] = value
        edits = DraftEdits(fields=fields, email_add=email_add, email_remove=email_remove,
                           email_primary=email_primary, phone_add=phone_add, phone_remove=phone_remove,
                           phone_primary=phone_primary, purposes=pairs,
                           marketing={**{c: True for c in marketing_on}, **{c: False for c in marketing_off}},
                           card_add=card_add, card_remove=card_remove)
        view = get_customer(svc, actor, ref)
        draft = draft_from_view(view)
        if json_file is not None:
            try:
                text = sys.stdin.read() if json_file == "-" else Path(json_file).read_text(encoding="utf-8")
                doc = json.loads(text)
            except OSError as exc:
                fail(f"{json_file}: {exc.strerror or exc}", 2)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                fail((_("stdin is not valid JSON: {reason}") if json_file == "-" else
                      _("{file} is not valid JSON: {reason}")).format(file=json_file, reason=exc), 2)
            draft = draft_with_json(view, doc)
        draft = apply_edits(draft, edits, country=svc.settings().get("store_country", "") or "DE")
        if must_change_password and draft.account_type != "registered":
            raise ValidationFailed(FieldError("must_change_password",
                                              Msg("A guest has no online account: make it Registered first")))
        saved = update_customer(svc, actor, view.id, draft, opened=view)
    if saved is view or saved.version == view.version:
        say(_("{reference}: nothing changed").format(reference=view.reference_display))
        return
    from ..domain.record import field_label
    from ..services.customers import diff

    say(_("saved {reference} {name}: {changes}").format(reference=saved.reference_display, name=saved.display_name,
                                                         changes=", ".join(tr(field_label(c)) for c in diff(view, saved))))


@customers_app.command("import",
                       help=N_("Import customers from CSV (header row; same columns as `export --format "
                               "csv`).\n\nEvery row is checked first. By default a single bad row means NOTHING is "
                               "written and every bad row is reported. With --skip-bad the good rows are written "
                               "and the bad rows are listed. Either way the import is one transaction. A row with "
                               "the reference of a customer of this store updates it (--no-update refuses it); a "
                               "reference this store issued but does not hold is restored with that reference; any "
                               "other reference is refused. Rows without a reference are new customers, refused as "
                               "likely duplicates unless --allow-duplicate."))
def customers_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help=N_("CSV file.")),
    skip_bad: bool = typer.Option(False, "--skip-bad", help=N_("Write the good rows and list the bad ones.")),
    no_update: bool = typer.Option(False, "--no-update",
                                   help=N_("Refuse rows whose reference is a customer of this store.")),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help=N_("Import new rows even when a likely duplicate exists.")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.transfer import import_csv

    svc = _services(db)
    with _errors():
        try:
            with open(file, newline="", encoding="utf-8-sig") as fh:
                result = import_csv(svc, _actor(), fh, skip_bad=skip_bad, update=not no_update,
                                    allow_duplicate=allow_duplicate)
        except UnicodeDecodeError as exc:
            fail(_("{file}: not UTF-8 text ({reason} at byte {byte})").format(file=file, reason=exc.reason,
                                                                            byte=exc.start), 2)
    for bad in result.bad_rows:
        say(f"{file}: {tr(bad)}", err=True)
    if result.bad_rows and not result.written:
        fail(_("{n} bad row(s): nothing imported (use --skip-bad to import the good rows)")
             .format(n=len(result.bad_rows)), 2)
    say(_("imported {n} customer(s)").format(n=result.created)
        + (", " + _("updated {n}").format(n=result.updated) if result.updated else "")
        + (", " + _("{n} unchanged").format(n=result.unchanged) if result.unchanged else "")
        + (", " + _("skipped {n} bad row(s)").format(n=len(result.bad_rows)) if result.bad_rows else ""))
    if result.bad_rows:
        raise typer.Exit(2)


@customers_app.command("export", help=N_("Export every customer in this file."))
def customers_export(
    fmt: str = typer.Option("json", "--format", help=N_("json or csv.")),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help=N_("File (default: stdout).")),
    db: Optional[str] = DB_OPTION,
) -> None:
    from ..services.transfer import export

    if fmt not in ("json", "csv"):
        fail(_("--format must be json or csv, not '{format}'").format(format=fmt), 2)
    svc = _services(db)
    with _errors():
        if output:
            from ..paths import PRIVATE_FILE, private_file

            tmp = private_file(output.with_name(output.name + ".part"))  # 0600: every customer is in it
            if os.name == "posix":
                os.chmod(tmp, PRIVATE_FILE)
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                count = export(svc, _actor(), fh, fmt=fmt)
            tmp.replace(output)  # a half-written export never carries the real name
            say(_("exported {n} customer(s) to {file}").format(n=count, file=output), err=True)
        else:
            export(svc, _actor(), sys.stdout, fmt=fmt)


# -- associates ------------------------------------------------------------------------------------
