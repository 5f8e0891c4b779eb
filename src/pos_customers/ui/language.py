"""The app's language: chosen at start and at sign-in (services/language.py decides), changed by
the associate with F12 or "Language…" in the command palette, and applied at once to every
screen without losing what was typed.

Switching makes every screen of the stack in front again in the new language: the values of its
fields (text boxes, choices, check boxes, text areas, the tab shown) and the focus are kept by id,
the screen is recomposed, its ``on_mount`` fills it again (the rows it loaded, its title), then the
values go back. A screen that needs more defines ``retranslate()`` (it may call
:func:`recompose_keeping` itself). The screens of the other open customers and of the lock screen
are made again when they next come to the front.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.screen import Screen

from ..domain import i18n
from ..domain.i18n import N_

if TYPE_CHECKING:
    from textual.widget import Widget

    from .app import PosApp

LANGUAGE_ACTION = "language"
LANGUAGE_BINDING = Binding("f12", LANGUAGE_ACTION, N_("Language…"), show=False, id="app.language",
                           tooltip=N_("Choose your language (kept for your next sign-in)"))

# the language each screen is in, noted when it comes to the front (every screen does, once made)
# and when it is made again: a screen of another stack (an open customer, the lock screen) is made
# again when it comes back to the front in another language
_made_in: weakref.WeakKeyDictionary[Screen, str] = weakref.WeakKeyDictionary()


# -- choosing ------------------------------------------------------------------------------------

def choose(app: PosApp) -> None:
    """F12: the list of languages; the one picked is used at once and kept for the associate."""
    from .screens.language import LanguageModal

    if isinstance(app.screen, LanguageModal):
        return

    def chosen(code: str | None) -> None:
        if code:  # in the app's turn: this runs in the turn of the screen under the list
            app.call_later(switch, app, code, remember=True)
    app.push_screen(LanguageModal(), chosen)


async def switch(app: PosApp, code: str, *, remember: bool = False) -> str:
    """Make ``code`` the language of every screen now; ``remember``: keep it as the signed-in
    associate's own (their next sign-in on this till uses it)."""
    from .app import LOCK_MODE

    lang = i18n.set_language(code)
    signed_in = app.actor is not None and app.current_mode != LOCK_MODE  # not the locked one's
    if remember and signed_in and app.services is not None:
        from ..services.language import set_preferred_language

        try:
            set_preferred_language(app.services, app.actor, lang)
        except Exception as exc:
            problem = app._problem_of(exc)
            if problem is None:
                raise
            app.show_file_problem(problem)
    await retranslate_all(app)
    return lang


def at_start(app: PosApp) -> bool:
    """Before anyone signs in: the override, config.toml, then the store's language (once the
    database is open: the sign-in screen follows at once). True if the language changed."""
    from ..services.language import language_for, override

    if override():
        return False  # POS_CUSTOMERS_LANG: the start made it the language; it stays
    if app.services is not None:
        lang = language_for(app.services, None, configured=app.config.language)
    else:  # the store not known yet: only config.toml (else the language the start chose)
        lang = i18n.supported(app.config.language)
    if not lang or lang == i18n.language():
        return False
    i18n.set_language(lang)
    if app.is_running and any(screen.is_attached and screen.children for screen in app.screen_stack):
        app.call_later(retranslate_all, app)
    return True


def at_sign_in(app: PosApp, actor) -> bool:
    """The signed-in associate's language (services/language.py's order). The screens made before
    (the sign-in screen, the associate's open customers) follow when they are next shown. True if
    it changed."""
    from ..services.language import language_for, override

    if override():
        return False  # POS_CUSTOMERS_LANG (support over SSH): the start's language stays
    lang = language_for(app.services, actor, configured=app.config.language)
    if lang == i18n.language():
        return False
    i18n.set_language(lang)
    return True


# -- making the screens again ----------------------------------------------------------------------

def watch(app: PosApp) -> None:
    """Note each screen's language as it comes to the front; one made in another language (in a
    stack that was not in front when the language changed) is made again (called once, when the
    app mounts)."""
    def changed(screen: Screen) -> None:
        made_in = _made_in.setdefault(screen, i18n.language())  # new: made just now
        if made_in != i18n.language():
            _made_in[screen] = i18n.language()
            app.call_later(retranslate_screen, screen)
    app.screen_change_signal.subscribe(app, changed)


async def retranslate_all(app: PosApp) -> None:
    """Every screen of the stack in front now (the others' when they are next shown); then the
    footer's and the palette's keys."""
    from textual.command import CommandPalette

    for screen in list(app.screen_stack):
        _made_in[screen] = i18n.language()
        if not isinstance(screen, CommandPalette):
            await retranslate_screen(screen)
    app.refresh_bindings()


