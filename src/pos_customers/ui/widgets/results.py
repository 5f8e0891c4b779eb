"""The search results: a header line, then one line a customer, in fixed columns.

Drawn with Textual's line API straight from the cells' text. A DataTable renders every visible
cell through Rich on each new page of results (30 to 40 ms at 80x24 on a small till PC, more
than the keystroke budget); here a page costs well under a millisecond of cell work.

Customer text is never markup: cells are plain strings, shown as typed through the one
sanitizer (ui.text.safe: control, bidi and zero-width characters become "�"), a cell too long for its column ends in "…", wide characters (emoji, CJK) count
as the two columns they take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...domain.i18n import N_
from ..text import safe

PADDING = 1  # blank cells each side of a column


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` terminal cells: padded, or cut with an ellipsis."""
    text = safe(text)
    if cell_len(text) > width:
        if width <= 0:
            return ""
        # half of a wide character is padding: the ellipsis goes right after the last whole one
        return set_cell_size(set_cell_size(text, width - 1).rstrip() + "…", width)
    return set_cell_size(text, width)


def fit_name(text: str, width: int) -> str:
    """A name in ``width`` cells keeping its last word (the surname a person searched for) whole:
    "Maximilian Meier" in 14 cells is "Maximil… Meier", not "Maximilian Me…". A name of one word,
    or whose last word leaves no room for the rest, is cut at its end as any cell is. A person's
    organization after the name ("Maxime Lambert (Yılmaz Handel B.V.)") is not the surname: it is
    what gives way first."""
    text = safe(text)
    name, paren, _ = text.partition(" (")
    if paren and text.endswith(")") and cell_len(text) > width:
        return fit(text, width) if cell_len(name) + 3 <= width else fit_name(name, width)
    head, _, last = text.rstrip().rpartition(" ")
    if cell_len(text) <= width or not head.strip() or cell_len(last) + 3 > width:
        return fit(text, width)
    room = width - cell_len(last) - 1  # the head, its ellipsis included, then a space
    return fit(set_cell_size(head, room - 1).rstrip() + "… " + last, width)


def fit_phone(text: str, width: int) -> str:
    """A phone number in ``width`` cells with every digit, or its last ones: the digits a person
    reads back to the customer. Too long with its spaces ("+41 78 853 22 11" in 14 cells), it is
    shown as its digits alone ("+41788532211", "+12025437144" for "+1 202-543-7144"); too long even
    so, its end is kept ("…9460958")."""
    text = safe(text)
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    packed = ("+" if text.startswith("+") else "") + "".join(ch for ch in text if ch.isdigit())
    if cell_len(packed) <= width:
        return set_cell_size(packed, width)
    return set_cell_size("…" + packed[len(packed) - (width - 1):], width) if width > 1 else fit(packed, width)


#: how a cell too long for its column is cut, by the column's kind (:meth:`ResultsList.set_columns`)
_FIT = {"name": fit_name, "phone": fit_phone}


