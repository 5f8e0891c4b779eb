"""A customer as typed at the till (draft) and as checked for storing (clean)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from .account_options import AccountOptions, option_problems
from .address import AddressInput, CleanAddress, clean_address
from .enums import (AccountType, AttributeType, CustomerStatus, CustomerType, EmailPurpose,
                    PhonePurpose, ReceiptOption)
from .password import PasswordPolicy, password_needs, password_problems
from .errors import FieldError, FieldProblem, ValidationFailed
from .i18n import N_, Msg
from .labels import label_in
from .text import display_name
from .validation import (Email, Phone, clean_birth_date, clean_currency, clean_email,
                         clean_language, clean_name_suffix, clean_organization_name,
                         clean_person_name, clean_phone, clean_text, clean_vat_number)
from .money import MAX_MINOR, parse_amount
from .record import CustomerRecord, fields_from_clean
from .search import CARD_MAX, CARD_MIN  # one definition: the search box reads card numbers too


@dataclass
class EmailInput:
    address: str
    purpose: EmailPurpose = EmailPurpose.PERSONAL
    primary: bool = False
    marketing_consent: bool = False


@dataclass
class PhoneInput:
    number: str
    purpose: PhonePurpose = PhonePurpose.MOBILE
    primary: bool = False
    marketing_consent: bool = False


@dataclass
class AddressDraft:
    address: AddressInput
    purpose: str | None = None  # an address-purpose code; None = the default for the customer type
    default_billing: bool = False
    default_shipping: bool = False


@dataclass
class CustomerDraft:
    """What an associate, a CSV row or a JSON document says about a new or changed customer.

    None means "not given": the store template may fill it. An empty list is an explicit "none".
    """

    customer_type: CustomerType | None = None
    title: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""  # after the name: Jr., Sr., III (persons)
    organization_name: str = ""
    company: str = ""
    birth_date: date | str | None = None
    language: str | None = None
    currency: str | None = None
    group_code: str | None = None
    affiliations: list[str] | None = None
    receipt_option: ReceiptOption | None = None
    receipt_email: str | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    status_reason: str = ""  # why the customer is blocked (required when blocked)
    account_type: AccountType = AccountType.GUEST
    gender: str = ""  # a code of the gender list (reference data), "" = not said
    salutation: str = ""  # a code of the salutation list (reference data)
    vat_number: str = ""
    tax_exempt: bool = False
    # whole minor units (an int: as stored and in JSON), or an amount as typed ("1500.50"); None: no limit
    credit_limit: int | str | None = None
    emails: list[EmailInput] = field(default_factory=list)
    phones: list[PhoneInput] = field(default_factory=list)
    addresses: list[AddressDraft] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    attributes: dict[str, object] = field(default_factory=dict)
    password: str = ""  # a new account password typed at the till; never stored as typed
    must_change_password: bool = False  # the online sign-in asks for a new password first


@dataclass(frozen=True)
class CleanEmail:
    email: Email
    purpose: EmailPurpose
    primary: bool
    marketing_consent: bool


@dataclass(frozen=True)
class CleanPhone:
    phone: Phone
    purpose: PhonePurpose
    primary: bool
    marketing_consent: bool


@dataclass(frozen=True)
class CleanAddressEntry:
    address: CleanAddress
    purpose: str
    default_billing: bool
    default_shipping: bool


@dataclass(frozen=True)
class AttributeDef:
    code: str
    label: str
    type: AttributeType
    required: bool = False
    choices: tuple[str, ...] = ()
    active: bool = True
    #: what a person reads for each choice, in the order of ``choices`` (empty: the choices themselves)
    choice_labels: tuple[str, ...] = ()

    @classmethod
    def labelled(cls, code: str, label: str, type: str, *, required: bool, choices: list[str],  # noqa: A002
                 active: bool, labels: dict[str, str], choice_labels: dict[str, dict[str, str]],
                 language: str = "") -> AttributeDef:
        """A stored definition with its label and its choices' labels in ``language`` (else the defaults)."""
        return cls(code=code, label=label_in(labels, label, language), type=AttributeType(type), required=required,
                   choices=tuple(choices), active=active,
                   choice_labels=tuple(label_in((choice_labels or {}).get(c), c, language) for c in choices))

    def choice_label(self, value: object) -> object:
        """The shown label of a stored choice (a value no longer listed, or not a choice, shows as it is)."""
        labels = dict(zip(self.choices, self.choice_labels))
        return (labels.get(value) if isinstance(value, str) else None) or value


