"""The one sanitizer of everything drawn from data (ui.text.safe, built on domain.text.shown, which
the CLI uses too) against a naughty-strings list; and the forms' rule that refuses the same
characters in what is stored."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from rich.cells import cell_len
from rich.text import Text

from pos_customers.domain.text import REPLACEMENT, hostile_character, shown
from pos_customers.ui.text import change_lines, plain, safe
from tests.unit.naughty_strings import HOSTILE, LEGITIMATE

NOT_SHOWN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def hidden_left(text: str) -> list[str]:
    """Characters a terminal would not draw as themselves, except a joiner inside an emoji and the
    tags of a subdivision flag (both part of one visible picture)."""
    out = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) not in NOT_SHOWN:
            continue
        if ch == "\u200d" and 0 < i < len(text) - 1:
            continue
        if 0xE0020 <= ord(ch) <= 0xE007F and "\U0001F3F4" in text:
            continue
        out.append(f"U+{ord(ch):04X}")
    return out


@pytest.mark.parametrize("text, expected", HOSTILE)
def test_hostile_characters_are_shown_visibly(text, expected):
    assert safe(text) == shown(text) == expected
    assert REPLACEMENT in safe(text) and hidden_left(safe(text)) == []


@pytest.mark.parametrize("text", LEGITIMATE)
def test_legitimate_text_is_shown_exactly_as_stored(text):
    assert safe(text) == text
    assert hidden_left(safe(text)) == []


@pytest.mark.parametrize("text", [t for t, _ in HOSTILE] + LEGITIMATE)
def test_the_sanitizer_is_idempotent_and_never_lets_a_control_through(text):
    once = safe(text)
    assert safe(once) == once
    assert not any(unicodedata.category(c) == "Cc" for c in once)
    assert not set(once) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
                               "\u200b\u200c\u2060\ufeff")


def test_markup_looking_text_stays_text():
    for text in ("[b]Ann", "[red]Bob[/red]", "[@click=app.quit]x[/]"):
        rendered = plain(text)
        assert isinstance(rendered, Text) and rendered.plain == text and not rendered.spans


def test_an_emoji_sequence_keeps_its_joiners_and_its_width():
    family = "👨\u200d👩\u200d👧"
    assert safe(family) == family and cell_len(family) == 2  # one picture, two cells
    assert safe("👨\u200d") == "👨" + REPLACEMENT  # a joiner with nothing to join is hidden text
    assert safe("\u200d👩") == REPLACEMENT + "👩"


def test_line_breaks_stay_where_a_text_may_have_several_lines():
    assert safe("street 1\nberlin", multiline=True) == "street 1\nberlin"
    assert safe("a\r\nb", multiline=True) == "a\nb"
    assert safe("a\u202e\nb", multiline=True) == f"a{REPLACEMENT}\nb"
    assert safe("street 1\nberlin") == f"street 1{REPLACEMENT}berlin"


def test_values_that_are_not_text():
    assert safe(None) == "" and safe(42) == "42" and safe(date(2026, 3, 1)) == "Mar 1, 2026"
    assert plain(None).plain == ""


def test_audit_changes_are_shown_through_it_too():
    line, = change_lines({"last_name": {"old": "Lee", "new": "Lee\u202e"}})
    assert safe(line) == f"last_name: Lee → Lee{REPLACEMENT}"


@pytest.mark.parametrize("text, _", HOSTILE)
def test_the_forms_rule_refuses_every_hostile_string(text, _):
    assert hostile_character(text) is not None


@pytest.mark.parametrize("text", [t for t in LEGITIMATE if "\u200d" not in t and "\U000e0067" not in t])
def test_the_forms_rule_lets_legitimate_text_through(text):
    assert hostile_character(text) is None  # (joiners and tags are format characters: forms refuse them)
