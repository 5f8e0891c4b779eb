"""Small modal dialogs: yes/no confirmation, typed-text confirmation, edit conflicts, a
text too long for its table cell; and the notice of a terminal smaller than 80x24."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from ...domain import i18n
from ...domain.i18n import N_, _, tr
from ..widgets.footer import keys_as_shown
from ..text import plain, safe
from ..widgets.text_input import TextInput


#: the key that says yes in each language (j for ja, o for oui); y says yes in every language too,
#: n says no in all four
YES_KEYS = {"en": "y", "de": "j", "fr": "o", "nl": "j"}


def yes_key() -> str:
    return YES_KEYS.get(i18n.language(), "y")


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "dismiss(False)", N_("Cancel"), id="confirm.cancel", tooltip=N_("Do nothing")),
        # the language's yes key is shown (check_action offers only that one); y always works
        *(Binding(key, f"answer_yes('{key}')", N_("Yes"), id=f"confirm.yes_{key}", tooltip=N_("Go ahead"))
          for key in sorted(set(YES_KEYS.values()))),
        Binding("y", "dismiss(True)", N_("Yes"), id="confirm.yes", tooltip=N_("Go ahead"), show=False),
        Binding("n", "dismiss(False)", N_("No"), id="confirm.no", tooltip=N_("Do nothing")),
    ]
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 60; max-width: 95%; height: auto; border: thick $warning; padding: 1 2; background: $surface; }
    ConfirmModal #question { margin-bottom: 1; }
    ConfirmModal Horizontal { height: auto; align: right middle; }
    ConfirmModal Button { margin-left: 1; }
    """

    def __init__(self, question: str, *, yes: str | None = None, no: str | None = None) -> None:
        """``question``, ``yes`` and ``no`` as the person reads them (translated by the caller)."""
        super().__init__()
        self.question, self.yes, self.no = question, yes or _("Yes"), no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.question, multiline=True), id="question")
            with Horizontal():
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} ({yes_key()})", id="yes", variant="warning")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if "(" in action:  # F1 and the footer ask with a binding's whole action text
            from textual.actions import parse
            _ns, action, parameters = parse(action)
        if action == "answer_yes":
            return parameters == (yes_key(),)
        return True

    def action_answer_yes(self, _key: str) -> None:
        self.dismiss(True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class DetailModal(ModalScreen[None]):
    """The whole of something a table shows cut (an audit row's changes)."""

    BINDINGS = [
        Binding("escape", "dismiss", N_("Close"), id="detail.close", tooltip=N_("Back to the list")),
        Binding("enter", "dismiss", N_("Close"), show=False, id="detail.close_enter"),
    ]
    DEFAULT_CSS = """
    DetailModal { align: center middle; }
    DetailModal > Vertical { width: 90%; height: auto; max-height: 90%; border: thick $primary; padding: 0 1;
                             background: $surface; }
    DetailModal #title { text-style: bold; margin-bottom: 1; }
    DetailModal VerticalScroll { height: auto; max-height: 20; }
    DetailModal .hint { color: $text-muted; }
    """

    def __init__(self, title: str, lines: list[str], *, copy: str = "") -> None:
        super().__init__()
        self.title_text, self.lines, self.copy = title, lines, copy

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), id="title")
            if self.copy:  # a link: whole on a line of its own, never wrapped, selected to copy
                yield CopyLine(self.copy, id="copy", compact=True)
            with VerticalScroll():
                yield Static(plain("\n".join(safe(line) for line in self.lines) or "—", multiline=True), id="detail")
            yield Static(keys_as_shown(_("ctrl+c copies the link · Esc closes")) if self.copy else _("Esc closes"),
                         classes="hint", markup=False)

    def on_mount(self) -> None:
        if self.copy:
            line = self.query_one("#copy", CopyLine)
            line.focus()
            line.select_all()
            self.call_after_refresh(self._whole_if_cut)

    def _whole_if_cut(self) -> None:
        """A link wider than its line is also written out whole below it, folded, to read off."""
        line = self.query_one("#copy", CopyLine)
        if len(self.copy) <= line.content_region.width:
            return
        text = Text(safe(self.copy), overflow="fold")
        text.append("\n\n" + safe("\n".join(safe(line) for line in self.lines), multiline=True))
        self.query_one("#detail", Static).update(text)

    @on(Input.Submitted, "#copy")
    def _enter(self) -> None:
        self.dismiss(None)

    @on(Input.Changed, "#copy")
    def _keep(self, event: Input.Changed) -> None:
        if event.value != self.copy:
            event.input.value = self.copy


