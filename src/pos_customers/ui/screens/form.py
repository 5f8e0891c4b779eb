"""Create or edit a customer: template pre-fill, live checks next to each field, likely
duplicates as you type, ctrl+s to save, Escape to cancel (asking first when something was typed)."""

from __future__ import annotations

from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (Checkbox, Header, Input, Label, OptionList, Select,
                             SelectionList, Static)
from textual.widgets.option_list import Option

from ...domain.customer import CustomerDraft, EmailInput, PhoneInput
from ...domain.enums import AttributeType, CustomerType, ReceiptOption
from ...domain.errors import FieldError, ValidationFailed
from ...domain.reference import format_reference
from ...domain.template import receipt_for
from ...services.customers import (StaleEdit, create_customer, draft_from_view, find_duplicates,
                                   rebase_draft, update_customer, validate_draft)
from ...services.records import form_choices
from ...services.views import CustomerView
from ..text import plain, safe
from ..widgets.field_error import ErrorLine, focus_at_end
from ..widgets.footer import KeysFooter
from .address import AddressModal
from .dialogs import ConfirmModal, ConflictModal

TEXT_FIELDS = [
    ("title", "Title"), ("first_name", "First name"), ("middle_name", "Middle name"),
    ("last_name", "Last name"), ("organization_name", "Organization"), ("company", "Company"),
    ("birth_date", "Date of birth"), ("email", "Email"), ("phone", "Phone"),
    ("language", "Language"), ("currency", "Currency"), ("receipt_email", "Receipt email"),
]
PLACEHOLDERS = {"birth_date": "YYYY-MM-DD", "language": "de, en-GB, …", "currency": "EUR",
                "phone": "national or +international", "email": "name@example.com"}
# the error field names the services use -> the widget that shows them
ERROR_TARGET = {"emails.0.address": "email", "phones.0.number": "phone", "group_code": "group_code"}


class CustomerFormScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Check and save the customer"),
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Leave without saving"),
        Binding("f4", "add_address", "Add address", id="form.add_address", tooltip="Add an address"),
        Binding("f6", "duplicates", "Duplicates", id="form.duplicates",
                tooltip="Go to the list of likely existing customers"),
    ]
    DEFAULT_CSS = """
    CustomerFormScreen #form { height: 1fr; padding: 0 1; }
    CustomerFormScreen .row { height: auto; }
    CustomerFormScreen .field-label { width: 18; }
    CustomerFormScreen .required { text-style: bold; }
    CustomerFormScreen .row Input, CustomerFormScreen .row Select { width: 1fr; }
    CustomerFormScreen .error { color: $error; padding-left: 18; height: auto; width: 100%; display: none; }
    CustomerFormScreen .error.shown { display: block; }
    CustomerFormScreen Checkbox, CustomerFormScreen Checkbox:focus { border: none; height: 1; padding: 0; margin-left: 18; }
    CustomerFormScreen .hidden { display: none; }
    CustomerFormScreen #dup-box { height: auto; max-height: 7; border-top: solid $warning; }
    CustomerFormScreen #dup-title { color: $warning; text-style: bold; padding: 0 1; }
    CustomerFormScreen #duplicates { height: auto; max-height: 5; }
    CustomerFormScreen SelectionList { height: auto; max-height: 6; width: 1fr; }
    CustomerFormScreen .section { text-style: bold; margin-top: 1; }
    CustomerFormScreen #form-errors { color: $error; padding: 0 1; height: auto; }
    """

    def __init__(self, *, draft: CustomerDraft, view: CustomerView | None = None) -> None:
        super().__init__()
        self.view = view  # None: a new customer
        self.base = draft
        self.addresses = list(draft.addresses)
        self.touched: set[str] = set()
        self._moved: dict[str, str] = {}  # values this form put in fields itself (not typed)
        self.dirty = False
        self.duplicates: list = []
        self._timer: Timer | None = None
        self._loading = True

    @property
    def dirty(self) -> bool:
        """Something was typed and not saved: closing the customer or quitting asks first."""
        return self._dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        changed = value != getattr(self, "_dirty", False)
        self._dirty = value
        if changed and self.is_attached:
            getattr(self.app, "unsaved_changed", lambda: None)()  # the strip marks it

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        d = self.base
        choices = form_choices(self.app.services, self.app.actor)
        self.choices = choices
        yield Header()
        yield Label("", id="form-errors", markup=False)
        with VerticalScroll(id="form"):
            with Horizontal(classes="row"):
                yield Label("Customer type *", classes="field-label required")
                yield Select([("Person", "person"), ("Organization", "organization")],
                             value=str(d.customer_type or "person"), allow_blank=False, id="customer_type", compact=True)
            for name, label in TEXT_FIELDS:
                with Horizontal(classes="row", id=f"row-{name}"):
                    yield Label(label, classes="field-label", id=f"label-{name}", markup=False)
                    yield Input(self._initial(name), id=name, placeholder=PLACEHOLDERS.get(name, ""), compact=True)
                yield ErrorLine(id=f"err-{name}")
                if name == "email":
                    yield Checkbox("Marketing by email", bool(d.emails and d.emails[0].marketing_consent),
                                   id="email_marketing")
                if name == "phone":
                    yield Checkbox("Marketing by phone/SMS", bool(d.phones and d.phones[0].marketing_consent),
                                   id="phone_marketing")
            with Horizontal(classes="row"):
                yield Label("Customer group", classes="field-label")
                yield Select([(plain(f"{c.label} ({c.code})"), c.code) for c in choices.groups],
                             value=d.group_code or Select.NULL, id="group_code", prompt="none", compact=True)
            yield ErrorLine(id="err-group_code")
            with Horizontal(classes="row"):
                yield Label("Receipt", classes="field-label")
                yield Select([(o.value, o.value) for o in ReceiptOption],
                             value=self._receipt(bool(d.emails or d.receipt_email)), allow_blank=False,
                             id="receipt_option", compact=True)
            yield ErrorLine(id="err-receipt_option")
            with Horizontal(classes="row"):
                yield Label("Online account", classes="field-label")
                yield Select([("guest (no account)", "guest"), ("registered", "registered")],
                             value=str(d.account_type or "guest"), allow_blank=False, id="account_type",
                             compact=True)
            with Horizontal(classes="row", id="row-password"):
                yield Label("Set password", classes="field-label")
                yield Input("", id="password", password=True, compact=True,
                            placeholder="leave empty to keep" if self.view else "optional: or send a link later")
            yield ErrorLine(id="err-password")
            yield Checkbox("Must change password at next online sign-in", bool(d.must_change_password),
                           id="must_change_password")
            with Horizontal(classes="row"):
                yield Label("Affiliations", classes="field-label")
                yield SelectionList(*[(plain(f"{c.label} ({c.code})"), c.code, c.code in (d.affiliations or []))
                                      for c in choices.affiliations], id="affiliations")
            shown = choices.attributes if self.view is None else choices.attributes_all
            for a in shown:
                with Horizontal(classes="row"):
                    yield Label(safe(a.label) + (" *" if a.required else ""),
                                classes="field-label" + (" required" if a.required else ""), markup=False)
                    value = str(d.attributes.get(a.code, ""))
                    if a.type == AttributeType.CHOICE:
                        yield Select([(plain(c), c) for c in a.choices], value=value or Select.NULL,
                                     id=f"attr-{a.code}", prompt="—", classes="attr-field", compact=True)
                    else:
                        yield Input(safe(value), id=f"attr-{a.code}", classes="attr-field", compact=True,
                                    placeholder={AttributeType.DATE: "YYYY-MM-DD",
                                                 AttributeType.BOOLEAN: "yes / no"}.get(a.type, ""))
                yield ErrorLine(id=f"err-attributes.{a.code}".replace(".", "-"))
            yield Label("Addresses (F4 adds one)", classes="section")
            yield Static("", id="addresses", markup=False)
            yield ErrorLine(id="err-addresses")
        with Vertical(id="dup-box", classes="hidden"):
            yield Label("", id="dup-title", markup=False)
            yield OptionList(id="duplicates")
        yield KeysFooter()

    def _receipt(self, has_email: bool) -> str:
        """A new customer's receipt as the template gives it: its email receipt once an email is
        typed, printed until then. An edited customer's stays as it is."""
        option = self.base.receipt_option or ReceiptOption.PRINT
        return str(option if self.view is not None else receipt_for(option, has_email))

    def _follow_email(self) -> None:
        """A new customer's receipt follows the email field until the associate picks one."""
        if self.view is not None or "receipt_option" in self.touched:
            return
        wanted = self._receipt(bool(self.query_one("#email", Input).value.strip()
                                    or self.query_one("#receipt_email", Input).value.strip()))
        select = self.query_one("#receipt_option", Select)
        if str(select.value) != wanted:
            self._moved["receipt_option"] = wanted
            select.value = wanted

    def _initial(self, name: str) -> str:
        """A field's first value, through the sanitizer: a character nobody can see (one that came
        with a pull) shows as "�", which the checks then name, and the associate deletes it."""
        d = self.base
        if name == "email":
            return safe(d.emails[0].address) if d.emails else ""
        if name == "phone":
            return safe(d.phones[0].number) if d.phones else ""
        return safe(getattr(d, name))

    def on_mount(self) -> None:
        ref = f" {format_reference(self.view.reference)}" if self.view else ""
        self.title = f"Edit customer{ref}" if self.view else "New customer"
        self.sub_title = self.app.header_text()
        self._apply_type(str(self.base.customer_type or "person"))
        self._show_password(str(self.base.account_type or "guest"))
        self._show_addresses()
        focus_at_end(self.query_one("#first_name" if self.base.customer_type != "organization"
                                    else "#organization_name", Input))
        self.call_after_refresh(self._loaded)

    def _loaded(self) -> None:
        self._loading = False
        if any(self._initial(n) for n in ("first_name", "last_name", "email", "phone", "organization_name")):
            self._schedule()  # pre-filled from the search box: look for duplicates straight away

    def _show_password(self, account_type: str) -> None:
        """The password and its "must change" flag: for a registered account only."""
        for found in (self.query_one("#row-password"), self.query_one("#must_change_password")):
            found.set_class(account_type != "registered", "hidden")

    def _apply_type(self, ctype: str) -> None:
        person = ctype != CustomerType.ORGANIZATION
        for name, required in (("first_name", person), ("last_name", person),
                               ("organization_name", not person)):
            label = self.query_one(f"#label-{name}", Label)
            text = dict(TEXT_FIELDS)[name]
            label.update(text + (" *" if required else ""))
            label.set_class(required, "required")
        for name in ("title", "middle_name", "birth_date"):
            self.query_one(f"#row-{name}").set_class(not person, "hidden")

    def _carry_name(self, ctype: str) -> None:
        """Words from the search box that went to the names (or the organization) follow a switch
        of the customer type, as long as nobody typed in those fields."""
        names = ("first_name", "last_name", "organization_name")
        if self.view is not None or any(n in self.touched for n in names):
            return
        box = {n: self.query_one(f"#{n}", Input) for n in names}
        if ctype == CustomerType.ORGANIZATION and not box["organization_name"].value:
            words = " ".join(w for w in (box["first_name"].value, box["last_name"].value) if w)
            moves = {"organization_name": words, "first_name": "", "last_name": ""} if words else {}
        elif ctype != CustomerType.ORGANIZATION and box["organization_name"].value and not (
                box["first_name"].value or box["last_name"].value):
            *first, last = box["organization_name"].value.split() or [""]
            moves = {"first_name": " ".join(first), "last_name": last, "organization_name": ""}
        else:
            return
        for name, value in moves.items():
            if box[name].value != value:
                self._moved[name] = value
                box[name].value = value

    def _show_addresses(self) -> None:
        from ...domain.address import one_line
        lines = []
        for i, a in enumerate(self.addresses, 1):
            flags = ", ".join(x for x, on_ in (("billing", a.default_billing), ("shipping", a.default_shipping)) if on_)
            purpose = self.choices.all_purposes.get(a.purpose or "", a.purpose or "default")
            lines.append(f"{i}. {purpose}: {one_line(a.address)}" + (f" [{flags}]" if flags else ""))
        self.query_one("#addresses", Static).update("\n".join(safe(line) for line in lines) or "none")

    # -- reading the form ------------------------------------------------------------------------
    def draft(self) -> CustomerDraft:
        v = {name: self.query_one(f"#{name}", Input).value for name, _ in TEXT_FIELDS}
        ctype = str(self.query_one("#customer_type", Select).value)
        group = self.query_one("#group_code", Select)
        emails = list(self.base.emails)
        phones = list(self.base.phones)
        email_consent = self.query_one("#email_marketing", Checkbox).value
        phone_consent = self.query_one("#phone_marketing", Checkbox).value
        if v["email"].strip():
            first = emails[0] if emails else EmailInput("")
            emails[0:1] = [replace(first, address=v["email"], primary=True, marketing_consent=email_consent)]
        elif emails:
            emails = emails[1:]
        if v["phone"].strip():
            first = phones[0] if phones else PhoneInput("")
            phones[0:1] = [replace(first, number=v["phone"], primary=True, marketing_consent=phone_consent)]
        elif phones:
            phones = phones[1:]
        for i in range(1, len(emails)):
            emails[i] = replace(emails[i], primary=False)
        for i in range(1, len(phones)):
            phones[i] = replace(phones[i], primary=False)
        attributes = dict(self.base.attributes)
        for widget in self.query(".attr-field"):
            code = widget.id[5:]
            value = widget.value
            attributes[code] = "" if value is None or value is Select.NULL else str(value)
        person = ctype != CustomerType.ORGANIZATION
        return replace(
            self.base, customer_type=ctype,
            title=v["title"] if person else "", first_name=v["first_name"],
            middle_name=v["middle_name"] if person else "", last_name=v["last_name"],
            organization_name=v["organization_name"], company=v["company"],
            birth_date=(v["birth_date"] or None) if person else None,
            language=v["language"], currency=v["currency"],
            group_code=None if group.is_blank() else str(group.value),
            receipt_option=str(self.query_one("#receipt_option", Select).value),
            receipt_email=v["receipt_email"],
            account_type=str(self.query_one("#account_type", Select).value),
            password=self.query_one("#password", Input).value,
            must_change_password=self.query_one("#must_change_password", Checkbox).value,
            affiliations=list(self.query_one("#affiliations", SelectionList).selected),
            emails=emails, phones=phones, addresses=list(self.addresses), attributes=attributes)

    # -- live checks ------------------------------------------------------------------------------
    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def _changed(self, event) -> None:
        if self._loading:
            return
        widget = getattr(event, "input", None) or getattr(event, "select", None) or getattr(
            event, "checkbox", None) or getattr(event, "selection_list", None)
        if widget is not None and widget.id:
            if self._moved.get(widget.id) == getattr(event, "value", None):
                del self._moved[widget.id]  # moved here by the type switch, not typed
            else:
                self.touched.add(widget.id)
        self.dirty = True
        if widget is not None and widget.id == "customer_type":
            self._apply_type(str(event.value))
            self._carry_name(str(event.value))
        if widget is not None and widget.id in ("email", "receipt_email"):
            self._follow_email()
        if widget is not None and widget.id == "account_type":
            self._show_password(str(event.value))
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.25, lambda: self.check(self.draft()))

    @work(exclusive=True, thread=True, group="form-check")
    def check(self, draft: CustomerDraft) -> None:
        svc, actor = self.app.services, self.app.actor
        errors = validate_draft(svc, actor, draft, new=self.view is None)
        hits = find_duplicates(svc, actor, draft, exclude_id=self.view.id if self.view else None)
        self.app.call_from_thread(self._show_checks, errors, hits, False)

    def _show_checks(self, errors: list[FieldError], hits: list, all_fields: bool) -> None:
        if self not in self.app.screen_stack:
            return  # saved or cancelled while the check ran (off the stack, perhaps still being removed)
        try:
            self._put_checks(errors, hits, all_fields)
        except NoMatches:
            if self.is_attached and self in self.app.screen_stack:
                raise
            # the form was saved or cancelled while the check ran (it may still be unmounting its
            # fields): nothing left to show it on

    def _put_checks(self, errors: list[FieldError], hits: list, all_fields: bool) -> None:
        for label in self.query(ErrorLine):
            label.show("")
        other = []
        for e in errors:
            target = ERROR_TARGET.get(e.field, e.field)
            if target.startswith("attributes."):
                target = target.replace(".", "-")
            if not all_fields and target not in self.touched and not target.startswith("attr"):
                continue
            if target.startswith("attributes-") and not all_fields and f"attr-{target[11:]}" not in self.touched:
                continue
            found = self.query(f"#err-{target}")
            if found:
                found.first().show(e.message)
            elif target.startswith("addresses"):
                self.query_one("#err-addresses", ErrorLine).show(e.message)
            elif all_fields:
                other.append(str(e))
        self.query_one("#form-errors", Label).update(safe("; ".join(other)))
        self.duplicates = hits
        box = self.query_one("#dup-box")
        box.set_class(not hits, "hidden")
        options = self.query_one("#duplicates", OptionList)
        options.clear_options()
        if hits:
            self.query_one("#dup-title", Label).update(
                f"{len(hits)} likely existing customer{'s' if len(hits) > 1 else ''} (F6, Enter opens)")
            options.add_options([Option(plain(f"{format_reference(h.reference)}  {h.display_name} · "
                                              f"{'; '.join(h.reasons)}"), id=h.customer_id) for h in hits])

    def action_duplicates(self) -> None:
        if self.duplicates:
            options = self.query_one("#duplicates", OptionList)
            if options.highlighted is None:
                options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected, "#duplicates")
    def _open_duplicate(self, event: OptionList.OptionSelected) -> None:
        self.app.open_customer(event.option.id)

    # -- actions ----------------------------------------------------------------------------------
    def action_add_address(self) -> None:
        ctype = str(self.query_one("#customer_type", Select).value)
        active = [(c.code, c.label) for c in self.choices.purposes]
        default = "BUSINESS" if ctype == CustomerType.ORGANIZATION else "HOME"

        def done(result) -> None:
            if result is None:
                return
            if not self.addresses:
                result = replace(result, default_billing=True, default_shipping=True)
            self.addresses.append(result)
            self.dirty = True
            self._show_addresses()
            self._schedule()
        self.app.push_screen(AddressModal(draft=None, purposes=active, default_purpose=default,
                                          default_country=self.app.template_country), done)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.app.pop_screen()
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()
        self.app.push_screen(ConfirmModal("Discard what you typed?", yes="Discard", no="Keep editing"), answer)

    def action_save(self) -> None:
        draft = self.draft()
        errors = validate_draft(self.app.services, self.app.actor, draft, new=self.view is None)
        if errors:
            self._show_checks(errors, self.duplicates, True)
            self._focus_first(errors)
            self.notify(f"{len(errors)} field(s) need attention", severity="error")
            return
        hits = find_duplicates(self.app.services, self.app.actor, draft,
                               exclude_id=self.view.id if self.view else None)
        if hits:
            self._show_checks([], hits, True)

            def answer(yes: bool | None) -> None:
                if yes:
                    self._write(draft)
            self.app.push_screen(ConfirmModal(
                f"{hits[0].display_name} ({format_reference(hits[0].reference)}) may be the same customer: "
                f"{'; '.join(hits[0].reasons)}. Save anyway?", yes="Save anyway", no="Check first"), answer)
            return
        self._write(draft)

    def _focus_first(self, errors: list[FieldError]) -> None:
        """The associate lands on the first field to correct, the form scrolled to it."""
        for e in errors:
            target = ERROR_TARGET.get(e.field, e.field).replace("attributes.", "attr-")
            found = self.query(f"#{target}")
            if found and found.first().focusable:
                found.first().focus()
                return

    def _write(self, draft: CustomerDraft, opened: CustomerView | None = None) -> None:
        svc, actor = self.app.services, self.app.actor
        try:
            if self.view is None:
                saved = create_customer(svc, actor, draft)
                self.notify(f"Customer {format_reference(saved.reference)} created")
            else:
                saved = update_customer(svc, actor, self.view.id, draft, opened=opened or self.view)
                self.notify("Customer saved")
        except ValidationFailed as exc:
            self._show_checks(exc.errors, self.duplicates, True)
            return
        except StaleEdit as exc:
            mine = _changes(self.view, draft)
            current = exc.current
            base_view = self.view

            def choose(choice: str | None) -> None:
                if choice == "mine":
                    self.view = current
                    self._write(rebase_draft(draft, base_view, current), opened=current)
                elif choice == "theirs":
                    self.dirty = False
                    self.app.pop_screen()
                    self.app.edit_customer(current)
            self.app.push_screen(ConflictModal(exc.changed, mine), choose)
            return
        self.dirty = False
        self.app.pop_screen()
        self.app.after_save(saved)


def _changes(view: CustomerView, draft: CustomerDraft) -> dict:
    before = draft_from_view(view)
    out = {}
    for field in ("first_name", "middle_name", "last_name", "organization_name", "company", "title",
                  "language", "currency", "group_code", "receipt_option", "receipt_email"):
        if getattr(before, field) != getattr(draft, field):
            out[field] = (getattr(before, field), getattr(draft, field))
    if [e.address for e in before.emails] != [e.address for e in draft.emails]:
        out["emails"] = (None, [e.address for e in draft.emails])
    if [p.number for p in before.phones] != [p.number for p in draft.phones]:
        out["phones"] = (None, [p.number for p in draft.phones])
    return out
