"""The store's back office: template, account options, address purposes, groups, affiliations, attribute
definitions, associates and the store audit. Managers for their store; support and admin any."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (DataTable, Header, Input, Label, OptionList, Select, SelectionList,
                             Static)
from textual.widgets.option_list import Option

from ...domain.enums import AttributeType, Role
from ...domain import i18n
from ...domain.errors import FieldError, ValidationFailed
from ...domain.i18n import N_, _, Msg, ngettext, tr
from ...services import associates as assoc
from ...services import backoffice as bo
from ...services import records
from ...services.auth import PermissionDenied, role_name
from ...domain.formats import time_text
from ..text import change_lines, plain, safe, yes_no
from ..widgets.field_error import ErrorLine
from ..widgets.footer import KeysFooter
from ..widgets.text_input import TextInput
from .account_options import AccountOptionsScreen
from .dialogs import ConfirmModal
from .form import CUSTOMER_TYPES, RECEIPT_LABELS, choices_in_language, receipt_options
from .form_modal import Field, FormModal

#: what a person reads for the codes these screens show (the code is what is stored)
TYPE_LABELS = {AttributeType.TEXT: N_("text"), AttributeType.CHOICE: N_("choice"), AttributeType.INTEGER: N_("integer"),
               AttributeType.DECIMAL: N_("decimal"), AttributeType.BOOLEAN: N_("yes/no"),
               AttributeType.DATE: N_("date")}


def _label(table: dict, code: str) -> str:
    """A code's label from ``table`` in the current language (a code it does not know: as it is)."""
    return tr(table[code]) if code in table else code


def _guard(screen: Screen, fn, *args, done: str | None = None, **kwargs) -> bool:
    """Run a service call; a refusal or a rule becomes a message, never a crash."""
    try:
        fn(screen.app.services, screen.app.actor, *args, **kwargs)
    except (ValidationFailed, PermissionDenied) as exc:
        message = "; ".join(tr(e.message) for e in exc.errors) if isinstance(exc, ValidationFailed) else tr(exc)
        screen.notify(message, severity="error", timeout=8)
        return False
    if done:
        screen.notify(done)
    return True


