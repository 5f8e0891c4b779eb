"""Textual's Footer, rebuilt only when the keys it shows change.

The stock Footer throws away and mounts again every key widget whenever the screen's bindings
are refreshed: on each focus change and screen resume, five times while the search screen
appears after a sign-in, though the keys shown are the same. Here that rebuild is skipped
unless a key shown, its label or whether it is enabled changed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer


class KeysFooter(Footer):
    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """What the footer shows: the bindings marked to show, and the command palette key."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple((key, binding.description, binding.action, enabled, tooltip)
                     for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
                     if binding.show or key == palette)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys()
        yield from super().compose()

    async def recompose(self) -> None:
        if self._shown is not None and self.is_attached and self._keys() == self._shown:
            return
        await super().recompose()
