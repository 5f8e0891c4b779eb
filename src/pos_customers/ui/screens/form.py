"""Create or edit a customer: template pre-fill, live checks next to each field, likely
duplicates as you type, ctrl+s to save, Escape to cancel (asking first when something was typed)."""

from __future__ import annotations

from dataclasses import MISSING, fields, replace
from datetime import date
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (Checkbox, DataTable, Header, Input, Label, OptionList, Select,
                             SelectionList, Static)
from textual.widgets.option_list import Option

from ...domain.account_options import CONFIGURABLE, OPTION_FIELDS, AccountOptions
from ...domain.customer import CustomerDraft, EmailInput, PhoneInput, clean_card_number
from ...domain.enums import RECEIPT_WORDS, AttributeType, CustomerStatus, CustomerType, ReceiptOption
from ...domain.errors import FieldProblem
from ...domain import i18n
from ...domain.i18n import N_, _, ngettext, tr
from ...domain.formats import number_example, parse_date_text, typed_date
from ...domain.money import minor_digits
from ...services.context import Permission
from ...domain.errors import FieldError, ValidationFailed
from ...domain.reference import format_reference
from ...domain.template import receipt_for
from ...services.customers import (StaleEdit, card_holder, create_customer, draft_from_view, find_duplicates,
                                   rebase_draft, update_customer, validate_draft)
from ...services.account_options import form_options
from ...services.records import form_choices
from ...services.views import CustomerView
from ..text import plain, safe
from ..widgets.label_column import widen_labels
from ..widgets.field_error import ErrorLine, error_line, focus_at_end
from ..widgets.footer import KeysFooter
from ..widgets.text_input import TextInput
from .address import AddressModal
from .contact import PURPOSES, ContactEdit, ContactModal, purpose_label, purpose_options
from .dialogs import ConfirmModal, ConflictModal

# labels and placeholders are marked here and translated where shown (tr)
TEXT_FIELDS = [
    ("title", N_("Title")), ("first_name", N_("First name")), ("middle_name", N_("Middle name")),
    ("last_name", N_("Last name")), ("suffix", N_("Suffix")), ("organization_name", N_("Organization")),
    ("company", N_("Company")),
    ("birth_date", N_("Date of birth")), ("email", N_("Email")), ("phone", N_("Phone")),
    ("language", N_("Language")), ("currency", N_("Currency")), ("receipt_email", N_("Receipt email")),
    ("vat_number", N_("VAT number")), ("credit_limit", N_("Credit limit")),
]
PLACEHOLDERS = {"birth_date": N_("YYYY-MM-DD"), "language": "de, en-GB, …", "currency": "EUR",
                "phone": N_("national or +international"), "email": "name@example.com", "suffix": "Jr., Sr., III",
                "vat_number": N_("with or without country code"), "credit_limit": N_("none; e.g. 1500.00")}
OTHER_LABELS = {"salutation": N_("Salutation"), "gender": N_("Gender"), "status_reason": N_("Blocked because"),
                "group_code": N_("Customer group"), "receipt_option": N_("Receipt"), "password": N_("Set password"),
                "affiliations": N_("Affiliations"), "cards": N_("Loyalty cards"), "addresses": N_("Addresses")}
#: what a person reads for the codes of the form's fixed choices (the code is what is stored)
CUSTOMER_TYPES = [(N_("Person"), "person"), (N_("Organization"), "organization")]
RECEIPT_LABELS = RECEIPT_WORDS
STATUSES = [(N_("active"), "active"), (N_("blocked"), "blocked")]
ACCOUNT_TYPES = [(N_("guest (no account)"), "guest"), (N_("registered"), "registered")]


def choices_in_language(pairs) -> list[tuple[str, str]]:
    """(marked label, code) pairs for a Select: the labels in the current language."""
    return [(tr(label), code) for label, code in pairs]


def receipt_options() -> list[tuple[str, str]]:
    return [(tr(RECEIPT_LABELS.get(o, o.value)), o.value) for o in ReceiptOption]


def field_label(name: str) -> str:
    """The form's label of a field (or the account option's), in the current language."""
    text = dict(TEXT_FIELDS).get(name) or OTHER_LABELS.get(name) or next(
        (f.label for f in OPTION_FIELDS if f.name == name), name)
    return tr(text)


# the error field names the services use -> the widget that shows them
ERROR_TARGET = {"emails.0.address": "email", "phones.0.number": "phone", "group_code": "group_code",
                "emails": "more-contacts", "phones": "more-contacts"}
# a record field with an account option -> the form's row for it (where the names differ)
OPTION_ROW = {"emails": "email", "phones": "phone"}
# options of a line of each address (no row of the form: the address dialog follows them)
ADDRESS_PARTS = frozenset(f.name for f in OPTION_FIELDS if f.part)


def error_target(field: str) -> str:
    """The widget whose error line shows a service's error about ``field``."""
    if field in ERROR_TARGET:
        return ERROR_TARGET[field]
    if field.startswith(("emails.", "phones.")):
        return "more-contacts"  # a contact of the list under the first email and phone
    if field.startswith("cards"):
        return "card-input"
    return field


