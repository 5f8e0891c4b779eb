"""The message shown under a form field; takes no room while there is nothing to say."""

from __future__ import annotations

from textual.widgets import Label


class ErrorLine(Label):
    def __init__(self, *, id: str) -> None:  # noqa: A002 - Textual's own parameter name
        super().__init__("", id=id, classes="error", markup=False)

    def show(self, message: str) -> None:
        self.update(message)
        self.set_class(bool(message), "shown")
