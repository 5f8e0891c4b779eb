"""The message shown under a form field; takes no room while there is nothing to say."""

from __future__ import annotations

from textual.widgets import Label


class ErrorLine(Label):
    DEFAULT_CSS = """
    ErrorLine { width: 1fr; }
    """  # the whole width: a long message (with its example) wraps instead of being cut

    def __init__(self, *, id: str) -> None:  # noqa: A002 - Textual's own parameter name
        super().__init__("", id=id, classes="error", markup=False)

    def show(self, message: str) -> None:
        self.update(message)
        self.set_class(bool(message), "shown")


def clear_message_of(screen, widget_id: str | None) -> None:
    """A field was changed: its message goes (the field is checked again on save). ``f-code``
    and ``region-select`` answer to ``err-code`` and ``err-region``."""
    name = (widget_id or "").removeprefix("f-").removesuffix("-select")
    found = screen.query(f"#err-{name}")
    if found:
        found.first().show("")
