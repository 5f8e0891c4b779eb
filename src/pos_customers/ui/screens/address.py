"""Add or edit one address: the fields, labels and checks of its country."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from ...domain.account_options import label_of
from ...domain.address import AddressInput, address_form, clean_address, known_country
from ...domain.errors import FieldError
from ...domain.i18n import N_, _, Msg, tr
from ...domain.customer import AddressDraft
from ..widgets.footer import keys_as_shown
from ..text import plain, safe
from ..widgets.label_column import widen_labels
from ..widgets.field_error import ErrorLine, clear_message_of, focus_at_end
from ..widgets.text_input import TextInput

FIELDS = ("line1", "line2", "district", "city", "region", "postal_code")


class AddressModal(ModalScreen[AddressDraft | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="address.save", tooltip=N_("Check and keep this address")),
        Binding("escape", "cancel", N_("Cancel"), id="address.cancel", tooltip=N_("Close without keeping")),
    ]
    DEFAULT_CSS = """
    AddressModal { align: center middle; }
    AddressModal > Vertical { width: 72; max-width: 100%; height: 90%; border: thick $primary; background: $surface; }
    AddressModal #title { text-style: bold; padding: 0 1; }
    AddressModal VerticalScroll { padding: 0 1; }
    AddressModal .row { height: auto; }
    AddressModal .field-label { width: 20; }
    AddressModal .field-label.required { text-style: bold; }
    AddressModal Input, AddressModal Select { width: 1fr; }
    AddressModal .error { color: $error; padding-left: 20; height: auto; display: none; }
    AddressModal .error.shown { display: block; }
    AddressModal Checkbox, AddressModal Checkbox:focus { border: none; height: 1; padding: 0; margin-left: 20; }
    AddressModal .hidden { display: none; }
    AddressModal .hint { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, *, draft: AddressDraft | None, purposes: list[tuple[str, str]],
                 default_purpose: str, default_country: str, line2: str = "optional") -> None:
        super().__init__()
        self.draft = draft
        # the store's account option for the second street line: hidden (still shown on an address
        # that has one, to keep or empty it), optional or required
        self.line2 = line2
        self.purposes = list(purposes)
        current = draft.purpose if draft and draft.purpose else default_purpose
        if current and current not in [code for code, _label in self.purposes]:
            self.purposes.append((current, _("{code} (retired)").format(code=current)))  # old addresses keep theirs
        self.purpose = current
        self.country = (draft.address.country if draft and draft.address.country else default_country).upper()

    def compose(self) -> ComposeResult:
        a = self.draft.address if self.draft else AddressInput(country=self.country)
        with Vertical():
            yield Static(_("Edit address") if self.draft else _("New address"), id="title", markup=False)
            with VerticalScroll():
                with Horizontal(classes="row"):
                    yield Label(_("Purpose"), classes="field-label required", markup=False)
                    yield Select([(plain(label), code) for code, label in self.purposes], value=self.purpose,
                                 allow_blank=False, id="purpose", compact=True)
                with Horizontal(classes="row"):
                    yield Label(_("Country") + " *", classes="field-label required", markup=False)
                    yield TextInput(self.country, id="country", max_length=2, restrict=r"[A-Za-z]*", compact=True)
                yield ErrorLine(id="err-country")
                for name in FIELDS:
                    with Horizontal(classes="row", id=f"row-{name}"):
                        yield Label(name, classes="field-label", id=f"label-{name}", markup=False)
                        if name == "region":
                            yield Select([], id="region-select", allow_blank=True, prompt=_("Choose"), compact=True)
                        yield TextInput(safe(getattr(a, name)), id=name, compact=True)
                    yield ErrorLine(id=f"err-{name}")
                yield Checkbox(_("Default billing address"), self.draft.default_billing if self.draft else False,
                               id="billing")
                yield Checkbox(_("Default shipping address"), self.draft.default_shipping if self.draft else False,
                               id="shipping")
            yield Label(keys_as_shown(_("ctrl+s OK · esc cancel")), classes="hint", markup=False)

    def on_mount(self) -> None:
        self._apply_country(self.country, initial_region=self.draft.address.region if self.draft else "")
        focus_at_end(self.query_one("#line1", Input))

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self, event) -> None:
        if event.control.id != "country":  # the country's own check below says what is wrong
            clear_message_of(self, event.control.id)

    @on(Input.Changed, "#country")
    def _country_changed(self, event: Input.Changed) -> None:
        code = event.value.upper()
        if len(code) == 2 and known_country(code):
            self._apply_country(code)
            self.query_one("#err-country", ErrorLine).show("")
        elif len(code) == 2:
            self.query_one("#err-country", ErrorLine).show(_("'{code}' is not a known country code").format(code=code))

    def _apply_country(self, code: str, initial_region: str = "") -> None:
        self.country = code
        form = address_form(code)
        for name in FIELDS:
            spec = form.spec(name)
            row = self.query_one(f"#row-{name}")
            row.set_class(spec is None, "hidden")
            label = self.query_one(f"#label-{name}", Label)
            if spec:
                required = spec.required or (name == "line2" and self.line2 == "required")
                label.update(tr(spec.label) + (" *" if required else ""))
                label.set_class(required, "required")
        widen_labels(self, 26)  # "Straat en huisnummer *" on one line
        if self.line2 == "hidden" and not (self.draft and self.draft.address.line2):
            self.query_one("#row-line2").add_class("hidden")
        spec = form.spec("region")
        select = self.query_one("#region-select", Select)
        region_input = self.query_one("#region", Input)
        if spec and spec.choices:
            select.set_options([(name if name.endswith(f"({c})") else f"{name} ({c})", c)
                                for c, name in spec.choices])
            codes = {c for c, _name in spec.choices}
            current = initial_region or region_input.value
            if current in codes:
                select.value = current
            select.remove_class("hidden")
            region_input.add_class("hidden")
        else:
            select.add_class("hidden")
            region_input.remove_class("hidden")
        postal = self.query_one("#postal_code", Input)
        postal.placeholder = _("e.g. {example}").format(example=form.postal_code_examples[0]) \
            if form.postal_code_examples else ""

    def _value(self) -> AddressDraft:
        form = address_form(self.country)
        spec = form.spec("region")
        if spec and spec.choices:
            sel = self.query_one("#region-select", Select)
            region = "" if sel.is_blank() else str(sel.value)
        else:
            region = self.query_one("#region", Input).value
        values = {n: self.query_one(f"#{n}", Input).value for n in FIELDS if n != "region"}
        visible = {n: (v if form.spec(n) else "") for n, v in values.items()}
        purpose = self.query_one("#purpose", Select).value
        return AddressDraft(
            AddressInput(country=self.country, region=region if spec else "", **visible),
            purpose=str(purpose), default_billing=self.query_one("#billing", Checkbox).value,
            default_shipping=self.query_one("#shipping", Checkbox).value)

    def action_save(self) -> None:
        draft = self._value()
        for name in ("country", *FIELDS):
            self.query_one(f"#err-{name}", ErrorLine).show("")
        _clean, errors = clean_address(draft.address)
        if self.line2 == "required" and self.draft is None and not draft.address.line2.strip():
            # a new address; an edited one is judged by the services (one it had stays as it was)
            errors.append(FieldError("line2", Msg("{field} is required in this store",
                                                  field=Msg(label_of("address_line2")))))
        if errors:
            for e in errors:
                target = e.field if e.field in ("country", *FIELDS) else "line1"
                self.query_one(f"#err-{target}", ErrorLine).show(tr(e.message))
            first = errors[0].field
            widget = "#region-select" if first == "region" and not self.query_one(
                "#region-select").has_class("hidden") else f"#{first}"
            try:
                self.query_one(widget).focus()
            except NoMatches:  # the field is not used in this country
                pass
            return
        self.dismiss(draft)

    def action_cancel(self) -> None:
        self.dismiss(None)
