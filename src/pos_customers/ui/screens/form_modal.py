"""A small form in a modal: fields described as data, errors from the services shown by field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from ...domain.errors import ValidationFailed
from ...domain.i18n import N_, _, tr
from ...services.auth import PermissionDenied
from ..widgets.footer import keys_as_shown
from ..text import plain, safe
from ..widgets.field_error import ErrorLine, clear_message_of, error_line, focus_at_end
from ..widgets.text_input import TextInput


@dataclass
class Field:
    """One field; its label, placeholder and choices' labels are shown as given (translated by the caller)."""

    name: str
    label: str
    kind: str = "text"  # text | password | select | check
    value: object = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, value) for select
    placeholder: str = ""


class FormModal(ModalScreen[bool]):
    """``submit(values)`` runs the service call; a ValidationFailed keeps the form open with the
    messages next to the fields, success closes it with True."""

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="modal.save", tooltip=N_("Check and save")),
        Binding("escape", "dismiss(False)", N_("Cancel"), id="modal.cancel", tooltip=N_("Close without saving")),
    ]
    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical { width: 70; max-width: 100%; height: auto; max-height: 90%;
                           border: thick $primary; background: $surface; padding: 0 1; }
    FormModal #title { text-style: bold; }
    FormModal VerticalScroll { height: auto; max-height: 18; }
    FormModal .row { height: auto; }
    FormModal .field-label { width: 22; }
    FormModal .row Input, FormModal .row Select { width: 1fr; }
    FormModal Checkbox, FormModal Checkbox:focus { border: none; height: 1; padding: 0; margin-left: 22; }
    FormModal .error { color: $error; padding-left: 22; height: auto; display: none; }
    FormModal .error.shown { display: block; }
    FormModal #form-error { color: $error; height: auto; }
    FormModal .hint { color: $text-muted; }
    """

    def __init__(self, title: str, fields: list[Field], submit: Callable[[dict], None]) -> None:
        super().__init__()
        self.title_text, self.fields, self.submit = title, fields, submit

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe(self.title_text), id="title", markup=False)
            with VerticalScroll():
                for f in self.fields:
                    if f.kind == "check":
                        yield Checkbox(f.label, bool(f.value), id=f"f-{f.name}")
                    else:
                        with Horizontal(classes="row"):
                            yield Label(f.label, classes="field-label", markup=False)
                            if f.kind == "select":
                                yield Select([(plain(label), v) for label, v in f.choices], value=f.value if f.value not in (None, "") else Select.NULL,
                                             id=f"f-{f.name}", compact=True, prompt="—")
                            else:
                                yield TextInput(safe(f.value or ""), id=f"f-{f.name}", compact=True,
                                                password=f.kind == "password", placeholder=f.placeholder)
                    yield ErrorLine(id=f"err-{f.name}")
            yield Static("", id="form-error", markup=False)
            yield Static(keys_as_shown(_("ctrl+s save · esc cancel")), classes="hint", markup=False)

    def on_mount(self) -> None:
        first = self.query_one(f"#f-{self.fields[0].name}")
        if isinstance(first, Input):
            focus_at_end(first)
        else:
            first.focus()

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self, event) -> None:
        clear_message_of(self, event.control.id)

    def values(self) -> dict:
        out = {}
        for f in self.fields:
            w = self.query_one(f"#f-{f.name}")
            v = w.value
            out[f.name] = None if v is Select.NULL else v
        return out

    def action_save(self) -> None:
        for e in self.query(ErrorLine):
            e.show("")
        self.query_one("#form-error", Static).update("")
        try:
            self.submit(self.values())
        except ValidationFailed as exc:
            other, shown = [], []
            for e in exc.errors:
                line = error_line(self, e.field)
                if line is not None:
                    line.show(tr(e.message))
                    shown.append(e.field)
                else:
                    other.append(tr(e.message))
            self.query_one("#form-error", Static).update(safe("; ".join(other)))
            fields = [self.query(f"#f-{name}") for name in shown]
            first = next((f.first() for f in fields if f), None)
            if first is not None:
                first.focus()  # on the field to correct
            return
        except PermissionDenied as exc:
            self.query_one("#form-error", Static).update(safe(_("Not allowed: {reason}").format(reason=tr(exc))))
            return
        self.dismiss(True)
