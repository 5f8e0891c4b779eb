"""The back office's account options: for each field of the new-customer form, hidden, optional
or required in this store (kept with the store's template; ctrl+s saves, Escape goes back)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Label, Select, Static

from ...domain.account_options import FieldOption
from ...domain.errors import ValidationFailed
from ...domain.i18n import N_, _, tr
from ...services import account_options as ao
from ...services import backoffice as bo
from ...services.auth import PermissionDenied
from ..text import plain
from ..widgets.label_column import widen_labels
from ..widgets.field_error import ErrorLine, error_line
from ..widgets.footer import KeysFooter
from .dialogs import ConfirmModal

#: what a person reads for each level (the code is what is stored)
LEVELS = [(N_("hidden"), FieldOption.HIDDEN.value), (N_("optional"), FieldOption.OPTIONAL.value),
          (N_("required"), FieldOption.REQUIRED.value)]


class AccountOptionsScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), id="options.save", tooltip=N_("Save the account options")),
        Binding("escape", "back", N_("Back"), id="options.back",
                tooltip=N_("Back without saving (asks first if you changed something)")),
    ]
    DEFAULT_CSS = """
    AccountOptionsScreen #fields { height: 1fr; padding: 0 1; }
    AccountOptionsScreen #hint { color: $text-muted; height: auto; }
    AccountOptionsScreen .row { height: auto; }
    AccountOptionsScreen .field-label { width: 24; }
    AccountOptionsScreen .row Select { width: 16; }
    AccountOptionsScreen .fixed { color: $text-muted; }
    AccountOptionsScreen .error { color: $error; height: auto; display: none; }
    AccountOptionsScreen .error.shown { display: block; }
    """

    def __init__(self, store_code: str | None = None) -> None:
        super().__init__()
        self.store_code = store_code

    def compose(self) -> ComposeResult:
        svc, actor = self.app.services, self.app.actor
        self.store_code = self.store_code or svc.store_code
        view = ao.options_view(svc, actor, self.store_code)
        yield Header()
        with VerticalScroll(id="fields"):
            stores = bo.stores_for(svc, actor)
            if len(stores) > 1:  # support and administrators set any store's options
                with Horizontal(classes="row"):
                    yield Label(_("Store"), classes="field-label", markup=False)
                    yield Select([(plain(f"{name} ({code})"), code) for code, name in stores],
                                 value=self.store_code, allow_blank=False, id="store", compact=True)
            yield Static(_("What the new-customer form asks in this store (the form, the command line"
                           " and import follow it). Hidden: not shown, and a value for it is refused."),
                         id="hint", markup=False)
            for row in view.rows:
                f = row.field
                with Horizontal(classes="row"):
                    yield Label(_("{field} (persons)").format(field=tr(f.label)) if f.person_only else tr(f.label),
                                classes="field-label", markup=False)
                    if f.needed:
                        yield Label(_("always required (by customer type)"), classes="fixed", markup=False)
                    else:
                        yield Select([(tr(label), code) for label, code in LEVELS], value=row.level.value,
                                     allow_blank=False, id=f"opt-{f.name}",
                                     compact=True)
                yield ErrorLine(id=f"err-{f.name}")
        yield KeysFooter()

    def on_mount(self) -> None:
        widen_labels(self, 32)  # "Zweiter Vorname (Personen)" on one line
        self.title = _("Account options")
        self.sub_title = self.app.header_text()
        self._as_opened = self._values()
        first = next(iter(self.query(".row Select")), None)
        if first is not None:
            first.focus()

    def _values(self) -> dict[str, str]:
        return {str(s.id)[4:]: str(s.value) for s in self.query(Select) if str(s.id).startswith("opt-")}

    @on(Select.Changed, "#store")
    def _store(self, event: Select.Changed) -> None:
        if event.value != self.store_code:
            self.app.switch_screen(AccountOptionsScreen(str(event.value)))

    def action_back(self) -> None:
        if self._values() == self._as_opened:
            self.app.pop_screen()
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(ConfirmModal(_("Leave the account options without saving your changes?"),
                                          yes=_("Discard"), no=_("Keep editing")), answer)

    def action_save(self) -> None:
        for line in self.query(ErrorLine):
            line.show("")
        try:
            ao.set_account_options(self.app.services, self.app.actor, self.store_code, **self._values())
        except ValidationFailed as exc:
            for e in exc.errors:
                line = error_line(self, e.field)
                if line is not None:
                    line.show(tr(e.message))
            self.notify(_("The account options were not saved: check the fields"), severity="error")
            return
        except PermissionDenied as exc:
            self.notify(tr(exc), severity="error")
            return
        self.notify(_("Account options of {store} saved: the next customer form there follows them").format(
            store=self.store_code))
        self.app.pop_screen()
