"""The terminal app at scale, headless, through the real screens.

Prints, for a 1,000,000-customer store:
- keystroke to rendered results (p50/p95 ms), typing realistic queries one key at a time;
- cold start of the real command (`pos-customers --db PATH`, run headless at 80x24): from
  process start to the first paint that shows the sign-in form ready for keys, and to the first
  paint that shows the search box focused with results, after a sign-in typed at once. Next to
  it, in the same run and interleaved with it, two bare Textual apps that open no database and
  check no PIN: one with the app's two screens (the sign-in form; then Header, Input, Label, the
  results list with 50 rows, the footer; the same keys, texts, column widths and theme), Enter
  switching at once; one with the search screen only. The target compares with the first;
- memory (peak RSS) of the app process after the typing run.

    uv run python bench/ui.py --customers 1000000 --starts 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"

# Each start script prints, in ms from the parent's clock, the first paint at which the screen
# shows the state named: the check runs in the display call, so what it sees is what was drawn.
WATCH = r"""
import asyncio, sys, time
T0 = float(sys.argv[1])
def watch(app, **states):
    seen, display = {}, app._display
    def paint(screen, renderable):
        display(screen, renderable)
        if renderable is None or app._batch_count:
            return  # nothing was drawn
        now = time.perf_counter()
        for name, ready in states.items():
            if name not in seen and ready():
                seen[name] = (now - T0) * 1000
    app._display = paint
    return seen
async def until(seen, name):
    while name not in seen:
        await asyncio.sleep(0.0005)
async def sign_in_at_once(app, seen):
    from textual import events
    await until(seen, "form")
    for key in [*"1002", "enter", *"1357", "enter"]:  # typed as fast as the terminal delivers
        app.post_message(events.Key(key, key if len(key) == 1 else None))
    await until(seen, "search")
"""

# the search screen's widgets and footer keys, one action each (the footer shows one key per action)
# The bare apps: the app's widgets, keys (one action each: the footer shows one key per action),
# texts, column widths and theme, and nothing else.
BARE_SEARCH = r"""
import os
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Label
from pos_customers.ui.widgets.footer import KeysFooter
from pos_customers.ui.widgets.results import ResultsList
class Search(Screen):
    AUTO_FOCUS = "#query"
    BINDINGS = [(k, f"app.noop({i})", d) for i, (k, d) in enumerate([
        ("f2", "New customer"), ("escape", "Clear"), ("f3", "More results"), ("f5", "All stores"),
        ("f8", "Sync"), ("f9", "Back office")])] + [Binding("down", "app.noop(9)", "Results", show=False)]
    DEFAULT_CSS = SEARCH_CSS.replace("SearchScreen", "Search")
    def compose(self):
        yield Header(); yield Input(id="query", placeholder="Name, email, phone, reference or card number")
        yield Label("", id="status"); yield ResultsList(id="results"); yield KeysFooter()
    def on_mount(self):
        self.sub_title = "Berlin Alexanderplatz · Jonas Becker (associate)"
        t = self.query_one(ResultsList)
        t.set_columns([("Name", 15), ("Reference", 11), ("Phone", 14), ("Email", 13), ("City", 8), ("S", 1)])
        t.set_rows([(str(i), (f"Customer {i}", "ABC-DEF-GHJ", "0151 23456789", "someone@example.org",
                              "Berlin", "✓")) for i in range(50)])
        self.query_one("#status", Label).update(
            "Recent customers of this store (50+)   S: ✓ synced ↑ waiting for HQ ! conflict", layout=False)
def search_ready(app):
    return (isinstance(app.screen, Search) and app.screen.query_one(ResultsList).row_count
            and isinstance(app.focused, Input))
class BareApp(App):
    TITLE = "pos-customers"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True), ("f1", "noop(7)", "Keys"),
                ("ctrl+l", "lock", "Lock")]
    def __init__(self):
        super().__init__()
        truecolor = os.environ.get("COLORTERM", "") in ("truecolor", "24bit")
        self.theme = "textual-dark" if truecolor else "ansi-dark"
    def action_noop(self, n): pass
    def action_lock(self): pass
    def check_action(self, action, parameters):
        return action != "lock" or isinstance(self.screen, Search)
"""

BARE_APP = WATCH + BARE_SEARCH + r"""
class Bare(BareApp):
    def get_default_screen(self): return Search()
async def main():
    app = Bare()
    seen = watch(app, search=lambda: search_ready(app))
    async with app.run_test(size=(80, 24)):
        await until(seen, "search")
    print(seen["search"])
