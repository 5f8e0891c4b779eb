"""F1: every key of the screen underneath, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

from ..text import plain


class KeysScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="keys.close", tooltip="Close this list")]
    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen > Vertical { width: 70; max-width: 100%; height: 80%; border: thick $primary; background: $surface; }
    KeysScreen DataTable { height: 1fr; }
    """

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Keys of this screen", markup=False)
            table = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Does")
            seen = set()
            keymap = self.app._keymap if hasattr(self.app, "_keymap") else {}
            # the focused widget's own keys and its containers' (a tab of the card), then the screen's
            # and the app's; widgets' built-in keys (no id) are the widgets' business
            focused = self.under.focused
            chain = [w for w in (focused.ancestors_with_self if focused else [])
                     if w is not self.under and w is not self.app]
            for node in (*chain, self.under, self.app):
                for binding in node.BINDINGS:
                    if not isinstance(binding, Binding) or not binding.description:
                        continue
                    if node in chain and not binding.id:
                        continue
                    if node.check_action(binding.action, ()) is False:
                        continue  # not for this associate's role, or not now
                    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                    if (keys, binding.description) in seen:
                        continue
                    seen.add((keys, binding.description))
                    table.add_row(plain(keys),
                                  plain(binding.tooltip or binding.description))
            table.add_row("ctrl+p", "Command palette: every action by name")
            yield table
            yield Label("esc closes", markup=False)