class BackOfficeScreen(Screen):
    """A menu of the back-office screens (F9 from the search screen)."""

    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"), id="backoffice.back", tooltip=N_("Back"))]
    ENTRIES = [
        ("template", N_("Default-customer template"), lambda: TemplateScreen()),
        ("purposes", N_("Address purposes"), lambda: PurposesScreen()),
        ("groups", N_("Customer groups"), lambda: GroupsScreen()),
        ("affiliations", N_("Affiliations"), lambda: AffiliationsScreen()),
        ("attributes", N_("Custom attributes"), lambda: AttributesScreen()),
        ("associates", N_("Associates"), lambda: AssociatesScreen()),
        ("audit", N_("Store audit"), lambda: AuditScreen()),
        ("options", N_("Account options (the form's fields)"), lambda: AccountOptionsScreen()),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(*[Option(tr(label), id=key) for key, label, _make in self.ENTRIES], id="menu")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = _("Back office")
        self.sub_title = self.app.header_text()
        self.query_one("#menu", OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#menu")
    def _open(self, event: OptionList.OptionSelected) -> None:
        make = next(m for key, _label, m in self.ENTRIES if key == event.option.id)
        self.app.push_screen(make())


# -- template ----------------------------------------------------------------------------------

class TemplateScreen(Screen):
    AUTO_FOCUS = "#customer_type"
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="template.save", tooltip=N_("Save the template")),
        Binding("escape", "back", N_("Back"), id="template.back",
                tooltip=N_("Back without saving (asks first if you changed something)")),
    ]
    DEFAULT_CSS = """
    TemplateScreen #body { height: 1fr; }
    TemplateScreen #fields { width: 1fr; padding: 0 1; }
    TemplateScreen #preview { width: 1fr; padding: 0 1; border-left: solid $primary; }
    TemplateScreen .row { height: auto; }
    TemplateScreen .field-label { width: 16; }
    TemplateScreen .row Input, TemplateScreen .row Select { width: 1fr; }
    TemplateScreen SelectionList { height: auto; max-height: 6; }
    TemplateScreen #warning { color: $warning; height: auto; }
    TemplateScreen .error { color: $error; height: auto; display: none; }
    TemplateScreen .error.shown { display: block; }
    """

    def __init__(self, store_code: str | None = None) -> None:
        super().__init__()
        self.store_code = store_code

    def compose(self) -> ComposeResult:
        svc, actor = self.app.services, self.app.actor
        self.store_code = self.store_code or svc.store_code
        view = bo.template_view(svc, actor, self.store_code)
        choices = records.form_choices(svc, actor, language=i18n.language())
        self.purpose_labels = choices.all_purposes  # in the current language
        t = view.template
        yield Header()
        with Horizontal(id="body"):
            with VerticalScroll(id="fields"):
                stores = bo.stores_for(svc, actor)
                if len(stores) > 1:  # support and administrators shape any store's template
                    with Horizontal(classes="row"):
                        yield Label(_("Store"), classes="field-label", markup=False)
                        yield Select([(plain(f"{name} ({code})"), code) for code, name in stores],
                                     value=self.store_code, allow_blank=False, id="store", compact=True)
                rows = [
                    ("customer_type", _("Customer type"), Select(choices_in_language(CUSTOMER_TYPES),
                                                                 value=t.customer_type.value, allow_blank=False,
                                                                 id="customer_type", compact=True)),
                    ("group_code", _("Customer group"), Select([(plain(f"{c.label} ({c.code})"), c.code)
                                                                for c in choices.groups],
                                                               value=t.group_code or Select.NULL, id="group_code",
                                                               compact=True, prompt=_("none"))),
                    ("receipt_option", _("Receipt"), Select(receipt_options(),
                                                            value=t.receipt_option.value, allow_blank=False,
                                                            id="receipt_option", compact=True)),
                    ("receipt_email", _("Receipt email"), TextInput(safe(t.receipt_email), id="receipt_email",
                                                                    compact=True)),
                    ("currency", _("Currency"), TextInput(safe(t.currency), id="currency", compact=True)),
                    ("language", _("Language"), TextInput(safe(t.language), id="language", compact=True)),
                    ("address_country", _("Address country"), TextInput(safe(t.address_country),
                                                                        id="address_country", compact=True,
                                                                        max_length=2)),
                ]
                for name, label, widget in rows:
                    with Horizontal(classes="row"):
                        yield Label(label, classes="field-label", markup=False)
                        yield widget
                    yield ErrorLine(id=f"err-{name}")
                yield Label(_("Affiliations"), markup=False)
                yield SelectionList(*[(plain(f"{c.label} ({c.code})"), c.code, c.code in t.affiliations)
                                      for c in choices.affiliations], id="affiliations")
                yield ErrorLine(id="err-affiliations")
                yield Static("", id="warning", markup=False)
            yield Static("", id="preview")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = _("Default-customer template")
        self.sub_title = self.app.header_text()
        self._refresh_preview()
        self._as_opened = self._values()

    def action_back(self) -> None:
        if self._values() == self._as_opened:
            self.app.pop_screen()
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(ConfirmModal(_("Leave the template without saving your changes?"), yes=_("Discard"),
                                          no=_("Keep editing")), answer)

    def _values(self) -> dict:
        group = self.query_one("#group_code", Select)
        return {
            "customer_type": self.query_one("#customer_type", Select).value,
            "group_code": None if group.is_blank() else group.value,
            "receipt_option": self.query_one("#receipt_option", Select).value,
            "receipt_email": self.query_one("#receipt_email", Input).value,
            "currency": self.query_one("#currency", Input).value,
            "language": self.query_one("#language", Input).value,
            "address_country": self.query_one("#address_country", Input).value,
            "affiliations": list(self.query_one("#affiliations", SelectionList).selected),
        }

    @on(Select.Changed, "#store")
    def _store(self, event: Select.Changed) -> None:
        if event.value != self.store_code:
            self.app.switch_screen(TemplateScreen(str(event.value)))

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event) -> None:
        if getattr(event, "select", None) is not None and event.select.id == "store":
            return
        self._refresh_preview()

    def _show_errors(self, exc: ValidationFailed | None) -> None:
        for e in self.query(ErrorLine):
            e.show("")
        for e in (exc.errors if exc else []):
            found = self.query(f"#err-{e.field}")
            if found:
                found.first().show(tr(e.message))

    def _refresh_preview(self) -> None:
        try:
            view = bo.template_view(self.app.services, self.app.actor, self.store_code, **self._values())
        except ValidationFailed as exc:
            self._show_errors(exc)
            return
        self._show_errors(None)
        warning = view.receipt_email_warning
        self.query_one("#warning", Static).update(safe(tr(warning)) if warning else "")
        text = Text()
        for title, p in ((_("A new Person gets"), view.person), (_("A new Organization gets"), view.organization)):
            text.append(f"{title}\n", style="bold")
            lines = ((_("type"), tr(dict((code, label) for label, code in CUSTOMER_TYPES).get(
                          str(p.customer_type), str(p.customer_type)))),
                     (_("group"), p.group_code or "—"),
                     (_("receipt"), _label(RECEIPT_LABELS, p.receipt_option)),
                     (_("receipt email"), p.receipt_email or "—"),
                     (_("currency"), p.currency), (_("language"), p.language),
                     (_("affiliations"), ", ".join(p.affiliations) or "—"),
                     (_("financial dims"), ", ".join(f"{k}={v}" for k, v in p.financial_dimensions.items()) or "—"),
                     (_("address"), f"{self.purpose_labels.get(p.address_purpose, p.address_purpose)}, "
                                    f"{p.address_country}"))
            width = max(len(label) for label, _value in lines) + 1
            for label, value in lines:
                text.append(f"  {label:<{width}}{safe(value)}\n")
            text.append("\n")
        self.query_one("#preview", Static).update(text)

    def action_save(self) -> None:
        try:
            bo.update_template(self.app.services, self.app.actor, self.store_code, **self._values())
        except ValidationFailed as exc:
            self._show_errors(exc)
            self.notify(_("The template was not saved: check the fields"), severity="error")
            return
        except PermissionDenied as exc:
            self.notify(tr(exc), severity="error")
            return
        self.app.reload_template()
        self.notify(_("Template of {store} saved: the next new customer there uses it").format(store=self.store_code))
        self.app.pop_screen()