class CopyLine(Input):
    """A text to copy (a link): one line that scrolls instead of wrapping, its text selected for
    ctrl+c; what is typed on it does not change it (DetailModal puts it back)."""


class ConflictModal(ModalScreen[str]):
    """Another terminal saved this customer since it was opened: show what changed; choose."""

    BINDINGS = [
        Binding("escape", "dismiss('cancel')", N_("Back to my edit"), id="conflict.cancel",
                tooltip=N_("Keep editing; nothing is saved")),
        Binding("t", "dismiss('theirs')", N_("Take theirs"), id="conflict.theirs",
                tooltip=N_("Discard my changes and reload the saved customer")),
        Binding("m", "dismiss('mine')", N_("Save mine"), id="conflict.mine",
                tooltip=N_("Write the fields I changed; keep their other changes")),
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
            yield Static(_("Another terminal changed this customer after you opened it. "
                           "Save mine writes the fields you changed; their other changes stay."),
                         markup=False)
            table = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns(_("Field"), _("When you opened it"), _("Saved now"), _("Yours"))
            for field in dict.fromkeys([*self.changed, *self.mine]):
                opened, now = self.changed.get(field, (None, None))
                if field not in self.changed:
                    opened = now = self.mine[field][0]
                yours = _short(self.mine[field][1]) if field in self.mine else _("(not changed)")
                table.add_row(plain(tr(field)), plain(_short(opened)), plain(_short(now)), plain(yours))
            yield table
            with Horizontal():
                yield Button(_("Back") + " (esc)", id="cancel")
                yield Button(_("Take theirs") + " (t)", id="theirs")
                yield Button(_("Save mine") + " (m)", id="mine", variant="error")

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

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), id="typed.cancel", tooltip=N_("Do nothing"))]
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
            yield TextInput(placeholder=self.placeholder, id="typed")
            yield Static("", id="typed-error", markup=False)
            yield Label(_("Enter confirms · Esc cancels"), classes="muted", markup=False)

    @on(Input.Submitted, "#typed")
    def _submitted(self, event: Input.Submitted) -> None:
        from ...domain.reference import normalize

        if normalize(event.value) != normalize(self.expected):
            self.query_one("#typed-error", Static).update(
                safe(_("That is not {expected}: nothing was changed.").format(expected=self.expected)))
            return
        self.dismiss(event.value)


class TooSmallScreen(ModalScreen[None]):
    """Over every screen while the terminal is smaller than 80x24: what to do, instead of cut
    widgets. The app takes it away when the terminal is big enough again (the screen under it is
    as it was left); ctrl+q still quits."""

    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; background: $background; }
    TooSmallScreen > Vertical { width: 100%; height: auto; padding: 0 1; }
    TooSmallScreen #too-small { text-style: bold; color: $warning; width: 100%; text-align: center; }
    TooSmallScreen #too-small-size { color: $text-muted; width: 100%; text-align: center; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Make the terminal at least {width}×{height}").format(width=80, height=24),
                         id="too-small", markup=False)
            yield Static("", id="too-small-size", markup=False)

    def on_mount(self) -> None:
        self.show_size()

    def show_size(self) -> None:
        size = self.app.size
        self.query_one("#too-small-size", Static).update(
            keys_as_shown(_("It is {width}×{height} now. ctrl+q quits.").format(width=size.width, height=size.height)))
