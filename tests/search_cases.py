"""The one table of search queries that the till and headquarters must answer alike.

``CUSTOMERS`` are made at a till through the normal services; ``CASES`` say what each typed query
must find (by customer key) and, where a query names one customer exactly (reference, whole email,
whole phone number, card), which customer comes first and how it matched.
tests/hq/test_search_parity.py runs every case against the till's database and against
headquarters on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos_customers.domain.address import AddressInput
from pos_customers.domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput
from pos_customers.domain.enums import CustomerType
from pos_customers.domain.reference import format_reference

STORE = dict(code="BER01", number=101, name="Berlin Alexanderplatz", country="DE", currency="EUR",
             language="de")


def _person(first, last, emails=(), phones=(), **kw) -> CustomerDraft:
    return CustomerDraft(
        first_name=first, last_name=last,
        emails=[EmailInput(e, primary=i == 0) for i, e in enumerate(emails)],
        phones=[PhoneInput(p, primary=i == 0) for i, p in enumerate(phones)], **kw)


# made in this order (the newest is found first within a rank)
CUSTOMERS: dict[str, CustomerDraft] = {
    "anna": _person("Anna", "Müller", ["anna.mueller@gmx.de", "anna.m@buero.example"],
                    ["0151 23456789", "030 1234567"], cards=["2000012345678"],
                    addresses=[AddressDraft(AddressInput(line1="Hauptstr. 1", city="Berlin", postal_code="10115",
                                                         country="DE"))]),
    "annette": _person("Annette", "Schröder", ["a.schroeder@web.de"], ["0170 5551234"]),
    "mark": _person("Mark", "Mullins", ["mark@example.com"], ["+44 20 7946 0958"]),
    "jose": _person("José", "García Peña", ["jose@correo.es"], ["+34 612 345 678"]),
    "org": CustomerDraft(customer_type=CustomerType.ORGANIZATION, organization_name="Müller & Söhne GmbH",
                         emails=[EmailInput("info@mueller-soehne.de", primary=True)],
                         phones=[PhoneInput("089 123456", primary=True)]),
    "juergen": _person("Jürgen", "Mueller", ["j.mueller@gmx.de"], ["0151 99887766"]),
    "hanna": _person("Hanna", "Annaberg", ["hanna@annaberg.example"]),
    # anonymized after it is made: found by nothing, at the till or at headquarters
    "gone": _person("Anna", "Mühlberg", ["anna.muehlberg@gmx.de"], ["0151 23499999"], cards=["2000099999999"]),
}
ANONYMIZED = ("gone",)


@dataclass(frozen=True)
class Case:
    query: str                      # what is typed; "<dashed:anna>" etc. stand for a customer's reference
    expect: frozenset[str]          # the customers found (keys of CUSTOMERS), sound-alikes and typos aside
    first: tuple[str, str] | None = None  # (customer, matched_by) of an exact hit, ranked first
    # the customers found only because their names sound alike or are one typo away, in rank order
    # (after every exact and name hit, before fragments), with how they matched ("sounds_like" | "typo")
    fuzzy: tuple[tuple[str, str], ...] = ()


def case(query: str, *expect: str, first: tuple[str, str] | None = None,
         fuzzy: tuple[tuple[str, str], ...] = ()) -> Case:
    return Case(query, frozenset(expect), first, fuzzy)


ALIKE, TYPO = "sounds_like", "typo"


CASES: list[Case] = [
    # names: any order, prefixes, diacritics folded, German spellings
    case("muller", "anna", "org", fuzzy=(("juergen", ALIKE),)),
    case("mueller", "anna", "org", "juergen"),        # 'Müller' is indexed as 'mueller' too
    case("Müller", "anna", "org", fuzzy=(("juergen", ALIKE),)),
    case("MÜLLER", "anna", "org", fuzzy=(("juergen", ALIKE),)),
    case("anna mül", "anna"),
    case("mül anna", "anna"),
    case("ann mül", "anna"),
    case("anna muller", "anna"),
    case("anna", "anna", "hanna"),                     # Hanna Annaberg: a word starting with anna
    case("jose pena", "jose"),
    case("garcía", "jose"),
    case("söhne", "org"),
    case("soehne", "org"),
    case("gmbh", "org"),
    case("a", "anna", "annette", "hanna"),             # one letter: every name word starting with it
    case("m", "anna", "mark", "org", "juergen"),
    # names that sound alike or are one typo away: after every exact and name hit, marked
    case("mark mulins", fuzzy=(("mark", ALIKE),)),
    case("mark mullina", fuzzy=(("mark", TYPO),)),     # one letter wrong: not alike, one typo
    case("shroeder", fuzzy=(("annette", ALIKE),)),
    case("schroder", "annette"),                       # 'Schröder' folded: found as it is
    case("mulllins", fuzzy=(("mark", ALIKE),)),
    case("mullnis", fuzzy=(("mark", ALIKE),)),
    case("garsia", fuzzy=(("jose", ALIKE),)),
    case("anna mueler", fuzzy=(("anna", ALIKE),)),
    case("mühlberk"),                                   # an anonymized customer's name: never, not even alike
    # phone numbers: fragments in any formatting, whole numbers exactly
    case("0151 234", "anna"),
    case("+49 151 234", "anna"),
    case("0151-2345-6789", "anna", first=("anna", "phone")),  # a whole number: that customer alone
    case("+49 151 23456789", "anna", first=("anna", "phone")),
    case("(030) 123 4567", "anna", first=("anna", "phone")),
    case("+44 20 7946 0958", "mark", first=("mark", "phone")),
    case("5551234", "annette"),
    # emails: whole (any case), parts, domains
    case("anna.mueller@gmx.de", "anna", first=("anna", "email")),
    case("ANNA.MUELLER@GMX.DE", "anna", first=("anna", "email")),
    case("anna.m@", "anna"),
    case("gmx.de", "anna", "juergen"),
    case("mueller@gm", "anna", "juergen"),
    case("@web.de", "annette"),
    # references: with or without separators, any case; a reference's beginning
    case("<compact:anna>", "anna", first=("anna", "reference")),
    case("<dashed:anna>", "anna", first=("anna", "reference")),
    case("<lower:anna>", "anna", first=("anna", "reference")),
    case("<spaced:anna>", "anna", first=("anna", "reference")),
    case("<start:annette>", "annette", first=("annette", "reference")),
    # card number
    case("2000012345678", "anna", first=("anna", "card")),
    # what an anonymized customer was found by finds nothing
    case("mühlberg"),
    case("anna.muehlberg@gmx.de"),
    case("0151 23499999"),
    case("2000099999999"),
    case("<compact:gone>"),
    # search syntax and odd input are plain text
    case('"'),
    case("*"),
    case('"anna" *müller*', "anna"),
    case("ann*", "anna", "annette", "hanna"),
    case("mül -ann", "anna"),
    case("NEAR"),
    case("NEAR(ann mül)"),
    case("AND"),
    case("("),
    case("%"),
    case("_"),
    case("100%"),
    case("'; DROP TABLE hq_customer; --"),
    case("😀"),
    case("ann 😀", "anna", "annette", "hanna"),
    case("zzz"),
]


def typed(query: str, references: dict[str, str]) -> str:
    """The query as typed: a reference placeholder replaced by the customer's reference."""
    if not (query.startswith("<") and query.endswith(">")):
        return query
    form, key = query[1:-1].split(":")
    ref = references[key]
    return {"compact": ref, "dashed": format_reference(ref), "lower": format_reference(ref).lower(),
            "spaced": format_reference(ref).lower().replace("-", " "), "start": ref[:6]}[form]