# -- lists -------------------------------------------------------------------------------------

class ListScreen(Screen):
    """A table of reference rows with keys to change them; subclasses say what and how."""

    TITLE_TEXT = ""  # these three marked with N_, translated where shown
    COLUMNS: tuple[str, ...] = ()
    DEFAULT_CSS = """
    ListScreen DataTable { height: 1fr; }
    ListScreen #hint { color: $text-muted; padding: 0 1; height: auto; }
    """
    HINT = ""

    def compose(self) -> ComposeResult:
        yield Header()
        table = DataTable(id="rows", cursor_type="row", zebra_stripes=True)
        table.add_columns(*[tr(c) for c in self.COLUMNS])
        yield table
        yield Static(tr(self.HINT), id="hint", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = tr(self.TITLE_TEXT)
        self.sub_title = self.app.header_text()
        self.reload()

    def rows(self) -> list[tuple[str, tuple]]:  # (key, cells)
        raise NotImplementedError

    def reload(self) -> None:
        table = self.query_one("#rows", DataTable)
        row = table.cursor_row
        table.clear()
        for key, cells in self.rows():
            table.add_row(*[plain(c) for c in cells], key=key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    @property
    def current(self) -> str | None:
        table = self.query_one("#rows", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def edit(self, title: str, fields: list[Field], submit) -> None:
        table = self.query_one("#rows", DataTable)
        before = {key.value for key in table.rows}

        def done(ok: bool | None) -> None:
            if ok:
                self.reload()
                added = [i for i, key in enumerate(table.rows) if key.value not in before]
                if added:  # the row just added, not the one the cursor was on
                    table.move_cursor(row=added[0])
        self.app.push_screen(FormModal(title, fields, submit), done)

    def edit_in_language(self, code: str, submit, extra: list[Field] = ()) -> None:
        """The `l` key of every reference list: a label in one language; ``submit(language, label, values)``."""
        self.edit(_("{code} in another language").format(code=code),
                  [Field("language", _("Language"), placeholder="de, fr, en-GB"), Field("label", _("Label")), *extra],
                  lambda v: submit(v["language"], v["label"], v))


class PurposesScreen(ListScreen):
    TITLE_TEXT = N_("Address purposes")
    COLUMNS = (N_("Code"), N_("Label"), N_("Active"), N_("Person"), N_("Organization"), N_("In use"),
               N_("Other languages"))
    HINT = N_("a add · r rename · l label in a language · [ ] move · p/o default for Person/Organization"
              " · x retire/reactivate · delete")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="purposes.back", tooltip=N_("Back")),
        Binding("a", "add", N_("Add"), id="purposes.add", tooltip=N_("Add an address purpose")),
        Binding("r", "rename", N_("Rename"), id="purposes.rename", tooltip=N_("Change the label")),
        Binding("l", "language", N_("Language label"), id="purposes.language", tooltip=N_("Label in one language")),
        Binding("left_square_bracket", "move(-1)", N_("Up"), id="purposes.up", tooltip=N_("Move up the list")),
        Binding("right_square_bracket", "move(1)", N_("Down"), id="purposes.down", tooltip=N_("Move down the list")),
        Binding("p", "default('person')", N_("Person default"), id="purposes.person",
                tooltip=N_("Default for Person")),
        Binding("o", "default('organization')", N_("Org default"), id="purposes.org",
                tooltip=N_("Default for Organization")),
        Binding("x", "retire", N_("Retire"), id="purposes.retire", tooltip=N_("Retire or reactivate")),
        Binding("delete", "delete", N_("Delete"), id="purposes.delete", tooltip=N_("Delete an unused purpose")),
    ]

    def rows(self):
        return [(p.code, (p.code, p.label, yes_no(p.active), _("default") if p.default_person else "",
                          _("default") if p.default_organization else "", p.in_use,
                          ", ".join(f"{k}: {v}" for k, v in p.labels.items())))
                for p in bo.purposes(self.app.services, self.app.actor)]

    def action_add(self) -> None:
        self.edit(_("New address purpose"), [Field("code", _("Code"), placeholder=_("e.g. HOLIDAY")),
                                             Field("label", _("Label"))],
                  lambda v: bo.add_purpose(self.app.services, self.app.actor, v["code"], v["label"]))

    def action_rename(self) -> None:
        code = self.current
        if code:
            label = next(p.label for p in bo.purposes(self.app.services, self.app.actor) if p.code == code)
            self.edit(_("Rename {code}").format(code=code), [Field("label", _("Label"), value=label)],
                      lambda v: bo.rename_purpose(self.app.services, self.app.actor, code, v["label"]))

    def action_language(self) -> None:
        code = self.current
        if code:
            def submit(language, label, _values):
                if not (language or "").strip():
                    raise ValidationFailed(FieldError("language", Msg("Language is required, like de or en-GB")))
                bo.rename_purpose(self.app.services, self.app.actor, code, label, language=language)
            self.edit_in_language(code, submit)

    def action_move(self, steps: int) -> None:
        if self.current and _guard(self, bo.move_purpose, self.current, steps):
            self.reload()
            self.query_one("#rows", DataTable).move_cursor(row=max(0, self.query_one("#rows").cursor_row + steps))

    def action_default(self, ctype: str) -> None:
        label = tr(dict((code, label) for label, code in CUSTOMER_TYPES).get(ctype, ctype))
        if self.current and _guard(self, bo.set_default_purpose, self.current, ctype,
                                   done=_("{code} is now the default for {customer_type}").format(
                                       code=self.current, customer_type=label)):
            self.reload()

    def action_retire(self) -> None:
        code = self.current
        if not code:
            return
        active = next(p.active for p in bo.purposes(self.app.services, self.app.actor) if p.code == code)
        fn = bo.retire_purpose if active else bo.reactivate_purpose
        done = _("{code} retired") if active else _("{code} reactivated")
        if _guard(self, fn, code, done=done.format(code=code)):
            self.reload()

    def action_delete(self) -> None:
        code = self.current
        if not code:
            return
        purpose = next(p for p in bo.purposes(self.app.services, self.app.actor) if p.code == code)
        reason = bo.why_purpose_stays(purpose)
        if reason:  # said at once, not after "Delete? y"
            self.notify(tr(reason), severity="error", timeout=8)
            return

        def answer(yes: bool | None) -> None:
            if yes and _guard(self, bo.delete_purpose, code, done=_("{code} deleted").format(code=code)):
                self.reload()
        self.app.push_screen(ConfirmModal(_("Delete the address purpose {code}?").format(code=code), yes=_("Delete")),
                             answer)


class GroupsScreen(ListScreen):
    TITLE_TEXT = N_("Customer groups")
    COLUMNS = (N_("Code"), N_("Name"), N_("Financial dimensions"), N_("Active"))
    HINT = N_("a add · enter edit (dimensions as Key=Value; Key=Value) · l name in a language")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="groups.back", tooltip=N_("Back")),
        Binding("a", "add", N_("Add"), id="groups.add", tooltip=N_("Add a customer group")),
        Binding("l", "language", N_("Language label"), id="groups.language", tooltip=N_("Label in one language")),
    ]

    def action_language(self) -> None:
        if code := self.current:
            self.edit_in_language(code, lambda language, label, _v: bo.label_group(
                self.app.services, self.app.actor, code, language, label))

    def _all(self):
        return records.reference_groups(self.app.services, self.app.actor)

    def rows(self):
        return [(g.code, (g.code, g.name, _dims(g.financial_dimensions), yes_no(g.active))) for g in self._all()]

    def _form(self, g=None):
        fields = [Field("code", _("Code"), value=g.code if g else ""),
                  Field("name", _("Name"), value=g.name if g else ""),
                  Field("dims", _("Financial dimensions"), value=_dims(g.financial_dimensions) if g else "",
                        placeholder="CostCenter=100; Department=Retail"),
                  Field("active", _("Active"), kind="check", value=g.active if g else True)]
        self.edit(_("Customer group"), fields, lambda v: bo.save_group(
            self.app.services, self.app.actor, v["code"], v["name"], _parse_dims(v["dims"]), active=v["active"]))

    def action_add(self) -> None:
        self._form()

    @on(DataTable.RowSelected)
    def _edit(self, event: DataTable.RowSelected) -> None:
        self._form(next(g for g in self._all() if g.code == event.row_key.value))


