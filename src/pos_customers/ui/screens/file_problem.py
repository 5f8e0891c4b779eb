"""The till's file failed (damaged, read-only, full disk, busy): what happened and what to do.

At start, :class:`FileProblemScreen` takes the whole screen: the app cannot work on that file and
the only key is ctrl+q. In the running app, :class:`FileProblemModal` sits over the screen the
associate was on (a form keeps what was typed); Escape goes back to it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ...domain.i18n import N_, _, tr
from ...services.health import StorageError, failure_line, failure_title
from ..text import with_commands
from ..widgets.footer import KeysFooter


class FileProblemBox(Vertical):
    """What happened to the file, the one line that says what to do, and a hint for this screen."""

    DEFAULT_CSS = """
    FileProblemBox { height: auto; border: thick $error; padding: 1 2; background: $surface; }
    FileProblemBox #file-problem-title { text-style: bold; color: $error; margin-bottom: 1; }
    FileProblemBox #file-problem-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, error: StorageError, hint: str) -> None:
        super().__init__()
        self.error, self.hint = error, hint

    def compose(self) -> ComposeResult:
        yield Static(tr(failure_title(self.error)), id="file-problem-title", markup=False)
        yield Static(with_commands(tr(failure_line(self.error))), id="file-problem-line")  # a command in bold
        yield Static(self.hint, id="file-problem-hint", markup=False)


class FileProblemScreen(Screen[None]):
    """Nothing can be done on this file: say so, and how to get the store back to work."""

    BINDINGS = [Binding("ctrl+q", "app.quit", N_("Quit"), id="file_problem.quit", tooltip=N_("Close the app"))]
    DEFAULT_CSS = """
    FileProblemScreen { align: center middle; }
    FileProblemScreen > FileProblemBox { width: 76; max-width: 100%; }
    """

    def __init__(self, error: StorageError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        yield FileProblemBox(self.error, _("Nothing was changed. Tell whoever looks after this till; "
                                           "ctrl+q closes the app."))
        yield KeysFooter()


class FileProblemModal(ModalScreen[None]):
    """A save or a search failed on the file: the screen underneath keeps its state."""

    BINDINGS = [
        Binding("escape", "dismiss", N_("Back"), id="file_problem.back", tooltip=N_("Back to where you were")),
        Binding("enter", "dismiss", N_("Back"), show=False, id="file_problem.back_enter"),
    ]
    DEFAULT_CSS = """
    FileProblemModal { align: center middle; }
    FileProblemModal > FileProblemBox { width: 72; max-width: 95%; }
    """

    def __init__(self, error: StorageError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        yield FileProblemBox(self.error, _("Nothing was saved. Esc: back to where you were (what you typed "
                                           "is kept)."))
