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

from ...domain.enums import AttributeType, ReceiptOption, Role
from ...domain.errors import FieldError, ValidationFailed
from ...services import associates as assoc
from ...services import backoffice as bo
from ...services import records
from ...services.auth import PermissionDenied
from ...domain.formats import time_text
from ..text import change_lines, plain, safe, yes_no
from ..widgets.field_error import ErrorLine
from ..widgets.footer import KeysFooter
from .account_options import AccountOptionsScreen
from .dialogs import ConfirmModal
from .form_modal import Field, FormModal


def _guard(screen: Screen, fn, *args, done: str | None = None, **kwargs) -> bool:
    """Run a service call; a refusal or a rule becomes a message, never a crash."""
    try:
        fn(screen.app.services, screen.app.actor, *args, **kwargs)
    except (ValidationFailed, PermissionDenied) as exc:
        message = "; ".join(e.message for e in exc.errors) if isinstance(exc, ValidationFailed) else str(exc)
        screen.notify(message, severity="error", timeout=8)
        return False
    if done:
        screen.notify(done)
    return True


class BackOfficeScreen(Screen):
    """A menu of the back-office screens (F9 from the search screen)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="backoffice.back", tooltip="Back")]
    ENTRIES = [
        ("template", "Default-customer template", lambda: TemplateScreen()),
        ("purposes", "Address purposes", lambda: PurposesScreen()),
        ("groups", "Customer groups", lambda: GroupsScreen()),
        ("affiliations", "Affiliations", lambda: AffiliationsScreen()),
        ("attributes", "Custom attributes", lambda: AttributesScreen()),
        ("associates", "Associates", lambda: AssociatesScreen()),
        ("audit", "Store audit", lambda: AuditScreen()),
        ("options", "Account options (the form's fields)", lambda: AccountOptionsScreen()),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(*[Option(label, id=key) for key, label, _ in self.ENTRIES], id="menu")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "Back office"
        self.sub_title = self.app.header_text()
        self.query_one("#menu", OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#menu")
    def _open(self, event: OptionList.OptionSelected) -> None:
        make = next(m for key, _, m in self.ENTRIES if key == event.option.id)
        self.app.push_screen(make())


# -- template ----------------------------------------------------------------------------------

class TemplateScreen(Screen):
    AUTO_FOCUS = "#customer_type"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="template.save", tooltip="Save the template"),
        Binding("escape", "back", "Back", id="template.back", tooltip="Back without saving (asks first if you changed something)"),
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
        choices = records.form_choices(svc, actor)
        t = view.template
        yield Header()
        with Horizontal(id="body"):
            with VerticalScroll(id="fields"):
                stores = bo.stores_for(svc, actor)
                if len(stores) > 1:  # support and administrators shape any store's template
                    with Horizontal(classes="row"):
                        yield Label("Store", classes="field-label")
                        yield Select([(plain(f"{name} ({code})"), code) for code, name in stores],
                                     value=self.store_code, allow_blank=False, id="store", compact=True)
                rows = [
                    ("customer_type", "Customer type", Select([("Person", "person"), ("Organization", "organization")],
                                                            value=t.customer_type.value, allow_blank=False,
                                                            id="customer_type", compact=True)),
                    ("group_code", "Customer group", Select([(plain(f"{c.label} ({c.code})"), c.code)
                                                             for c in choices.groups],
                                                            value=t.group_code or Select.NULL, id="group_code",
                                                            compact=True, prompt="none")),
                    ("receipt_option", "Receipt", Select([(o.value, o.value) for o in ReceiptOption],
                                                         value=t.receipt_option.value, allow_blank=False,
                                                         id="receipt_option", compact=True)),
                    ("receipt_email", "Receipt email", Input(safe(t.receipt_email), id="receipt_email", compact=True)),
                    ("currency", "Currency", Input(safe(t.currency), id="currency", compact=True)),
                    ("language", "Language", Input(safe(t.language), id="language", compact=True)),
                    ("address_country", "Address country", Input(safe(t.address_country), id="address_country",
                                                                 compact=True, max_length=2)),
                ]
                for name, label, widget in rows:
                    with Horizontal(classes="row"):
                        yield Label(label, classes="field-label")
                        yield widget
                    yield ErrorLine(id=f"err-{name}")
                yield Label("Affiliations")
                yield SelectionList(*[(plain(f"{c.label} ({c.code})"), c.code, c.code in t.affiliations)
                                      for c in choices.affiliations], id="affiliations")
                yield ErrorLine(id="err-affiliations")
                yield Static("", id="warning", markup=False)
            yield Static("", id="preview")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "Default-customer template"
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

        self.app.push_screen(ConfirmModal("Leave the template without saving your changes?", yes="Discard",
                                          no="Keep editing"), answer)

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
                found.first().show(e.message)

    def _refresh_preview(self) -> None:
        try:
            view = bo.template_view(self.app.services, self.app.actor, self.store_code, **self._values())
        except ValidationFailed as exc:
            self._show_errors(exc)
            return
        self._show_errors(None)
        self.query_one("#warning", Static).update(safe(view.receipt_email_warning))
        text = Text()
        for title, p in (("A new Person gets", view.person), ("A new Organization gets", view.organization)):
            text.append(f"{title}\n", style="bold")
            for label, value in (("type", p.customer_type), ("group", p.group_code or "—"),
                                 ("receipt", p.receipt_option), ("receipt email", p.receipt_email or "—"),
                                 ("currency", p.currency), ("language", p.language),
                                 ("affiliations", ", ".join(p.affiliations) or "—"),
                                 ("financial dims", ", ".join(f"{k}={v}" for k, v in p.financial_dimensions.items()) or "—"),
                                 ("address", f"{p.address_purpose}, {p.address_country}")):
                text.append(f"  {label:<15}{safe(value)}\n")
            text.append("\n")
        self.query_one("#preview", Static).update(text)

    def action_save(self) -> None:
        try:
            bo.update_template(self.app.services, self.app.actor, self.store_code, **self._values())
        except ValidationFailed as exc:
            self._show_errors(exc)
            self.notify("The template was not saved: check the fields", severity="error")
            return
        except PermissionDenied as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.reload_template()
        self.notify(f"Template of {self.store_code} saved: the next new customer there uses it")
        self.app.pop_screen()


# -- lists -------------------------------------------------------------------------------------

class ListScreen(Screen):
    """A table of reference rows with keys to change them; subclasses say what and how."""

    TITLE_TEXT = ""
    COLUMNS: tuple[str, ...] = ()
    DEFAULT_CSS = """
    ListScreen DataTable { height: 1fr; }
    ListScreen #hint { color: $text-muted; padding: 0 1; height: auto; }
    """
    HINT = ""

    def compose(self) -> ComposeResult:
        yield Header()
        table = DataTable(id="rows", cursor_type="row", zebra_stripes=True)
        table.add_columns(*self.COLUMNS)
        yield table
        yield Static(self.HINT, id="hint", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = self.TITLE_TEXT
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


class PurposesScreen(ListScreen):
    TITLE_TEXT = "Address purposes"
    COLUMNS = ("Code", "Label", "Active", "Person", "Organization", "In use", "Other languages")
    HINT = "a add · r rename · l label in a language · [ ] move · p/o default for Person/Organization · x retire/reactivate · delete"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="purposes.back", tooltip="Back"),
        Binding("a", "add", "Add", id="purposes.add", tooltip="Add an address purpose"),
        Binding("r", "rename", "Rename", id="purposes.rename", tooltip="Change the label"),
        Binding("l", "language", "Language label", id="purposes.language", tooltip="Label in one language"),
        Binding("left_square_bracket", "move(-1)", "Up", id="purposes.up", tooltip="Move up the list"),
        Binding("right_square_bracket", "move(1)", "Down", id="purposes.down", tooltip="Move down the list"),
        Binding("p", "default('person')", "Person default", id="purposes.person", tooltip="Default for Person"),
        Binding("o", "default('organization')", "Org default", id="purposes.org", tooltip="Default for Organization"),
        Binding("x", "retire", "Retire", id="purposes.retire", tooltip="Retire or reactivate"),
        Binding("delete", "delete", "Delete", id="purposes.delete", tooltip="Delete an unused purpose"),
    ]

    def rows(self):
        return [(p.code, (p.code, p.label, yes_no(p.active), "default" if p.default_person else "",
                          "default" if p.default_organization else "", p.in_use,
                          ", ".join(f"{k}: {v}" for k, v in p.labels.items())))
                for p in bo.purposes(self.app.services, self.app.actor)]

    def action_add(self) -> None:
        self.edit("New address purpose", [Field("code", "Code", placeholder="e.g. HOLIDAY"),
                                          Field("label", "Label")],
                  lambda v: bo.add_purpose(self.app.services, self.app.actor, v["code"], v["label"]))

    def action_rename(self) -> None:
        code = self.current
        if code:
            label = next(p.label for p in bo.purposes(self.app.services, self.app.actor) if p.code == code)
            self.edit(f"Rename {code}", [Field("label", "Label", value=label)],
                      lambda v: bo.rename_purpose(self.app.services, self.app.actor, code, v["label"]))

    def action_language(self) -> None:
        code = self.current
        if code:
            def submit(v):
                if not (v["language"] or "").strip():
                    raise ValidationFailed(FieldError("language", "Language is required, like de or en-GB"))
                bo.rename_purpose(self.app.services, self.app.actor, code, v["label"], language=v["language"])
            self.edit(f"{code} in another language", [Field("language", "Language", placeholder="de, fr, en-GB"),
                                                       Field("label", "Label")], submit)

    def action_move(self, steps: int) -> None:
        if self.current and _guard(self, bo.move_purpose, self.current, steps):
            self.reload()
            self.query_one("#rows", DataTable).move_cursor(row=max(0, self.query_one("#rows").cursor_row + steps))

    def action_default(self, ctype: str) -> None:
        if self.current and _guard(self, bo.set_default_purpose, self.current, ctype,
                                   done=f"{self.current} is now the default for {ctype}"):
            self.reload()

    def action_retire(self) -> None:
        code = self.current
        if not code:
            return
        active = next(p.active for p in bo.purposes(self.app.services, self.app.actor) if p.code == code)
        fn = bo.retire_purpose if active else bo.reactivate_purpose
        if _guard(self, fn, code, done=f"{code} {'retired' if active else 'reactivated'}"):
            self.reload()

    def action_delete(self) -> None:
        code = self.current
        if not code:
            return
        purpose = next(p for p in bo.purposes(self.app.services, self.app.actor) if p.code == code)
        reason = bo.why_purpose_stays(purpose)
        if reason:  # said at once, not after "Delete? y"
            self.notify(reason, severity="error", timeout=8)
            return

        def answer(yes: bool | None) -> None:
            if yes and _guard(self, bo.delete_purpose, code, done=f"{code} deleted"):
                self.reload()
        self.app.push_screen(ConfirmModal(f"Delete the address purpose {code}?", yes="Delete"), answer)


class GroupsScreen(ListScreen):
    TITLE_TEXT = "Customer groups"
    COLUMNS = ("Code", "Name", "Financial dimensions", "Active")
    HINT = "a add · enter edit (dimensions as Key=Value; Key=Value)"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="groups.back", tooltip="Back"),
        Binding("a", "add", "Add", id="groups.add", tooltip="Add a customer group"),
    ]

    def _all(self):
        return records.reference_groups(self.app.services, self.app.actor)

    def rows(self):
        return [(g.code, (g.code, g.name, _dims(g.financial_dimensions), yes_no(g.active))) for g in self._all()]

    def _form(self, g=None):
        fields = [Field("code", "Code", value=g.code if g else ""), Field("name", "Name", value=g.name if g else ""),
                  Field("dims", "Financial dimensions", value=_dims(g.financial_dimensions) if g else "",
                        placeholder="CostCenter=100; Department=Retail"),
                  Field("active", "Active", kind="check", value=g.active if g else True)]
        self.edit("Customer group", fields, lambda v: bo.save_group(
            self.app.services, self.app.actor, v["code"], v["name"], _parse_dims(v["dims"]), active=v["active"]))

    def action_add(self) -> None:
        self._form()

    @on(DataTable.RowSelected)
    def _edit(self, event: DataTable.RowSelected) -> None:
        self._form(next(g for g in self._all() if g.code == event.row_key.value))


class AffiliationsScreen(ListScreen):
    TITLE_TEXT = "Affiliations"
    COLUMNS = ("Code", "Name", "Description", "Active")
    HINT = "a add · enter edit"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="affiliations.back", tooltip="Back"),
        Binding("a", "add", "Add", id="affiliations.add", tooltip="Add an affiliation"),
    ]

    def _all(self):
        return records.reference_affiliations(self.app.services, self.app.actor)

    def rows(self):
        return [(a.code, (a.code, a.name, a.description, yes_no(a.active))) for a in self._all()]

    def _form(self, a=None):
        fields = [Field("code", "Code", value=a.code if a else ""), Field("name", "Name", value=a.name if a else ""),
                  Field("description", "Description", value=a.description if a else ""),
                  Field("active", "Active", kind="check", value=a.active if a else True)]
        self.edit("Affiliation", fields, lambda v: bo.save_affiliation(
            self.app.services, self.app.actor, v["code"], v["name"], v["description"], active=v["active"]))

    def action_add(self) -> None:
        self._form()

    @on(DataTable.RowSelected)
    def _edit(self, event: DataTable.RowSelected) -> None:
        self._form(next(a for a in self._all() if a.code == event.row_key.value))


class AttributesScreen(ListScreen):
    TITLE_TEXT = "Custom attributes"
    COLUMNS = ("Code", "Label", "Type", "Required", "On create form", "Choices", "Active")
    HINT = "a add · enter edit · choices separated by |"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="attributes.back", tooltip="Back"),
        Binding("a", "add", "Add", id="attributes.add", tooltip="Add a custom attribute"),
    ]

    def _all(self):
        return records.reference_attributes(self.app.services, self.app.actor)

    def rows(self):
        return [(d.code, (d.code, d.label, d.type, yes_no(d.required), yes_no(d.show_on_create),
                          " | ".join(d.choices), yes_no(d.active))) for d in self._all()]

    def _form(self, d=None):
        fields = [Field("code", "Code", value=d.code if d else ""), Field("label", "Label", value=d.label if d else ""),
                  Field("type", "Type", kind="select", value=d.type if d else "text",
                        choices=[(t.value, t.value) for t in AttributeType]),
                  Field("choices", "Choices", value=" | ".join(d.choices) if d else "", placeholder="Morning | Evening"),
                  Field("required", "Required", kind="check", value=d.required if d else False),
                  Field("show_on_create", "Shown on the create form", kind="check",
                        value=d.show_on_create if d else True),
                  Field("active", "Active", kind="check", value=d.active if d else True)]
        self.edit("Custom attribute", fields, lambda v: bo.save_attribute(
            self.app.services, self.app.actor, v["code"], v["label"], v["type"] or "text",
            required=v["required"], choices=[c.strip() for c in (v["choices"] or "").split("|") if c.strip()],
            show_on_create=v["show_on_create"], active=v["active"]))

    def action_add(self) -> None:
        self._form()

    @on(DataTable.RowSelected)
    def _edit(self, event: DataTable.RowSelected) -> None:
        self._form(next(d for d in self._all() if d.code == event.row_key.value))


class AssociatesScreen(ListScreen):
    TITLE_TEXT = "Associates"
    COLUMNS = ("Number", "Name", "Role", "Store", "Active", "Locked until")
    HINT = "a add · r role · p reset PIN · u unlock · d deactivate/activate"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="associates.back", tooltip="Back"),
        Binding("a", "add", "Add", id="associates.add", tooltip="Add an associate"),
        Binding("r", "role", "Role", id="associates.role", tooltip="Change the role"),
        Binding("p", "pin", "Reset PIN", id="associates.pin", tooltip="Set a new PIN"),
        Binding("u", "unlock", "Unlock", id="associates.unlock", tooltip="Unlock after wrong PINs"),
        Binding("d", "active", "Deactivate", id="associates.active", tooltip="Deactivate or activate"),
    ]

    def _all(self):
        return assoc.list_associates(self.app.services, self.app.actor)

    def rows(self):
        now = datetime.now(timezone.utc)
        return [(a.number, (a.number, a.name, a.role, "chain" if a.support_account else a.store_code or "all",
                            yes_no(a.active),
                            time_text(a.locked_until)
                            if a.locked_until and a.locked_until.replace(tzinfo=timezone.utc) > now else ""))
                for a in self._all()]

    def _roles(self):
        actor = self.app.actor
        return [(r.value, r.value) for r in Role if r.rank <= actor.role.rank
                and (r is not Role.SUPPORT or actor.role is Role.ADMIN)]

    def _changeable(self) -> str | None:
        """The selected associate's number; None (with a message) for the chain's support accounts,
        which only headquarters changes."""
        number = self.current
        if number and any(a.support_account for a in self._all() if a.number == number):
            self.notify(f"{number} is a support account of the chain: only headquarters changes it",
                        severity="warning", timeout=8)
            return None
        return number

    PIN_FIELDS = [Field("pin", "PIN (4-12 digits)", kind="password"), Field("pin_again", "PIN again", kind="password")]

    def action_add(self) -> None:
        def submit(v):
            _same_pin(v)
            assoc.add_associate(self.app.services, self.app.actor, number=v["number"], name=v["name"],
                                role=v["role"] or "associate", pin=v["pin"])
        self.edit("New associate", [Field("number", "Number"), Field("name", "Name"),
                                    Field("role", "Role", kind="select", value="associate", choices=self._roles()),
                                    *self.PIN_FIELDS], submit)

    def action_role(self) -> None:
        number = self._changeable()
        if number:
            current = next(a.role for a in self._all() if a.number == number)
            self.edit(f"Role of {number}", [Field("role", "Role", kind="select", value=current,
                                                  choices=self._roles())],
                      lambda v: assoc.change_role(self.app.services, self.app.actor, number, v["role"] or current))

    def action_pin(self) -> None:
        number = self._changeable()
        if number:
            def submit(v):
                _same_pin(v)
                assoc.reset_pin(self.app.services, self.app.actor, number, v["pin"])
            self.edit(f"New PIN for {number}", self.PIN_FIELDS, submit)

    def action_unlock(self) -> None:
        if self._changeable() and _guard(self, assoc.unlock, self.current, done=f"{self.current} unlocked"):
            self.reload()

    def action_active(self) -> None:
        number = self._changeable()
        if number:
            active = next(a.active for a in self._all() if a.number == number)
            if _guard(self, assoc.set_active, number, not active,
                      done=f"{number} {'deactivated' if active else 'activated'}"):
                self.reload()


def _same_pin(values: dict) -> None:
    """A PIN is typed twice: a typo would lock the associate out of their first sign-in."""
    if (values.get("pin") or "") != (values.get("pin_again") or ""):
        raise ValidationFailed(FieldError("pin_again", "The two PINs differ: type the same PIN twice"))


class AuditScreen(Screen):
    """Every change in the store, filtered by associate, customer reference, entity and date."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="audit.back", tooltip="Back"),
        Binding("f3", "more", "More", id="audit.more", tooltip="Older entries"),
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
            yield Input(placeholder="associate", id="associate", compact=True)
            yield Input(placeholder="customer ref", id="customer", compact=True)
            yield Input(placeholder="entity", id="entity", compact=True)
            yield Input(placeholder="since YYYY-MM-DD", id="since", compact=True)
        yield Static("", id="status", markup=False)
        table = DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        table.add_columns("When", "Who", "Entity", "Action", "Changes")
        yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        self.title = "Store audit"
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
                return f"no customer {v['customer']}"
        if v["since"]:
            try:
                q["since"] = datetime.fromisoformat(v["since"]).replace(tzinfo=timezone.utc)
            except ValueError:
                return "since must be a date like 2026-11-01"
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
            status.update(safe(exc))
            return
        start = len(self._entries)
        self._entries += entries
        for i, e in enumerate(entries, start):
            table.add_row(plain(e.at), plain(e.who), plain(f"{e.entity} {e.subject}"), plain(e.action),
                          plain("; ".join(change_lines(e.changes))), key=str(i))
        status.update(f"{len(self._entries)} change(s){' · F3 older' if len(entries) == 100 else ''}")

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
                raise ValidationFailed(FieldError("dims", f"'{part.strip()}' is not Key=Value"))
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out
