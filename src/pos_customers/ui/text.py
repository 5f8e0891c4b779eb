"""Customer text is data, never markup: everything shown goes through these helpers.

:func:`safe` is the one sanitizer of the screens: every text drawn from data (the results list,
the card, dialogs, headers, back-office lists, the Sync screen, notifications) passes through it.
It is :func:`pos_customers.domain.text.shown` (the CLI's text output uses the same rule): control
characters and ANSI escapes, bidi overrides and isolates, zero-width characters become a visible
U+FFFD; letters of every script, emoji and markup-looking text (``[b]Ann``) are shown as they are.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from ..domain.formats import date_text, datetime_text
from ..domain.i18n import _
from ..domain.text import shown


def safe(value: object, *, multiline: bool = False) -> str:
    """``value`` as a string safe to draw: dates and times as the store writes them
    (:mod:`pos_customers.domain.formats`, the one date-time format of every screen), hostile characters made
    visible (line breaks kept with ``multiline``). Not markup: give it to a widget with
    ``markup=False`` or wrap it in :func:`plain`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = datetime_text(value)
    elif isinstance(value, date):
        value = date_text(value)
    return shown(str(value), multiline=multiline)


def plain(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """A Rich Text that shows ``value`` exactly as typed (``[b]Ann`` stays ``[b]Ann``), through
    :func:`safe`."""
    return Text(safe(value, multiline=multiline), style=style, no_wrap=True, overflow="ellipsis")


def with_commands(text: str) -> str:
    """A line for a widget or a notification with markup on: ``text`` drawn as it is (through
    :func:`safe`, markup escaped), and a command it names between backticks (what the command
    line and the README print, ```pos-customers recover```) in bold without the backticks."""
    from textual.markup import escape

    parts = safe(text).split("`")
    if len(parts) % 2 == 0:  # a backtick without its pair: shown as it is
        return escape(safe(text))
    return "".join(escape(p) if i % 2 == 0 else f"[b]{escape(p)}[/b]" for i, p in enumerate(parts))


def sentence(text: str) -> str:
    """A reason as a sentence of its own (its first letter capital): refusals join their reason
    after a full stop ("No link. A guest has …"), never a capital after a colon mid-sentence."""
    return text[:1].upper() + text[1:]


def yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def shown_value(value: object) -> str:
    """A stored value as a person reads it: nothing is a dash, lists are comma-separated."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def change_lines(changes: dict) -> list[str]:
    """An audit row's changes, one "field: old → new" line each."""
    return [f"{k}: {shown_value(v.get('old'))} → {shown_value(v.get('new'))}" for k, v in changes.items()]