def placeholder(name: str) -> str:
    """A field's hint in the person's language; a date and an amount written the store's way
    (``z. B. 27.03.1984``, ``z. B. 1.500,00``), as the field reads them back."""
    if name == "birth_date":
        return _("e.g. {example}").format(example=typed_date(date(1984, 3, 27)))
    if name == "credit_limit":
        return _("e.g. {example}").format(example=number_example("1500.00"))
    return tr(PLACEHOLDERS[name]) if name in PLACEHOLDERS else ""


def amount_text(minor: int | str | None, currency: str) -> str:
    """A credit limit in the form: whole minor units shown as the store writes an amount
    (150050 -> 1.500,50 in de, 1,500.50 in en), which the field reads back."""
    if minor is None or isinstance(minor, str):
        return minor or ""
    digits = minor_digits(currency)
    return number_example(Decimal(minor).scaleb(-digits), digits)


def day_text(value: date | str | None) -> str:
    """A date of birth in the form: as the store writes it (27.03.1984), read back the same way."""
    if isinstance(value, date):
        return typed_date(value)
    day = parse_date_text(value or "") if value else None
    if day is None and value:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return value
    return typed_date(day) if day else ""


class CustomerFormScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="form.save", tooltip=N_("Check and save the customer")),
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel", tooltip=N_("Leave without saving")),
        Binding("f4", "add_address", N_("Add address"), id="form.add_address", tooltip=N_("Add an address")),
        Binding("f6", "duplicates", N_("Duplicates"), id="form.duplicates",
                tooltip=N_("Go to the list of likely existing customers")),
        Binding("f3", "add_contact", N_("Add contact"), id="form.add_contact",
                tooltip=N_("Add another email or phone (purpose, marketing consent, primary)")),
        Binding("delete", "remove_row", N_("Remove"), id="form.remove_row",
                tooltip=N_("Remove the email, phone or loyalty card under the cursor (lists of the form)")),
    ]
    DEFAULT_CSS = """
    CustomerFormScreen #form { height: 1fr; padding: 0 1; }
    CustomerFormScreen .row { height: auto; }
    CustomerFormScreen .field-label { width: 18; }
    CustomerFormScreen .required { text-style: bold; }
    CustomerFormScreen .row Input, CustomerFormScreen .row Select { width: 1fr; }
    CustomerFormScreen .error { color: $error; padding-left: 18; height: auto; width: 100%; display: none; }
    CustomerFormScreen .error.shown { display: block; }
    CustomerFormScreen Checkbox, CustomerFormScreen Checkbox:focus { border: none; height: 1; padding: 0; margin-left: 18; }
    CustomerFormScreen .hidden { display: none; }
    CustomerFormScreen #dup-box { height: auto; max-height: 7; border-top: solid $warning; }
    CustomerFormScreen #dup-title { color: $warning; text-style: bold; padding: 0 1; }
    CustomerFormScreen #duplicates { height: auto; max-height: 5; }
    CustomerFormScreen SelectionList { height: auto; max-height: 6; width: 1fr; }
    CustomerFormScreen .section { text-style: bold; margin-top: 1; }
    CustomerFormScreen #form-errors { color: $error; padding: 0 1; height: auto; }
    CustomerFormScreen .row .purpose { width: 12; }
    CustomerFormScreen .list { height: auto; max-height: 8; margin-left: 18; width: 1fr; }
    CustomerFormScreen .muted { color: $text-muted; }
    """

    def __init__(self, *, draft: CustomerDraft, view: CustomerView | None = None) -> None:
        super().__init__()
        self.view = view  # None: a new customer
        self.base = draft
        self.addresses = list(draft.addresses)
        # the first email and phone are in the fields; the others in the list under them
        self.more_emails: list[EmailInput] = list(draft.emails[1:])
        self.more_phones: list[PhoneInput] = list(draft.phones[1:])
        self.cards: list[str] = list(draft.cards)
        self.touched: set[str] = set()
        self._moved: dict[str, str] = {}  # values this form put in fields itself (not typed)
        self.dirty = False
        self.duplicates: list = []
        self._timer: Timer | None = None
        self._save_tried = False
        self._loading = True

    @property
    def dirty(self) -> bool:
        """Something was typed and not saved: closing the customer or quitting asks first."""
        return self._dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        changed = value != getattr(self, "_dirty", False)
        self._dirty = value
        if changed and self.is_attached:
            getattr(self.app, "unsaved_changed", lambda: None)()  # the strip marks it

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        d = self.base
        choices = form_choices(self.app.services, self.app.actor, language=i18n.language())
        self.choices = choices
        self.options: AccountOptions = form_options(self.app.services, self.app.actor)
        yield Header()
        yield Label("", id="form-errors", markup=False)
        with VerticalScroll(id="form", can_focus=False):  # focus goes to the fields (a focusable
            # container took the first focus and gave it up: two restyles of the whole form on opening)
            with Horizontal(classes="row"):
                yield Label(_("Customer type") + " *", classes="field-label required", markup=False)
                yield Select(choices_in_language(CUSTOMER_TYPES),
                             value=str(d.customer_type or "person"), allow_blank=False, id="customer_type", compact=True)
            with Horizontal(classes="row", id="row-salutation"):
                yield Label(field_label("salutation"), classes="field-label", id="label-salutation", markup=False)
                yield Select(self._options(choices.salutations, d.salutation), value=d.salutation or Select.NULL,
                             id="salutation", prompt=_("none"), compact=True)
            yield ErrorLine(id="err-salutation")
            for name, label in TEXT_FIELDS:
                with Horizontal(classes="row", id=f"row-{name}"):
                    yield Label(tr(label), classes="field-label", id=f"label-{name}", markup=False)
                    hint = placeholder(name)
                    yield TextInput(self._initial(name), id=name, placeholder=hint, compact=True,
                                    disabled=name == "credit_limit"
                                    and not self.app.actor.can(Permission.SET_CREDIT_LIMIT))
                    if name in ("email", "phone"):
                        first = (d.emails if name == "email" else d.phones)[:1]
                        yield Select(purpose_options(name), value=str(first[0].purpose) if first
                                     else PURPOSES[name][0], allow_blank=False, id=f"{name}_purpose",
                                     classes="purpose", compact=True)
                yield ErrorLine(id=f"err-{name}")
                if name == "birth_date":
                    with Horizontal(classes="row", id="row-gender"):
                        yield Label(field_label("gender"), classes="field-label", id="label-gender", markup=False)
                        yield Select(self._options(choices.genders, d.gender), value=d.gender or Select.NULL,
                                     id="gender", prompt=_("not said"), compact=True)
                    yield ErrorLine(id="err-gender")
                if name == "email":
                    yield Checkbox(_("Marketing by email"), bool(d.emails and d.emails[0].marketing_consent),
                                   id="email_marketing")
                if name == "phone":
                    yield Checkbox(_("Marketing by phone/SMS"), bool(d.phones and d.phones[0].marketing_consent),
                                   id="phone_marketing")
                    with Horizontal(classes="row", id="row-more-contacts"):
                        yield Label(_("More contacts"), classes="field-label", markup=False)
                        yield Label(_("F3 adds · Enter edits · Delete removes"), classes="muted", markup=False)
                    contacts = DataTable(id="more-contacts", cursor_type="row", classes="list", show_header=False)
                    contacts.add_columns(_("Contact"), _("Purpose"), _("Marketing"))
                    yield contacts
                    yield ErrorLine(id="err-more-contacts")
                if name == "vat_number":
                    yield Checkbox(_("Tax exempt"), bool(d.tax_exempt), id="tax_exempt")
            with Horizontal(classes="row"):
                yield Label(field_label("cards"), classes="field-label", markup=False)
                yield TextInput("", id="card-input", placeholder=_("type or scan, Enter adds"), compact=True)
            yield ErrorLine(id="err-card-input")
            cards = DataTable(id="cards-list", cursor_type="row", classes="list", show_header=False)
            cards.add_columns(_("Card"))
            yield cards
            with Horizontal(classes="row"):
                yield Label(_("Status"), classes="field-label", markup=False)
                yield Select(choices_in_language(STATUSES), value=str(d.status or "active"),
                             allow_blank=False, id="status", compact=True)
            with Horizontal(classes="row", id="row-status_reason"):
                yield Label(field_label("status_reason"), classes="field-label", markup=False)
                yield TextInput(safe(d.status_reason), id="status_reason", compact=True,
                                placeholder=_("why: shown wherever the customer is"))
            yield ErrorLine(id="err-status_reason")
            with Horizontal(classes="row"):
                yield Label(field_label("group_code"), classes="field-label", markup=False)
                yield Select([(plain(f"{c.label} ({c.code})"), c.code) for c in choices.groups],
                             value=d.group_code or Select.NULL, id="group_code", prompt=_("none"), compact=True)
            yield ErrorLine(id="err-group_code")
            with Horizontal(classes="row"):
                yield Label(field_label("receipt_option"), classes="field-label", markup=False)
                yield Select(receipt_options(),
                             value=self._receipt(bool(d.emails or d.receipt_email)), allow_blank=False,
                             id="receipt_option", compact=True)
            yield ErrorLine(id="err-receipt_option")
            with Horizontal(classes="row"):
                yield Label(_("Online account"), classes="field-label", markup=False)
                yield Select(choices_in_language(ACCOUNT_TYPES),
                             value=str(d.account_type or "guest"), allow_blank=False, id="account_type",
                             compact=True)
            with Horizontal(classes="row", id="row-password"):
                yield Label(field_label("password"), classes="field-label", markup=False)
                yield TextInput("", id="password", password=True, compact=True,
                                placeholder=_("leave empty to keep") if self.view
                                else _("optional: or send a link later"))
            yield ErrorLine(id="err-password")
            yield Checkbox(_("Must change password at next online sign-in"), bool(d.must_change_password),
                           id="must_change_password")
            with Horizontal(classes="row"):
                yield Label(field_label("affiliations"), classes="field-label", markup=False)
                yield SelectionList(*[(plain(f"{c.label} ({c.code})"), c.code, c.code in (d.affiliations or []))
                                      for c in choices.affiliations], id="affiliations")
            shown = choices.attributes if self.view is None else choices.attributes_all
            for a in shown:
                with Horizontal(classes="row"):
                    yield Label(safe(a.label) + (" *" if a.required else ""),
                                classes="field-label" + (" required" if a.required else ""), markup=False)
                    value = str(d.attributes.get(a.code, ""))
                    if a.type == AttributeType.CHOICE:
                        yield Select([(plain(a.choice_label(c)), c) for c in a.choices], value=value or Select.NULL,
                                     id=f"attr-{a.code}", prompt="—", classes="attr-field", compact=True)
                    else:
                        yield TextInput(safe(value), id=f"attr-{a.code}", classes="attr-field", compact=True,
                                        placeholder={AttributeType.DATE: _("YYYY-MM-DD"),
                                                 AttributeType.BOOLEAN: _("yes / no")}.get(a.type, ""))
                yield ErrorLine(id=f"err-attributes.{a.code}".replace(".", "-"))
            yield Label(_("Addresses (F4 adds one)"), classes="section", id="label-addresses", markup=False)
            yield Static("", id="addresses", markup=False)
            yield ErrorLine(id="err-addresses")
        with Vertical(id="dup-box", classes="hidden"):
            yield Label("", id="dup-title", markup=False)
            yield OptionList(id="duplicates")
        yield KeysFooter()

    def _receipt(self, has_email: bool) -> str:
        """A new customer's receipt as the template gives it: its email receipt once an email is
        typed, printed until then. An edited customer's stays as it is."""
        option = self.base.receipt_option or ReceiptOption.PRINT
        return str(option if self.view is not None else receipt_for(option, has_email))

    def _follow_email(self) -> None:
        """A new customer's receipt follows the email field until the associate picks one."""
        if self.view is not None or "receipt_option" in self.touched:
            return
        wanted = self._receipt(bool(self.query_one("#email", Input).value.strip()
                                    or self.query_one("#receipt_email", Input).value.strip()))
        select = self.query_one("#receipt_option", Select)
        if str(select.value) != wanted:
            self._moved["receipt_option"] = wanted
            select.value = wanted

    def _initial(self, name: str) -> str:
        """A field's first value, through the sanitizer: a character nobody can see (one that came
        with a pull) shows as "�", which the checks then name, and the associate deletes it."""
        d = self.base
        if name == "email":
            return safe(d.emails[0].address) if d.emails else ""
        if name == "phone":
            return safe(d.phones[0].number) if d.phones else ""
        if name == "credit_limit":
            return amount_text(d.credit_limit, d.currency or "")
        value = getattr(d, name)
        if name == "birth_date":
            return safe(day_text(value))  # as the store writes dates, read back so
        return safe(value.isoformat() if isinstance(value, date) else value)

    @staticmethod
    def _options(choices, current: str) -> list[tuple[str, str]]:
        """A reference list's choices; a code it no longer has stays choosable on the customer that has it."""
        options = [(plain(c.label), c.code) for c in choices]
        if current and current not in [c.code for c in choices]:
            options.append((plain(current), current))
        return options

    def on_mount(self) -> None:
        self.title = _("Edit customer {reference}").format(reference=format_reference(self.view.reference)) \
            if self.view else _("New customer")
        self.sub_title = self.app.header_text()
        self._apply_options()
        self._apply_type(str(self.base.customer_type or "person"))
        self._show_password(str(self.base.account_type or "guest"))
        self.query_one("#row-status_reason").set_class(str(self.base.status or "active") != "blocked", "hidden")
        self._show_addresses()
        self._show_contacts()
        self._show_cards()
        widen_labels(self, 24)  # a custom attribute's name ("Preferred contact time") on one line
        focus_at_end(self.query_one("#first_name" if self.base.customer_type != "organization"
                                    else "#organization_name", Input))
        self.call_after_refresh(self._loaded)

    def _loaded(self) -> None:
        self._loading = False
        if any(self._initial(n) for n in ("first_name", "last_name", "email", "phone", "organization_name")):
            self._schedule()  # pre-filled from the search box: look for duplicates straight away
        elif self.touched or self._save_tried:
            self._schedule()  # made again in another language: its messages come back in it

    def _show_password(self, account_type: str) -> None:
        """The password and its "must change" flag: for a registered account only."""
        for found in (self.query_one("#row-password"), self.query_one("#must_change_password")):
            found.set_class(account_type != "registered", "hidden")

    def _apply_type(self, ctype: str) -> None:
        person = ctype != CustomerType.ORGANIZATION
        for name, required in (("first_name", person), ("last_name", person),
                               ("organization_name", not person)):
            label = self.query_one(f"#label-{name}", Label)
            label.update(field_label(name) + (" *" if required else ""))
            label.set_class(required, "required")
        for f in OPTION_FIELDS:
            if f.person_only:
                self.query_one(f"#row-{f.name}").set_class(not person or self.options.hidden(f.name), "hidden")

    def _apply_options(self) -> None:
        """The store's account options: a hidden field is not shown, a required one is marked *."""
        for name in CONFIGURABLE:
            if name in ADDRESS_PARTS:
                continue  # a line of each address: the address dialog follows it
            row = OPTION_ROW.get(name, name)
            hidden, required = self.options.hidden(name), self.options.required(name)
            if name == "addresses":
                for found in (self.query_one("#label-addresses"), self.query_one("#addresses")):
                    found.set_class(hidden, "hidden")
                label = self.query_one("#label-addresses", Label)
                label.update(_("Addresses (F4 adds one)") + (" *" if required else ""))
                label.set_class(required, "required")
                continue
            if hidden:
                self.query_one(f"#row-{row}").add_class("hidden")
                for extra in self.query(f"#{row}_marketing"):
                    extra.add_class("hidden")
            label = self.query_one(f"#label-{row}", Label)
            label.update((field_label(row) if row in dict(TEXT_FIELDS) else field_label(name))
                         + (" *" if required else ""))
            label.set_class(required, "required")
        if self.options.hidden("emails") and self.options.hidden("phones"):
            self.query_one("#row-more-contacts").add_class("hidden")

    def _carry_name(self, ctype: str) -> None:
        """Words from the search box that went to the names (or the organization) follow a switch
        of the customer type, as long as nobody typed in those fields."""
        names = ("first_name", "last_name", "organization_name")
        if self.view is not None or any(n in self.touched for n in names):
            return
        box = {n: self.query_one(f"#{n}", Input) for n in names}
        if ctype == CustomerType.ORGANIZATION and not box["organization_name"].value:
            words = " ".join(w for w in (box["first_name"].value, box["last_name"].value) if w)
            moves = {"organization_name": words, "first_name": "", "last_name": ""} if words else {}
        elif ctype != CustomerType.ORGANIZATION and box["organization_name"].value and not (
                box["first_name"].value or box["last_name"].value):
            *first, last = box["organization_name"].value.split() or [""]
            moves = {"first_name": " ".join(first), "last_name": last, "organization_name": ""}
        else:
            return
        for name, value in moves.items():
            if box[name].value != value:
                self._moved[name] = value
                box[name].value = value

    def _show_addresses(self) -> None:
        from ...domain.address import one_line
        lines = []
        for i, a in enumerate(self.addresses, 1):
            flags = ", ".join(x for x, on_ in ((_("billing"), a.default_billing), (_("shipping"), a.default_shipping))
                              if on_)
            purpose = self.choices.all_purposes.get(a.purpose or "", a.purpose or _("default"))
            lines.append(f"{i}. {purpose}: {one_line(a.address)}" + (f" [{flags}]" if flags else ""))
        self.query_one("#addresses", Static).update("\n".join(safe(line) for line in lines) or _("none"))

    def _show_contacts(self) -> None:
        table = self.query_one("#more-contacts", DataTable)
        row = table.cursor_row
        table.clear()
        for i, e in enumerate(self.more_emails):
            table.add_row(plain(e.address), plain(purpose_label(str(e.purpose))),
                          _("marketing") if e.marketing_consent else "",
                          key=f"email:{i}")
        for i, p in enumerate(self.more_phones):
            table.add_row(plain(p.number), plain(purpose_label(str(p.purpose))),
                          _("marketing") if p.marketing_consent else "",
                          key=f"phone:{i}")
        table.set_class(not table.row_count, "hidden")
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def _show_cards(self) -> None:
        table = self.query_one("#cards-list", DataTable)
        row = table.cursor_row
        table.clear()
        for number in self.cards:
            table.add_row(plain(number), key=number)
        table.set_class(not table.row_count, "hidden")
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    # -- reading the form ------------------------------------------------------------------------
    def draft(self) -> CustomerDraft:
        v = {name: self.query_one(f"#{name}", Input).value for name, _ in TEXT_FIELDS}
        v["status_reason"] = self.query_one("#status_reason", Input).value
        ctype = str(self.query_one("#customer_type", Select).value)
        group = self.query_one("#group_code", Select)
        emails = [replace(e, primary=False) for e in self.more_emails]
        phones = [replace(p, primary=False) for p in self.more_phones]
        if v["email"].strip():
            emails.insert(0, EmailInput(v["email"], str(self.query_one("#email_purpose", Select).value), True,
                                        self.query_one("#email_marketing", Checkbox).value))
        if v["phone"].strip():
            phones.insert(0, PhoneInput(v["phone"], str(self.query_one("#phone_purpose", Select).value), True,
                                        self.query_one("#phone_marketing", Checkbox).value))
        attributes = dict(self.base.attributes)
        for widget in self.query(".attr-field"):
            code = widget.id[5:]
            value = widget.value
            attributes[code] = "" if value is None or value is Select.NULL else str(value)
        person = ctype != CustomerType.ORGANIZATION
        draft = replace(
            self.base, customer_type=ctype,
            title=v["title"] if person else "", first_name=v["first_name"],
            middle_name=v["middle_name"] if person else "", last_name=v["last_name"],
            suffix=v["suffix"] if person else "",
            organization_name=v["organization_name"], company=v["company"],
            birth_date=(v["birth_date"] or None) if person else None,
            language=v["language"], currency=v["currency"],
            group_code=None if group.is_blank() else str(group.value),
            receipt_option=str(self.query_one("#receipt_option", Select).value),
            receipt_email=v["receipt_email"],
            account_type=str(self.query_one("#account_type", Select).value),
            password=self.query_one("#password", Input).value,
            must_change_password=self.query_one("#must_change_password", Checkbox).value,
            affiliations=list(self.query_one("#affiliations", SelectionList).selected),
            emails=emails, phones=phones, addresses=list(self.addresses), attributes=attributes,
            salutation=self._code("#salutation"), gender=self._code("#gender") if person else "",
            status=str(self.query_one("#status", Select).value), status_reason=v["status_reason"]
            if str(self.query_one("#status", Select).value) == CustomerStatus.BLOCKED else "",
            vat_number=v["vat_number"], tax_exempt=self.query_one("#tax_exempt", Checkbox).value,
            credit_limit=v["credit_limit"].strip() or None, cards=list(self.cards))
        return replace(draft, **self._hidden_empty())

    def _hidden_empty(self) -> dict:
        """A new customer's hidden fields: empty, whatever the search box put there (the form does
        not show them). An edited customer keeps what it has in them."""
        if self.view is not None:
            return {}
        empty = {f.name: f.default if f.default is not MISSING else f.default_factory()
                 for f in fields(CustomerDraft)}
        return {name: empty[name] for name in CONFIGURABLE
                if name not in ADDRESS_PARTS and self.options.hidden(name)}

    def _code(self, selector: str) -> str:
        select = self.query_one(selector, Select)
        return "" if select.is_blank() else str(select.value)

    # -- live checks ------------------------------------------------------------------------------
    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event) -> None:
        if self._loading:
            return
        if getattr(getattr(event, "input", None), "id", None) == "card-input":
            self.query_one("#err-card-input", ErrorLine).show("")
            return  # a card being typed or scanned: added with Enter
        widget = getattr(event, "input", None) or getattr(event, "select", None) or getattr(
            event, "checkbox", None) or getattr(event, "selection_list", None)
        if widget is not None and widget.id:
            if widget.id in self._moved and self._moved[widget.id] == getattr(event, "value", None):
                del self._moved[widget.id]  # moved here by the type switch, not typed
            else:
                self.touched.add(widget.id)
        self.dirty = True
        if widget is not None and widget.id == "customer_type":
            self._apply_type(str(event.value))
            self._carry_name(str(event.value))
        if widget is not None and widget.id in ("email", "receipt_email"):
            self._follow_email()
        if widget is not None and widget.id == "status":
            self.query_one("#row-status_reason").set_class(str(event.value) != "blocked", "hidden")
        if widget is not None and widget.id == "account_type":
            self._show_password(str(event.value))
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.25, lambda: self.check(self.draft()))

    @work(exclusive=True, thread=True, group="form-check")
    def check(self, draft: CustomerDraft) -> None:
        svc, actor = self.app.services, self.app.actor
        errors = validate_draft(svc, actor, draft, new=self.view is None, before=self.view)
        hits = find_duplicates(svc, actor, draft, exclude_id=self.view.id if self.view else None)
        self.app.call_from_thread(self._show_checks, errors, hits, False)

    def _show_checks(self, errors: list[FieldError], hits: list, all_fields: bool) -> None:
        if self not in self.app.screen_stack:
            return  # saved or cancelled while the check ran (off the stack, perhaps still being removed)
        try:
            self._put_checks(errors, hits, all_fields or self._save_tried)
        except NoMatches:
            if self.is_attached and self in self.app.screen_stack:
                raise
            # the form was saved or cancelled while the check ran (it may still be unmounting its
            # fields): nothing left to show it on

    def _put_checks(self, errors: list[FieldError], hits: list, all_fields: bool) -> None:
        for label in self.query(ErrorLine):
            label.show("")
        other = []
        for e in errors:
            target = error_target(e.field)
            if target.startswith("attributes."):
                target = target.replace(".", "-")
            if not all_fields and target not in self.touched and not target.startswith("attr"):
                continue
            if target.startswith("attributes-") and not all_fields and f"attr-{target[11:]}" not in self.touched:
                continue
            line = error_line(self, target)
            if line is not None:
                line.show(tr(e.message))
            elif target.startswith("addresses"):
                self.query_one("#err-addresses", ErrorLine).show(tr(e.message))
            elif all_fields:
                other.append(f"{field_label(e.field)}: {tr(e.message)}")
        # the line at the top counts what is left to correct once a save was refused: it goes down
        # as fields are corrected, and goes when none is left
        count = ngettext("{n} field needs attention", "{n} fields need attention", len(errors)).format(
            n=len(errors)) if all_fields and errors else ""
        self.query_one("#form-errors", Label).update(safe(": ".join(t for t in (count, "; ".join(other)) if t)))
        self.duplicates = hits
        box = self.query_one("#dup-box")
        box.set_class(not hits, "hidden")
        options = self.query_one("#duplicates", OptionList)
        options.clear_options()
        if hits:
            self.query_one("#dup-title", Label).update(
                ngettext("{n} likely existing customer (F6, Enter opens)",
                         "{n} likely existing customers (F6, Enter opens)", len(hits)).format(n=len(hits)))
            options.add_options([Option(plain(f"{format_reference(h.reference)}  {h.display_name} · "
                                              f"{'; '.join(tr(r) for r in h.reasons)}"), id=h.customer_id)
                                 for h in hits])

    def action_duplicates(self) -> None:
        if self.duplicates:
            options = self.query_one("#duplicates", OptionList)
            if options.highlighted is None:
                options.highlighted = 0
            options.focus()
        else:
            self.notify(_("No likely duplicates: no customer with this email or phone, nor with a name alike and "
                          "the same postal code or date of birth."), markup=False)

    @on(OptionList.OptionSelected, "#duplicates")
    def _open_duplicate(self, event: OptionList.OptionSelected) -> None:
        self.app.open_customer(event.option.id)

    # -- actions ----------------------------------------------------------------------------------
    def action_add_address(self) -> None:
        ctype = str(self.query_one("#customer_type", Select).value)
        active = [(c.code, c.label) for c in self.choices.purposes]
        default = "BUSINESS" if ctype == CustomerType.ORGANIZATION else "HOME"

        def done(result) -> None:
            if result is None:
                return
            if not self.addresses:
                result = replace(result, default_billing=True, default_shipping=True)
            self.addresses.append(result)
            self.dirty = True
            self._show_addresses()
            self._schedule()
        self.app.push_screen(AddressModal(draft=None, purposes=active, default_purpose=default,
                                          default_country=self.app.template_country,
                                          line2=self.options.level("address_line2").value), done)

    # -- more emails and phones, loyalty cards -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "add_address" and self.options.hidden("addresses"):
            return False  # the store does not ask for an address
        if action == "add_contact" and self.options.hidden("emails") and self.options.hidden("phones"):
            return False
        if action == "remove_row":
            return isinstance(self.focused, DataTable) and self.focused.id in ("more-contacts", "cards-list") \
                and self.focused.row_count > 0
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # Delete is offered on the lists only

    def action_add_contact(self) -> None:
        self.app.push_screen(ContactModal(contact=None, country=self.app.store_country, kinds=self._contact_kinds()),
                             self._contact_done(None))

    def _contact_kinds(self) -> tuple[str, ...]:
        """The kinds of contact the store's account options show (emails, phones)."""
        return tuple(kind for kind, field in (("email", "emails"), ("phone", "phones"))
                     if not self.options.hidden(field))

    @on(DataTable.RowSelected, "#more-contacts")
    def _edit_contact(self, event: DataTable.RowSelected) -> None:
        kind, index = str(event.row_key.value).split(":")
        contact = (self.more_emails if kind == "email" else self.more_phones)[int(index)]
        self.app.push_screen(ContactModal(contact=contact, country=self.app.store_country, kinds=self._contact_kinds()),
                             self._contact_done((kind, int(index))))

    def _contact_done(self, where: tuple[str, int] | None):
        def done(result: ContactEdit | None) -> None:
            if result is None:
                return
            items = self.more_emails if result.kind == "email" else self.more_phones
            if where is not None:
                del items[where[1]]
            if result.primary:
                self._make_primary(result)
            else:
                items.insert(where[1] if where is not None else len(items), result.contact)
            self.touched.add("more-contacts")
            self.dirty = True
            self._show_contacts()
            self._schedule()
        return done

    def _make_primary(self, chosen: ContactEdit) -> None:
        """The chosen contact goes to the fields at the top; the one that was there joins the list."""
        kind = chosen.kind
        box = self.query_one(f"#{kind}", Input)
        purpose = self.query_one(f"#{kind}_purpose", Select)
        marketing = self.query_one(f"#{kind}_marketing", Checkbox)
        items = self.more_emails if kind == "email" else self.more_phones
        if box.value.strip():
            make = EmailInput if kind == "email" else PhoneInput
            items.insert(0, make(box.value.strip(), str(purpose.value), False, marketing.value))
        c = chosen.contact
        box.value = c.address if kind == "email" else c.number
        purpose.value = str(c.purpose)
        marketing.value = bool(c.marketing_consent)
        self.touched.add(kind)

    @on(Input.Submitted, "#card-input")
    def _add_card(self, event: Input.Submitted) -> None:
        """Typed or scanned (a scanner types the digits, then Enter): checked here, then listed."""
        error = self.query_one("#err-card-input", ErrorLine)
        try:
            number = clean_card_number(event.value)
        except FieldProblem as exc:
            error.show(tr(exc))
            return
        if number in self.cards:
            error.show(_("Card {number} is already on this customer").format(number=number))
            return
        holder = card_holder(self.app.services, self.app.actor, number,
                             exclude_id=self.view.id if self.view else None)
        if holder is not None:
            error.show(_("Card {number} belongs to {name} ({reference})").format(
                number=number, name=holder.display_name, reference=holder.reference_display))
            return
        self.cards.append(number)
        event.input.value = ""
        error.show("")
        self.dirty = True
        self._show_cards()
        self._schedule()

    def action_remove_row(self) -> None:
        table = self.focused
        if not isinstance(table, DataTable) or not table.row_count:
            return
        key = str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)
        if table.id == "cards-list":
            self.cards.remove(key)
            self._show_cards()
        elif table.id == "more-contacts":
            kind, index = key.split(":")
            del (self.more_emails if kind == "email" else self.more_phones)[int(index)]
            self.touched.add("more-contacts")
            self._show_contacts()
        else:
            return
        self.dirty = True
        if not table.row_count:
            self.query_one("#card-input" if table.id == "cards-list" else "#phone").focus()
        self._schedule()

    def action_cancel(self) -> None:
        if not self.dirty:
            self.app.pop_screen()
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()
        self.app.push_screen(ConfirmModal(_("Discard what you typed?"), yes=_("Discard"), no=_("Keep editing")),
                             answer)

    def action_save(self) -> None:
        if self._timer is not None:  # a pending live check would hide what this save shows
            self._timer.stop()
        self.workers.cancel_group(self, "form-check")
        self._save_tried = True  # from now on the live check shows every field's message
        draft = self.draft()
        errors = validate_draft(self.app.services, self.app.actor, draft, new=self.view is None,
                                before=self.view)
        if errors:
            self._show_checks(errors, self.duplicates, True)  # the count at the top, each field's message
            self._focus_first(errors)
            return
        hits = find_duplicates(self.app.services, self.app.actor, draft,
                               exclude_id=self.view.id if self.view else None)
        if hits:
            self._show_checks([], hits, True)

            def answer(yes: bool | None) -> None:
                if yes:
                    self._write(draft)
            self.app.push_screen(ConfirmModal(
                _("{name} ({reference}) may be the same customer: {reasons}. Save anyway?").format(
                    name=hits[0].display_name, reference=format_reference(hits[0].reference),
                    reasons="; ".join(tr(r) for r in hits[0].reasons)),
                yes=_("Save anyway"), no=_("Check first")), answer)
            return
        self._write(draft)

    def _focus_first(self, errors: list[FieldError]) -> None:
        """The associate lands on the first field to correct as the form shows them (top to
        bottom, not the order the checks ran in), the form scrolled to it."""
        targets = {error_target(e.field).replace("attributes.", "attr-") for e in errors}
        for widget in self.query("*"):  # the form's own order
            if widget.id in targets and widget.focusable:
                widget.focus()
                return

    def _write(self, draft: CustomerDraft, opened: CustomerView | None = None) -> None:
        svc, actor = self.app.services, self.app.actor
        try:
            if self.view is None:
                saved = create_customer(svc, actor, draft)
                self.notify(_("Customer {reference} created").format(reference=format_reference(saved.reference)))
            else:
                saved = update_customer(svc, actor, self.view.id, draft, opened=opened or self.view)
                self.notify(_("Customer saved"))
        except ValidationFailed as exc:
            self._show_checks(exc.errors, self.duplicates, True)
            return
        except StaleEdit as exc:
            mine = _changes(self.view, draft)
            current = exc.current
            base_view = self.view

            def choose(choice: str | None) -> None:
                if choice == "mine":
                    self.view = current
                    self._write(rebase_draft(draft, base_view, current), opened=current)
                elif choice == "theirs":
                    self.dirty = False
                    self.app.pop_screen()
                    self.app.edit_customer(current)
            self.app.push_screen(ConflictModal(exc.changed, mine), choose)
            return
        self.dirty = False
        self.app.pop_screen()
        self.app.after_save(saved)


def _changes(view: CustomerView, draft: CustomerDraft) -> dict:
    before = draft_from_view(view)
    before = replace(before, credit_limit=amount_text(before.credit_limit, before.currency or ""),
                     birth_date=day_text(before.birth_date) or None)
    draft = replace(draft, birth_date=day_text(draft.birth_date) or None)
    out = {}
    for field in _PLAIN_FIELDS:
        old, new = getattr(before, field), getattr(draft, field)
        if ("" if old is None else str(old)) != ("" if new is None else str(new)):
            out[field] = (old, new)
    if [e.address for e in before.emails] != [e.address for e in draft.emails]:
        out["emails"] = (None, [e.address for e in draft.emails])
    if [p.number for p in before.phones] != [p.number for p in draft.phones]:
        out["phones"] = (None, [p.number for p in draft.phones])
    if before.cards != draft.cards:
        out["cards"] = (before.cards, draft.cards)
    return out


#: the draft's single values (the conflict question lists those this form changed)
_PLAIN_FIELDS = tuple(f.name for f in fields(CustomerDraft)
                      if f.name not in ("password", "emails", "phones", "addresses", "cards", "attributes",
                                        "affiliations"))
