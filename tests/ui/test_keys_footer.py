"""The footer draws the keys of the screen in one line, redrawn only when they change."""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from pos_customers.ui.widgets.footer import KeysFooter


class Harness(App):
    BINDINGS = [Binding("f2", "new", "New"), Binding("f3", "more", "More"), Binding("f1", "keys", "Keys")]
    more = False
    ran: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b")
        yield KeysFooter()

    def check_action(self, action: str, parameters) -> bool | None:
        return self.more if action == "more" else True

    def action_new(self) -> None:
        self.ran.append("new")


async def test_focus_changes_keep_the_keys_and_a_new_key_redraws_them():
    app = Harness()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        footer = app.query_one(KeysFooter)
        assert [k.key for k in footer.shown()] == ["f2", "f1"]
        drawn = footer._items
        for target in ("#b", "#a", "#b"):
            app.query_one(target).focus()
            await pilot.pause()
        assert footer._items is drawn  # the same keys: nothing to draw again
        app.more = True
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert [k.key for k in footer.shown()] == ["f2", "f3", "f1"]
        assert str(footer.render()).strip() == "F2 New  F3 More  F1 Keys"
        await pilot.click(KeysFooter, offset=(2, 0))  # a click on a key runs it
        await pilot.pause()
        assert app.ran == ["new"]