async def retranslate_screen(screen: Screen) -> None:
    """Make ``screen`` again, in its own turn: none of its handlers or timers runs while its
    widgets are being replaced. Called from the app's turn (never from the screen's: it waits)."""
    import asyncio

    if not screen.is_attached:
        return
    done = asyncio.Event()

    async def job() -> None:
        try:
            await _retranslate_now(screen)
        finally:
            done.set()
    if screen.call_later(job):
        await done.wait()


async def _retranslate_now(screen: Screen) -> None:
    if not screen.is_attached:
        return
    own = getattr(screen, "retranslate", None)
    if own is not None:
        result = own()
        if inspect.isawaitable(result):
            await result
    else:
        await recompose_keeping(screen)
    # what the app mounts on a screen itself (the strip of open customers) comes back
    getattr(screen.app, "unsaved_changed", lambda: None)()


async def recompose_keeping(screen: Screen, *, made: Callable[[], object] | None = None) -> None:
    """Compose ``screen`` again (its texts in the current language), keeping what was typed and
    chosen in its fields and the focus, and fill it again with its own ``on_mount``. ``made``:
    called once the new widgets are there, before ``on_mount`` (what the screen cached about the
    old ones goes)."""
    await _workers_done(screen)
    values = _values(screen)
    focused = _key_of(screen, screen.focused) if screen.focused is not None else None
    await screen.recompose()
    if made is not None:
        made()
    if getattr(type(screen), "on_mount", None) is not None:
        result = screen.on_mount()
        if inspect.isawaitable(result):
            await result
    keys = _keyed(screen)
    for key, value in values.items():
        widget = keys.get(key)
        if widget is not None:
            _put(widget, value)
    if focused is not None and (widget := keys.get(focused)) is not None and widget.focusable:
        screen.set_focus(widget)
    elif screen.focused is None and screen.AUTO_FOCUS:
        first = screen.query(screen.AUTO_FOCUS).first() if screen.query(screen.AUTO_FOCUS) else None
        if first is not None and first.focusable:
            screen.set_focus(first)


WORKER_WAIT = 5.0  # seconds: a screen's worker still at work after this is cancelled


async def _workers_done(screen: Screen) -> None:
    """The screen's running workers (a search, a card loading) end first: their results land on
    the widgets they were meant for, not on a screen half made again."""
    import asyncio

    from textual.worker import WorkerState

    for worker in list(screen.app.workers):
        node = worker.node
        if worker.state not in (WorkerState.PENDING, WorkerState.RUNNING):
            continue
        if node is not screen and screen not in getattr(node, "ancestors", ()):
            continue
        try:
            await asyncio.wait_for(worker.wait(), WORKER_WAIT)
        except asyncio.TimeoutError:
            worker.cancel()
        except Exception:  # noqa: BLE001 - cancelled or failed: the app already handles its end
            pass


def _keyed(screen: Screen) -> dict[str, Widget]:
    """The screen's widgets by id, or by kind and place for those without one."""
    found: dict[str, Widget] = {}
    counts: dict[str, int] = {}
    for widget in screen.query("*"):
        key = _key_of(screen, widget, counts)
        found.setdefault(key, widget)
    return found


def _key_of(screen: Screen, widget: Widget, counts: dict[str, int] | None = None) -> str:
    if widget.id:
        return f"#{widget.id}"
    kind = type(widget).__name__
    if counts is None:  # the focused widget: its place among those of its kind
        same = [w for w in screen.query(type(widget)) if not w.id and type(w) is type(widget)]
        return f"{kind}:{same.index(widget)}" if widget in same else kind
    counts[kind] = counts.get(kind, -1) + 1
    return f"{kind}:{counts[kind]}"


def _values(screen: Screen) -> dict[str, Any]:
    from textual.widgets import (Checkbox, Input, RadioButton, Select, SelectionList, Switch, TabbedContent,
                                 TextArea)

    kept = (Input, TextArea, Select, Checkbox, RadioButton, Switch, SelectionList, TabbedContent)
    return {key: _get(widget) for key, widget in _keyed(screen).items() if isinstance(widget, kept)}


def _get(widget: Widget) -> Any:
    from textual.widgets import SelectionList, TabbedContent, TextArea

    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, SelectionList):
        return list(widget.selected)
    if isinstance(widget, TabbedContent):
        return widget.active
    return widget.value


def _put(widget: Widget, value: Any) -> None:
    from textual.widgets import SelectionList, TabbedContent, TextArea

    try:
        if isinstance(widget, TextArea):
            if widget.text != value:
                widget.load_text(value)
        elif isinstance(widget, SelectionList):
            widget.deselect_all()
            for item in value:
                widget.select(item)
        elif isinstance(widget, TabbedContent):
            if value and widget.active != value:
                widget.active = value
        elif widget.value != value:
            widget.value = value
    except Exception:  # noqa: BLE001 - a choice the new screen no longer offers: its own value stays
        pass
