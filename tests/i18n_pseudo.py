"""The extracted catalog, and the pseudo-locale ``xx`` made from it for the tests.

``xx`` shows every message wrapped in ⟦…⟧, its letters accented and the whole 40 % longer, its
``{placeholders}`` (and any ``[markup]``) intact: an English text on an ``xx`` screen was not
translated, and a screen that fits 80 columns in ``xx`` fits them in German.
"""

from __future__ import annotations

import gettext
import math
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from pos_customers.domain import i18n

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot"
KEYWORDS = ("N_", "Msg")  # besides Babel's own (_, gettext, ngettext, ...): README, "Translating"

_ACCENTS = str.maketrans("AaCcEeIiNnOoUuYyGgSsZzDdLlRrTtWwHhKk",
                         "ÅáÇçÉéÎíÑñÖóÜúÝýĜĝŠšŽžĎďĹĺŘřŤťŴŵĤĥĶķ")
# what pseudo-translation leaves alone: str.format fields, Textual markup, HTML-like tags
_KEEP = re.compile(r"(\{[^{}]*\}|\[[^\[\]]*\]|<[^<>]*>)")
_FILLER = "ẍ"


def extract(out: Path) -> Catalog:
    """``pybabel extract -F babel.cfg -k N_ -k Msg -o <out> .`` of the code as it is now."""
    from babel.messages.frontend import CommandLineInterface

    argv = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--no-wrap", "-o", str(out)]
    for keyword in KEYWORDS:
        argv += ["-k", keyword]
    CommandLineInterface().run([*argv, str(ROOT)])
    return read_catalog(out)


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def pseudo(text: str) -> str:
    """``Save {ref}`` -> ``⟦Šåvé {ref}ẍẍẍ⟧``: accented, 40 % longer (the brackets included), fields kept."""
    parts = _KEEP.split(text)
    out = "".join(part if _KEEP.fullmatch(part) else part.translate(_ACCENTS) for part in parts if part)
    visible = len(_KEEP.sub("", text))
    pad = max(0, math.ceil(visible * 1.4) - visible - 2)
    return f"⟦{out}{_FILLER * pad}⟧"


class PseudoTranslations(gettext.NullTranslations):
    """The ``xx`` catalog: every message of ``template`` pseudo-translated."""

    def __init__(self, template: Catalog):
        super().__init__()
        self.singular: dict[str, str] = {}
        self.plural: dict[tuple[str, str], tuple[str, str]] = {}
        for message in template:
            if not message.id:
                continue
            if isinstance(message.id, tuple | list):
                one, many = message.id[0], message.id[1]
                self.plural[(one, many)] = (pseudo(one), pseudo(many))
            else:
                self.singular[message.id] = pseudo(message.id)

    def gettext(self, message: str) -> str:
        return self.singular.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        found = self.plural.get((msgid1, msgid2))
        if found is None:
            return msgid1 if n == 1 else msgid2
        return found[0] if n == 1 else found[1]


def install_pseudo(template: Catalog) -> PseudoTranslations:
    """Make ``xx`` available to :func:`i18n.set_language` (the tests' own catalog, never offered)."""
    catalog = PseudoTranslations(template)
    i18n.install(i18n.PSEUDO, catalog)
    return catalog


def english_phrases(template: Catalog, words: int = 4) -> set[str]:
    """Every run of ``words`` consecutive words of the catalog's English texts (outside their
    placeholders and markup): none of them may be on an ``xx`` screen."""
    found: set[str] = set()
    for message in template:
        if not message.id:
            continue
        for text in (message.id if isinstance(message.id, tuple | list) else (message.id,)):
            for part in _KEEP.split(text):
                if not part or _KEEP.fullmatch(part):
                    continue
                tokens = part.split()
                for start in range(len(tokens) - words + 1):
                    run = tokens[start:start + words]
                    # a command line or a key list quoted in a text (--hq URL --token T) is not English
                    if sum(t.isalpha() and t.islower() and len(t) >= 3 for t in run) >= 2:
                        found.add(" ".join(run))
    return found
