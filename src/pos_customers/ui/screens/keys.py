"""F1: every key of the screen underneath, with what it does; and the keys of the open customers
(the app's bindings with ids ``desk.*``, rebound in config.toml's [keymap] like the others)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label

from ...domain.i18n import N_, _, tr
from ..text import safe
from ..widgets.footer import described

# Several customers open at once (ui/desk.py). Textual reads alt+digit and ctrl+tab only from
# terminals that speak the kitty keyboard protocol (kitty, foot, WezTerm, Ghostty; ctrl+tab also
# where xterm's modifyOtherKeys is on): elsewhere alt+1 arrives as ESC 1, which Textual turns into
# "¡", and ctrl+tab as a plain Tab. So every switch also has a key every terminal sends, over SSH
# and on the Linux console: F7 / shift+F7 go round the open customers.
DESK_GO = "desk_go"  # alt+N: the strip's place N
DESK_BINDINGS = [
    Binding("alt+0", f"{DESK_GO}(0)", "", show=False, priority=True, id="desk.search",
            tooltip=N_("Back to the search; the open customers stay open")),
    *[Binding(f"alt+{n}", f"{DESK_GO}({n})", "", show=False, priority=True, id=f"desk.customer_{n}")
      for n in range(1, 10)],
    Binding("f7,ctrl+tab", "desk_step(1)", N_("Next open"), show=False, priority=True,
            id="desk.next", tooltip=N_("Next open customer (the search counts as one), in the strip's order")),
    Binding("shift+f7,ctrl+shift+tab", "desk_step(-1)", N_("Previous open"), show=False,
            priority=True, id="desk.previous", tooltip=N_("Previous open customer, in the strip's order")),
    Binding("ctrl+w", "desk_close", N_("Close customer"), show=False, priority=True, id="desk.close",
            tooltip=N_("Close this customer (asks first when a form has unsaved changes)")),
]
DESK_GO_ROW = N_("Go to the search (0) or to open customer 1 … 9: the numbers of the strip "
                 "under the header")


class KeysScreen(ModalScreen[None]):
    """Every key of the screen underneath with what it does, each line wrapped to the box (never
    cut), the list scrolled with the arrows and Page up/down; no row cursor: nothing to choose."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", N_("Close"), id="keys.close", tooltip=N_("Close this list"))]
    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen > Vertical { width: 70; max-width: 100%; height: 90%; border: thick $primary; background: $surface; }
    KeysScreen #keys-title { text-style: bold; padding: 0 1; }
    KeysScreen DataTable { height: 1fr; }
    KeysScreen #keys-hint { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every key of the screen underneath, in the current language."""
        found: list[tuple[str, str]] = []
        seen = set()
        keymap = getattr(self.app, "keymap", {})
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
                found.append((keys, described(binding.tooltip or binding.description)))
        if getattr(self.app, "desk_in_use", False):
            first, last = (keymap.get(f"desk.{n}", key) for n, key in (("search", "alt+0"),
                                                                        ("customer_9", "alt+9")))
            found.append((f"{first} … {last}", tr(DESK_GO_ROW)))
        found.append(("ctrl+p", _("Command palette: every action by name")))
        return found

    def _shown(self, key: str) -> str:
        """A key as the footer shows it ("F2", "Esc", "↓", "+"); with modifiers as written, the
        function key in capitals ("shift+F7", "ctrl+shift+tab")."""
        from ..widgets.footer import key_display

        if key.startswith("ctrl+") and len(key) == 6:
            return "^" + key[-1]  # as the footer writes it (^s)
        if "+" in key[:-1]:
            *mods, last = key.split("+")
            return "+".join([*mods, key_display(last)])
        return key_display(self.app.get_key_display(Binding(key, "")))

    def compose(self) -> ComposeResult:
        from rich.cells import cell_len
        from rich.text import Text
        from textual.widgets import DataTable  # here: the app imports this module's keymap at start

        rows = self.rows()
        box = min(70, self.app.size.width)
        # keys wrap after their commas ("shift+f7, ctrl+shift+tab"): the descriptions keep the room
        # each key as the footer shows it (Esc, ^q, F1, ↓)
        rows = [(", ".join(self._shown(k.strip()) for k in keys.split(",") if k.strip()), does)
                for keys, does in rows]
        key_width = min(max([cell_len(_("Key"))] + [cell_len(k) for k, _does in rows]), 14)  # the title whole
        # the box's border (2), each column's padding (2 + 2), the scroll bar (2)
        does_width = max(box - 2 - 4 - 2 - key_width, 20)
        with Vertical():
            yield Label(_("Keys of this screen"), id="keys-title", markup=False)
            table = DataTable(cursor_type="none", zebra_stripes=True, show_cursor=False)
            table.add_column(_("Key"), width=key_width)
            table.add_column(_("Does"), width=does_width)
            for keys, does in rows:
                table.add_row(Text(safe(keys)), Text(safe(does)), height=None)
            yield table
            yield Label(_("Esc closes · ↑↓ scroll"), id="keys-hint", markup=False)

    def on_mount(self) -> None:
        from textual.widgets import DataTable

        self.query_one(DataTable).focus()
