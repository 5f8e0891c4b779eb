"""Home: one search box, results as you type, Enter opens the customer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Label

from ...domain.enums import SyncState
from ...domain.formats import phone_text
from ...domain.i18n import N_, _, ngettext, tr
from ...domain.reference import format_reference
from ...services.auth import Permission
from ...services.search import (BLOCKED_MARK, SearchInterrupted, UnknownSegment, listed_name, search_customers,
                                unknown_segment_text)
from ..latest import Latest
from ..text import safe
from ..widgets.results import ResultsList
from ..widgets.footer import KeysFooter
from ..widgets.text_input import TextInput

if TYPE_CHECKING:
    from ...domain.customer import CustomerDraft
    from ...storage.search_index import SearchPage

SYNC_MARK = {SyncState.SYNCED: "✓", SyncState.PENDING: "↑", SyncState.CONFLICT: "!",
             SyncState.LOCAL: "×"}  # 80 columns: one mark
# a name found because it sounds alike or is one typo away is marked before it (issue 15)
MATCH_MARK = {"sounds_like": "≈ ", "typo": "~ "}
MATCH_LEGEND = N_("≈ alike ~ typo")
SYNC_WORDS = {SyncState.SYNCED: N_("synced"), SyncState.PENDING: N_("pending"), SyncState.CONFLICT: N_("conflict"),
              SyncState.LOCAL: N_("local")}  # the Sync column, 110 columns and wider
COLUMN_TITLES = {"Name": N_("Name"), "Reference": N_("Reference"), "Phone": N_("Phone"), "Email": N_("Email"),
                 "City": N_("City"), "Sync": N_("Sync")}
# a search longer than this (a cold cache, a very common prefix at a million customers) is stopped
# and handed to the screen's search thread, so that the screen never waits longer for one
INLINE_SECONDS = 0.05
_EMAIL = re.compile(r"\S+@\S+")
_PHONE = re.compile(r"^[\d\s+()\-./]*\d[\d\s+()\-./]*$")  # digits are never a name


def draft_from_query(text: str) -> CustomerDraft:
    """What an associate typed before deciding to create: email to email, digits to phone,
    words to names, capitalised as people write names (the last word, with its particles, is
    the last name: "jan de vries" -> Jan / de Vries; characters no name holds, as an emoji, left
    out); the associate corrects them in the form."""
    from ...domain.customer import CustomerDraft, EmailInput, PhoneInput
    from ...domain.names import split_typed_name
    from ...domain.search import split_segment_filters
    from ...domain.validation import name_characters

    text = split_segment_filters(text.strip())[0]  # seg:vip filters the search: not a name
    if _EMAIL.fullmatch(text):
        return CustomerDraft(emails=[EmailInput(text)])
    if _PHONE.match(text):
        return CustomerDraft(phones=[PhoneInput(text)])
    first, last = split_typed_name(name_characters(text))  # no emoji or symbols the form would refuse
    return CustomerDraft(first_name=first, last_name=last)


class SearchScreen(Screen):
    AUTO_FOCUS = "#query"
    APP_KEYS = ("all_stores", "sync")  # F5 looks for the typed text at headquarters; F8
    BINDINGS = [
        Binding("f2", "new_customer", N_("New customer"), id="search.new",
                tooltip=N_("Create a customer, pre-filled with what you typed")),
        Binding("down", "to_results", N_("Results"), show=False, id="search.to_results"),
        Binding("escape", "clear", N_("Clear"), id="search.clear", tooltip=N_("Clear the search box")),
        # the footer drops the last first at 80 columns (the status line says when F3 shows more)
        Binding("f9", "back_office", N_("Back office"), id="search.back_office",
                tooltip=N_("Template, address purposes, reference data, associates, audit")),
        Binding("f3", "more", N_("More results"), id="search.more", tooltip=N_("Load the next page")),
    ]
    DEFAULT_CSS = """
    SearchScreen #query { margin: 0 1; }
    SearchScreen #status { margin: 0 2; color: $text-muted; height: auto; max-height: 3; width: 1fr; }
    SearchScreen ResultsList { height: 1fr; margin: 0 1; }
    """

    def __init__(self, first_page: SearchPage | None = None) -> None:
        super().__init__()
        self._first_page = first_page  # recent customers, fetched during the sign-in
        self._timer: Timer | None = None
        self._last_key = float("-inf")
        self._left = False  # another screen was on top since: refresh on return
        self._widths: dict[str, int] | None = None  # the columns as last fitted to the terminal
        self._shown_query: str | None = None
        self._rows: list = []
        self._has_more = False
        self._status_tall = False  # the status line holds more than one line of text
        self.searches = Latest("search")  # one long-lived thread: the newest query of the box

    class Found(Message):
        """A search's answer, from the search thread: a page, or the error it ended with."""

        def __init__(self, query: str, page: SearchPage | None, open_first: bool, offset: int,
                     error: Exception | None = None) -> None:
            super().__init__()
            self.query, self.page, self.open_first, self.offset, self.error = query, page, open_first, offset, error

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TextInput(id="query", placeholder=_("Name, email, phone, reference or card number"))
        yield Label("", id="status", markup=False)
        yield ResultsList(id="results")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.sub_title = self.app.header_text()
        self._columns_for(self.size.width)
        if self._first_page is not None:
            page, self._first_page = self._first_page, None
            self._show("", page, False, 0)
        else:
            self.run_search("")

    def on_resize(self, event) -> None:
        if self._columns_for(event.size.width):
            self._refill()

    def _columns_for(self, width: int) -> bool:
        """Fit the six columns to the terminal: names and emails get what is left."""
        wide = width >= 110
        # a standalone till has no sync: no Sync column (its room goes to the city)
        synced = self.app.connected
        fixed = {"Reference": 11, "Phone": 14, "City": (16 if wide else 8) + (0 if synced else 2)}
        if synced:
            fixed["Sync"] = 8 if wide else 1
        rest = max(20, width - 6 - 2 * (len(fixed) + 2) - sum(fixed.values()))  # margins, padding
        name = rest * 4 // 7  # 16 of 28 at 80 columns: "Maximilian Meier" whole
        widths = {"Name": name, **fixed, "Email": rest - name}
        order = ("Name", "Reference", "Phone", "Email", "City") + (("Sync",) if synced else ())
        if self._widths == widths:
            return False
        self._widths = widths
        self.query_one("#results", ResultsList).set_columns(
            [("S" if name == "Sync" and not wide else tr(COLUMN_TITLES[name]), widths[name]) for name in order],
            names=(0,), phones=(2,))  # a name too long keeps its surname (what was searched for):
        # "Maximil… Meier"; a phone number its digits
        return True

    def retranslate(self) -> None:
        """The reader chose another language: the header, the box's hint, the column titles, the
        status line and the keys again; what was typed and the cursor stay."""
        self.sub_title = self.app.header_text()
        self.query_one("#query", Input).placeholder = _("Name, email, phone, reference or card number")
        self._widths = None
        self._columns_for(self.size.width)
        self._refill()
        self.refresh_bindings()
        if self._shown_query is not None:
            self.run_search(self.query_one("#query", Input).value)

    def _refill(self) -> None:
        """The sync column changed between a mark and a word: the cells are made again."""
        results = self.query_one("#results", ResultsList)
        cursor = results.cursor_row
        results.set_rows([self._cells(r) for r in self._rows])
        results.move_cursor(cursor)

    def on_screen_suspend(self) -> None:
        """A card opens over the search. When it closes the query is still in the box, selected:
        a new name typed then replaces it (End or an arrow keeps it to go on)."""
        self._left = True
        box = self.query_one("#query", Input)
        if self.focused is box and box.value:
            box.select_all()

    def on_screen_resume(self) -> None:
        # back from a customer card: refresh what is shown (names or sync states may have changed)
        if self._left and self._shown_query is not None:
            self.run_search(self.query_one("#query", Input).value)

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        """The first key after a pause searches at once; keys that follow it within the debounce
        (a scanner, a paste, a very fast typist) wait for the burst to end: one search for it."""
        if self._timer is not None:
            self._timer.stop()
        debounce = self.app.config.debounce_ms / 1000
        now = time.monotonic()
        if now - self._last_key >= debounce:
            self._timer = None
            self.run_search(event.value)
        else:
            self._timer = self.set_timer(debounce, lambda: self.run_search(event.value))
        self._last_key = now

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        query = self.query_one("#query", Input).value
        if query != self._shown_query:
            self.run_search(query, open_first=True)
        else:
            self._open_current()

    def run_search(self, query: str, open_first: bool = False, offset: int = 0) -> None:
        """At once, here, when it takes at most INLINE_SECONDS (almost every search: a few ms at a
        million customers); a longer one is stopped and handed to the screen's search thread.
        Handing every search to a thread cost two thread switches per key: on a busy till each
        waits for the operating system to run the other thread (bench/ui.py: 5 to 15 ms of a
        keystroke's 20 to 40 ms at 1M, with the search itself 2 to 3 ms)."""
        services, actor = self.app.services, self.app.actor
        if INLINE_SECONDS > 0:
            try:
                page = search_customers(services, actor, query, limit=50, offset=offset, within=INLINE_SECONDS)
            except SearchInterrupted:
                pass  # the thread runs it again, without a limit
            except Exception as exc:  # noqa: BLE001 - shown as the thread's answers are
                self._found(self.Found(query, None, open_first, offset, exc))
                return
            else:
                self._show(query, page, open_first, offset)
                return
        self.searches.submit(self._search, services, actor, query, open_first, offset)

    def _search(self, services, actor, query: str, open_first: bool, offset: int) -> None:
        """On the search thread: the answer goes to the screen as a message (post_message is
        thread-safe); an answer already superseded by a newer key is not sent."""
        try:
            page = search_customers(services, actor, query, limit=50, offset=offset)
        except Exception as exc:  # noqa: BLE001 - shown by the screen (a damaged file: what to do)
            if not self.searches.superseded():
                self.post_message(self.Found(query, None, open_first, offset, exc))
            return
        if not self.searches.superseded():  # a newer query is on its way: never show a stale result
            self.post_message(self.Found(query, page, open_first, offset))

    @on(Found)
    def _found(self, found: Found) -> None:
        if isinstance(found.error, UnknownSegment):  # seg:CODE of no segment this till knows: say so
            self._unknown_segment(found.query, found.error)
        elif found.error is not None:
            problem = self.app._problem_of(found.error)
            if problem is None:
                raise found.error  # a bug: Textual's handler ends the app, as for any handler
            self.app.show_file_problem(problem)
        else:
            self._show(found.query, found.page, found.open_first, found.offset)

    def on_unmount(self) -> None:
        self.searches.close()

    def _show(self, query: str, page, open_first: bool, offset: int) -> None:
        # results on screen (after this paint): background loading may go on
        self.call_after_refresh(self.app.foreground_idle)
        if query != self.query_one("#query", Input).value:
            return  # typed on since: a stale answer never replaces a newer one
        results = self.query_one("#results", ResultsList)
        if offset == 0:
            # the same query again (back from a card): the cursor stays on the same customer
            keep = (self._rows[results.cursor_row].customer_id
                    if query == self._shown_query and results.cursor_row < len(self._rows) else None)
            self._rows = list(page.rows)
            results.set_rows([self._cells(r) for r in page.rows])
            if keep is not None:
                results.move_cursor(next((i for i, r in enumerate(self._rows) if r.customer_id == keep), 0))
        else:
            self._rows += page.rows
            results.add_rows([self._cells(r) for r in page.rows])
        self._shown_query = query
        self._set_has_more(page.has_more)
        status = self.query_one("#status", Label)
        if self._status_tall:  # a long line before (an unknown seg: word): back to one line
            self._status_tall = False
            status.update("")  # a relayout, once
        legend = ("" if self._widths.get("Sync", 8) > 1
                  else "   " + _("S: ✓ synced ↑ to send ! conflict"))  # fits 80 columns
        if any(r.status == "blocked" for r in self._rows):
            legend += "   " + _("{mark} blocked").format(mark=BLOCKED_MARK)
        n = len(self._rows)
        if not self._rows and query.strip():
            typed = query.strip()
            typed = typed if len(typed) <= 24 else typed[:23] + "…"  # the hint after it stays in view
            status.update(safe(_("No customer matches “{typed}”: F2 creates one from it.").format(typed=typed)),
                          layout=False)  # fixed size: no relayout, a faster paint
        elif not query.strip():
            count = f"{n}+" if page.has_more else str(n)
            status.update(_("Recent customers of this store ({count})").format(count=count) + legend, layout=False)
        else:
            if any(r.matched_by in MATCH_MARK for r in self._rows):
                legend += "  " + tr(MATCH_LEGEND)
            found = (ngettext("{n} found, F3 shows more", "{n} found, F3 shows more", n) if page.has_more
                     else ngettext("{n} found", "{n} found", n))
            status.update(found.format(n=n) + legend, layout=False)
        if open_first and self._rows:
            self.app.open_customer(self._rows[0].customer_id)

    def _unknown_segment(self, query: str, exc: UnknownSegment) -> None:
        if query != self.query_one("#query", Input).value:
            return
        self._rows, self._shown_query = [], query
        self._set_has_more(False)
        self.query_one("#results", ResultsList).set_rows([])
        # a sentence that may take two lines at 80 columns (wrapped, not cut): a relayout
        self._status_tall = True
        self.query_one("#status", Label).update(safe(tr(unknown_segment_text(exc))))

    def _cells(self, r) -> tuple[str, Callable[[], tuple[str, ...]]]:
        """One result as the list shows it (plain text: never markup), made when the list first
        draws it: a phone number is formatted for the rows on screen only (50 a page, 20 shown)."""
        sync_width = self._widths.get("Sync")

        def cells() -> tuple[str, ...]:
            shown = (MATCH_MARK.get(r.matched_by, "") + listed_name(r), format_reference(r.reference),
                     phone_text(r.primary_phone), r.primary_email, r.city)
            if sync_width is None:
                return shown
            return (*shown, tr(SYNC_WORDS.get(r.sync_state, r.sync_state)) if sync_width > 1
                    else SYNC_MARK.get(r.sync_state, "?"))
        return r.customer_id, cells

    def _open_current(self) -> None:
        results = self.query_one("#results", ResultsList)
        if self._rows:
            row = min(results.cursor_row, len(self._rows) - 1)
            self.app.open_customer(self._rows[max(row, 0)].customer_id)

    @on(ResultsList.Selected, "#results")
    def _selected(self, event: ResultsList.Selected) -> None:
        self.app.open_customer(event.key)

    @on(ResultsList.UpFromTop, "#results")
    def _up_from_top(self) -> None:
        self.set_focus(self.query_one("#query", Input))

    def action_to_results(self) -> None:
        # set_focus at once (not focus(), which waits a turn): "↓↓" typed fast lands on row 2
        results = self.query_one("#results", ResultsList)
        if self.focused is self.query_one("#query", Input) and results.row_count:
            self.set_focus(results)

    def on_key(self, event: events.Key) -> None:
        """A letter, digit or sign typed on the results list starts a new search with it (back from a
        card, the list still has the cursor): the key is never lost. Backspace edits the query."""
        if not isinstance(self.focused, ResultsList):
            return
        box = self.query_one("#query", TextInput)
        if event.key == "backspace":
            box.take_over(box.value[:-1])
        elif event.is_printable and event.character and not event.character.isspace():
            box.take_over(event.character)
        else:
            return
        event.stop()
        event.prevent_default()

    def action_clear(self) -> None:
        box = self.query_one("#query", Input)
        box.value = ""
        box.focus()

    def action_more(self) -> None:
        if self._has_more and self._shown_query is not None:
            self.run_search(self._shown_query, offset=len(self._rows))

    def _set_has_more(self, more: bool) -> None:
        """F3 is in the footer only while there are more results to show (the keys redrawn only
        when that changes, not at every keystroke's results)."""
        if more != self._has_more:
            self._has_more = more
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "back_office":
            return self.app.actor is not None and self.app.actor.can(Permission.CONFIGURE_STORE)
        if action == "more":
            return self._has_more
        return True

    def action_back_office(self) -> None:
        self.app.back_office()

    def action_new_customer(self) -> None:
        self.app.new_customer(draft_from_query(self.query_one("#query", Input).value))

    def all_stores(self) -> None:
        """F5 (an app key): the typed text, looked for at headquarters."""
        from .sync import RemoteSearchScreen

        text = self.query_one("#query", Input).value.strip()
        if not text:
            self.notify(_("Type a name, email, phone or reference first, then F5."), severity="warning")
            return

        def opened(customer_id: str | None) -> None:
            if customer_id:
                self.app.open_customer(customer_id)

        self.app.push_screen(RemoteSearchScreen(text), opened)