class AffiliationsScreen(ListScreen):
    TITLE_TEXT = N_("Affiliations")
    COLUMNS = (N_("Code"), N_("Name"), N_("Description"), N_("Active"))
    HINT = N_("a add · enter edit · l name in a language")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="affiliations.back", tooltip=N_("Back")),
        Binding("a", "add", N_("Add"), id="affiliations.add", tooltip=N_("Add an affiliation")),
        Binding("l", "language", N_("Language label"), id="affiliations.language",
                tooltip=N_("Label in one language")),
    ]

    def action_language(self) -> None:
        if code := self.current:
            self.edit_in_language(code, lambda language, label, _v: bo.label_affiliation(
                self.app.services, self.app.actor, code, language, label))

    def _all(self):
        return records.reference_affiliations(self.app.services, self.app.actor)

    def rows(self):
        return [(a.code, (a.code, a.name, a.description, yes_no(a.active))) for a in self._all()]

    def _form(self, a=None):
        fields = [Field("code", _("Code"), value=a.code if a else ""),
                  Field("name", _("Name"), value=a.name if a else ""),
                  Field("description", _("Description"), value=a.description if a else ""),
                  Field("active", _("Active"), kind="check", value=a.active if a else True)]
        self.edit(_("Affiliation"), fields, lambda v: bo.save_affiliation(
            self.app.services, self.app.actor, v["code"], v["name"], v["description"], active=v["active"]))

    def action_add(self) -> None:
        self._form()

    @on(DataTable.RowSelected)
    def _edit(self, event: DataTable.RowSelected) -> None:
        self._form(next(a for a in self._all() if a.code == event.row_key.value))


