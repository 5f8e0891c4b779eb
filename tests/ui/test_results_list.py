"""The search results list: cells fitted to their columns, the cursor, scrolling, selecting."""

from textual.app import App, ComposeResult

from pos_customers.ui.widgets.results import ResultsList, fit

COLUMNS = [("Name", 12), ("Phone", 6)]


class Harness(App):
    def __init__(self, rows) -> None:
        super().__init__()
        self.rows = rows
        self.selected: list[str] = []
        self.up_from_top = 0

    def compose(self) -> ComposeResult:
        yield ResultsList(id="results")

    def on_mount(self) -> None:
        results = self.query_one(ResultsList)
        results.set_columns(COLUMNS)
        results.set_rows(self.rows)
        results.focus()

    def on_results_list_selected(self, event: ResultsList.Selected) -> None:
        self.selected.append(event.key)

    def on_results_list_up_from_top(self) -> None:
        self.up_from_top += 1


def rows(n: int):
    return [(f"id{i}", (f"Customer {i}", str(i))) for i in range(n)]


def test_fit_pads_cuts_and_counts_wide_characters():
    assert fit("Ann", 5) == "Ann  "
    assert fit("Annabelle", 5) == "Anna…"
    assert fit("😀😀😀", 4) == "😀…" + " "  # an emoji takes two cells: never half of one
    assert fit("a\tb\nc", 6) == "a\ufffdb\ufffdc "  # controls: the one sanitizer (ui.text.safe)
    assert fit("Ann\u202eeL", 7) == "Ann\ufffdeL "
    assert fit("x" * 5000, 3) == "xx…"


async def test_lines_show_the_header_and_rows_as_typed():
    app = Harness([("k", ("[b]Ann", "0151"))])
    async with app.run_test(size=(40, 6)):
        results = app.query_one(ResultsList)
        assert results.render_line(0).text.startswith(" Name ")
        assert results.render_line(1).text.startswith(" [b]Ann ")
        assert results.render_line(2).text.strip() == ""


async def test_cursor_scrolls_and_enter_selects():
    app = Harness(rows(30))
    async with app.run_test(size=(40, 8)) as pilot:
        results = app.query_one(ResultsList)
        await pilot.press(*["down"] * 12)
        assert results.cursor_row == 12
        assert results.scroll_offset.y > 0  # the cursor row stays on screen
        first_shown = int(results.scroll_offset.y)
        assert results.render_line(1).text.strip().startswith(f"Customer {first_shown}")
        await pilot.press("end")
        assert results.cursor_row == 29
        await pilot.press("home", "enter")
        assert app.selected == ["id0"]
        await pilot.press("up")
        assert app.up_from_top == 1 and results.cursor_row == 0


async def test_a_double_click_opens_the_row():
    app = Harness(rows(5))
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.click(ResultsList, offset=(2, 3), times=2)
        assert app.query_one(ResultsList).cursor_row == 2
        assert app.selected == ["id2"]


async def test_new_rows_put_the_cursor_back_on_top():
    app = Harness(rows(20))
    async with app.run_test(size=(40, 8)) as pilot:
        results = app.query_one(ResultsList)
        await pilot.press("pagedown")
        assert results.cursor_row > 0
        results.set_rows(rows(3))
        await pilot.pause()
        assert results.cursor_row == 0 and results.scroll_offset.y == 0 and results.row_count == 3
