"""Associate number and PIN in one focusable widget.

One widget takes every key in the order it was typed, so "1002⏎1357⏎" typed at full speed
(or by a badge scanner) lands in the right fields: no key can overtake a focus change.
"""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ...domain.i18n import _

NUMBER_MAX, PIN_MAX = 16, 12


class SignInForm(Widget, can_focus=True):
    TAKES_TAB = True  # Tab switches between the two fields (the app's Tab leaves it alone)
    DEFAULT_CSS = """
    SignInForm { height: auto; width: 100%; }
    """

    number: reactive[str] = reactive("")
    pin: reactive[str] = reactive("")
    field: reactive[int] = reactive(0)  # 0 number, 1 PIN

    class Submitted(Message):
        def __init__(self, number: str, pin: str) -> None:
            super().__init__()
            self.number, self.pin = number, pin

    def clear(self, *, keep_number: bool = False) -> None:
        if not keep_number:
            self.number = ""
        self.pin = ""
        self.field = 1 if keep_number and self.number else 0

    def on_key(self, event: events.Key) -> None:
        key = event.key
        handled = True
        if key in ("enter", "ctrl+m"):
            if self.field == 0:
                self.field = 1
            else:
                self.post_message(self.Submitted(self.number.strip(), self.pin))
        elif key in ("tab", "down"):
            self.field = 1
        elif key in ("shift+tab", "up"):
            self.field = 0
        elif key == "backspace":
            if self.field == 0:
                self.number = self.number[:-1]
            else:
                self.pin = self.pin[:-1]
        elif key == "escape":
            self.clear()
        elif event.character and event.is_printable:
            ch = event.character
            if self.field == 0 and ch.isascii() and ch.isalnum() and len(self.number) < NUMBER_MAX:
                self.number += ch
            elif self.field == 1 and ch.isdigit() and len(self.pin) < PIN_MAX:
                self.pin += ch
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()

    def render(self) -> Group:
        def box(title: str, value: str, active: bool) -> Panel:
            shown = Text(value or " ")
            if active and self.has_focus:
                shown.append("▏", style="blink")
            return Panel(shown, title=title, title_align="left",
                         border_style="bold" if active else "dim", height=3)

        return Group(box(_("Associate number"), self.number, self.field == 0),
                     box(_("PIN"), "•" * len(self.pin), self.field == 1))
