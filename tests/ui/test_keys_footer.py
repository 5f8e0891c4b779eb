"""The footer keeps its key widgets while the keys it shows stay the same."""

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from pos_customers.ui.widgets.footer import KeysFooter


class Harness(App):
    BINDINGS = [Binding("f2", "new", "New"), Binding("f3", "more", "More")]
    more = False

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b")
        yield KeysFooter()

    def check_action(self, action: str, parameters) -> bool | None:
        return self.more if action == "more" else True


def keys(app) -> list[FooterKey]:
    return list(app.query(FooterKey))


async def test_focus_changes_keep_the_keys_and_a_new_key_rebuilds_them():
    app = Harness()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        before = keys(app)
        assert [k.key for k in before if k.key in ("f2", "f3")] == ["f2"]
        for target in ("#b", "#a", "#b"):
            app.query_one(target).focus()
            await pilot.pause()
        assert keys(app) == before  # the same widgets: nothing was rebuilt
        app.more = True
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert [k.key for k in keys(app) if k.key in ("f2", "f3")] == ["f2", "f3"]
