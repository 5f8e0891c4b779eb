"""Add or edit one email or phone of a customer: the address or number, its purpose, marketing
consent and whether it is the primary one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from ...domain.customer import EmailInput, PhoneInput
from ...domain.enums import PURPOSE_WORDS, EmailPurpose, PhonePurpose
from ...domain.errors import FieldProblem
from ...domain.i18n import N_, _, tr
from ...domain.validation import clean_email, clean_phone
from ..widgets.footer import keys_as_shown
from ..text import safe
from ..widgets.field_error import ErrorLine, focus_at_end
from ..widgets.text_input import TextInput

KINDS = ((N_("Email"), "email"), (N_("Phone"), "phone"))
#: what a person reads for each purpose code of an email or phone (the code is what is stored)
PURPOSE_LABELS = PURPOSE_WORDS
PURPOSES = {"email": [p.value for p in EmailPurpose], "phone": [p.value for p in PhonePurpose]}


def purpose_label(code: str) -> str:
    """A contact purpose in the current language (a code this list does not know: as it is)."""
    return tr(PURPOSE_LABELS[code]) if code in PURPOSE_LABELS else code


def purpose_options(kind: str) -> list[tuple[str, str]]:
    """The purposes of an email or phone for a Select: (label in the current language, code)."""
    return [(purpose_label(code), code) for code in PURPOSES[kind]]


@dataclass(frozen=True)
class ContactEdit:
    """What the modal gives back: an email or a phone, and whether it becomes the primary one."""

    contact: EmailInput | PhoneInput
    primary: bool

    @property
    def kind(self) -> str:
        return "email" if isinstance(self.contact, EmailInput) else "phone"


class ContactModal(ModalScreen[ContactEdit | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Keep"), id="contact.save", tooltip=N_("Check and keep this email or phone")),
        Binding("escape", "cancel", N_("Cancel"), id="contact.cancel", tooltip=N_("Close without keeping")),
    ]
    DEFAULT_CSS = """
    ContactModal { align: center middle; }
    ContactModal > Vertical { width: 64; max-width: 100%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    ContactModal #title { text-style: bold; }
    ContactModal .row { height: auto; }
    ContactModal .field-label { width: 14; }
    ContactModal Input, ContactModal Select { width: 1fr; }
    ContactModal .error { color: $error; padding-left: 14; height: auto; display: none; }
    ContactModal .error.shown { display: block; }
    ContactModal Checkbox, ContactModal Checkbox:focus { border: none; height: 1; padding: 0; margin-left: 14; }
    ContactModal #hint { color: $text-muted; }
    ContactModal #kind-why { color: $text-muted; padding-left: 14; }
    """

    def __init__(self, *, contact: EmailInput | PhoneInput | None, country: str,
                 kinds: tuple[str, ...] = ("email", "phone")) -> None:
        super().__init__()
        self.contact = contact
        self.country = country
        self.kinds = kinds or ("email", "phone")  # the kinds the store's account options show
        self.kind = "phone" if isinstance(contact, PhoneInput) else "email"
        if contact is None and self.kind not in self.kinds:
            self.kind = self.kinds[0]

    def compose(self) -> ComposeResult:
        c = self.contact
        value = (c.address if isinstance(c, EmailInput) else c.number) if c else ""
        with Vertical():
            yield Static(_("Edit email or phone") if c else _("New email or phone"), id="title", markup=False)
            # the text first: the dialog opens on it, what is typed goes where it is read
            with Horizontal(classes="row"):
                yield Label(_("Email / phone"), classes="field-label", markup=False)
                yield TextInput(safe(value), id="value", compact=True)
            yield ErrorLine(id="err-value")
            offered = [(tr(label), kind) for label, kind in KINDS if kind in self.kinds or kind == self.kind]
            with Horizontal(classes="row"):
                yield Label(_("Kind"), classes="field-label", markup=False)
                yield Select(offered, value=self.kind, allow_blank=False, id="kind", compact=True,
                             disabled=c is not None)
            left_out = [tr(label) for label, kind in KINDS if kind not in (k for _l, k in offered)]
            if left_out:
                yield Label(_("{kinds}: hidden in this store (the store's account options)").format(
                    kinds=", ".join(left_out)), id="kind-why", classes="muted-line", markup=False)
            with Horizontal(classes="row"):
                yield Label(_("Purpose"), classes="field-label", markup=False)
                yield Select(purpose_options(self.kind), value=str(c.purpose) if c else PURPOSES[self.kind][0],
                             allow_blank=False, id="purpose", compact=True)
            yield Checkbox(_("Marketing consent"), bool(c and c.marketing_consent), id="marketing")
            yield Checkbox(_("Primary (the one the form shows first)"), False, id="primary")
            yield Label(keys_as_shown(_("ctrl+s keeps · esc cancels · saved with the customer")), id="hint", markup=False)

    def on_mount(self) -> None:
        """The dialog opens on its first field that takes input (the email or phone)."""
        first = next((w for w in self.query("Input, Select, Checkbox") if w.focusable), None)
        if isinstance(first, Input):
            focus_at_end(first)
        elif first is not None:
            first.focus()

    @on(Select.Changed, "#kind")
    def _kind(self, event: Select.Changed) -> None:
        self.kind = str(event.value)
        purpose = self.query_one("#purpose", Select)
        purpose.set_options(purpose_options(self.kind))
        purpose.value = PURPOSES[self.kind][0]

    def action_save(self) -> None:
        value = self.query_one("#value", Input).value
        try:
            if self.kind == "email":
                clean_email(value)
            else:
                clean_phone(value, self.country)
        except FieldProblem as exc:
            self.query_one("#err-value", ErrorLine).show(tr(exc))
            self.query_one("#value", Input).focus()
            return
        purpose = str(self.query_one("#purpose", Select).value)
        marketing = self.query_one("#marketing", Checkbox).value
        contact = (EmailInput(value.strip(), purpose, False, marketing) if self.kind == "email"
                   else PhoneInput(value.strip(), purpose, False, marketing))
        self.dismiss(ContactEdit(contact, self.query_one("#primary", Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