@dataclass(frozen=True)
class CleanCustomer:
    customer_type: CustomerType
    title: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    organization_name: str
    company: str
    birth_date: date | None
    language: str
    currency: str
    group_code: str | None
    affiliations: tuple[str, ...]
    receipt_option: ReceiptOption
    receipt_email: str
    status: CustomerStatus
    status_reason: str
    account_type: AccountType
    gender: str
    salutation: str
    vat_number: str
    tax_exempt: bool
    credit_limit: int | None
    emails: tuple[CleanEmail, ...]
    phones: tuple[CleanPhone, ...]
    addresses: tuple[CleanAddressEntry, ...]
    cards: tuple[str, ...]
    attributes: dict[str, str]
    password: str = ""  # checked against the store's policy; the services hash it at once
    must_change_password: bool = False  # registered accounts only

    @property
    def display_name(self) -> str:
        return display_name(self.customer_type, self.first_name, self.middle_name,
                            self.last_name, self.organization_name, self.suffix)


@dataclass(frozen=True)
class PurposeRules:
    """The address purposes a new address may use, and the default per customer type."""

    active_codes: frozenset[str]
    person_default: str
    organization_default: str

    def default_for(self, customer_type: CustomerType) -> str:
        if customer_type == CustomerType.ORGANIZATION:
            return self.organization_default
        return self.person_default


