"""Text folding shared by search, duplicate detection and validation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .enums import CustomerType
from .i18n import Msg

_EXTRA_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ı": "i"}
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NON_DIGITS = re.compile(r"\D+")


@lru_cache(maxsize=65536)  # names and words repeat: a pull folds the same ones again and again
def fold(text: str) -> str:
    """Lower-case, without diacritics: 'Müller' -> 'muller', 'Łukasz' -> 'lukasz'."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLDS))
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text, punctuation and symbols dropped."""
    return _WORD.findall(fold(text))


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


# -- hostile characters ----------------------------------------------------------------------------
#
# Two rules, one place:
# - what may be stored (the forms' rule, applied again by headquarters to what terminals push):
#   no control character (C0, C1, DEL, so no ESC either), no format character (bidi overrides,
#   embeddings, isolates and marks, zero-width spaces and joiners, BOM), no surrogate, private-use
#   or unassigned code point, no line or paragraph separator;
# - how text is shown (screens, the CLI): whatever reached the database anyway (an old row, a
#   bypassed check) is neutralised visibly, each run of such characters drawn as one U+FFFD.

REPLACEMENT = "\ufffd"  # �: one cell wide, never a control
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_NOT_SHOWN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # private-use and unassigned ones draw as a glyph
_ZWJ = "\u200d"
_EMOJI_MODIFIERS = frozenset(["\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))])  # VS16, skin tones
_BLACK_FLAG, _TAG_END = "\U0001F3F4", "\U000E007F"  # 🏴 + tag letters + cancel tag: a subdivision flag
# the bidi controls and zero-width characters named in the issue are all format characters (Cf):
# both rules cover them, and every other format character with them
assert all(unicodedata.category(c) == "Cf" for c in BIDI_CONTROLS | ZERO_WIDTH)


def hostile_character(text: str) -> str | None:
    """The first character stored text may not hold (see above), or None. The forms and
    headquarters' checks of pushed customers both use this rule."""
    if text.isprintable():  # fast path: no control, format, separator or unassigned code point
        return None
    for ch in text:
        if unicodedata.category(ch) in _REFUSED:
            return ch
    return None


def has_control_characters(text: str) -> bool:
    return hostile_character(text) is not None


def character_name(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE': how a message names a character nobody can see."""
    name = unicodedata.name(ch, "")
    if not name and ch in "\t\n\r\x1b\x7f":
        name = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE",
                "\x7f": "DELETE"}[ch]
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def hostile_problem(text: str, what: Msg | str | None = None) -> Msg | None:
    """Why ``text`` may not be stored, naming the character, or None. With ``what`` (the field's
    name: a Msg such as ``Msg("First name")``, or a label typed by a manager) a whole sentence
    about that field; without, the reason on its own ("contains an invisible ...")."""
    ch = hostile_character(text)
    if ch is None:
        return None
    if what is None:
        return Msg("contains an invisible or control character ({character})", character=character_name(ch))
    return Msg("{field} contains an invisible or control character ({character})", field=what,
               character=character_name(ch))


def shown(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to draw on a terminal, every character that is not drawn as itself made visible.

    Control characters (C0, C1, DEL: ESC, so no ANSI sequence can act), bidi overrides, embeddings,
    isolates and marks, zero-width characters, the BOM and line/paragraph separators become U+FFFD
    (a run of them, one U+FFFD). Letters of every script (Arabic and Hebrew names keep their own
    direction), accents, CJK and emoji are untouched, a zero-width joiner inside an emoji sequence
    (👩‍💻) and the tags of a subdivision flag too. Markup-looking text (``[b]Ann``) is not touched
    either: the UI shows it as text. With ``multiline`` a line feed stays a line break (CR LF too).
    Idempotent: shown(shown(x)) == shown(x).
    """
    if text.isprintable():  # nearly every value: nothing to do
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if unicodedata.category(ch) not in _NOT_SHOWN:
            out.append(ch)
            i += 1
            continue
        if multiline and ch == "\n":
            out.append(ch)
        elif multiline and ch == "\r" and text[i + 1:i + 2] == "\n":
            pass  # CR LF: the LF breaks the line
        elif ch == _ZWJ and _joins_emoji(text, i):
            out.append(ch)
        elif out and out[-1] == REPLACEMENT:
            pass  # a run of hidden characters is one mark
        else:
            out.append(REPLACEMENT)
        i += 1
    return _flags("".join(out), text) if _TAG_END in text else "".join(out)


def _joins_emoji(text: str, i: int) -> bool:
    """A ZWJ between two pictographs (modifiers in between allowed): part of one emoji."""
    j = i - 1
    while j >= 0 and text[j] in _EMOJI_MODIFIERS:
        j -= 1
    return (j >= 0 and i + 1 < len(text) and unicodedata.category(text[j]) == "So"
            and unicodedata.category(text[i + 1]) == "So")


_FLAG = re.compile("\U0001F3F4[\U000E0030-\U000E0039\U000E0061-\U000E007A]{1,7}\U000E007F")


def _flags(neutralised: str, text: str) -> str:
    """Subdivision flags (🏴 + tag letters + cancel tag: England, Scotland, Wales) stay whole."""
    flags = _FLAG.findall(text)
    if not flags:
        return neutralised
    # each flag became 🏴 + one U+FFFD above: put the flags back, in order
    parts = neutralised.split(_BLACK_FLAG + REPLACEMENT)
    if len(parts) != len(flags) + 1:
        return neutralised
    out = [parts[0]]
    for flag, part in zip(flags, parts[1:]):
        out += [flag, part]
    return "".join(out)


def display_name(customer_type: str, first: str, middle: str, last: str, organization: str,
                 suffix: str = "") -> str:
    """How a customer is named on screen: the organization's name, or the person's names in order
    (a suffix last: "John Smith Jr.")."""
    if customer_type == CustomerType.ORGANIZATION:
        return organization
    return " ".join(x for x in (first, middle, last, suffix) if x)


def fields_display_name(f: dict) -> str:
    """:func:`display_name` of a sync document's ``fields`` (as headquarters keeps them)."""
    return display_name(f.get("customer_type") or "person", f.get("first_name") or "", f.get("middle_name") or "",
                        f.get("last_name") or "", f.get("organization_name") or "", f.get("suffix") or "")