class AttributesScreen(ListScreen):
    TITLE_TEXT = N_("Custom attributes")
    COLUMNS = (N_("Code"), N_("Label"), N_("Type"), N_("Required"), N_("On create form"), N_("Choices"),
               N_("Active"))
    HINT = N_("a add · enter edit · choices separated by | · l label in a language")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="attributes.back", tooltip=N_("Back")),
        Binding("a", "add", N_("Add"), id="attributes.add", tooltip=N_("Add a custom attribute")),
        Binding("l", "language", N_("Language label"), id="attributes.language",
                tooltip=N_("Label in one language")),
    ]

    def action_language(self) -> None:
        code = self.current
        if not code:
            return
        d = next(d for d in self._all() if d.code == code)
        extra = [Field("choice", _("Of the choice"), kind="select", choices=[(c, c) for c in d.choices])] if d.choices else []
        self.edit_in_language(code, lambda language, label, v: bo.label_attribute(
            self.app.services, self.app.actor, code, language, label, choice=v.get("choice") or ""), extra)

    def _all(self):
        return records.reference_attributes(self.app.services, self.app.actor)

    def rows(self):
        return [(d.code, (d.code, d.label, _label(TYPE_LABELS, d.type), yes_no(d.required), yes_no(d.show_on_create),
                          " | ".join(d.choices), yes_no(d.active))) for d in self._all()]

    def _form(self, d=None):
        fields = [Field("code", _("Code"), value=d.code if d else ""),
                  Field("label", _("Label"), value=d.label if d else ""),
                  Field("type", _("Type"), kind="select", value=d.type if d else "text",
                        choices=[(_label(TYPE_LABELS, t), t.value) for t in AttributeType]),
                  Field("choices", _("Choices"), value=" | ".join(d.choices) if d else "",
                        placeholder=_("Morning | Evening")),
                  Field("required", _("Required"), kind="check", value=d.required if d else False),
                  Field("show_on_create", _("Shown on the create form"), kind="check",
                        value=d.show_on_create if d else True),
                  Field("active", _("Active"), kind="check", value=d.active if d else True)]
        self.edit(_("Custom attribute"), fields, lambda v: bo.save_attribute(
            self.app.services, self.app.actor, v["code"], v["label"], v["type"] or "text",
            required=v["required"], choices=[c.strip() for c in (v["choices"] or "").split("|") if c.strip()],
            show_on_create=v["show_on_create"], active=v["active"]))

    def action_add(self) -> None:
        self._form()

    @on(DataTable.RowSelected)
    def _edit(self, event: DataTable.RowSelected) -> None:
        self._form(next(d for d in self._all() if d.code == event.row_key.value))