def check_customer(
    draft: CustomerDraft,
    *,
    country: str,
    today: date,
    purposes: PurposeRules,
    attribute_defs: list[AttributeDef] = (),
    known_groups: frozenset[str] | None = None,
    known_affiliations: frozenset[str] | None = None,
    existing_purposes: frozenset[str] = frozenset(),
    require_attributes: bool = True,
    password_policy: PasswordPolicy | None = None,
    manual_password: bool = True,
    manual_password_must_change: bool = False,
    known_genders: frozenset[str] | None = None,
    known_salutations: frozenset[str] | None = None,
    account_options: AccountOptions | None = None,
    before: CustomerRecord | None = None,
) -> CleanCustomer:
    """Check every field; raise ValidationFailed listing every problem, or return the clean value.

    ``existing_purposes`` are purposes already on this customer's stored addresses: a retired
    purpose stays valid there, it is only refused for new addresses. ``require_attributes``
    is False for customers saved before: a required attribute added later is asked for on new
    customers and does not block edits of existing ones. ``manual_password_must_change`` (the
    store's setting): a password typed at the till must be changed at the next online sign-in.
    ``account_options``: the store's hidden and required fields (None: not applied), for a new
    customer or an edit of ``before`` (the stored customer).
    """
    errors: list[FieldError] = []

    def run(name: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FieldProblem as exc:
            errors.append(FieldError(name, exc.message))
            return None

    ctype = CustomerType(draft.customer_type or CustomerType.PERSON)
    if ctype == CustomerType.PERSON:
        first = run("first_name", clean_person_name, draft.first_name, required=True, what=Msg("First name"))
        last = run("last_name", clean_person_name, draft.last_name, required=True, what=Msg("Last name"))
        org = run("organization_name", clean_organization_name, draft.organization_name, required=False)
    else:
        first = run("first_name", clean_person_name, draft.first_name, what=Msg("First name"))
        last = run("last_name", clean_person_name, draft.last_name, what=Msg("Last name"))
        org = run("organization_name", clean_organization_name, draft.organization_name, required=True)
    middle = run("middle_name", clean_person_name, draft.middle_name, what=Msg("Middle name"))
    suffix = run("suffix", clean_name_suffix, draft.suffix)
    title = run("title", clean_text, draft.title, max_len=30, what=Msg("Title"))
    company = run("company", clean_text, draft.company, max_len=160, what=Msg("Company"))
    birth = run("birth_date", clean_birth_date, draft.birth_date, today=today)
    language = run("language", clean_language, draft.language)
    currency = run("currency", clean_currency, draft.currency)
    group = (draft.group_code or "").strip() or None
    if group and known_groups is not None and group not in known_groups:
        errors.append(FieldError("group_code", Msg("Customer group '{code}' does not exist", code=group)))
    affiliations = tuple(dict.fromkeys(a.strip() for a in (draft.affiliations or []) if a.strip()))
    if known_affiliations is not None:
        for a in affiliations:
            if a not in known_affiliations:
                errors.append(FieldError("affiliations", Msg("Affiliation '{code}' does not exist", code=a)))
    receipt_option = run("receipt_option", ReceiptOption, draft.receipt_option or ReceiptOption.PRINT)
    receipt_email = ""
    if draft.receipt_email:
        got = run("receipt_email", clean_email, draft.receipt_email)
        receipt_email = got.address if got else ""

    status = run("status", _status, draft.status)
    status_reason = run("status_reason", clean_text, draft.status_reason, max_len=200, what=Msg("Reason"))
    if status == CustomerStatus.BLOCKED and not status_reason and "status_reason" not in {e.field for e in errors}:
        errors.append(FieldError("status_reason", Msg("Say why the customer is blocked")))
    if status == CustomerStatus.ACTIVE:
        status_reason = ""
    gender = (draft.gender or "").strip()
    if gender and known_genders is not None and gender not in known_genders:
        errors.append(FieldError("gender", Msg("Gender '{code}' is not in the list", code=gender)))
    salutation = (draft.salutation or "").strip()
    if salutation and known_salutations is not None and salutation not in known_salutations:
        errors.append(FieldError("salutation", Msg("Salutation '{code}' is not in the list", code=salutation)))
    vat_country = next((a.address.country for a in draft.addresses if a.default_billing and a.address.country),
                       next((a.address.country for a in draft.addresses if a.address.country), country))
    vat_number = run("vat_number", clean_vat_number, draft.vat_number, country=vat_country)
    credit_limit = run("credit_limit", _clean_credit_limit, draft.credit_limit, currency or "")

    emails = _check_emails(draft.emails, errors)
    phones = _check_phones(draft.phones, country, errors)
    addresses = _check_addresses(draft.addresses, ctype, purposes, existing_purposes, errors)
    cards = _check_cards(draft.cards, errors)
    attributes = check_attributes(draft.attributes, attribute_defs, errors, require=require_attributes)

    email_wrong = any(e.field.startswith("emails") for e in errors)  # said once, at the email itself
    if receipt_option in (ReceiptOption.EMAIL, ReceiptOption.BOTH) and not (receipt_email or emails) \
            and not email_wrong:
        errors.append(FieldError("receipt_email", Msg("An email receipt needs an email address")))
    account_type = run("account_type", AccountType, draft.account_type or AccountType.GUEST)
    if draft.password:
        if account_type != AccountType.REGISTERED:
            errors.append(FieldError("password", Msg("Only a registered account has a password: choose Registered")))
        elif not manual_password:
            errors.append(FieldError("password", Msg("This store does not set passwords by hand: "
                                                     "send the customer a password link instead")))
        else:
            problems = password_problems(
                password_policy or PasswordPolicy(), draft.password,
                email=emails[0].email.address if emails else "", names=(first or "", last or "", org or ""))
            if problems:
                errors.append(FieldError("password", password_needs(problems)))

    clean = CleanCustomer(
        customer_type=ctype, title=title, first_name=first, middle_name=middle, last_name=last, suffix=suffix,
        organization_name=org, company=company, birth_date=birth, language=language,
        currency=currency, group_code=group, affiliations=affiliations,
        receipt_option=receipt_option, receipt_email=receipt_email,
        status=status, status_reason=status_reason, account_type=account_type,
        gender=gender, salutation=salutation, vat_number=vat_number, tax_exempt=bool(draft.tax_exempt),
        credit_limit=credit_limit, emails=emails, phones=phones, addresses=addresses, cards=cards, attributes=attributes,
        password=draft.password if account_type == AccountType.REGISTERED else "",
        must_change_password=account_type == AccountType.REGISTERED and (
            bool(draft.must_change_password) or bool(draft.password and manual_password_must_change)),
    )
    if account_options is not None:
        errors.extend(option_problems(account_options, ctype, fields_from_clean(clean), before,
                                      {e.field for e in errors}))
    if errors:
        raise ValidationFailed(errors)
    return clean


def _status(value: object) -> CustomerStatus:
    try:
        return CustomerStatus(value or CustomerStatus.ACTIVE)
    except ValueError:
        raise FieldProblem(Msg("Status must be one of: {choices}", choices=", ".join(CustomerStatus))) from None


def _clean_credit_limit(value: int | str | None, currency: str) -> int | None:
    """None or "" is no credit limit; an int is whole minor units; text is an amount as typed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldProblem(Msg("Credit limit must be an amount"))
    if isinstance(value, int):
        if not 0 <= value <= MAX_MINOR:
            raise FieldProblem(Msg("Credit limit must be between 0 and a hundred billion"))
        return value
    return parse_amount(str(value), currency, what=Msg("Credit limit"))


_ONE_PRIMARY = {"email": N_("Only one email can be primary"), "phone": N_("Only one phone can be primary")}


def _one_primary(items: list, errors: list[FieldError], kind: str) -> list[bool]:
    flags = [bool(i.primary) for i in items]
    if sum(flags) > 1:
        errors.append(FieldError(f"{kind}s", Msg(_ONE_PRIMARY[kind])))
    elif items and not any(flags):
        flags[0] = True  # the first one is primary unless another was chosen
    return flags


def _check_emails(items: list[EmailInput], errors: list[FieldError]) -> tuple[CleanEmail, ...]:
    out, seen = [], set()
    flags = _one_primary(items, errors, "email")
    for i, (item, primary) in enumerate(zip(items, flags)):
        try:
            email = clean_email(item.address)
            purpose = EmailPurpose(item.purpose)
        except FieldProblem as exc:
            errors.append(FieldError(f"emails.{i}.address", exc.message))
            continue
        except ValueError:
            errors.append(FieldError(f"emails.{i}.purpose", Msg("Unknown email purpose '{code}'", code=item.purpose)))
            continue
        if email.key in seen:
            errors.append(FieldError(f"emails.{i}.address", Msg("This email is listed twice")))
            continue
        seen.add(email.key)
        out.append(CleanEmail(email, purpose, primary, bool(item.marketing_consent)))
    return tuple(out)


def _check_phones(items: list[PhoneInput], country: str, errors: list[FieldError]) -> tuple[CleanPhone, ...]:
    out, seen = [], set()
    flags = _one_primary(items, errors, "phone")
    for i, (item, primary) in enumerate(zip(items, flags)):
        try:
            phone = clean_phone(item.number, country)
            purpose = PhonePurpose(item.purpose)
        except FieldProblem as exc:
            errors.append(FieldError(f"phones.{i}.number", exc.message))
            continue
        except ValueError:
            errors.append(FieldError(f"phones.{i}.purpose", Msg("Unknown phone purpose '{code}'", code=item.purpose)))
            continue
        if phone.e164 in seen:
            errors.append(FieldError(f"phones.{i}.number", Msg("This phone number is listed twice")))
            continue
        seen.add(phone.e164)
        out.append(CleanPhone(phone, purpose, primary, bool(item.marketing_consent)))
    return tuple(out)


def _check_addresses(items: list[AddressDraft], ctype: CustomerType, purposes: PurposeRules,
                     existing: frozenset[str], errors: list[FieldError]) -> tuple[CleanAddressEntry, ...]:
    out = []
    if sum(bool(a.default_billing) for a in items) > 1:
        errors.append(FieldError("addresses", Msg("Only one address can be the default billing address")))
    if sum(bool(a.default_shipping) for a in items) > 1:
        errors.append(FieldError("addresses", Msg("Only one address can be the default shipping address")))
    for i, item in enumerate(items):
        purpose = (item.purpose or "").strip() or purposes.default_for(ctype)
        if purpose not in purposes.active_codes and purpose not in existing:
            errors.append(FieldError(f"addresses.{i}.purpose",
                                     Msg("Address purpose '{code}' is unknown or retired", code=purpose)))
        clean, problems = clean_address(item.address, prefix=f"addresses.{i}.")
        errors.extend(problems)
        if clean:
            out.append(CleanAddressEntry(clean, purpose, bool(item.default_billing),
                                         bool(item.default_shipping)))
    if out and not any(a.default_billing for a in out):
        out[0] = replace(out[0], default_billing=True)
    if out and not any(a.default_shipping for a in out):
        out[0] = replace(out[0], default_shipping=True)
    return tuple(out)


def clean_card_number(value: str) -> str:
    compact = "".join(c for c in (value or "") if c.isalnum()).upper()
    if not CARD_MIN <= len(compact) <= CARD_MAX:
        raise FieldProblem(Msg("Card number must have {min} to {max} letters or digits", min=CARD_MIN, max=CARD_MAX))
    return compact


def _check_cards(items: list[str], errors: list[FieldError]) -> tuple[str, ...]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(clean_card_number(item))
        except FieldProblem as exc:
            errors.append(FieldError(f"cards.{i}", exc.message))
    return tuple(dict.fromkeys(out))


def check_attribute_value(definition: AttributeDef, value: object) -> str:
    """The stored (text) form of an attribute value, or FieldProblem."""
    text = "" if value is None else str(value).strip()
    if not text:
        if definition.required:
            raise FieldProblem(Msg("{field} is required", field=definition.label))
        return ""
    kind = definition.type
    try:
        if kind == AttributeType.INTEGER:
            return str(int(text))
        if kind == AttributeType.DECIMAL:
            number = Decimal(text.replace(",", "."))
            if not number.is_finite():
                raise InvalidOperation
            return str(number)
        if kind == AttributeType.BOOLEAN:
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "y", "on"):
                return "true"
            if lowered in ("0", "false", "no", "n", "off"):
                return "false"
            raise ValueError
        if kind == AttributeType.DATE:
            return date.fromisoformat(text).isoformat()
    except (ValueError, InvalidOperation):
        raise FieldProblem(Msg(_kind_words[kind], field=definition.label)) from None
    if kind == AttributeType.CHOICE and text not in definition.choices:
        raise FieldProblem(Msg("{field} must be one of: {choices}", field=definition.label,
                               choices=", ".join(definition.choices)))
    return clean_text(text, max_len=500, what=definition.label)


_kind_words = {  # whole sentences: "{field} must be" is not glued to a translated fragment
    AttributeType.INTEGER: N_("{field} must be a whole number"),
    AttributeType.DECIMAL: N_("{field} must be a number"),
    AttributeType.BOOLEAN: N_("{field} must be yes or no"),
    AttributeType.DATE: N_("{field} must be a date like 2024-05-31"),
}


def check_attributes(values: dict[str, object], defs: list[AttributeDef],
                     errors: list[FieldError], *, require: bool = True) -> dict[str, str]:
    by_code = {d.code: d for d in defs}
    out: dict[str, str] = {}
    for code in values:
        if code not in by_code:
            errors.append(FieldError(f"attributes.{code}", Msg("Unknown attribute '{code}'", code=code)))
    for d in defs:
        if not d.active:
            continue
        if d.code not in values and not (require and d.required):
            continue
        try:
            stored = check_attribute_value(d if require else replace(d, required=False),
                                           values.get(d.code))
        except FieldProblem as exc:
            errors.append(FieldError(f"attributes.{d.code}", exc.message))
            continue
        if stored:
            out[d.code] = stored
    return out