asyncio.run(main())
"""

# the app's two screens without the app: the sign-in form's widgets, Enter switches at once
BARE_SIGN_IN_APP = WATCH + BARE_SEARCH + r"""
from textual.containers import Vertical
from textual.widgets import Static
from pos_customers.ui.widgets.sign_in_form import SignInForm
class SignIn(Screen):
    AUTO_FOCUS = "SignInForm"
    BINDINGS = [("ctrl+q", "app.quit", "Quit")]
    DEFAULT_CSS = SIGN_IN_CSS.replace("SignInScreen", "SignIn")
    def compose(self):
        with Vertical(id="box"):
            yield Static("pos-customers · Berlin Alexanderplatz", id="title"); yield Static("", id="locked")
            yield SignInForm(); yield Static("", id="error")
            yield Static("⏎ next · Tab/↑↓ switch field · Esc clear", classes="hint")
        yield KeysFooter()
    def on_sign_in_form_submitted(self, event):
        self.app.add_mode("desk", lambda: self.app.styled(Search()))
        self.app.switch_mode("desk")
class Bare(BareApp):
    def styled(self, screen):  # as the app does: no stylesheet rebuild on a mode's first switch
        screen._css_update_count = self._css_update_count
        return screen
    def on_mount(self):
        self.add_mode("lock", lambda: self.styled(SignIn()))
        self.switch_mode("lock")
async def main():
    app = Bare()
    seen = watch(app, form=lambda: isinstance(app.focused, SignInForm), search=lambda: search_ready(app))
    async with app.run_test(size=(80, 24)):
        await sign_in_at_once(app, seen)
    print(seen["form"], seen["search"])
asyncio.run(main())
"""

# the real command, `pos-customers --db PATH`, with the app run headless at 80x24
OUR_APP = WATCH + r"""
import pos_customers.ui.app as ui_app  # the command imports it too; run() patched to drive it
def run(app):
    from pos_customers.ui.widgets.sign_in_form import SignInForm
    def search_ready():
        return (getattr(app.screen, "_shown_query", None) is not None
                and app.focused is not None and app.focused.id == "query")
    async def drive():
        seen = watch(app, form=lambda: isinstance(app.focused, SignInForm), search=search_ready)
        async with app.run_test(size=(80, 24)):
            await sign_in_at_once(app, seen)
        print(seen["form"], seen["search"])
    asyncio.run(drive())
ui_app.PosApp.run = run
sys.argv = ["pos-customers", "--db", sys.argv[2]]
from pos_customers.launch import main
main()
"""


def screen_css(module: str, cls: str) -> str:
    """A screen's DEFAULT_CSS, read from its source: the bare apps must not import the app."""
    import ast
    import pos_customers

    path = Path(pos_customers.__file__).parent / "ui" / "screens" / f"{module}.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.Assign) and getattr(item.targets[0], "id", "") == "DEFAULT_CSS":
                    return ast.literal_eval(item.value)
    raise LookupError(f"{cls}.DEFAULT_CSS")


