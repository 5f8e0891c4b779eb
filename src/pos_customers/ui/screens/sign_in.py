"""Sign in: associate number and PIN. Also the lock screen after the app was left idle."""

from __future__ import annotations

from datetime import timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from ...domain.i18n import N_, _, tr
from ..text import plain, safe
from ..widgets.footer import KeysFooter
from ..widgets.sign_in_form import SignInForm


class SignInScreen(Screen):
    """The first screen, and where an idle terminal returns to."""

    AUTO_FOCUS = "SignInForm"
    BINDINGS = [
        Binding("ctrl+q", "app.quit", N_("Quit"), id="sign_in.quit", tooltip=N_("Close the app")),
    ]
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen #box { width: 48; height: auto; border: round $primary; padding: 0 1; }
    SignInScreen #title { text-style: bold; margin-bottom: 1; }
    SignInScreen #error { color: $error; height: auto; }
    SignInScreen #demo { color: $text-muted; margin-top: 1; }
    SignInScreen #locked { color: $warning; height: auto; }
    SignInScreen .hint { color: $text-muted; }
    """

    def __init__(self, *, store_name: str, demo: bool) -> None:
        super().__init__()
        self.store_name = store_name
        self.demo = demo

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(safe(f"pos-customers · {self.store_name or _('starting…')}"), id="title", markup=False)
            yield Static("", id="locked", markup=False)
            yield SignInForm()
            yield Static("", id="error", markup=False)
            yield Static(_("⏎ next · Tab/↑↓ switch field · Esc clear"), classes="hint", markup=False)
            if self.demo:
                yield Static(plain(_("Demo manager: 1001, PIN 2468") + "\n" + _("Demo associate: 1002, PIN 1357"),
                                   multiline=True), id="demo")
        yield KeysFooter()

    def retranslate(self) -> None:
        """The reader chose another language: the hint, the demo lines, the fields' titles and the
        keys again (what was typed stays)."""
        self.query_one(".hint", Static).update(_("⏎ next · Tab/↑↓ switch field · Esc clear"))
        if self.demo:
            self.query_one("#demo", Static).update(plain(_("Demo manager: 1001, PIN 2468") + "\n"
                                                         + _("Demo associate: 1002, PIN 1357"), multiline=True))
        self.query_one(SignInForm).refresh()
        self.refresh_bindings()

    def show_store(self, name: str | None, error: object) -> None:
        """The background start finished: name the store, or say why the app cannot be used."""
        self.query_one("#title", Static).update(safe(f"pos-customers · {name}" if name else "pos-customers"))
        if error:
            self.query_one("#error", Static).update(safe(tr(error)))

    def show_locked(self, who: str | None, *, idle: bool = True) -> None:
        if not who:
            text = ""
        elif idle:
            text = _("Locked after inactivity. {name} can sign in to carry on.").format(name=who)
        else:
            text = _("Locked by {name}. {name} can sign in to carry on.").format(name=who)
        self.query_one("#locked", Static).update(safe(text))
        self.query_one("#error", Static).update("")
        self.query_one(SignInForm).clear()
        self.set_focus(self.query_one(SignInForm))

    @on(SignInForm.Submitted)
    def _submit(self, event: SignInForm.Submitted) -> None:
        if not event.number:
            self.query_one("#error", Static).update(_("Type your associate number"))
            self.query_one(SignInForm).field = 0
            return
        self.query_one("#error", Static).update(_("Checking…"))
        self.app.foreground_busy()
        self._check(event.number, event.pin)

    @work(exclusive=True, thread=True, group="sign-in")
    def _check(self, number: str, pin: str) -> None:
        cfg, app = self.app.config, self.app
        if not app.services_ready.wait(timeout=120) or app.load_error:
            app.call_from_thread(self._failed, app.load_error or _("The store database is still opening"))
            return
        from ...services.access import SignInFailed, sign_in
        from ...services.search import search_customers

        try:
            actor = sign_in(self.app.services, number, pin, max_attempts=cfg.max_pin_attempts,
                            lockout=timedelta(minutes=cfg.lockout_minutes), via=app.origin)
        except SignInFailed as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        # the home screen's first page (recent customers), fetched here: it is on screen with
        # the search box instead of one worker round trip later
        first_page = None if app.has_desk(actor) else search_customers(app.services, actor, "")
        self.app.call_from_thread(self._succeeded, actor, first_page)

    def _failed(self, message: object) -> None:
        self.app.foreground_idle()
        self.query_one("#error", Static).update(safe(tr(message)))
        self.query_one(SignInForm).clear()

    def _succeeded(self, actor, first_page) -> None:
        self.query_one("#error", Static).update("")
        self.query_one("#locked", Static).update("")
        self.query_one(SignInForm).clear()
        self.app.signed_in(actor, first_page)
