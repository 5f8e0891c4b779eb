"""What a typed search string asks for. Pure: turns any text into safe, typed lookups.

One box finds customers by name words (any order, prefixes, diacritics ignored), by email or a
part of it, by a phone fragment in any formatting, by customer reference and by card number.
The words reach FTS5 only as quoted strings built from letters and digits, so no input can
form a query operator: quotes, ``*``, ``-``, ``NEAR``, ``AND`` and ``(`` are just text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from . import reference
from .text import digits, fold, words

MAX_QUERY = 200
CARD_MIN, CARD_MAX = 6, 24  # a card number's letters or digits (domain.customer checks the same)
MAX_WORDS = 8
_PHONE_CHARS = re.compile(r"^[\d\s+()\-./]+$")
_NOT_ASCII_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_WHOLE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_GERMAN_ALTERNATES = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_SEGMENT_WORD = re.compile(r"(?<!\S)seg:(\S*)", re.IGNORECASE)  # seg:vip: only members of segment vip


@dataclass(frozen=True)
class SearchQuery:
    text: str
    name_words: tuple[str, ...] = ()
    reference: str | None = None  # a complete, valid reference
    reference_prefix: str | None = None  # the start of one, read out over the phone
    email_key: str | None = None  # a complete email, case-folded
    fragment: str | None = None  # text to find inside emails, phone digits and card numbers
    phone_e164: str | None = None
    card: str | None = None
    segments: tuple[str, ...] = ()  # seg:CODE words: only members of every one of these segments
    # the shape of a whole email, a valid phone number, a card number or a reference: an exact hit
    # answers it alone (no fragment or name search after it); no exact hit, the normal search
    complete: bool = False

    @property
    def empty(self) -> bool:
        return not (self.name_words or self.reference or self.reference_prefix or self.email_key
                    or self.fragment or self.phone_e164 or self.card)


def split_segment_filters(text: str) -> tuple[str, tuple[str, ...]]:
    """``"seg:vip mül"`` -> ``("mül", ("vip",))``: the text without its ``seg:`` words, and the
    segment codes they name (lower case, in order, once each; ``seg:`` alone names ``""``)."""
    codes = tuple(dict.fromkeys(m.group(1).casefold() for m in _SEGMENT_WORD.finditer(text or "")))
    if not codes:
        return text, ()
    return " ".join(_SEGMENT_WORD.sub(" ", text).split()), codes


def _cleaned(text: str) -> tuple[str, tuple[str, ...]]:
    """The typed text as it is searched for (NFC, bounded, no control characters, trimmed) without
    its ``seg:`` words, and the segment codes they name."""
    text = text or ""
    if not text.isascii():  # ASCII text is already in NFC
        text = unicodedata.normalize("NFC", text)
    text = text[:MAX_QUERY]
    # control and format characters (NUL included) are never part of what a person searches for
    # (printable text has none: the usual case skips the look at every character)
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    text = text.strip()
    if ":" in text:
        return split_segment_filters(text)
    return text, ()


def whole_reference(text: str) -> str | None:
    """The compact reference when the typed text (no ``seg:`` words) is a complete one with a
    valid check character, as :func:`parse_query` reads it; else None. The search looks it up
    before reading the text any further: found, it is the whole answer."""
    text, segments = _cleaned(text)
    # shorter than its symbols, or with more separators than symbols: no look (parse_query reads it)
    if segments or not reference.PAYLOAD_LEN < len(text) <= 2 * reference.PAYLOAD_LEN:
        return None
    compact = reference.normalize(text)
    return compact if reference.is_reference(compact) else None


def parse_query(text: str, *, country: str) -> SearchQuery:
    text, segments = _cleaned(text)
    if not text:
        return SearchQuery(text="", segments=segments)
    compact = reference.normalize(text)
    fields: dict = {"text": text, "segments": segments}

    if reference.is_reference(compact):
        fields["reference"] = compact
        fields["complete"] = True
    elif 5 <= len(compact) < 9 and all(c in reference.ALPHABET for c in compact) and " " not in text:
        fields["reference_prefix"] = compact

    if "@" in text:
        lowered = text.casefold().replace(" ", "")
        if _WHOLE_EMAIL.fullmatch(lowered):
            fields["email_key"] = lowered
            # whole if found: the exact index holds only addresses that passed the forms' check
            # (email-validator), so an exact hit is a whole, valid email; nothing is validated here
            fields["complete"] = True
        if len(lowered) >= 3:
            fields["fragment"] = lowered
        return SearchQuery(**fields)

    if _PHONE_CHARS.match(text):
        number = digits(text)
        if len(number) >= 3:
            fields["fragment"] = number
            if CARD_MIN <= len(number) <= CARD_MAX:
                fields["card"] = number
                fields["complete"] = True
            e164 = phone_e164(text, number, country)
            if e164:
                fields["phone_e164"] = e164
                fields["complete"] = True
            return SearchQuery(**fields)

    found = tuple(dict.fromkeys(words(text)))[:MAX_WORDS]
    fields["name_words"] = found
    if len(found) == 1:
        raw = (_NOT_ASCII_ALNUM.sub("", text) if text.isascii() else "".join(c for c in text if c.isalnum())).upper()
        if CARD_MIN <= len(raw) <= CARD_MAX and raw.isascii() and any(c.isdigit() for c in raw):
            fields["card"] = raw
            fields["complete"] = True
    if len(text) >= 3 and len(text.split()) == 1:  # one word, no whitespace in it
        fields["fragment"] = fold(text)  # 'mueller' or 'gmx.de' also find emails
    return SearchQuery(**fields)


def phone_e164(text: str, number: str, country: str) -> str | None:
    """The E.164 form of a typed phone number (``number``: its digits) as the exact phone index
    holds it, or None when it is none.

    The plain shapes a till sees (``+`` and the country code; the store country's trunk prefix
    and the number; the number alone) are read from the numbering plan's own prefixes without
    running ``phonenumbers`` (about 35 µs of CPU a number, 1 to 2 here): :func:`plain_e164`. Its answer is the number
    ``phonenumbers`` reads whenever that is a valid number; for text that is no valid number it
    may name one that nobody has, which the exact lookup then does not find. Other shapes
    (``00`` and the country code, ``+49 (0)30``, a country whose trunk prefix is not plain) are
    read by ``phonenumbers`` and kept only when valid."""
    plain = plain_e164(text, number, country)
    if plain is not None:
        return plain or None
    import phonenumbers  # on first use: only phone-like text needs it, and it is slow to load

    try:
        parsed = phonenumbers.parse(text, country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def plain_e164(text: str, number: str, country: str) -> str | None:
    """``"+" + country code + national number`` read from a plainly typed phone number, as
    ``phonenumbers.parse`` would read it when the number is valid; ``""`` for text that cannot be
    a valid number; None when the shape needs ``phonenumbers`` itself.

    The rules are ``phonenumbers``' own, for the cases where they need no guess:
    - ``+`` first: the country code is the first one to three digits that are one (no code is
      a prefix of another); the rest is the national number unless the country's national
      prefix pattern matches its start (``+49 030``, ``+49 (0)30``: ``phonenumbers``);
    - otherwise the store country's: a start that the international prefix (``00``) or the
      country code (``49...``) could explain goes to ``phonenumbers``; the trunk prefix (``0``)
      is dropped when the national prefix pattern matches exactly it; no match, no drop.
    A valid national number has 2 to 17 digits."""
    if not number.isascii():
        return None
    stripped = text.lstrip()
    if stripped.startswith("+"):
        if "+" in stripped[1:] or number[0] == "0":
            return None
        for size in (1, 2, 3):
            plan = _plan_of_code(number[:size])
            if plan is not None:
                break
        else:
            return ""
        national = number[size:]
        prefix, transform, idd = plan
        if prefix is not None and prefix.match(national):
            return None
        return f"+{number}" if 2 <= len(national) <= 17 else ""
    if "+" in text or not country:
        return None
    plan = _plan_of_region(country.upper())
    if plan is None:
        return None
    code, trunk, (prefix, transform, idd), (whole, lengths) = plan
    if (idd is not None and idd.match(number)) or number.startswith(code) or transform:
        return None
    national = number
    if prefix is not None:
        m = prefix.match(number)
        if m is not None:
            national = number[m.end():]
            # phonenumbers keeps the prefix when the rest is no number of the plan ("800 ..." in
            # Russia, where 8 is the trunk prefix): only a plain drop is read here
            if m.group() != trunk or whole is None or not whole.fullmatch(national) \
                    or len(national) not in lengths:
                return None
    return f"+{code}{national}" if 2 <= len(national) <= 17 else ""


@functools.cache
def _plan_of_code(code: str) -> tuple | None:
    """The national prefix rule of the numbering plan a country code belongs to, or None when
    the digits are no country code."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    if not code or code[0] == "0" or int(code) not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return None
    region = phonenumbers.region_code_for_country_code(int(code))
    return _rules(PhoneMetadata.metadata_for_region_or_calling_code(int(code), region))