def cold_start(script: str, *args: str, runs: int) -> list[float]:
    script = (f"SEARCH_CSS = {screen_css('search', 'SearchScreen')!r}\n"
              f"SIGN_IN_CSS = {screen_css('sign_in', 'SignInScreen')!r}\n" + script)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", script, repr(t0), *args], capture_output=True, text=True,
                             env={**os.environ, "TEXTUAL": "", "TEXTUAL_FPS": "120"})  # both alike
        if res.returncode != 0:
            raise SystemExit(res.stderr[-2000:])
        # the child measured from our perf_counter origin: same clock (CLOCK_MONOTONIC) on Linux
        out.append([float(x) for x in res.stdout.strip().splitlines()[-1].split()])
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def typing_run(path: Path, queries: list[str]) -> list[float]:
    """Keystroke to results on screen: from the moment a key is handed to the app until the
    first screen update (a real paint, through the app's display path) that happens after the
    results for the text typed so far were put in the table."""
    from pos_customers.services.context import Services
    from pos_customers.storage.engine import Database
    from pos_customers.ui.app import PosApp
    from pos_customers.ui.config import UiConfig
    from pos_customers.ui.screens.search import SearchScreen
    from textual import events
    from textual.widgets import Input

    app = PosApp(Services(Database(path)), config=UiConfig())  # the shipped debounce
    shown_at: dict[str, float] = {}
    painted: list[float] = []
    original_show = SearchScreen._show

    def show(screen, query, *rest):
        original_show(screen, query, *rest)
        shown_at[query] = time.perf_counter()

    SearchScreen._show = show
    original_display = app._display

    def display(screen, renderable):
        original_display(screen, renderable)
        if renderable is not None and not app._batch_count:  # something was drawn
            painted.append(time.perf_counter())

    app._display = display
    latencies = []
    parts: list[tuple[float, float]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"1002", "enter", *"1357", "enter")
        while not isinstance(app.screen, SearchScreen):
            await pilot.pause(0.01)
        screen = app.screen
        box = screen.query_one("#query", Input)
        await pilot.pause(0.3)
        for q in queries:
            box.value = ""
            await pilot.pause(0.2)
            typed = ""
            for ch in q:
                typed += ch
                shown_at.pop(typed, None)
                t0 = time.perf_counter()
                app.post_message(events.Key(ch, ch))  # as the terminal driver hands it over
                while typed not in shown_at:
                    await asyncio.sleep(0.0002)
                while not painted or painted[-1] < shown_at[typed]:
                    await asyncio.sleep(0.0002)
                latencies.append((painted[-1] - t0) * 1000)
                parts.append(((shown_at[typed] - t0) * 1000, (painted[-1] - shown_at[typed]) * 1000))
                await asyncio.sleep(0.12)  # a quick typist: ~8 keys a second
    SearchScreen._show = original_show
    print(f"  to results in the table p50 {statistics.median(p[0] for p in parts):.1f} ms,"
          f" then to the paint p50 {statistics.median(p[1] for p in parts):.1f} ms", file=sys.stderr)
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--skip-typing", action="store_true", help="cold start only")
    args = ap.parse_args()
    path = args.db or CACHE / f"search-{args.customers}.db"
    if not path.exists():
        from pos_customers.services.demo import seed_demo
        from pos_customers.storage.engine import Database
        print(f"seeding {path} (once)", file=sys.stderr)
        seed_demo(Database(path), args.customers)

    import sqlite3
    conn = sqlite3.connect(path)
    rng = random.Random(3)
    n = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    names = [r[0] for r in conn.execute(
        "SELECT first_name || ' ' || last_name FROM customer WHERE customer_type = 'person' AND rowid IN"
        f" ({','.join(str(rng.randrange(1, n)) for _ in range(args.queries * 3))}) LIMIT ?", (args.queries,))]
    phones = [r[0] for r in conn.execute(
        "SELECT national FROM customer_phone LIMIT 10 OFFSET ?", (rng.randrange(0, n // 2),))]
    conn.close()
    queries = [nm.split()[1][:5].lower() + " " + nm.split()[0][:3].lower() for nm in names if len(nm.split()) == 2]
    queries += [p[:8] for p in phones]

    lat = [0.0] if args.skip_typing else asyncio.run(typing_run(path, queries))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # an installed app starts from compiled bytecode: make sure both do, whatever
    # PYTHONDONTWRITEBYTECODE says (otherwise every start compiles every module from source)
    import sysconfig
    import pos_customers
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", sysconfig.get_paths()["purelib"],
                    str(Path(pos_customers.__file__).parent)], check=False, capture_output=True)
    bare, two, ours = [], [], []
    for _ in range(args.starts):  # interleaved: a slow moment of the machine hits all alike
        bare += cold_start(BARE_APP, runs=1)
        two += cold_start(BARE_SIGN_IN_APP, runs=1)
        ours += cold_start(OUR_APP, str(path), runs=1)

    def med(runs, i):
        return statistics.median(r[i] for r in runs)

    print(f"\nterminal app over {n:,} customers ({len(lat)} keystrokes in {len(queries)} queries)")
    print(f"keystroke to rendered results   p50 {pct(lat, 50):6.1f} ms   p95 {pct(lat, 95):6.1f} ms"
          f"   (target p95 <= 50 ms)")
    form, search, bare_form, bare_search, bare_only = (
        med(ours, 0), med(ours, 1), med(two, 0), med(two, 1), med(bare, 0))
    print(f"cold start (first paint, medians of {args.starts} interleaved starts)      app   bare, same screens")
    print(f"  sign-in form ready for keys                {form:6.0f} ms  {bare_form:6.0f} ms  {form / bare_form:4.2f}x")
    print(f"  search box with results, sign-in typed     {search:6.0f} ms  {bare_search:6.0f} ms  {search / bare_search:4.2f}x"
          f"   (target <= 1.5x)")
    print(f"  the same, next to a bare search screen only          {bare_only:6.0f} ms  {search / bare_only:4.2f}x"
          f"   (no sign-in in the bare app)")
    print(f"memory (peak RSS, typing run)    {rss_mb:6.0f} MB   (target <= 200 MB)")
    print(json.dumps({"p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "sign_in_ms": form, "search_box_ms": search,
                      "bare_sign_in_ms": bare_form, "bare_search_box_ms": bare_search,
                      "bare_search_only_ms": bare_only, "rss_mb": rss_mb}))


if __name__ == "__main__":
    main()
