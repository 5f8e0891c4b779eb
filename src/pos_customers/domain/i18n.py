"""What a person reads, in their language: gettext catalogs (made with Babel) and messages as values.

The English text of a message is its msgid. Code below the edge (domain, services, sync) never
makes translated text: it raises or returns a :class:`Msg` (the English template and its
parameters), and the edge (the UI, the CLI) turns it into text with :func:`tr` in the language of
the person reading. ``str(msg)`` is the English text, for logs and the audit trail.

- ``_("Save")``: translate now (at the edge, or in code that runs at the edge's request).
- ``N_("Save")``: mark for extraction only; translated later with :func:`tr` or ``_``
  (module-level constants: binding descriptions, column titles, labels).
- ``Msg("{name} is longer than {limit} characters", name=..., limit=...)``: a message with
  parameters, made into text at the edge. Placeholders are ``str.format`` fields.
- ``ngettext(singular, plural, n)``: plural forms.
- :func:`tr`: any of these (a Msg, an exception raised with a Msg or a constant message, a
  marked string) in the current language.

Catalogs live in ``pos_customers/locale/<lang>/LC_MESSAGES/pos_customers.po``; the ``.mo`` files
are compiled at install (the build hook in ``hatch_build.py``) and, when missing or older than their
``.po`` (a translator at work), compiled on first use in memory. A language is a directory there:
adding one needs no code change. ``xx`` is the pseudo-locale of the tests (every text wrapped and
lengthened), generated, never offered to people.
"""

from __future__ import annotations

import gettext as _gettext
import io
import string
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DOMAIN = "pos_customers"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT = "en"
PSEUDO = "xx"

_lock = threading.Lock()
_cache: dict[str, _gettext.NullTranslations] = {}
_current: _gettext.NullTranslations = _gettext.NullTranslations()
_language = DEFAULT


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