@functools.cache
def _plan_of_region(region: str) -> tuple | None:
    """A region's country code, trunk prefix and national prefix rule (None: no such region)."""
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None:
        return None
    general = metadata.general_desc
    pattern = general.national_number_pattern if general is not None else None
    return (str(metadata.country_code), metadata.national_prefix or "", _rules(metadata),
            (re.compile(pattern) if pattern else None, frozenset(general.possible_length if general else ())))


def _rules(metadata) -> tuple:
    if metadata is None:  # pragma: no cover - every country code has its plan
        return (re.compile(""), "", None)
    prefix = metadata.national_prefix_for_parsing
    idd = metadata.international_prefix
    return (re.compile(prefix) if prefix else None, metadata.national_prefix_transform_rule or "",
            re.compile(idd) if idd else None)


def fts_name_query(name_words: tuple[str, ...]) -> str:
    """Every word as a quoted prefix: '"ann"* "mul"*' (FTS5 ANDs them, in any order)."""
    return " ".join(f'"{w}"*' for w in name_words)


def fts_exact_query(name_words: tuple[str, ...]) -> str:
    """Every word whole: '"anna" "muller"'."""
    return " ".join(f'"{w}"' for w in name_words)


def fragment_text(fragment: str) -> str | None:
    """The text a fragment search looks for inside the contact text (emails, phone digits, card
    numbers), or None when it is too short for a trigram index (under three characters)."""
    cleaned = fragment.replace('"', "")
    if len(cleaned) < 3:
        return None
    return cleaned


