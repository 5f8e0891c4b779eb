"""F12: the languages a catalog exists for, each in its own name (ui/language.py switches)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...domain import i18n
from ...domain.i18n import N_, _


def own_name(code: str) -> str:
    """A language's name in that language ("Deutsch", "Français"), for the list to choose from."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        name = code
    return name[:1].upper() + name[1:]


class LanguageModal(ModalScreen[str | None]):
    """The languages a catalog exists for, each in its own name; the current one is marked."""

    BINDINGS = [Binding("escape", "dismiss(None)", N_("Cancel"), id="language.cancel",
                        tooltip=N_("Keep the current language"))]
    DEFAULT_CSS = """
    LanguageModal { align: center middle; }
    LanguageModal > Vertical { width: 40; max-width: 100%; height: auto; max-height: 100%;
                               border: thick $primary; background: $surface; padding: 0 1; }
    LanguageModal #language-title { text-style: bold; }
    LanguageModal OptionList { height: auto; max-height: 14; }
    LanguageModal .hint { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        current = i18n.language()
        with Vertical():
            yield Label(_("Language"), id="language-title", markup=False)
            yield OptionList(*[Option(("✓ " if code == current else "  ") + own_name(code), id=code)
                               for code in i18n.available()], id="languages")
            yield Label(_("⏎ choose · Esc cancel"), classes="hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one("#languages", OptionList)
        codes = i18n.available()
        options.highlighted = codes.index(i18n.language()) if i18n.language() in codes else 0
        options.focus()

    @on(OptionList.OptionSelected, "#languages")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
