"""The strip of open customers: one line under the header, " 0 Search  1 A. Müller  2 Hans Meier* ".

The app mounts it on the screen in front whenever there is somewhere to switch to
(:attr:`~pos_customers.ui.desk.OpenCustomers.strip_shown`); the number is the alt key that goes
there, the current place is drawn reversed, and ``*`` marks unsaved changes.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ..desk import OpenCustomers
from ..text import safe


class OpenStrip(Widget):
    DEFAULT_CSS = """
    OpenStrip { height: 1; width: 100%; background: $panel; color: $text; }
    """

    def __init__(self, desk: OpenCustomers) -> None:
        super().__init__()
        self.desk = desk
        self._drawn: tuple = ()

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="crop")
        for i, piece in enumerate(self.desk.strip(self.size.width or 80)):
            if i:
                line.append(" ")
            style = "reverse bold" if piece.current else ("bold" if piece.dirty else "")
            line.append(f" {piece.number} {safe(piece.text)} ", style=style)
        return line

    def update(self) -> None:
        """Redraw when what it shows changed (the app calls this after every switch or change)."""
        drawn = tuple(self.desk.strip(self.size.width or 80))
        if drawn != self._drawn:
            self._drawn = drawn
            self.refresh()