class AssociatesScreen(ListScreen):
    TITLE_TEXT = N_("Associates")
    COLUMNS = (N_("Number"), N_("Name"), N_("Role"), N_("Store"), N_("Active"), N_("Locked until"))
    HINT = N_("a add · r role · p reset PIN · u unlock · d deactivate/activate")
    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="associates.back", tooltip=N_("Back")),
        Binding("a", "add", N_("Add"), id="associates.add", tooltip=N_("Add an associate")),
        Binding("r", "role", N_("Role"), id="associates.role", tooltip=N_("Change the role")),
        Binding("p", "pin", N_("Reset PIN"), id="associates.pin", tooltip=N_("Set a new PIN")),
        Binding("u", "unlock", N_("Unlock"), id="associates.unlock", tooltip=N_("Unlock after wrong PINs")),
        Binding("d", "active", N_("Deactivate"), id="associates.active", tooltip=N_("Deactivate or activate")),
    ]

    def _all(self):
        return assoc.list_associates(self.app.services, self.app.actor)

    def rows(self):
        now = datetime.now(timezone.utc)
        return [(a.number, (a.number, a.name, tr(role_name(a.role)),
                            _("chain") if a.support_account else a.store_code or _("all"), yes_no(a.active),
                            time_text(a.locked_until)
                            if a.locked_until and a.locked_until.replace(tzinfo=timezone.utc) > now else ""))
                for a in self._all()]

    def _roles(self):
        actor = self.app.actor
        return [(tr(role_name(r)), r.value) for r in Role if r.rank <= actor.role.rank
                and (r is not Role.SUPPORT or actor.role is Role.ADMIN)]

    def _changeable(self) -> str | None:
        """The selected associate's number; None (with a message) for the chain's support accounts,
        which only headquarters changes."""
        number = self.current
        if number and any(a.support_account for a in self._all() if a.number == number):
            self.notify(_("{number} is a support account of the chain: only headquarters changes it").format(
                number=number), severity="warning", timeout=8)
            return None
        return number

    @staticmethod
    def _pin_fields() -> list[Field]:
        return [Field("pin", _("PIN (4-12 digits)"), kind="password"),
                Field("pin_again", _("PIN again"), kind="password")]

    def action_add(self) -> None:
        def submit(v):
            _same_pin(v)
            assoc.add_associate(self.app.services, self.app.actor, number=v["number"], name=v["name"],
                                role=v["role"] or "associate", pin=v["pin"])
        self.edit(_("New associate"), [Field("number", _("Number")), Field("name", _("Name")),
                                       Field("role", _("Role"), kind="select", value="associate",
                                             choices=self._roles()),
                                       *self._pin_fields()], submit)

    def action_role(self) -> None:
        number = self._changeable()
        if number:
            current = next(a.role for a in self._all() if a.number == number)
            self.edit(_("Role of {number}").format(number=number),
                      [Field("role", _("Role"), kind="select", value=current, choices=self._roles())],
                      lambda v: assoc.change_role(self.app.services, self.app.actor, number, v["role"] or current))

    def action_pin(self) -> None:
        number = self._changeable()
        if number:
            def submit(v):
                _same_pin(v)
                assoc.reset_pin(self.app.services, self.app.actor, number, v["pin"])
            self.edit(_("New PIN for {number}").format(number=number), self._pin_fields(), submit)

    def action_unlock(self) -> None:
        if self._changeable() and _guard(self, assoc.unlock, self.current,
                                         done=_("{number} unlocked").format(number=self.current)):
            self.reload()

    def action_active(self) -> None:
        number = self._changeable()
        if number:
            active = next(a.active for a in self._all() if a.number == number)
            done = _("{number} deactivated") if active else _("{number} activated")
            if _guard(self, assoc.set_active, number, not active, done=done.format(number=number)):
                self.reload()


