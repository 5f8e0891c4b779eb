"""Small modal dialogs: yes/no confirmation, typed-text confirmation, edit conflicts, a
text too long for its table cell."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from ..text import plain, safe


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel", tooltip="Do nothing"),
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n", "dismiss(False)", "No", id="confirm.no", tooltip="Do nothing"),
    ]
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 60; max-width: 95%; height: auto; border: thick $warning; padding: 1 2; background: $surface; }
    ConfirmModal #question { margin-bottom: 1; }
    ConfirmModal Horizontal { height: auto; align: right middle; }
    ConfirmModal Button { margin-left: 1; }
    """

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.question, multiline=True), id="question")
            with Horizontal():
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class DetailModal(ModalScreen[None]):
    """The whole of something a table shows cut (an audit row's changes)."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="detail.close", tooltip="Back to the list"),
        Binding("enter", "dismiss", "Close", show=False, id="detail.close_enter"),
    ]
    DEFAULT_CSS = """
    DetailModal { align: center middle; }
    DetailModal > Vertical { width: 90%; height: auto; max-height: 90%; border: thick $primary; padding: 0 1;
                             background: $surface; }
    DetailModal #title { text-style: bold; margin-bottom: 1; }
    DetailModal VerticalScroll { height: auto; max-height: 20; }
    DetailModal .hint { color: $text-muted; }
    """

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), id="title")
            with VerticalScroll():
                yield Static(plain("\n".join(safe(line) for line in self.lines) or "—", multiline=True), id="detail")
            yield Static("esc close", classes="hint")


class ConflictModal(ModalScreen[str]):
    """Another terminal saved this customer since it was opened: show what changed; choose."""

    BINDINGS = [
        Binding("escape", "dismiss('cancel')", "Back to my edit", id="conflict.cancel",
                tooltip="Keep editing; nothing is saved"),
        Binding("t", "dismiss('theirs')", "Take theirs", id="conflict.theirs",
                tooltip="Discard my changes and reload the saved customer"),
        Binding("m", "dismiss('mine')", "Save mine", id="conflict.mine",
                tooltip="Write the fields I changed; keep their other changes"),
    ]
    DEFAULT_CSS = """
    ConflictModal { align: center middle; }
    ConflictModal > Vertical { width: 90%; height: 80%; border: thick $error; padding: 0 1; background: $surface; }
    ConflictModal DataTable { height: 1fr; }
    ConflictModal Horizontal { height: 3; align: right middle; }
    ConflictModal Button { margin-left: 1; }
    """

    def __init__(self, changed: dict[str, tuple[object, object]],
                 mine: dict[str, tuple[object, object]]) -> None:
        super().__init__()
        self.changed, self.mine = changed, mine  # field -> (when opened, now) / (when opened, yours)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Another terminal changed this customer after you opened it. "
                         "Save mine writes the fields you changed; their other changes stay.",
                         markup=False)
            table = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("Field", "When you opened it", "Saved now", "Yours")
            for field in dict.fromkeys([*self.changed, *self.mine]):
                opened, now = self.changed.get(field, (None, None))
                if field not in self.changed:
                    opened = now = self.mine[field][0]
                yours = _short(self.mine[field][1]) if field in self.mine else "(not changed)"
                table.add_row(plain(field), plain(_short(opened)), plain(_short(now)), plain(yours))
            yield table
            with Horizontal():
                yield Button("Back (esc)", id="cancel")
                yield Button("Take theirs (t)", id="theirs")
                yield Button("Save mine (m)", id="mine", variant="error")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


def _short(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "—"
    return "—" if value in (None, "") else str(value)


class TypedConfirmModal(ModalScreen[str | None]):
    """For what cannot be undone: the associate types a given text (a customer's reference)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="typed.cancel", tooltip="Do nothing")]
    DEFAULT_CSS = """
    TypedConfirmModal { align: center middle; }
    TypedConfirmModal > Vertical { width: 66; max-width: 95%; height: auto; border: thick $error; padding: 1 2;
                                   background: $surface; }
    TypedConfirmModal #question { margin-bottom: 1; }
    TypedConfirmModal #typed-error { color: $error; height: auto; }
    """

    def __init__(self, question: str, expected: str, *, placeholder: str = "") -> None:
        super().__init__()
        self.question, self.expected, self.placeholder = question, expected, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.question, multiline=True), id="question")
            yield Input(placeholder=self.placeholder, id="typed")
            yield Static("", id="typed-error", markup=False)
            yield Label("Enter confirms · Esc cancels", classes="muted")

    @on(Input.Submitted, "#typed")
    def _submitted(self, event: Input.Submitted) -> None:
        from ...domain.reference import normalize

        if normalize(event.value) != normalize(self.expected):
            self.query_one("#typed-error", Static).update(safe(f"That is not {self.expected}: nothing was changed."))
            return
        self.dismiss(event.value)
