"""Names as people write them, from what an associate typed into the search box.

Search text is usually typed in lower case ("neum", "anna van der berg"); a new customer pre-filled
from it should read "Neum", "Anna van der Berg". Text the associate typed with capitals of their own
("McDonald", "DeVito", "van Gogh") is theirs: it is kept exactly. Nothing here is applied on save;
the form shows the result and the associate corrects it if needed.
"""

from __future__ import annotations

import re

# Surname particles written in lower case inside a name ("Ludwig van Beethoven", "Ursula von der
# Leyen", "Anna Maria de la Cruz", "Ahmad bin Ali"); the articles only after another particle
# ("de la", "van der", "von dem"), since "Le Pen" and "La Rosa" stand alone capitalised.
PARTICLES = frozenset({
    "van", "von", "vom", "zu", "zum", "zur", "de", "del", "della", "dello", "degli", "dei", "di", "da",
    "das", "do", "dos", "du", "des", "der", "den", "ter", "ten", "te", "af", "av", "bin", "ibn", "bint",
})
CONJUNCTIONS = frozenset({"y", "e", "i"})  # joining two surnames: "García y Vega", "Silva e Souza"
ARTICLES = frozenset({"la", "le", "las", "los", "lo", "l'", "het", "'t", "dem"})
_SEGMENT = re.compile(r"([\-‐'’])")  # hyphens and apostrophes start a new capital: Müller-Lüdenscheidt, O'Neil


def _has_own_capitals(text: str) -> bool:
    """Both cases present: the associate decided how to write it."""
    return any(c.isupper() for c in text) and any(c.islower() for c in text)


def _capitalised(segment: str) -> str:
    lower = segment.lower()
    if lower.startswith("mc") and len(lower) > 3 and lower[2].isalpha():
        return "Mc" + lower[2].upper() + lower[3:]  # McDonald, McNeil ("Mac" is left alone: Machado)
    first = lower[:1].title()
    return (first if len(first) == 1 else lower[:1]) + lower[1:]  # "ß" never grows into "Ss"


def _word(word: str) -> str:
    return "".join(_capitalised(part) if not _SEGMENT.fullmatch(part) else part
                   for part in _SEGMENT.split(word))


def name_case(text: str) -> str:
    """Typed text in the capitals of a name: "anna van der berg" -> "Anna van der Berg",
    "ronald mcdonald" -> "Ronald McDonald", "sean o'neil" -> "Sean O'Neil",
    "MÜLLER-LÜDENSCHEIDT" -> "Müller-Lüdenscheidt". Mixed-case text is returned as typed.
    Particles are lower case where another word follows them ("de Vries"); one standing last is
    a surname of its own ("Van")."""
    if _has_own_capitals(text):
        return text
    words = text.split()
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        followed = i < len(words) - 1
        after_particle = i > 0 and words[i - 1].lower() in PARTICLES | ARTICLES
        if followed and (lower in PARTICLES or (lower in ARTICLES and after_particle)
                         or (lower in CONJUNCTIONS and i > 0)):
            out.append(lower)
        else:
            out.append(_word(word))
    return " ".join(out)


def split_typed_name(text: str) -> tuple[str, str]:
    """(first names, last name) of a typed person's name: the last word is the last name, with the
    particles just before it ("jan de vries" -> ("Jan", "de Vries")); capitals as in :func:`name_case`."""
    words = name_case(text).split()
    if not words:
        return "", ""
    start = len(words) - 1
    while start > 0:
        before = words[start - 1].lower()
        if before in PARTICLES | ARTICLES:
            start -= 1
        elif before in CONJUNCTIONS and start >= 2:  # "juan garcía y vega": the last name is "García y Vega"
            start -= 2
        else:
            break
    return " ".join(words[:start]), " ".join(words[start:])
