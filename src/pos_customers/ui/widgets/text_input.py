"""The app's one text box: Textual's Input, with every key applied in the order it was typed.

Textual's Input inserts a printable key as soon as it reads it, but its editing keys (Backspace,
Delete, Home, End, the arrows, ctrl+w, ctrl+u, ctrl+k, Enter …) are bindings: the key travels up
through every container to the app, which then runs the binding. Keys that arrive in one burst
(tmux send-keys, a scanner, keys bunched up over SSH) are all queued on the box first, so the
printable keys after an editing key overtook it: "a⌫stefan@x.org" was saved as "astefan@x.or".

TextInput runs its own bindings itself, when it reads the key, between the printable keys around
it. Which action a key runs is unchanged: the box's own binding was already the first one Textual
tried for it (priority bindings run before the key reaches the box, as before). A key the box has
no binding for, or whose action declines (Down in a one-line box: no scrolling), still travels up
to the screen and the app as before.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input


def _own_keys(cls: type[DOMNode]) -> dict[str, list[Binding]]:
    """The class's bindings by key, merged along its bases as Textual merges them (a subclass's
    binding for a key replaces its base's): Input's editing keys over ScrollView's scrolling."""
    keys: dict[str, list[Binding]] = {}
    for base in reversed(cls.__mro__):
        if issubclass(base, DOMNode) and "BINDINGS" in base.__dict__:
            keys.update(BindingsMap(base.__dict__["BINDINGS"]).key_to_bindings)
    return keys


class TextInput(Input):
    """Every text box of the app (search, forms, sign-in dialogs, back office): see the module."""

    _keys: dict[str, list[Binding]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._keys = _own_keys(cls)

    def _watch_value(self, value: str) -> None:
        """A box of fixed size (every box of the app) keeps its size as its text grows: its
        scrollable width follows the text without a new layout of the whole screen. Input lays
        the screen out again on every key (its virtual size is a layout reactive), which also
        repaints every widget on it, the header and the footer too (bench/ui.py)."""
        if not self.styles.auto_dimensions:
            self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)

    _select_later: bool | None = None

    def take_over(self, value: str) -> None:
        """Go on typing here what was typed elsewhere (a key on the search's results list): the box
        holds ``value``, focused with the cursor at its end and nothing selected, so the keys that
        follow in the same burst add to it instead of replacing it."""
        self.value = value
        self.cursor_position = len(value)
        if self.screen.focused is self:
            return
        self._select_later, self.select_on_focus = self.select_on_focus, False
        self.screen.set_focus(self)

    def _on_focus(self, event: events.Focus) -> None:
        # runs before Input's own focus handler, which selects everything unless told not to
        if self._select_later is not None:
            self.call_next(setattr, self, "select_on_focus", self._select_later)
            self._select_later = None

    async def on_key(self, event: events.Key) -> None:
        if event.is_printable:
            return  # Input inserts it, now
        for binding in self._keys.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # done: neither Input nor the app runs it again
                return


TextInput._keys = _own_keys(TextInput)
