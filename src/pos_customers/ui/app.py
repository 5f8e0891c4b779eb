"""The associate's terminal app: sign in, search as you type, the customer card, create, edit.

Each signed-in associate gets their own screen stack (a Textual mode), and one more for each
customer they have open (ui/desk.py says which are open, which is in front, which hold unsaved
work; a strip under the header lists them). Idle for the configured minutes, the app switches to
the lock screen; the same associate signing in again gets all their stacks back exactly as they
were, unsaved forms included. Another associate gets a fresh start.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work, events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

from ..domain.i18n import N_, _, ngettext, tr
from ..services.auth import Actor, Permission, role_name
from .commands import app_commands, translated_system_commands
from .config import UiConfig
from .desk import FULL_MESSAGE, HOME, HOME_LABEL, DeskFull, OpenCustomers, shorten
from .screens.keys import DESK_BINDINGS, DESK_GO
from .screens.sign_in import SignInScreen
from .text import safe
from . import language as ui_language  # noqa: I001 - F12 and the language of every screen

if TYPE_CHECKING:
    from ..domain.customer import CustomerDraft
    from ..services.context import Services
    from ..services.views import CustomerView

LOCK_MODE = "lock"
# what a person reads: translated where shown
CLOSE_QUESTION = N_("Close {name}? What you typed on it is not saved.")
GO_HELP = N_("Back to this open customer as it was left")
SYNC_STATES = {"online": N_("HQ online"), "offline": N_("HQ offline"),
               "busy": N_("HQ busy, retrying in {seconds} s")}
# every screen fits 80x24: below it, a notice instead of cut widgets
MIN_WIDTH, MIN_HEIGHT = 80, 24
HEADER_ROOM = 18  # the header's icon (8 columns) and the space of its clock (10) are not the title's
BACKUP_FIRST_LOOK = 60.0  # seconds after start: is a rolling backup due? (config.toml [backup])
BACKUP_LOOK_EVERY = 600.0  # then every ten minutes


class NoTerminal(RuntimeError):
    """The app was started without a terminal to draw on (over SSH: a command without ``-t``)."""


class PosApp(App):
    TITLE = "pos-customers"
    BINDINGS = [
        # on the screens that list them in APP_KEYS, before the keys every screen has (80 columns);
        # F5 only on a till connected to headquarters
        Binding("f5", "all_stores", N_("All stores"), id="app.all_stores",
                tooltip=N_("Look for the typed text in every store, at headquarters")),
        Binding("f8", "sync", N_("Sync"), id="app.sync",
                tooltip=N_("Sync with headquarters: state, conflicts, sync now")),
        Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", tooltip=N_("Close the app"), priority=True),
        # the footer always shows F1, last: it lists every key of the screen
        Binding("f1", "keys", N_("Keys"), id="app.keys", tooltip=N_("List the keys of this screen")),
        Binding("ctrl+l", "lock", N_("Lock"), id="app.lock", tooltip=N_("Lock the terminal now")),
        # Tab moves the focus as soon as the app reads it (a priority binding), so the keys after
        # it in the same burst (a paste, a scanner, keys bunched up over SSH) land in the next
        # field; otherwise they are already queued on the field that had the focus
        Binding("tab", "next_field", show=False, priority=True, id="app.next_field"),
        Binding("shift+tab", "previous_field", show=False, priority=True, id="app.previous_field"),
        ui_language.LANGUAGE_BINDING,  # F12: the associate's own language, at once (ui/language.py)
        *DESK_BINDINGS,  # several customers open at once: alt+0 … alt+9, F7, ctrl+w (screens/keys.py)
    ]
    CSS = """
    Screen { background: $background; }
    /* a compact list (the forms, Account options) opens with a border over the rows under it,
       and a focused one is marked as the results' cursor is (Textual's compact style has neither) */
    Select.-textual-compact > SelectOverlay { border: tall $border !important; }
    Select.-textual-compact:focus > SelectCurrent {
        background: $block-cursor-background; color: $block-cursor-foreground;
        & Static#label, & .arrow { color: $block-cursor-foreground; }
    }
    """

    def __init__(self, services: Services | None = None, *, db_path: Path | None = None,
                 config: UiConfig | None = None, demo: bool = False,
                 monotonic: Callable[[], float] = time.monotonic, origin: str | None = None,
                 choose: bool = False) -> None:
        """Give ``services`` (tests, the demo), or ``db_path``: then the sign-in screen is up at
        once while the database, its migrations and the heavier modules load in the background.
        ``origin``: how this session reached the terminal ("ssh from 192.0.2.7"; None at the till),
        written on the sign-in audit rows. ``choose``: the till's point of sale started the app to
        have a customer chosen (`pos-customers choose`): choosing one (s on the card) ends the app
        with that customer as its result (:meth:`hand_over`)."""
        self.actor: Actor | None = None
        self.sale_customer: CustomerView | None = None  # chosen on the card (s) for the sale at the till
        self.choose = choose
        super().__init__()
        self.config = config or UiConfig()
        self.origin = origin
        if self.config.animations:
            self.animation_level = self.config.animations
        self.demo = demo
        self._monotonic = monotonic
        self._last_input = monotonic()
        # where each key was sent when it came in (screen, focused widget): see on_key
        self._key_targets: OrderedDict[int, tuple[Screen, Widget | None]] = OrderedDict()
        self._locked_for: str | None = None
        self._db_path = db_path
        self.services: Services | None = None
        self.services_ready = threading.Event()
        self.load_error: str | None = None
        self.file_problem = None  # the StorageError that stopped the app, for launch to print
        # closed until the associate has a screen to work on and nobody waits for the next one
        self._foreground_idle = threading.Event()
        self._waiting = False  # a sign-in is being checked
        self.desk = OpenCustomers()  # the signed-in associate's open customers
        self.keymap: dict[str, str] = {}  # binding id -> keys, as config.toml's [keymap] set them
        self._added_modes: set[str] = set()
        self._sync_state: tuple[str, int, int] | None = None  # ("online" | "offline" | "busy", to send, parked)
        self._busy_until = 0.0  # monotonic time headquarters asked to be tried again (state "busy")
        self.syncs_moved = 0  # syncs that sent or brought something, or were asked for (Sync screen)
        if services is not None:
            self._adopt(services)
        self.theme = self._pick_theme()

    def run(self, **kwargs):
        """As Textual's, with the mouse as configured (off over SSH unless config.toml says
        otherwise). Without a terminal (stdin and stderr, where Textual draws) it would wait
        for ever: it refuses instead. On the terminal, what libraries log and threads raise goes
        to a file in the user log folder, never over the screen (see :mod:`pos_customers.logs`)."""
        if not kwargs.get("headless") and not all(f is not None and f.isatty()
                                                  for f in (sys.__stdin__, sys.__stderr__)):
            raise NoTerminal(_("the app needs a terminal (over SSH: ssh -t)"))
        kwargs.setdefault("mouse", self.config.mouse is not False)
        if not kwargs.get("headless"):
            from ..logs import to_file

            to_file()
        return super().run(**kwargs)

    def _adopt(self, services: Services) -> None:
        from ..domain.formats import set_format_locale
        from ..services.store_info import store_info

        info = store_info(services)
        self.store, self.store_country = info, info.country
        set_format_locale(info.locale)
        self._template_country: str | None = None
        self.services = services
        self.services_ready.set()

    @property
    def template_country(self) -> str:
        """The country a new customer's first address starts with: the template's, else the store's."""
        if self._template_country is None:
            from ..services.store import template_of

            with self.services.db.read() as s:
                template = template_of(s, self.store.code)
            self._template_country = template.address_country or self.store_country
        return self._template_country

    def reload_template(self) -> None:
        """After the template changed: the next new customer starts from the new one."""
        self._adopt(self.services)

    def back_office(self) -> None:
        from .screens.backoffice import BackOfficeScreen

        self.push_screen(BackOfficeScreen())

    def _load(self) -> None:
        """Background thread: open the database (plain sqlite3, no ORM), then, whenever nobody is
        waiting for the screen, load the modules the later screens use."""
        try:
            from ..services import access  # what the sign-in and the screen after it need

            # argon2 runs without the interpreter lock: on the other core, meanwhile
            threading.Thread(target=access.warm_up, name="warm-argon2", daemon=True).start()
            from ..services.bootstrap import open_services

            services = open_services(self._db_path)
            services.db.wait_for_check = False  # checked in the background (_check_file)
            from .screens import search  # noqa: F401
            self._adopt(services)
        except Exception as exc:  # noqa: BLE001 - shown on the sign-in screen, app stays usable to quit
            from ..services.health import as_storage_error, failure_line

            problem = as_storage_error(exc, self._db_path)
            if problem is not None:
                self.file_problem = problem
            self.load_error = tr(failure_line(problem)) if problem is not None else tr(exc)
            self.services_ready.set()
        self.call_from_thread(self._loaded)
        if self.load_error is None:
            # the once-per-process quick_check, now rather than before the first sign-in's write
            threading.Thread(target=self._check_file, name="quick-check", daemon=True).start()
            self._warm_up()

    def _loaded(self) -> None:
        if self.file_problem is None and self.services is not None:
            ui_language.at_start(self)  # the store's language, unless overridden
        if self.file_problem is not None:
            self.show_file_problem(self.file_problem, fatal=True)
        elif (sign_in := self._sign_in_screen()) is not None:
            sign_in.show_store(self.store.name if self.services else None, self.load_error)

    def _check_file(self) -> None:
        problem = self.services.db.health()
        if problem is not None:
            self.call_from_thread(self.show_file_problem, problem, fatal=True)

    # -- the till's file failed --------------------------------------------------------------------
    def show_file_problem(self, problem, *, fatal: bool = False) -> None:
        """What happened to the file and what to do. ``fatal`` (at start, a damaged file): a screen
        with only ctrl+q; otherwise a dialog over the current screen, which keeps its state."""
        from .screens.file_problem import FileProblemModal, FileProblemScreen

        if fatal or self.file_problem is not None:
            self.file_problem = problem
            if not isinstance(self.screen, FileProblemScreen):
                self.push_screen(FileProblemScreen(problem))
        elif not isinstance(self.screen, (FileProblemModal, FileProblemScreen)):
            self.push_screen(FileProblemModal(problem))

    def _problem_of(self, error: BaseException):
        from ..services.health import as_storage_error

        db_path = self.services.db.path if self.services is not None else self._db_path
        return as_storage_error(error, db_path) if isinstance(error, Exception) else None

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """Every key's action: a failure of the till's file (a save on a full disk, a search on a
        damaged file) shows what happened over the screen, which keeps its state. (A screen's
        ``run_action``, as the command palette calls it, passes ``namespaces`` too.)"""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:
            problem = self._problem_of(exc)
            if problem is None:
                if self.show_refusal(exc):
                    return True
                raise
            self.show_file_problem(problem)
            return True

    def show_refusal(self, error: BaseException) -> bool:
        """A refusal of the services that a screen's action or worker did not catch (a customer
        gone meanwhile, a role that may not, a field refused, headquarters not answering): one
        line, what happened and what to do, and the app goes on. False: not one of them."""
        from ..services import sync
        from ..services.customers import StaleEdit
        from ..domain.errors import ValidationFailed
        from ..services.search import UnknownSegment

        if isinstance(error, sync.NotFound):
            line = _("{what}: search for the customer again.").format(what=tr(error))
        elif isinstance(error, sync.PermissionDenied):
            line = _("{what}: ask a manager.").format(what=tr(error))
        elif isinstance(error, StaleEdit):
            line = _("{what}: open the customer again.").format(what=tr(error))
        elif isinstance(error, ValidationFailed):
            line = "; ".join(tr(e.message) for e in error.errors)
        elif isinstance(error, (sync.HqUnavailable, sync.HqRefused, sync.NotConnected)):
            line = _("{what}: try again later (F8 shows the sync state).").format(what=tr(error))
        elif isinstance(error, UnknownSegment):
            line = tr(error)
        else:
            return False
        self.notify(safe(line), severity="error")
        return True

    def _handle_exception(self, error: Exception) -> None:
        """Textual's handler of an exception nothing caught (it ends the app with a traceback).
        A worker (search, card, sync, sign-in) that failed on the till's file shows what happened
        instead and the app goes on; so does a refusal of the services (:meth:`show_refusal`).
        The one override of a Textual internal: tests/ui/test_file_problems.py fails if Textual stops calling it for a failed worker."""
        from textual.worker import WorkerFailed

        problem = self._problem_of(error.error) if isinstance(error, WorkerFailed) else None
        if problem is None:
            # a refusal of the services a worker or a message handler did not catch: one line
            if not self.show_refusal(error.error if isinstance(error, WorkerFailed) else error):
                super()._handle_exception(error)
            return
        self.show_file_problem(problem)

    # Imported in this order while the associate types their PIN or reads the results. A screen
    # that needs one of them sooner imports it itself (Python's import lock makes them wait for
    # a module half-loaded here, never load it twice).
    WARM_UP = ("phonenumbers", "pos_customers.storage.tables", "pos_customers.services.customers",
               "pos_customers.ui.screens.customer", "pos_customers.ui.screens.form",
               "pos_customers.ui.screens.address", "pos_customers.services.sync")

    def foreground_busy(self) -> None:
        """Someone is waiting for the screen (a sign-in is being checked): the warm-up pauses
        between modules, so it does not take the interpreter from the foreground."""
        self._waiting = True
        self._foreground_idle.clear()

    def foreground_idle(self) -> None:
        self._waiting = False
        self._foreground_idle.set()

    def _typing_at_sign_in(self) -> None:
        if self.actor is None and not self._waiting:
            self.foreground_idle()

    def _warm_up(self) -> None:
        import importlib

        for name in self.WARM_UP:
            self._foreground_idle.wait()
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the screen that needs it will import it and say why
                return
        self._foreground_idle.wait()
        try:
            self.services.db.read_engine, self.services.db.write_engine, self.template_country  # noqa: B018
        except Exception:  # noqa: BLE001 - same: the first screen that needs it reports it
            pass

    def _pick_theme(self) -> str:
        """TEXTUAL_THEME, then the config file; otherwise a theme made of the terminal's own
        16 ANSI colours unless it says it does true colour (OpenSSH drops COLORTERM)."""
        for wanted in (os.environ.get("TEXTUAL_THEME", ""), self.config.theme):
            if wanted and wanted in self.available_themes:
                return wanted
        truecolor = os.environ.get("COLORTERM", "") in ("truecolor", "24bit")
        return "textual-dark" if truecolor else "ansi-dark"

    # -- start and sign-in -----------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        ui_language.at_start(self)
        ui_language.watch(self)
        name = self.store.name if self.services else ""
        self.add_mode(LOCK_MODE, lambda: SignInScreen(store_name=name, demo=self.demo))
        self.switch_mode(LOCK_MODE)
        self.screen_change_signal.subscribe(self, self._screen_changed)
        self.call_after_refresh(self._fit_terminal)
        self.set_interval(5, self.lock_if_idle)
        self.set_interval(self.config.sync_seconds, self.background_sync)
        if self.config.backups.every_hours > 0 and not self.demo:  # the demo store is rebuilt, not backed up
            self.set_timer(BACKUP_FIRST_LOOK, self.background_backup)
            self.set_interval(BACKUP_LOOK_EVERY, self.background_backup)
        if not self.services_ready.is_set():
            # at once: opening the file and loading the next screen's modules overlap the
            # first paint, so a sign-in typed ahead finds them ready
            threading.Thread(target=self._load, name="load-services", daemon=True).start()
            # an associate still typing their number and PIN: the rest loads meanwhile
            self.set_timer(1.0, self._typing_at_sign_in)

    # -- everything drawn from data goes through ui.text.safe: headers and notifications here ------
    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification is plain text through the sanitizer (messages often carry a name, a
        reference or headquarters' words): never markup, whatever the caller asked."""
        super().notify(safe(message, multiline=True), title=safe(title), severity=severity, timeout=timeout,
                       markup=False)

    def format_title(self, title: str, sub_title: str) -> Content:
        """Every screen's header: the store's and the associate's names are data. Where the
        header has no room for all: the app's name goes first; a screen's own title ("Edit
        customer …", "Store audit") stays, and the store's and associate's names are shortened
        beside it (the sync state always stays)."""
        room = self.size.width - HEADER_ROOM
        if sub_title and len(title) + 3 + len(sub_title) > room:
            if title != self.title and self.actor is not None:
                rest = self.header_text(self.size.width - len(title) - 3)
                if len(title) + 3 + len(rest) <= room:
                    return super().format_title(safe(title), safe(rest))
            return Content(safe(sub_title))
        return super().format_title(safe(title), safe(sub_title))

    def header_text(self, width: int | None = None) -> str:
        """The sync state, the store, the associate, fitted to the header at ``width`` (the
        terminal's): the store's and the associate's names are shortened first, never the state
        of the sync with headquarters ("HQ online · 3 to send", "HQ offline", "standalone")."""
        room = max((width or self.size.width) - HEADER_ROOM, 10)
        sync = self.sync_line or (_("standalone") if self.services is not None and not self.connected else "")
        store = self.store.name if self.services is not None else ""
        name = role = ""
        if self.actor is not None:
            name = self.actor.name or self.actor.associate_number
            role = tr(role_name(self.actor.role))

        def line(*parts: str) -> str:
            return " · ".join(p for p in parts if p)

        short = shorten(name, len(name) - 1) if len(name) > 1 else name  # "M. Schneider"
        for text in (line(sync, store, f"{name} ({role})" if name else ""), line(sync, store, name),
                     line(sync, store, short)):
            if len(text) <= room:
                return text
        left = room - len(line(sync, short)) - 3
        if store and left >= 6:  # the store's name, cut to what is left
            return line(sync, shorten(store, left, person=False), short)
        for text in (line(sync, short), line(sync, shorten(name, 4)), sync):
            if len(text) <= room:
                return text
        return sync[:room - 1] + "…"

    def refresh_headers(self) -> None:
        """The header of every screen of the current stack says it again (after a sync, a resize,
        a change of language; the screens of the other stacks when they come to the front)."""
        if self.actor is None:
            return
        for screen in self.screen_stack:
            if screen.sub_title:
                screen.sub_title = self.header_text()

    def on_resize(self, event: events.Resize) -> None:
        self.call_later(self._resized)  # after Textual's own handler took the new size

    def _resized(self) -> None:
        self.refresh_headers()
        self._fit_terminal()

    def _fit_terminal(self) -> None:
        """Below 80x24 a notice says to make the terminal bigger (cut widgets say nothing); it
        goes by itself when the terminal is big enough, and the screen under it is as it was."""
        from .screens.dialogs import TooSmallScreen

        small = self.size.width < MIN_WIDTH or self.size.height < MIN_HEIGHT
        top = self.screen
        if small and not isinstance(top, TooSmallScreen):
            self.push_screen(TooSmallScreen())
        elif isinstance(top, TooSmallScreen):
            if small:
                top.show_size()
            else:
                self.pop_screen()

    def _sign_in_screen(self) -> SignInScreen | None:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, SignInScreen)), None)

    # -- public stand-ins for what Textual keeps to itself -------------------------------------
    def set_keymap(self, keymap) -> None:
        """As Textual's; the keys are remembered here too (F1 and the messages name them)."""
        self.keymap = {k: ",".join(part.strip() for part in v.split(",")) for k, v in keymap.items()}
        super().set_keymap(keymap)

    def update_keymap(self, keymap) -> None:
        self.keymap = {**self.keymap, **{k: ",".join(part.strip() for part in v.split(","))
                                         for k, v in keymap.items()}}
        super().update_keymap(keymap)

    def add_mode(self, mode: str, base_screen) -> None:
        super().add_mode(mode, base_screen)
        self._added_modes.add(mode)

    def remove_mode(self, mode: str):
        self._added_modes.discard(mode)
        return super().remove_mode(mode)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """[display] cursor_blink = false: every text box keeps a steady cursor."""
        from textual.widgets import Input

        if self.config.cursor_blink is False and isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    def has_desk(self, actor: Actor) -> bool:
        """Does this associate still have their screens from before the terminal locked?"""
        return (self.actor is not None and self.actor.associate_number == actor.associate_number
                and self._has_mode(f"associate:{actor.associate_number}"))

    def signed_in(self, actor: Actor, first_page=None) -> None:
        """``first_page``: the home screen's recent customers, when the sign-in fetched them."""
        from .screens.search import SearchScreen

        previous = self.actor
        self.actor = actor
        ui_language.at_sign_in(self, actor)  # theirs: the screens made before follow when shown
        self._last_input = self._monotonic()
        mode = f"associate:{actor.associate_number}"
        if previous and previous.associate_number != actor.associate_number:
            # another associate: their own fresh stack; the previous one's work is not shown
            for place in self.desk.ids:
                self._drop_mode(self._mode_of(place, previous))
            self._drop_mode(f"associate:{previous.associate_number}")
            self.desk.clear()
        if not self._has_mode(mode):
            # its first results end the foreground wait
            self.add_mode(mode, lambda: SearchScreen(first_page=first_page))
            self.set_timer(3, self.foreground_idle)  # and should they never come, this does
        else:
            self.foreground_idle()
        self.switch_mode(self._mode_of(self.desk.current))  # where they were: every stack as it was
        if self.connected and not self.sync_line:
            self.check_headquarters()

    def _has_mode(self, mode: str) -> bool:
        return mode in self._added_modes

    def _drop_mode(self, mode: str) -> None:
        if self._has_mode(mode):
            self.call_later(self.remove_mode, mode)

    @property
    def connected(self) -> bool:
        """Enrolled with headquarters: sync states, F5 and the header's HQ state mean something."""
        from ..services.store_info import is_connected

        return self.services is not None and is_connected(self.services)

    def _working_screen(self) -> Screen:
        """The screen the associate works on: under F1's list of keys or the command palette."""
        from textual.command import CommandPalette

        screen = self.screen
        if isinstance(screen, CommandPalette) and len(self.screen_stack) > 1:
            screen = self.screen_stack[-2]
        return getattr(screen, "under", None) or screen

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("sync", "all_stores"):
            # where the screen says they make sense (search, card, the F5 list), once signed in
            if self.actor is None or action not in getattr(self._working_screen(), "APP_KEYS", ()):
                return False
            return action == "sync" or self.connected
        if action == "keys":
            from .screens.dialogs import TooSmallScreen

            return not isinstance(self.screen, TooSmallScreen)
        if action == "lock":
            return self.actor is not None and self.current_mode != LOCK_MODE
        if action.startswith("desk_"):
            return self._desk_action_ok(action, parameters)
        if action in ("next_field", "previous_field"):
            # a widget that takes Tab itself keeps it (the sign-in form switches its two fields)
            return not getattr(self.focused, "TAKES_TAB", False)
        return True

    def action_next_field(self) -> None:
        self.screen.focus_next()

    def action_previous_field(self) -> None:
        self.screen.focus_previous()

    def action_lock(self) -> None:
        self.lock_terminal(idle=False)

    def lock_terminal(self, *, idle: bool = True) -> None:
        if self.current_mode == LOCK_MODE or self.actor is None:
            return
        self._locked_for = self.actor.name
        self.switch_mode(LOCK_MODE)
        self.call_after_refresh(self._show_locked, idle)

    def _show_locked(self, idle: bool) -> None:
        sign_in = self._sign_in_screen()
        if sign_in is not None:
            sign_in.show_locked(self._locked_for, idle=idle)

    def lock_if_idle(self) -> None:
        if self.actor is None or self.current_mode == LOCK_MODE:
            return
        if self._monotonic() - self._last_input >= self.config.idle_minutes * 60:
            self.lock_terminal()

    async def on_key(self, event: events.Key) -> None:
        """A key no widget took: on a list or a tick box, a letter picks a choice or a hint says
        what the field is (ui/widgets/choice_keys.py); never lost without a word."""
        from .widgets.choice_keys import typed_on_choice

        screen, focused = self._key_targets.pop(id(event), (self.screen, self.focused))
        if self.focused is not None and (screen is not self.screen or (
                focused is not self.focused and event.is_printable)):
            # typed ahead of a change of screen or focus (Esc then a name, or a letter on the results
            # then more letters, in one burst): the key went where the focus was and came back
            # unused; it belongs where the focus is now
            event.stop()
            event.prevent_default()
            self.post_message(events.Key(event.key, event.character))
            return
        typed = event.key[4:] if event.key.startswith("alt+") else ""
        if (len(typed) == 1 and typed.isprintable() and not typed.isdigit()  # alt+digits: the desk's keys
                and event.key not in self.active_bindings):
            # Esc and a letter read together (typed fast, or bunched up over SSH) are one "alt+z"
            # to the terminal: Esc's action now, the letter after it, where the focus is then
            event.stop()
            event.prevent_default()
            escape = self.active_bindings.get("escape")
            if escape is not None and escape.enabled:
                await self.run_action(escape.binding.action, escape.node)
            self.post_message(events.Key(typed, typed))
            return
        if typed_on_choice(self.focused, event):
            event.stop()
            event.prevent_default()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._last_input = self._monotonic()
            if isinstance(event, events.Key) and not event.is_forwarded:
                self._key_targets[id(event)] = (self.screen, self.focused)
                while len(self._key_targets) > 64:  # keys a widget took never come back here
                    self._key_targets.popitem(last=False)
        await super().on_event(event)

    # -- sync with headquarters ------------------------------------------------------------------
    @property
    def sync_line(self) -> str:
        """What the header says of headquarters, in the current language ("" before the first
        answer, and on a standalone till)."""
        if self._sync_state is None:
            return ""
        state, depth, parked = self._sync_state
        parts = [tr(SYNC_STATES[state]).format(seconds=max(1, round(self._busy_until - self._monotonic())))]
        if depth:
            parts.append(ngettext("{n} to send", "{n} to send", depth).format(n=depth))
        if parked:
            parts.append(ngettext("{n} parked", "{n} parked", parked).format(n=parked))
        return " · ".join(parts)

    def background_sync(self) -> None:
        from ..services.sync import is_enrolled

        if self.services is not None and self.actor is not None and is_enrolled(self.services):
            self.run_sync()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def run_sync(self, announce: bool = False) -> None:
        """Push and pull in a thread; the header says whether headquarters answered and how
        many changes wait to be sent."""
        from ..services import sync

        svc, actor = self.services, self.actor
        try:
            result = sync.sync_now(svc, actor, busy=lambda seconds: self.call_from_thread(self._busy, seconds))
            state, error = "online", None
        except sync.HqBusy as exc:  # still busy after the round's waits: the next round tries again
            self._busy_until = self._monotonic() + exc.retry_after
            result, state, error = None, "busy", exc
        except (sync.HqUnavailable, sync.HqRefused) as exc:
            result, state, error = None, "offline", exc
        depth, parked = sync.outbox_depth(svc), sync.parked_count(svc)
        self.call_from_thread(self._synced, state, depth, result, error, announce, parked)

    # -- rolling local backups -------------------------------------------------------------------
    def background_backup(self) -> None:
        if self.services is not None:
            self.run_backup()

    @work(thread=True, exclusive=True, group="backup", exit_on_error=False)
    def run_backup(self) -> None:
        """A rolling backup when one is due (config.toml [backup]); the copy runs in this thread
        and never holds the database's write lock, so the screens go on meanwhile."""
        import sqlite3

        from ..services.backup import BackupFailed, rolling_backup

        try:
            rolling_backup(self.services, self.config.backups)
        except (BackupFailed, OSError, sqlite3.Error) as exc:
            self.call_from_thread(self._backup_failed, exc)

    def _backup_failed(self, exc: BaseException) -> None:
        self.notify(_("Backup failed: {reason}").format(reason=tr(exc)), severity="warning")

    def recount_outbox(self) -> None:
        """From a worker thread, after the outbox changed without a sync (a parked event retried or
        discarded): the header's "N to send · N parked" follows at once."""
        from ..services import sync

        if self._sync_state is None:
            return  # not connected: the header shows no sync line
        state = self._sync_state[0]
        depth, parked = sync.outbox_depth(self.services), sync.parked_count(self.services)
        self.call_from_thread(self._synced, state, depth, None, None, False, parked)

    def _busy(self, seconds: int) -> None:
        """Headquarters asked this till to come back in ``seconds``: the sync waits, the header says so."""
        self._busy_until = self._monotonic() + seconds
        depth, parked = self._sync_state[1:] if self._sync_state else (0, 0)
        self._sync_state = ("busy", depth, parked)
        self.refresh_headers()

    def _synced(self, state: str, depth: int, result, error: BaseException | None, announce: bool,
                parked: int = 0) -> None:
        self._sync_state = (state, depth, parked)
        self.refresh_headers()
        if announce:
            if error is not None:
                self.notify(_("Sync failed: {reason}").format(reason=tr(error)), severity="warning")
            else:
                lines = [_("Synced: {sent} sent, {received} received.").format(sent=result.pushed,
                                                                               received=result.pulled)]
                if result.conflicts:
                    lines.append(ngettext("{n} conflict.", "{n} conflicts.",
                                          result.conflicts).format(n=result.conflicts))
                if result.parked:
                    lines.append(ngettext("{n} refused by headquarters (parked).",
                                          "{n} refused by headquarters (parked).",
                                          result.parked).format(n=result.parked))
                if result.restored:
                    lines.append(ngettext("{n} customer is back on this till: headquarters did not apply its merge.",
                                          "{n} customers are back on this till: headquarters did not apply their "
                                          "merge.", result.restored).format(n=result.restored))
                self.notify(" ".join(lines))
        # what the round moved (or F8 asked for): a screen showing headquarters' data reads it again
        if announce or (result is not None and (result.pushed or result.pulled or result.parked)):
            self.syncs_moved += 1
        refresh = getattr(self.screen, "sync_finished", None)
        if refresh is not None:
            refresh()

    def open_sync(self) -> None:
        from .screens.sync import SyncScreen

        self.push_screen(SyncScreen())

    def action_sync(self) -> None:
        self.open_sync()

    def action_all_stores(self) -> None:
        """F5: the screen says what to look for (the search box's text; the F5 list searches again)."""
        handler = getattr(self.screen, "all_stores", None)
        if handler is not None:
            handler()

    @work(thread=True, exclusive=True, group="hq-health", exit_on_error=False)
    def check_headquarters(self) -> None:
        """Right after a sign-in: is headquarters there (a quick health check, not a sync), so the
        header shows its state at once rather than after the first background sync."""
        from ..services import sync

        svc = self.services
        state = "online" if sync.headquarters_answers(svc) else "offline"
        depth, parked = sync.outbox_depth(svc), sync.parked_count(svc)
        self.call_from_thread(self._checked, state, depth, parked)

    def _checked(self, state: str, depth: int, parked: int) -> None:
        if self._sync_state is None:  # a sync that ended first knows better
            self._synced(state, depth, None, None, False, parked)

    # -- navigation ----------------------------------------------------------------------------------
    def open_customer(self, customer_id: str) -> None:
        """Open a customer beside those already open (its own screen stack), or go back to it as
        it was left when it is open already."""
        from .screens.customer import CustomerScreen
        from ..services.customers import NotFound, customer_id_of

        try:  # a merged-away customer's id or reference opens the one it went into (once, beside it)
            customer_id = customer_id_of(self.services, self.actor, customer_id)
        except NotFound as exc:
            self.show_refusal(exc)
            return
        try:
            new = self.desk.open(customer_id)
        except DeskFull:
            self.notify(tr(FULL_MESSAGE).format(cap=self.desk.cap, close=self._keys_of("desk.close", "ctrl+w")),
                        severity="warning")
            return
        mode = self._mode_of(customer_id)
        if new:
            self.add_mode(mode, lambda: CustomerScreen(customer_id))
        self.switch_mode(mode)

    # -- several customers open at once (ui/desk.py) -----------------------------------------------
    def _mode_of(self, place: str | None, actor: Actor | None = None) -> str:
        number = (actor or self.actor).associate_number
        return f"associate:{number}" if place is HOME else f"associate:{number}:customer:{place}"

    def _unsaved_in(self, place: str | None) -> bool:
        """Does a form on this place hold unsaved changes? The place in front: its screens say so.
        Any other: as they said when it was last in front (only the screens in front change, and
        every change of theirs comes through :meth:`unsaved_changed` or a change of screen)."""
        if self.actor is not None and self.current_mode == self._mode_of(place):
            return any(getattr(screen, "dirty", False) for screen in self.screen_stack)
        return self.desk.dirty(place)

    @property
    def desk_in_use(self) -> bool:
        """Signed in, not locked, with a customer open: the desk keys mean something."""
        return (self.actor is not None and self.current_mode != LOCK_MODE and len(self.desk) > 0
                and self.file_problem is None)

    def _desk_action_ok(self, action: str, parameters: tuple) -> bool:
        if not self.desk_in_use or isinstance(self._working_screen(), ModalScreen):
            return False  # a question on screen is answered first
        if action == DESK_GO:
            try:
                return parameters == () or self.desk.numbered(parameters[0]) != self.desk.current
            except KeyError:
                return False
        if action == "desk_close":
            return self.desk.current is not HOME
        return True

    def _keys_of(self, binding_id: str, default: str) -> str:
        return self.keymap.get(binding_id, default)

    def action_desk_go(self, number: int) -> None:
        try:
            self._show_place(self.desk.numbered(number))
        except KeyError:
            pass

    def action_desk_step(self, by: int) -> None:
        self._show_place(self.desk.step(by))

    def _show_place(self, place: str | None) -> None:
        self.desk.go(place)
        self.switch_mode(self._mode_of(place))

    def action_desk_close(self) -> None:
        if self.desk.current is not HOME:
            self.close_customer(self.desk.current)

    def close_customer(self, customer_id: str) -> None:
        """Close an open customer (Escape on its card, ctrl+w anywhere on it), asking first when a
        form on it has unsaved changes; back to where it was opened from."""
        entry = self.desk.get(customer_id)
        if entry is None:  # not one of the open customers (a card pushed elsewhere): just back
            if len(self.screen_stack) > 1:
                self.pop_screen()
            else:  # the base of a place's stack: back to the search
                self._show_place(HOME)
            return
        if not self._unsaved_in(customer_id):
            self._drop_customer(customer_id)
            return

        def answer(close: bool | None) -> None:
            if close:
                self._drop_customer(customer_id)
        from .screens.dialogs import ConfirmModal

        self.push_screen(ConfirmModal(tr(CLOSE_QUESTION).format(name=entry.name or _("this customer")),
                                      yes=_("Close"), no=_("Keep it open")), answer)

    def _drop_customer(self, customer_id: str) -> None:
        mode = self._mode_of(customer_id)
        back_to = self.desk.close(customer_id)
        if self.current_mode == mode:
            self.switch_mode(self._mode_of(back_to))
        self.remove_mode(mode)
        self._desk_changed()

    def customer_shown(self, view: CustomerView, place: str | None = None) -> None:
        """A card (re)loaded its customer: the strip shows the name."""
        self.desk.name(place or view.id, safe(view.display_name), person=view.customer_type != "organization")
        self._desk_changed()

    def unsaved_changed(self) -> None:
        """A form's unsaved state changed: the strip marks it (``*``)."""
        self._desk_changed()

    def _screen_changed(self, screen: Screen) -> None:
        if screen.sub_title and self.actor is not None:
            screen.sub_title = self.header_text()  # a screen that waited in another stack
        self._desk_changed()

    def _desk_changed(self) -> None:
        """Mark what holds unsaved work and show the strip on the screen in front (mounted the
        first time it is needed there; hidden when there is nowhere else to go)."""
        from .widgets.open_strip import OpenStrip

        if self.actor is None or self.current_mode == LOCK_MODE:
            return
        for place in self.desk.places():
            self.desk.mark(place, self._unsaved_in(place))
        screen = self.screen
        if isinstance(screen, ModalScreen) or not screen.is_attached:
            return
        found = screen.query(OpenStrip)
        if not found:
            if not self.desk.strip_shown:
                return
            screen.mount(OpenStrip(self.desk), before=0)
            return
        strip = found.first()
        strip.display = self.desk.strip_shown
        strip.update()

    def hand_over(self, view: CustomerView) -> None:
        """A customer chosen for the sale (s on the card, refused before this for a blocked one).
        Started by the point of sale (``choose``): the app ends with the customer as its result,
        which `pos-customers choose` prints (asking first, as ctrl+q does, when a form is unsaved)."""
        self.sale_customer = view
        if self.choose:
            self.call_later(self._leave, view)

    async def action_quit(self) -> None:
        """ctrl+q: asks first when a form on any open customer (or a new customer's) is unsaved;
        the question names no customer (it may be asked on the locked terminal's screen)."""
        await self._leave(None)

    async def _leave(self, result: CustomerView | None) -> None:
        from .screens.dialogs import ConfirmModal

        unsaved = [p for p in self.desk.places() if self._unsaved_in(p)] if self.actor else []
        if not unsaved or self.file_problem is not None or getattr(self.screen, "asks_quit", False):
            self.exit(result)
            return

        def answer(quit_: bool | None) -> None:
            if quit_:
                self.exit(result)
        question = ConfirmModal(ngettext(
            "{count} open customer has unsaved changes. Quit anyway? What was typed is lost.",
            "{count} open customers have unsaved changes. Quit anyway? What was typed is lost.",
            len(unsaved)).format(count=len(unsaved)),
                                yes=_("Quit"), no=_("Keep working"))
        question.asks_quit = True  # ctrl+q again on the question quits
        self.push_screen(question, answer)

    def new_customer(self, typed: CustomerDraft | None = None) -> None:
        from ..services.customers import template_draft
        from .screens.form import CustomerFormScreen

        if not self.actor.can(Permission.CREATE):
            self.notify(_("A {role} may not create customers.").format(
                role=tr(role_name(self.actor.role))), severity="error")
            return
        base = template_draft(self.services, self.actor)
        if typed is not None:
            base = _merge(base, typed)
        self.push_screen(CustomerFormScreen(draft=base))

    def edit_customer(self, view: CustomerView) -> None:
        from ..services.customers import draft_from_view
        from .screens.form import CustomerFormScreen

        self.push_screen(CustomerFormScreen(draft=draft_from_view(view), view=view))

    def after_save(self, view: CustomerView) -> None:
        from .screens.customer import CustomerScreen

        # after a create, show the new customer's card (unless an organization's People tab asked
        # for a new person: it joins the organization); after an edit, the card reloads itself
        if isinstance(self.screen, CustomerScreen) and self.screen.took_created(view):
            return
        if isinstance(self.screen, CustomerScreen) and self.screen.customer_id == view.id:
            self.screen.load()
        else:
            self.open_customer(view.id)

    def action_language(self) -> None:
        ui_language.choose(self)

    def action_keys(self) -> None:
        from .screens.keys import KeysScreen

        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        ours = list(app_commands(self, screen)) if self.actor is not None else []
        titles = {command.title for command in ours}  # Quit and Keys once, as the keys say them
        yield from (command for command in translated_system_commands(self, screen, super().get_system_commands(screen))
                    if command.title not in titles)
        if self.actor is None:
            return
        yield from ours
        if self.desk_in_use:  # the open customers by name, as the strip numbers them
            for number, place in enumerate(self.desk.places()):
                if place != self.desk.current:
                    name = self.desk.get(place).name if place is not HOME else tr(HOME_LABEL)
                    yield SystemCommand(_("Open customers: {number} {name}").format(number=number, name=name),
                                        tr(GO_HELP), lambda number=number: self.action_desk_go(number))
        if self.actor.can(Permission.CONFIGURE_STORE):
            from .screens.backoffice import BackOfficeScreen

            for _key, label, make in BackOfficeScreen.ENTRIES:
                yield SystemCommand(_("Back office: {entry}").format(entry=tr(label)),
                                    _("Open {entry}").format(entry=tr(label)),
                                    lambda make=make: self.push_screen(make()))


def _merge(template: CustomerDraft, typed: CustomerDraft) -> CustomerDraft:
    from dataclasses import replace
    return replace(template, first_name=typed.first_name, last_name=typed.last_name,
                   emails=typed.emails, phones=typed.phones)