def _same_pin(values: dict) -> None:
    """A PIN is typed twice: a typo would lock the associate out of their first sign-in."""
    if (values.get("pin") or "") != (values.get("pin_again") or ""):
        raise ValidationFailed(FieldError("pin_again", Msg("The two PINs differ: type the same PIN twice")))


class AuditScreen(Screen):
    """Every change in the store, filtered by associate, customer reference, entity and date."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", N_("Back"), id="audit.back", tooltip=N_("Back")),
        Binding("f3", "more", N_("More"), id="audit.more", tooltip=N_("Older entries")),
    ]
    DEFAULT_CSS = """
    AuditScreen #filters { height: auto; }
    AuditScreen #filters Input { width: 1fr; }
    AuditScreen DataTable { height: 1fr; }
    AuditScreen #status { color: $text-muted; padding: 0 1; height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            yield TextInput(placeholder=_("associate"), id="associate", compact=True)
            yield TextInput(placeholder=_("customer ref"), id="customer", compact=True)
            yield TextInput(placeholder=_("entity"), id="entity", compact=True)
            yield TextInput(placeholder=_("since YYYY-MM-DD"), id="since", compact=True)
        yield Static("", id="status", markup=False)
        table = DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("When"), _("Who"), _("Entity"), _("Action"), _("Changes"))
        yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = _("Store audit")
        self.sub_title = self.app.header_text()
        self._entries = []
        self.load()

    @on(Input.Changed)
    def _filters(self) -> None:
        self.load()

    def _query(self) -> dict | str:
        v = {w.id: w.value.strip() for w in self.query("#filters Input")}
        q: dict = {"associate": v["associate"] or None, "entity": v["entity"] or None}
        if v["customer"]:
            from ...services.customers import get_customer
            from ...services.auth import NotFound
            try:
                q["customer_id"] = get_customer(self.app.services, self.app.actor, v["customer"]).id
            except NotFound:
                return _("no customer {reference}").format(reference=v["customer"])
        if v["since"]:
            try:
                q["since"] = datetime.fromisoformat(v["since"]).replace(tzinfo=timezone.utc)
            except ValueError:
                return _("since must be a date like 2026-11-01")
        return q

    def load(self, more: bool = False) -> None:
        q = self._query()
        table = self.query_one("#audit", DataTable)
        status = self.query_one("#status", Static)
        if isinstance(q, str):
            status.update(safe(q))
            return
        if not more:
            self._entries = []
            table.clear()
        before = self._entries[-1].id if more and self._entries else None
        try:
            entries = records.store_audit(self.app.services, self.app.actor, before_id=before, limit=100, **q)
        except PermissionDenied as exc:
            status.update(safe(tr(exc)))
            return
        start = len(self._entries)
        self._entries += entries
        for i, e in enumerate(entries, start):
            table.add_row(plain(e.at), plain(e.who), plain(f"{e.entity} {e.subject}"), plain(e.action),
                          plain("; ".join(change_lines(e.changes))), key=str(i))
        count = ngettext("{n} change", "{n} changes", len(self._entries)).format(n=len(self._entries))
        status.update(count + (" · " + _("F3 older") if len(entries) == 100 else ""))

    def action_more(self) -> None:
        self.load(more=True)

    @on(DataTable.RowSelected, "#audit")
    def _show_change(self, event: DataTable.RowSelected) -> None:
        from .dialogs import DetailModal

        e = self._entries[int(event.row_key.value)]
        self.app.push_screen(DetailModal(f"{e.at} · {e.who} · {e.entity} {e.subject} · {e.action}",
                                         change_lines(e.changes)))


def _dims(d: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in d.items())


def _parse_dims(text: str) -> dict[str, str]:
    out = {}
    for part in (text or "").split(";"):
        if part.strip():
            if "=" not in part:
                raise ValidationFailed(FieldError("dims", Msg("'{part}' is not Key=Value", part=part.strip())))
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out