class Msg:
    """A message as a value: its English template (the msgid, which is also its code) and
    parameters. Parameters that are themselves :class:`Msg` are translated with it."""

    __slots__ = ("text", "params")

    def __init__(self, text: str, /, **params: Any):
        self.text = text
        self.params: Mapping[str, Any] = params

    def __str__(self) -> str:
        return _fill(self.text, self.params, translate=False)

    def __repr__(self) -> str:
        return f"Msg({self.text!r}, **{dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Msg):
            return self.text == other.text and dict(self.params) == dict(other.params)
        if isinstance(other, str):  # compares as its English text, like the str it replaced
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:  # equal to its English text, so hashed as that text
        return hash(str(self))

    def __contains__(self, part: str) -> bool:  # "needs an email" in msg, as with a str
        return part in str(self)

    def translated(self) -> str:
        try:
            return _fill(_current.gettext(self.text), self.params, translate=True)
        except (ValueError, IndexError, AttributeError, KeyError):  # a broken translation never hides the message
            return _fill(self.text, self.params, translate=True)

    def as_dict(self) -> dict[str, Any]:
        """For the wire: ``{"code": template, "params": {...}}`` (parameters as plain text)."""
        return {"code": self.text, "params": {k: str(v) if isinstance(v, Msg) else v for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Msg:
        params = data.get("params") or {}
        return cls(str(data.get("code") or ""), **(params if isinstance(params, Mapping) else {}))


def _fill(template: str, params: Mapping[str, Any], *, translate: bool) -> str:
    if not params:
        return template
    values = {k: (v.translated() if translate else str(v)) if isinstance(v, Msg) else v for k, v in params.items()}
    return template.format_map(_Missing(values))


class CountryName(Msg):
    """A country (ISO code) in a message, named in the language of the person reading it (Babel's
    territory names: "Germany", "Deutschland", "Allemagne", "Duitsland"); the code itself when
    Babel does not know it."""

    __slots__ = ()

    def __init__(self, code: str, /):
        super().__init__((code or "").strip().upper())

    def __str__(self) -> str:
        return _territory(self.text, "en")

    def __repr__(self) -> str:
        return f"CountryName({self.text!r})"

    def translated(self) -> str:
        return _territory(self.text, language())

    def as_dict(self) -> dict[str, Any]:
        return {"code": str(self), "params": {}}


def _territory(code: str, lang: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(lang.replace("-", "_")).territories.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return str(name or code)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _(message: str) -> str:
    """``message`` (a marked English text) in the current language."""
    return _current.gettext(message) if message else ""


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def tr(value: object) -> str:
    """What a person reads, in the current language: a :class:`Msg`, an exception raised with one
    (or with a constant message), or a marked string. Anything else is returned as ``str``."""
    if isinstance(value, Msg):
        return value.translated()
    if isinstance(value, BaseException):
        msg = getattr(value, "msg", None)
        if isinstance(msg, Msg):
            return msg.translated()
        if len(value.args) == 1 and isinstance(value.args[0], Msg):
            return value.args[0].translated()
        return _(str(value))
    if value is None:
        return ""
    return _(str(value))  # "" stays "" (gettext gives the catalog's header for it)


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a template (the catalog test compares them per translation)."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name}


# --- which language ---------------------------------------------------------------------------

def normalize(code: str | None) -> str:
    """``de-AT``, ``de_AT.UTF-8``, ``DE`` -> ``de_AT`` / ``de``; empty, ``C`` and ``POSIX`` -> ``""``."""
    code = (code or "").strip().split(".")[0].split("@")[0].replace("-", "_")
    if not code or code.upper() in ("C", "POSIX"):
        return ""
    lang, _sep, region = code.partition("_")
    return f"{lang.lower()}_{region.upper()}" if region else lang.lower()


def available() -> list[str]:
    """The languages people can choose: ``en`` and every catalog shipped (not the pseudo-locale)."""
    found = {DEFAULT}
    if LOCALE_DIR.is_dir():
        found |= {p.name for p in LOCALE_DIR.iterdir()
                  if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file() and p.name != PSEUDO}
    return sorted(found)


def supported(code: str | None) -> str:
    """The catalog that serves ``code`` (``de_AT`` -> ``de``), or ``""`` if none does."""
    code = normalize(code)
    if not code:
        return ""
    for candidate in (code, code.split("_")[0]):
        if (candidate == DEFAULT or candidate in available()
                or candidate == PSEUDO and (candidate in _cache or _po(candidate).is_file())):  # generated or installed
            return candidate
    return ""


def choose(*codes: str | None) -> str:
    """The first of ``codes`` that a catalog serves, else English."""
    for code in codes:
        if found := supported(code):
            return found
    return DEFAULT


def _po(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of ``lang`` (English: none), compiled from its ``.po`` if no fresh ``.mo``."""
    lang = supported(lang) or DEFAULT
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    with _lock:
        if lang in _cache:
            return _cache[lang]
        po = _po(lang)
        mo = po.with_suffix(".mo")
        try:
            if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
                with mo.open("rb") as f:
                    found: _gettext.NullTranslations = _gettext.GNUTranslations(f)
            else:
                found = _gettext.GNUTranslations(io.BytesIO(compile_po(po)))
        except (OSError, ValueError):
            found = _gettext.NullTranslations()
        _cache[lang] = found
        return found


def compile_po(po: Path) -> bytes:
    """A ``.po`` file compiled to ``.mo`` bytes with Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def set_language(code: str | None) -> str:
    """Make ``code`` (or the nearest catalog, else English) the language of what is made into
    text from now on, in this process. Returns the language chosen."""
    global _current, _language
    lang = supported(code) or DEFAULT
    _current = translations(lang)
    _language = lang
    return lang


def language() -> str:
    return _language


def install(lang: str, catalog: _gettext.NullTranslations) -> None:
    """Use ``catalog`` for ``lang`` (the tests' generated pseudo-locale)."""
    with _lock:
        _cache[lang] = catalog


def forget_catalogs() -> None:
    """Drop the loaded catalogs (a translator's edit is read again on the next use)."""
    with _lock:
        _cache.clear()
