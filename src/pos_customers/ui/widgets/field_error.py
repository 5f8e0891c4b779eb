"""The message shown under a form field (it takes no room while there is nothing to say), and how a
form lands on its first field."""

from __future__ import annotations

import re

from textual.widgets import Input, Label

from ...domain.i18n import tr
from ..text import safe


class ErrorLine(Label):
    DEFAULT_CSS = """
    ErrorLine { width: 1fr; }
    """  # the whole width: a long message (with its example) wraps instead of being cut

    def __init__(self, *, id: str) -> None:  # noqa: A002 - Textual's own parameter name
        super().__init__("", id=id, classes="error", markup=False)

    def show(self, message: object) -> None:
        """``message``: a FieldError's message (a :class:`Msg`) or text; shown in the current language."""
        self.update(safe(tr(message), multiline=True))
        self.set_class(bool(message), "shown")


def focus_at_end(field: Input) -> None:
    """A form opens on its first field with the cursor after the text and nothing selected: a
    stray key adds a letter the associate sees, it never replaces "Zoe" with "e". That field
    keeps doing so when Tab brings the focus back to it."""
    field.select_on_focus = False
    field.cursor_position = len(field.value)
    field.focus()


def clear_message_of(screen, widget_id: str | None) -> None:
    """A field was changed: its message goes (the field is checked again on save). ``f-code``
    and ``region-select`` answer to ``err-code`` and ``err-region``."""
    line = error_line(screen, (widget_id or "").removeprefix("f-").removesuffix("-select"))
    if line is not None:
        line.show("")


_WIDGET_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def error_line(screen, field: str) -> ErrorLine | None:
    """The error line of the field named ``field`` on ``screen`` (``#err-<field>``), or None. A name
    that is no widget id (a protocol path such as "payload.fields.phones.0.e164", from a check
    after the form's own) has none: the caller shows its message in the form's top line."""
    if not _WIDGET_ID.fullmatch(field):
        return None
    found = screen.query(f"#err-{field}")
    return found.first() if found else None
