"""One customer, one shape: the typed record every other shape is made from.

The card's view, the sync document, the search-index row, the JSON of ``customers show``, the
CSV/JSON export and the storage rows are all built from :class:`CustomerRecord`. Lists of field
names are derived from it (``DOCUMENT_FIELDS``, ``SCALAR_FIELDS``, ``CHILD_FIELDS`` ...), never
written out again elsewhere.

A field's metadata says where it travels:

- ``doc``: a field of the sync document (merged one by one, see :mod:`.merge`);
- ``child``: kept in its own rows (emails, phones, ...), a list or mapping in the record;
- ``secret``: never printed (``show --json``, export);
- no ``doc``: identity or local bookkeeping (id, reference, timestamps, version, sync state).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cache
from datetime import date, datetime, timezone
from typing import Any, Callable

from .address import AddressInput, format_address
from .enums import SyncState
from .i18n import N_
from .reference import format_reference
from .text import display_name as _display_name

DOC = {"doc": True}
CHILD = {"doc": True, "child": True}
SECRET = {"doc": True, "secret": True}
SERVICE = {"doc": True, "service": True}  # set by its own use case only, never from a form or a file


def doc(label: str) -> dict[str, Any]:
    """A field of the document with what a person reads for it (messages, the command line)."""
    return {"doc": True, "label": label}


def option(label: str, *, person: bool = False, child: bool = False) -> dict[str, Any]:
    """A field of the new-customer form a store may hide, leave optional or require (its account
    options, :mod:`.account_options`); ``person``: asked of persons only."""
    return {"doc": True, "child": child, "option": label, "person": person}


def needed(label: str) -> dict[str, Any]:
    """A name the record needs (as its customer type says): always asked, never hidden."""
    return {"doc": True, "needed": label}


def utc(moment: datetime | None) -> datetime | None:
    """Stored timestamps are UTC; SQLite hands them back without a zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = utc(value)
    return value.isoformat()


def moment(text: str | datetime | None) -> datetime | None:
    if not text:
        return None
    return utc(text if isinstance(text, datetime) else datetime.fromisoformat(text))


def day(text: str | date | None) -> date | None:
    if not text:
        return None
    if isinstance(text, datetime):
        return text.date()
    return text if isinstance(text, date) else date.fromisoformat(text)


@dataclass(frozen=True)
class EmailRecord:
    address: str
    purpose: str = "personal"
    primary: bool = False
    marketing_consent: bool = False
    consent_changed_at: datetime | None = field(default=None, compare=False, metadata={"local": True})

    @property
    def key(self) -> str:
        return self.address.casefold()

    def document(self) -> dict[str, Any]:
        return {"address": self.address, "purpose": self.purpose, "primary": self.primary,
                "marketing_consent": self.marketing_consent}

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> EmailRecord:
        return cls(d["address"], d.get("purpose") or "personal", bool(d.get("primary")),
                   bool(d.get("marketing_consent")))


@dataclass(frozen=True)
class PhoneRecord:
    e164: str
    national: str
    purpose: str = "mobile"
    primary: bool = False
    marketing_consent: bool = False
    consent_changed_at: datetime | None = field(default=None, compare=False, metadata={"local": True})

    def document(self) -> dict[str, Any]:
        # the national form is derived from the E.164 number: it does not travel
        return {"e164": self.e164, "purpose": self.purpose, "primary": self.primary,
                "marketing_consent": self.marketing_consent}

    def to_json(self) -> dict[str, Any]:
        return {"e164": self.e164, "national": self.national, "purpose": self.purpose,
                "primary": self.primary, "marketing_consent": self.marketing_consent}

    @classmethod
    def from_document(cls, d: dict[str, Any], national: str) -> PhoneRecord:
        return cls(d["e164"], national, d.get("purpose") or "mobile", bool(d.get("primary")),
                   bool(d.get("marketing_consent")))


@dataclass(frozen=True)
class AddressRecord:
    purpose: str
    line1: str = field(default="", metadata={"label": N_("Street")})
    # the one line of an address a store may hide or require on its own (its option is
    # "address_line2"); the others follow the country's format (domain/address.py)
    line2: str = field(default="", metadata=option(N_("Address line 2")))
    city: str = field(default="", metadata={"label": N_("City")})
    district: str = field(default="", metadata={"label": N_("District")})
    region: str = field(default="", metadata={"label": N_("Region")})
    postal_code: str = field(default="", metadata={"label": N_("Postal code")})
    country: str = field(default="", metadata={"label": N_("Country")})
    default_billing: bool = False
    default_shipping: bool = False

    @property
    def input(self) -> AddressInput:
        return AddressInput(self.line1, self.line2, self.city, self.district, self.region,
                            self.postal_code, self.country)

    @property
    def formatted(self) -> str:
        return format_address(self.input)

    def document(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _ADDRESS_FIELDS}

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> AddressRecord:
        return cls(*[bool(d.get(name)) if flag else str(d.get(name) or "") for name, flag in _ADDRESS_READ])


_ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AddressRecord))
_ADDRESS_READ: tuple[tuple[str, bool], ...] = tuple((f.name, f.type == "bool") for f in fields(AddressRecord))
ADDRESS_LINES: tuple[str, ...] = tuple(f.name for f in fields(AddressRecord) if f.type == "str")[1:]


@dataclass(frozen=True, kw_only=True)
class CustomerRecord:
    """A stored customer: identity and bookkeeping, then the document fields."""

    # identity and local bookkeeping
    id: str
    reference: str
    store_code: str
    created_at: datetime
    updated_at: datetime | None = None
    last_activity_at: datetime | None = None
    anonymized_at: datetime | None = None
    version: int = 1
    sync_state: SyncState = SyncState.PENDING
    field_clocks: dict[str, str] = field(default_factory=dict, metadata={"local": True})
    # the document: every field travels and merges on its own
    customer_type: str = field(default="person", metadata=doc(N_("Customer type")))
    salutation: str = field(default="", metadata=option(N_("Salutation")))  # a code of the salutation list (reference data)
    title: str = field(default="", metadata=option(N_("Title"), person=True))  # free text: an academic or honorary title (Dr., Prof.)
    first_name: str = field(default="", metadata=needed(N_("First name")))
    middle_name: str = field(default="", metadata=option(N_("Middle name"), person=True))
    last_name: str = field(default="", metadata=needed(N_("Last name")))
    suffix: str = field(default="", metadata=option(N_("Suffix"), person=True))  # after the name: Jr., Sr., III
    organization_name: str = field(default="", metadata=needed(N_("Organization")))
    company: str = field(default="", metadata=option(N_("Company")))
    birth_date: date | None = field(default=None, metadata=option(N_("Date of birth"), person=True))
    gender: str = field(default="", metadata=option(N_("Gender"), person=True))  # a code of the gender list (reference data), "" = not said
    language: str = field(default="", metadata=doc(N_("Language")))
    currency: str = field(default="", metadata=doc(N_("Currency")))
    group_code: str | None = field(default=None, metadata=doc(N_("Customer group")))
    financial_dimensions: dict[str, str] = field(default_factory=dict, metadata=DOC)
    receipt_option: str = field(default="print", metadata=doc(N_("Receipt")))
    receipt_email: str = field(default="", metadata=doc(N_("Receipt email")))
    status: str = field(default="active", metadata=doc(N_("Status")))
    status_reason: str = field(default="", metadata=doc(N_("Blocked because")))  # why a blocked customer is blocked
    account_type: str = field(default="guest", metadata=doc(N_("Account type")))
    vat_number: str = field(default="", metadata=option(N_("VAT number")))  # compact, with its country prefix
    tax_exempt: bool = field(default=False, metadata=doc(N_("Tax exempt")))
    credit_limit: int | None = field(default=None, metadata=doc(N_("Credit limit")))  # whole minor units of ``currency``
    password_hash: str | None = field(default=None, metadata={**SECRET, "label": N_("Password")})
    password_changed_at: datetime | None = field(default=None, metadata=DOC)
    # the online sign-in asks for a new password first (set at the till or by a reset; a change clears it)
    must_change_password: bool = field(default=False, metadata=DOC)
    last_sign_in_at: datetime | None = field(default=None, metadata=DOC)
    preferred_store: str = field(default="", metadata=doc(N_("Preferred store")))  # a store code of the chain's directory
    # shopper assistance (services/assistance.py): the customer agreed that staff may open their
    # online account for them; who recorded it (associate number) and when. Set only by that use case.
    assist_consent: bool = field(default=False, metadata=SERVICE)
    assist_consent_by: str = field(default="", metadata=SERVICE)
    assist_consent_at: datetime | None = field(default=None, metadata=SERVICE)
    emails: tuple[EmailRecord, ...] = field(default=(), metadata=option(N_("Email"), child=True))
    phones: tuple[PhoneRecord, ...] = field(default=(), metadata=option(N_("Phone"), child=True))
    addresses: tuple[AddressRecord, ...] = field(default=(), metadata=option(N_("Address"), child=True))
    affiliations: tuple[str, ...] = field(default=(), metadata={**CHILD, "label": N_("Affiliations")})
    cards: tuple[str, ...] = field(default=(), metadata={**CHILD, "label": N_("Loyalty cards")})
    attributes: dict[str, str] = field(default_factory=dict, metadata=CHILD)

    def __post_init__(self) -> None:
        # one canonical order: two equal customers are two equal records (and documents)
        set_ = object.__setattr__
        for name, key in (("emails", _email_order), ("phones", _phone_order), ("addresses", _address_order),
                          ("affiliations", None), ("cards", None)):
            items = getattr(self, name)
            set_(self, name, tuple(sorted(items, key=key)) if len(items) > 1 else tuple(items))
        set_(self, "attributes", dict(sorted(self.attributes.items())) if len(self.attributes) > 1
             else dict(self.attributes))
        set_(self, "sync_state", SyncState(self.sync_state))
        for name in ("created_at", "updated_at", "last_activity_at", "anonymized_at",
                     "password_changed_at", "last_sign_in_at", "assist_consent_at"):
            set_(self, name, utc(getattr(self, name)))

    # -- derived values ------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        return _display_name(self.customer_type, self.first_name, self.middle_name, self.last_name,
                             self.organization_name, self.suffix)

    @property
    def reference_display(self) -> str:
        return format_reference(self.reference)

    @property
    def primary_email(self) -> str:
        return next((e.address for e in self.emails if e.primary), "")

    @property
    def primary_phone(self) -> str:
        return next((p.national for p in self.phones if p.primary), "")

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    @property
    def city(self) -> str:
        """The city of the default billing (else shipping, else first) address."""
        return self.addresses[0].city if self.addresses else ""

    # -- shapes ----------------------------------------------------------------------------------

    def document_fields(self) -> dict[str, Any]:
        """The mergeable fields as plain JSON values (the ``fields`` of the sync document).

        Lists keep the order the wire has always had, so equal customers give equal documents."""
        out: dict[str, Any] = {}
        for name in DOCUMENT_FIELDS:
            value = getattr(self, name)
            if name == "emails":
                value = [e.document() for e in value]
            elif name == "phones":
                value = [p.document() for p in value]
            elif name == "addresses":
                value = sorted((a.document() for a in value), key=lambda a: tuple(str(v) for v in a.values()))
            elif name in ("affiliations", "cards"):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, (date, datetime)):
                value = iso(value)
            out[name] = value
        return out

    def to_document(self) -> dict[str, Any]:
        """The sync document: what travels between terminals and headquarters."""
        return {"id": self.id, "reference": self.reference, "store_code": self.store_code,
                "created_at": iso(self.created_at), "anonymized_at": iso(self.anonymized_at),
                "fields": self.document_fields(), "clocks": dict(self.field_clocks)}

    def to_json(self) -> dict[str, Any]:
        """What ``customers show --json`` prints and JSON export writes (no secrets, no clocks).

        ``customers add --json`` reads it back: see :data:`READ_ONLY_KEYS`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.metadata.get("secret") or f.metadata.get("local"):
                continue
            value = getattr(self, f.name)
            if f.name == "emails":
                value = [e.document() for e in value]
            elif f.name == "phones":
                value = [p.to_json() for p in value]
            elif f.name == "addresses":
                value = [a.document() | {"formatted": a.formatted} for a in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, (date, datetime)):
                value = iso(value)
            out[f.name] = value
            if f.name == "organization_name":
                out["display_name"] = self.display_name
        return out

    @classmethod
    def from_document(cls, doc: dict[str, Any], *, national: Any = None, **local: Any) -> CustomerRecord:
        """A record from a sync document. ``national(e164)`` gives a phone's national form;
        ``local`` sets bookkeeping values (version, sync_state, updated_at, ...)."""
        f = doc.get("fields") or {}
        values: dict[str, Any] = {}
        for name, read in _document_readers():
            if name not in f:
                continue
            value = f[name]
            if read is not None:
                value = read(value, national)
            elif value is None:
                continue  # the record's default ("" or the usual choice)
            values[name] = value
        now = local.pop("now", None)
        return cls(id=doc["id"], reference=doc["reference"], store_code=doc["store_code"],
                   created_at=moment(doc.get("created_at")) or now or datetime.now(timezone.utc),
                   anonymized_at=moment(doc.get("anonymized_at")),
                   field_clocks=dict(doc.get("clocks") or {}), **values, **local)

    def with_fields(self, **changes: Any) -> CustomerRecord:
        return replace(self, **changes)


def _reader(name: str, type_: str) -> Callable[[Any, Any], Any] | None:
    """How one document field becomes a record value (None: as it is, a missing value the default)."""
    if name == "emails":
        return lambda v, _: tuple(EmailRecord.from_document(e) for e in v or ())
    if name == "phones":
        return lambda v, national: tuple(PhoneRecord.from_document(p, national(p["e164"]) if national else p["e164"])
                                         for p in v or ())
    if name == "addresses":
        return lambda v, _: tuple(AddressRecord.from_document(a) for a in v or ())
    if name in ("affiliations", "cards"):
        return lambda v, _: tuple(v or ())
    if name in ("attributes", "financial_dimensions"):
        return lambda v, _: dict(v or {})
    kind = type_.split("|")[0].strip()
    if kind == "date":
        return lambda v, _: day(v)
    if kind == "datetime":
        return lambda v, _: moment(v)
    if name in ("group_code", "password_hash"):
        return lambda v, _: v or None
    return None


@cache
def _document_readers() -> tuple[tuple[str, Callable[[Any, Any], Any] | None], ...]:
    """One reader per document field, made once (a pull reads a million documents)."""
    return tuple((f.name, _reader(f.name, f.type)) for f in fields(CustomerRecord) if f.metadata.get("doc"))


def _email_order(e: EmailRecord) -> tuple:
    return (not e.primary, e.address)


def _phone_order(p: PhoneRecord) -> tuple:
    return (not p.primary, p.e164)


def _address_order(a: AddressRecord) -> tuple:
    return (not a.default_billing, not a.default_shipping, tuple(str(v) for v in a.document().values()))


def _names(**flags: bool) -> tuple[str, ...]:
    return tuple(f.name for f in fields(CustomerRecord)
                 if all(bool(f.metadata.get(k)) == v for k, v in flags.items()))


#: the fields of the sync document, merged one by one (lists merge as one value each)
DOCUMENT_FIELDS: tuple[str, ...] = _names(doc=True)
#: the document fields kept in rows of their own
CHILD_FIELDS: tuple[str, ...] = _names(child=True)
#: the document fields only their own use case sets (never a form, an import or ``add --json``)
SERVICE_FIELDS: tuple[str, ...] = _names(service=True)
#: identity and local bookkeeping: never taken from what a person types
BOOKKEEPING_FIELDS: tuple[str, ...] = _names(doc=False)
#: what ``show --json`` prints that ``add --json`` does not take from the person: ignored on add
READ_ONLY_KEYS: frozenset[str] = frozenset(
    set(BOOKKEEPING_FIELDS) | {"display_name", "financial_dimensions", "password_changed_at",
                            "last_sign_in_at", "preferred_store"} | set(SERVICE_FIELDS)) - {"field_clocks"}


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def fields_from_clean(clean: Any) -> dict[str, Any]:
    """The document fields a checked customer (:class:`~.customer.CleanCustomer`) sets.

    Derived values (financial dimensions, the password hash) are the services' to add."""
    names = {f.name for f in fields(clean)}
    out: dict[str, Any] = {n: _plain(getattr(clean, n)) for n in DOCUMENT_FIELDS
                           if n in names and n not in CHILD_FIELDS}
    out["emails"] = tuple(EmailRecord(e.email.address, _plain(e.purpose), e.primary, e.marketing_consent)
                          for e in clean.emails)
    out["phones"] = tuple(PhoneRecord(p.phone.e164, p.phone.national, _plain(p.purpose), p.primary,
                                      p.marketing_consent) for p in clean.phones)
    out["addresses"] = tuple(AddressRecord(a.purpose, *(getattr(a.address, n) for n in ADDRESS_LINES),
                                           a.default_billing, a.default_shipping) for a in clean.addresses)
    out["affiliations"] = tuple(clean.affiliations)
    out["cards"] = tuple(clean.cards)
    out["attributes"] = dict(clean.attributes)
    return out


def field_label(path: str) -> str:
    """What a person reads for a field of a customer (marked English, shown with ``tr``), from a
    field's name or a problem's path: ``birth_date`` -> "Date of birth", ``emails.0.address`` ->
    "Email", ``addresses.1.postal_code`` -> "Postal code". A path the record does not label stays
    as it is."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    labels = _labels()
    if len(parts) > 1 and parts[0] == "addresses" and parts[-1] in labels["address"]:
        return labels["address"][parts[-1]]
    return labels["customer"].get(parts[0] if parts else path, path)


def _labels() -> dict[str, dict[str, str]]:
    global _LABELS
    if _LABELS is None:
        def of(record) -> dict[str, str]:
            return {f.name: label for f in fields(record)
                    if (label := f.metadata.get("label") or f.metadata.get("option") or f.metadata.get("needed"))}
        _LABELS = {"customer": of(CustomerRecord), "address": of(AddressRecord)}
    return _LABELS


_LABELS: dict[str, dict[str, str]] | None = None
