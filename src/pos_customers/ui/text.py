"""Customer text is data, never markup: everything shown goes through these helpers."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text


def plain(value: object, style: str = "") -> Text:
    """A Rich Text that shows ``value`` exactly as typed (``[b]Ann`` stays ``[b]Ann``)."""
    if value is None:
        return Text("", style=style)
    if isinstance(value, datetime):
        value = value.astimezone().strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        value = value.isoformat()
    return Text(str(value), style=style, no_wrap=True, overflow="ellipsis")


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


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
