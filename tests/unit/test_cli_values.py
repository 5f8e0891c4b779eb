"""cli/values.py answers plain option values without pydantic: every value gives what Typer's own
adapter gives (the value, or the same message and exit code)."""

from typing import Optional

import pytest
import typer
from typer import core
from typer.testing import CliRunner

from pos_customers.cli import values

CASES = [[], ["x"], ["--limit", "050"], ["--limit", "0"], ["--limit", "501"], ["--limit", "500"], ["--limit", "1"],
         ["--limit", "abc"], ["--limit", " 5"], ["--limit", "+5"], ["--limit", "5_0"], ["--limit", "²"],
         ["--limit", "-1"], ["--limit", ""], ["--offset", "99999999999999999999"], ["--n", "7"], ["--n", "x"],
         ["--flag"], ["--tri"], ["--no-tri"], ["--many", "a", "--many", "b"], ["--many", ""], ["--o", ""],
         ["--o", "é"], ["", "--o", "\udcff"], ["--help"]]


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def c(text: str = typer.Argument(""), limit: int = typer.Option(20, "--limit", min=1, max=500),
          off: int = typer.Option(0, "--offset", min=0), n: Optional[int] = typer.Option(None, "--n"),
          flag: bool = typer.Option(False, "--flag"), tri: Optional[bool] = typer.Option(None, "--tri/--no-tri"),
          many: list[str] = typer.Option([], "--many"), o: Optional[str] = typer.Option(None, "--o")):
        print(repr((text, limit, off, n, flag, tri, many, o)))

    return app


def outcomes() -> list[tuple[str, int]]:
    runner = CliRunner()
    results = []
    for args in CASES:
        r = runner.invoke(make_app(), args)  # a new app each time: Typer keeps a parameter's converter
        results.append((r.output, r.exit_code))
    return results


def test_plain_values_as_typers_own(monkeypatch):
    values.install()
    ours = core.build_runtime_param
    assert getattr(ours, "plain_values", False), "Typer changed: cli/values.py no longer applies"
    mine = outcomes()
    monkeypatch.setattr(core, "build_runtime_param", ours.typers_own)
    typers = outcomes()
    for args, a, b in zip(CASES, mine, typers):
        assert a == b, args


@pytest.mark.parametrize("value,number", [("7", 7), (7, 7), ("007", 7), ("-1", None), ("1e3", None), ("٣", None),
                                          (True, None), ("", None)])
def test_plain_int(value, number):
    assert values._plain_int(value) == number
