"""F1: every key of the screen underneath, with what it does; and the keys of the open customers
(the app's bindings with ids ``desk.*``, rebound in config.toml's [keymap] like the others)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label

from ..text import plain

# Several customers open at once (ui/desk.py). Textual reads alt+digit and ctrl+tab only from
# terminals that speak the kitty keyboard protocol (kitty, foot, WezTerm, Ghostty; ctrl+tab also
# where xterm's modifyOtherKeys is on): elsewhere alt+1 arrives as ESC 1, which Textual turns into
# "¡", and ctrl+tab as a plain Tab. So every switch also has a key every terminal sends, over SSH
# and on the Linux console: F7 / shift+F7 go round the open customers.
DESK_GO = "desk_go"  # alt+N: the strip's place N
DESK_BINDINGS = [
    Binding("alt+0", f"{DESK_GO}(0)", "", show=False, priority=True, id="desk.search",
            tooltip="Back to the search; the open customers stay open"),
    *[Binding(f"alt+{n}", f"{DESK_GO}({n})", "", show=False, priority=True, id=f"desk.customer_{n}")
      for n in range(1, 10)],
    Binding("f7,ctrl+tab", "desk_step(1)", "Next open", show=False, priority=True,
            id="desk.next", tooltip="Next open customer (the search counts as one), in the strip's order"),
    Binding("shift+f7,ctrl+shift+tab", "desk_step(-1)", "Previous open", show=False,
            priority=True, id="desk.previous", tooltip="Previous open customer, in the strip's order"),
    Binding("ctrl+w", "desk_close", "Close customer", show=False, priority=True, id="desk.close",
            tooltip="Close this customer (asks first when a form has unsaved changes)"),
]
DESK_GO_ROW = ("Go to the search (0) or to open customer 1 … 9: the numbers of the strip "
               "under the header")


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
        from textual.widgets import DataTable  # here: the app imports this module's keymap at start

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
            if getattr(self.app, "desk_in_use", False):
                first, last = (keymap.get(f"desk.{n}", key) for n, key in (("search", "alt+0"),
                                                                            ("customer_9", "alt+9")))
                table.add_row(plain(f"{first} … {last}"), plain(DESK_GO_ROW))
            table.add_row("ctrl+p", "Command palette: every action by name")
            yield table
            yield Label("esc closes", markup=False)
