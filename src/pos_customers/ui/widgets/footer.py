"""The keys of the screen in one line, in the person's language, fitted to the terminal's width.

Built on Textual's public API only (``Screen.active_bindings``, ``bindings_updated_signal``,
``App.get_key_display``): one widget drawing one line, redrawn only when the keys it shows
change (the bindings are refreshed on every focus change; nothing is mounted again).

What it shows at the current width: the keys marked to show, in the bindings' order (the
focused widget's, the screen's, then the app's), one key per action. When they do not all fit,
the least important go first: keys that are not priority bindings before those that are, and
among them the later ones before the earlier ones (a screen lists its keys most important first).
The app's keys a screen names in its ``APP_KEYS`` (F5, F8) count as priority keys there.
A key is never cut: it is shown whole or not at all. F1 (the list of every key) always stays,
last, so a person knows where the rest are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget

from ...domain.i18n import N_, tr
from ..text import safe

HELP_ACTION = "keys"  # F1: the app's list of every key (screens/keys.py)

#: the descriptions of Textual's own bindings a person can meet (the open list of a Select), as
#: the project's catalog says them
TEXTUAL_BINDINGS = {"Dismiss menu": N_("Close")}


def described(text: object) -> str:
    """A binding's description or tooltip in the person's language, Textual's own ones included."""
    return tr(TEXTUAL_BINDINGS.get(text, text) if isinstance(text, str) else text)


def key_display(shown: str) -> str:
    """Function keys as printed on the keyboard ("F2"), Escape as "Esc"."""
    if shown[:1] == "f" and shown[1:].isdigit():
        return shown.upper()
    return "Esc" if shown == "esc" else shown


_CTRL = re.compile(r"(?<![\w+])ctrl\+([a-z0-9])(?![\w+])")
_ESC = re.compile(r"(?<![\w+])esc(?![\w+])", re.IGNORECASE)


def keys_as_shown(text: str) -> str:
    """A hint's keys written as the footer and F1 write them: ``ctrl+s`` -> ``^s``, ``esc`` ->
    ``Esc`` (one notation on every screen, in every language: the catalogs keep the key names)."""
    return _ESC.sub("Esc", _CTRL.sub(lambda m: "^" + m.group(1), text))


@dataclass(frozen=True)
class FooterItem:
    """One key as the footer shows it."""

    key: str  # the key as Textual names it ("f2", "ctrl+q")
    shown: str  # as drawn ("F2", "^q")
    label: str  # its description, translated
    action: str
    enabled: bool
    priority: bool
    tooltip: str
    node: object = None  # the namespace the action runs in

    @property
    def width(self) -> int:
        return cell_len(self.shown) + 1 + cell_len(self.label)


def fit_items(items: list[FooterItem], width: int, *, gap: int = 2, margin: int = 1) -> list[FooterItem]:
    """The items that fit in ``width`` columns, each whole, in their order; F1 kept, last.

    Items are drawn as ``margin`` blank columns, then each ``key label`` with ``gap`` columns
    between. The least important go first: not priority before priority, later before earlier."""
    helps = [i for i in items if i.action == HELP_ACTION]
    rest = [i for i in items if i.action != HELP_ACTION]
    # drop order: the last non-priority item first, then the last priority item
    drop_order = [i for i in reversed(rest) if not i.priority] + [i for i in reversed(rest) if i.priority]
    kept = rest + helps

    def needed(shown: list[FooterItem]) -> int:
        return margin + sum(i.width for i in shown) + gap * max(len(shown) - 1, 0)

    for item in drop_order:
        if needed(kept) <= width:
            break
        kept = [i for i in kept if i is not item]
    if needed(kept) > width:  # only F1 left and still too wide: nothing rather than half a key
        kept = []
    return kept


class KeysFooter(Widget):
    """The footer of every screen: ``compact`` draws one column between keys instead of two."""

    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        width: 100%;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeysFooter > .footer--key { text-style: bold; color: $footer-key-foreground; background: $footer-key-background; }
    KeysFooter > .footer--description { color: $footer-description-foreground; }
    KeysFooter > .footer--disabled { text-opacity: 50%; color: $text-disabled; }
    """
    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--disabled"}

    def __init__(self, *, compact: bool = False, name: str | None = None, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.compact = compact
        self._items: tuple[FooterItem, ...] = ()
        self._spans: list[tuple[int, int, FooterItem]] = []

    @property
    def gap(self) -> int:
        return 1 if self.compact else 2

    # -- what it shows ---------------------------------------------------------------------------
    def items(self) -> list[FooterItem]:
        """Every key the screen shows in a footer, at any width (one per action)."""
        found: list[FooterItem] = []
        actions: set[str] = set()
        wanted = set(getattr(self.screen, "APP_KEYS", ()))  # the app's keys this screen says matter here
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            label = described(binding.description)
            found.append(FooterItem(key, key_display(self.app.get_key_display(binding)), label, binding.action,
                                    active.enabled, binding.priority or binding.action in wanted,
                                    described(active.tooltip) or label,
                                    active.node))
        return found

    def shown(self) -> list[FooterItem]:
        """The keys drawn at the current width."""
        return fit_items(self.items(), self.size.width or 80, gap=self.gap)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.update()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.update()

    def on_resize(self) -> None:
        self.update(force=True)

    def update(self, *, force: bool = False) -> None:
        """Redraw when a key shown, its label or whether it is enabled changed (or ``force``)."""
        items = tuple(self.items())
        if force or items != self._items:
            self._items = items
            self.refresh()

    # -- drawing -----------------------------------------------------------------------------------
    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="crop", end="")
        key_style = self.get_component_rich_style("footer--key", partial=True)
        label_style = self.get_component_rich_style("footer--description", partial=True)
        off_style = self.get_component_rich_style("footer--disabled", partial=True)
        self._spans = []
        line.append(" ")
        for n, item in enumerate(fit_items(list(self._items), self.size.width or 80, gap=self.gap)):
            if n:
                line.append(" " * self.gap)
            start = line.cell_len
            line.append(safe(item.shown), style=key_style if item.enabled else off_style)
            line.append(" " + safe(item.label), style=label_style if item.enabled else off_style)
            self._spans.append((start, line.cell_len, item))
        return line

    def _item_at(self, x: int) -> FooterItem | None:
        return next((item for start, end, item in self._spans if start <= x < end), None)

    async def on_click(self, event: events.Click) -> None:
        item = self._item_at(event.x)
        if item is not None and item.enabled:
            event.stop()
            await self.app.run_action(item.action, item.node)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._item_at(event.x)
        self.tooltip = item.tooltip if item is not None else None