def fts_fragment_plan(fragment: str) -> tuple[str, str | None] | None:
    """The trigram query for a fragment and the text every row it finds must still contain
    (None: nothing to check), or None when the fragment is too short for trigrams.

    Digits after a leading 0 (a national number being typed: "0179 136") are looked for without
    the 0 and the rows found are kept only where the whole fragment is there: almost every stored
    national number begins with 0 and one of a few area or mobile codes, so the first trigram
    ("017") is in a large part of the index and reading it costs more than the rest of the query;
    the rows found are the same ones (bench/ui.py: 3.4 -> 1.5 ms a query at a million customers)."""
    cleaned = fragment_text(fragment)
    if cleaned is None:
        return None
    if len(cleaned) >= 6 and cleaned[0] == "0" and cleaned.isascii() and cleaned.isdigit():
        return f'"{cleaned[1:]}"', cleaned
    return f'"{cleaned}"', None


def people_after_organizations(found: dict[str, str], people: dict[str, list[str]], want: int) -> dict[str, str]:
    """Organizations found by name bring their people (``people``: organization id -> its members,
    in order), each right after its organization, marked "member"; a person found on their own
    keeps their own place. Reorders ``found`` (id -> how it matched) in place, up to ``want``
    results; returns person id -> the organization id they were found through. The till and
    headquarters both rank this way."""
    via: dict[str, str] = {}
    if not people:
        return via
    order = list(found.items())
    own = set(found)
    found.clear()
    for cid, how in order:
        found[cid] = how
        for person in people.get(cid, ()):
            if person not in own and person not in via and len(found) < want:
                found[person], via[person] = "member", cid
    return via