class ResultsList(ScrollView, can_focus=True):
    """Rows of cells with a keyboard cursor; Enter (or a double click) selects a row."""

    BINDINGS = [
        Binding("up", "cursor_up", N_("Up"), show=False),
        Binding("down", "cursor_down", N_("Down"), show=False),
        Binding("pageup", "page_up", N_("Page up"), show=False),
        Binding("pagedown", "page_down", N_("Page down"), show=False),
        Binding("home", "first", N_("First"), show=False),
        Binding("end", "last", N_("Last"), show=False),
        Binding("enter", "select", N_("Open"), show=False),
    ]
    COMPONENT_CLASSES = {"results--header", "results--cursor", "results--even-row"}
    DEFAULT_CSS = """
    ResultsList {
        background: $surface;
        color: $foreground;
        & > .results--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .results--header { background: ansi_bright_blue; color: ansi_default; }
        & > .results--even-row { background: $surface-lighten-1 50%; }
        &:dark > .results--even-row { background: $surface-darken-1 40%; }
        & > .results--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .results--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class Selected(Message):
        """A row was chosen (Enter, double click)."""

        def __init__(self, results: ResultsList, key: str, row: int) -> None:
            super().__init__()
            self.results, self.key, self.row = results, key, row

        @property
        def control(self) -> ResultsList:
            return self.results

    class UpFromTop(Message):
        """Up was pressed on the first row (the screen may move focus back to the search box)."""

        def __init__(self, results: ResultsList) -> None:
            super().__init__()
            self.results = results

        @property
        def control(self) -> ResultsList:
            return self.results

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._columns: list[tuple[str, int]] = []
        self._kinds: dict[int, str] = {}  # column -> "name" or "phone": how a long cell is cut
        self._keys: list[str] = []
        self._cells: list[tuple[str, ...] | Callable[[], Sequence[str]]] = []
        self.cursor_row = 0

    # -- content -----------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._cells)

    def get_row_at(self, row: int) -> tuple[str, ...]:
        cells = self._cells[row]
        if callable(cells):  # made when first needed: a row never drawn costs nothing
            cells = self._cells[row] = tuple(cells())
        return cells

    def key_at(self, row: int) -> str:
        return self._keys[row]

    def set_columns(self, columns: Sequence[tuple[str, int]], *, names: Sequence[int] = (),
                    phones: Sequence[int] = ()) -> None:
        """(label, width in cells) for each column; ``names``: the columns of names, which keep
        their last word (the surname) in view when cut (:func:`fit_name`); ``phones``: the columns
        of phone numbers, which keep their digits (:func:`fit_phone`)."""
        self._columns = list(columns)
        self._kinds = {**{i: "name" for i in names}, **{i: "phone" for i in phones}}
        self._resize()

    def set_rows(self, rows: Sequence[tuple[str, Sequence[str] | Callable[[], Sequence[str]]]]) -> None:
        """Replace every row: (key, cells), the cells or a function that makes them, called when the
        row is first drawn or asked for (of a page of 50, the 20 that an 80x24 screen shows: the
        search box formats no phone number nobody sees). The cursor goes back to the first row."""
        self._keys, self._cells = [], []
        self.cursor_row = 0
        self.add_rows(rows)
        self.scroll_to(y=0, animate=False, immediate=True)

    def add_rows(self, rows: Sequence[tuple[str, Sequence[str] | Callable[[], Sequence[str]]]]) -> None:
        for key, cells in rows:
            self._keys.append(key)
            self._cells.append(cells if callable(cells) else tuple(cells))
        self._resize()

    def clear(self) -> None:
        self.set_rows([])

    def _resize(self) -> None:
        width = sum(w + 2 * PADDING for _, w in self._columns)
        self.virtual_size = Size(width, len(self._cells) + 1)
        self.refresh()

    # -- drawing -------------------------------------------------------------------------------
    def _text(self, cells: Sequence[str], header: bool = False) -> str:
        pad = " " * PADDING
        return "".join(pad + (fit if header else _FIT.get(self._kinds.get(i, ""), fit))(cell, width) + pad
                       for i, (cell, (_, width)) in enumerate(zip(cells, self._columns)))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            text = self._text([label for label, _ in self._columns], header=True)
            style = base + self.get_component_rich_style("results--header")
        else:
            row = scroll_y + y - 1
            if row >= len(self._cells):
                return Strip.blank(width, base)
            text = self._text(self.get_row_at(row))
            style = base
            if row % 2:
                style += self.get_component_rich_style("results--even-row")
            if row == self.cursor_row:
                style += self.get_component_rich_style("results--cursor")
        strip = Strip([Segment(text, style)], cell_len(text))
        return strip.crop_extend(scroll_x, scroll_x + width, style if y == 0 else base)

    # -- the cursor ----------------------------------------------------------------------------
    def move_cursor(self, row: int) -> None:
        if not self._cells:
            return
        self.cursor_row = max(0, min(row, len(self._cells) - 1))
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)
        self.refresh()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.UpFromTop(self))
        else:
            self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._cells) - 1)

    def action_select(self) -> None:
        if self._cells:
            self.post_message(self.Selected(self, self._keys[self.cursor_row], self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= row < len(self._cells):
            self.move_cursor(row)
            if event.chain >= 2:
                self.action_select()