#: the customer fields whose words the name index holds, in this order, at the till and at
#: headquarters alike (the suffix too: "Jr." finds Anna Müller Jr.)
NAME_WORD_FIELDS: tuple[str, ...] = ("first_name", "middle_name", "last_name", "suffix", "organization_name",
                                     "company")


def name_index_text(*names: str) -> str:
    """What the word index holds for a customer's names: folded words plus German spellings.

    'Müller' is indexed as 'muller' and 'mueller', so either spelling finds it.
    """
    out: list[str] = []
    for name in names:
        if not name:
            continue
        out.extend(words(name))
        alt = name.casefold().translate(_GERMAN_ALTERNATES)
        if alt != name.casefold():
            out.extend(w for w in words(alt) if w not in out)
    return " ".join(dict.fromkeys(out))


def contact_index_text(emails: list[str], phone_digit_forms: list[tuple[str, str]],
                       cards: list[str]) -> str:
    parts: list[str] = [e.casefold() for e in emails]
    for e164_digits, national_digits in phone_digit_forms:
        parts.append(e164_digits)
        if national_digits and national_digits != e164_digits:
            parts.append(national_digits)
    parts.extend(cards)
    return " ".join(parts)


@dataclass(frozen=True)
class FtsSchema:
    """The two FTS5 indexes over a table of index texts (the till's ``customer_search``,
    headquarters' ``hq_customer_search`` on SQLite), and the triggers that keep them in step:

    - ``<prefix>name``: words, unicode61 with diacritics removed, prefix indexes 1-3 so a typed
      prefix is a cheap lookup;
    - ``<prefix>contact``: trigram, for fragments of emails, phone digits and card numbers.

    One definition, so the till and headquarters index the same way (their search must agree).
    """

    content: str      # the table holding name_text and contact_text
    rowid: str        # its integer row id column
    name_fts: str
    contact_fts: str
    trigger_prefix: str

    @property
    def tables(self) -> tuple[str, str]:
        return (self.name_fts, self.contact_fts)

    def create(self) -> list[str]:
        n, c, t = self.name_fts, self.contact_fts, self.trigger_prefix
        insert = (f"INSERT INTO {n}(rowid, name_text) VALUES (new.{self.rowid}, new.name_text);\n"
                  f"        INSERT INTO {c}(rowid, contact_text) VALUES (new.{self.rowid}, new.contact_text);")
        delete = (f"INSERT INTO {n}({n}, rowid, name_text) VALUES ('delete', old.{self.rowid}, old.name_text);\n"
                  f"        INSERT INTO {c}({c}, rowid, contact_text)"
                  f" VALUES ('delete', old.{self.rowid}, old.contact_text);")
        return [
            f"""CREATE VIRTUAL TABLE {n} USING fts5(
        name_text, content='{self.content}', content_rowid='{self.rowid}',
        tokenize="unicode61 remove_diacritics 2", prefix='1 2 3', detail=column)""",
            f"""CREATE VIRTUAL TABLE {c} USING fts5(
        contact_text, content='{self.content}', content_rowid='{self.rowid}', tokenize='trigram')""",
            f"CREATE TRIGGER {t}_ai AFTER INSERT ON {self.content} BEGIN\n        {insert}\n    END",
            f"CREATE TRIGGER {t}_ad AFTER DELETE ON {self.content} BEGIN\n        {delete}\n    END",
            f"CREATE TRIGGER {t}_au AFTER UPDATE ON {self.content} BEGIN\n        {delete}\n        {insert}\n    END",
        ]

    def drop(self) -> list[str]:
        t = self.trigger_prefix
        return [f"DROP TRIGGER IF EXISTS {t}_au", f"DROP TRIGGER IF EXISTS {t}_ad",
                f"DROP TRIGGER IF EXISTS {t}_ai", f"DROP TABLE IF EXISTS {self.contact_fts}",
                f"DROP TABLE IF EXISTS {self.name_fts}"]


TILL_FTS = FtsSchema("customer_search", "rowid", "customer_name_fts", "customer_contact_fts", "customer_search")
HQ_FTS = FtsSchema("hq_customer_search", "id", "hq_search_fts_name", "hq_search_fts_contact", "hq_search_fts")
