"""What a `pos-customers customers ...` process imports: support staff run these over SSH, each a new
process, so the start-up is most of what they wait for (bench/cli.py). The app's toolkit and the
headquarters service never load for them; searching and showing load neither the ORM nor pydantic;
adding a customer loads no ORM (its save is plain SQL; pydantic checks the outbox event's shape).
"""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app

# run `pos-customers ARGS` as the installed command does; the top-level modules it imported go to a file
CHILD = """
import json, sys
out, sys.argv = sys.argv[1], ["pos-customers"] + sys.argv[2:]
from pos_customers.launch import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(out, "w") as fh:
    json.dump({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules}),
               "commands": sorted(m for m in sys.modules if m.startswith("pos_customers.cli.")),
               "protocol": sorted(m for m in sys.modules if m.startswith("pos_customers.domain.protocol"))}, fh)
"""

NEVER = {"textual", "fastapi", "uvicorn", "httpx", "starlette", "argon2"}
ORM = {"sqlalchemy", "sqlmodel", "alembic"}
NOT_FOR_READING = ORM | {"pydantic"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = tmp_path_factory.mktemp("imports") / "store.db"
    runner = CliRunner()
    r = runner.invoke(app, ["init", "--store", "BER01", "--number", "101", "--name", "Berlin", "--country", "DE",
                            "--currency", "EUR", "--language", "de", "--db", str(db)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@gmx.de",
                            "--phone", "0151 23456789", "--db", str(db)])
    assert r.exit_code == 0, r.output
    return db, r.output.split()[1]


def imported(tmp_path, *args, commands: list | None = None, protocol: list | None = None) -> set[str]:
    out = tmp_path / "modules.json"
    p = subprocess.run([sys.executable, "-c", CHILD, str(out), *map(str, args)], capture_output=True, text=True,
                       timeout=120)
    assert out.exists(), p.stderr
    result = json.loads(out.read_text())
    assert result["code"] in (0, None), (args, p.stdout, p.stderr)
    if commands is not None:
        commands.extend(result["commands"])
    if protocol is not None:
        protocol.extend(result["protocol"])
    return set(result["modules"])


@pytest.mark.parametrize("args", [("--help",), ("customers", "--help"), ("customers", "add", "--help")])
def test_help_imports_neither_the_app_nor_headquarters_nor_the_orm(tmp_path, args):
    modules = imported(tmp_path, *args)
    assert not modules & (NEVER | NOT_FOR_READING), sorted(modules & (NEVER | NOT_FOR_READING))


def test_search_and_show_import_no_orm_no_pydantic(tmp_path, store):
    db, ref = store
    for args in (("customers", "search", "müller", "--limit", "5"), ("customers", "search", "0151 234"),
                 ("--db", db, "customers", "show", ref)):
        commands = []
        modules = imported(tmp_path, *args, *(("--db", db) if args[0] != "--db" else ()), commands=commands)
        assert not modules & (NEVER | NOT_FOR_READING), (args, sorted(modules & (NEVER | NOT_FOR_READING)))
        # the command modules up to the one that registers `customers …`, not the rest
        assert "pos_customers.cli.customers" in commands and "pos_customers.cli.hq" not in commands, commands


def test_add_imports_neither_the_app_nor_headquarters_nor_the_orm(tmp_path, store):
    db, _ = store
    protocol = []
    modules = imported(tmp_path, "customers", "add", "--first", "Otto", "--last", "Brandt", "--email",
                       "otto@example.org", "--phone", "030 12345678", "--street", "Hauptstr. 1", "--city", "Berlin",
                       "--postal-code", "10115", "--marketing", "--db", db, protocol=protocol)
    assert "phonenumbers" in modules and "email_validator" in modules  # it checked the customer (and saved: exit 0)
    assert not modules & (NEVER | ORM), sorted(modules & (NEVER | ORM))
    # the event was checked against the customer document's models, without defining the rest of the protocol
    assert protocol == ["pos_customers.domain.protocol_customer", "pos_customers.domain.protocol_values"], protocol


def test_the_command_words_are_found_after_the_top_level_db_option():
    from pos_customers.cli import _words

    assert _words(["customers", "add", "--first", "A"]) == ["customers", "add"]
    assert _words(["--db", "x.db", "customers", "show", "REF"]) == ["customers", "show"]
    assert _words(["doctor", "--db", "x.db"]) == ["doctor"]
    assert _words(["customers", "--help"]) == ["customers"]
    assert _words(["--help"]) == [] and _words(["--version"]) == []


def test_a_group_s_help_and_a_mistyped_command_still_see_every_command(tmp_path, store):
    db, _ = store
    child = "import sys; sys.argv = ['pos-customers'] + sys.argv[1:]\nfrom pos_customers.launch import main\nmain()"
    p = subprocess.run([sys.executable, "-c", child, "customers", "--help"], capture_output=True, text=True,
                       timeout=120, env={**__import__("os").environ, "COLUMNS": "100"})
    assert p.returncode == 0 and all(c in p.stdout for c in ("search", "show", "add", "import", "export")), p.stdout
    p = subprocess.run([sys.executable, "-c", child, "customers", "serch", "anna", "--db", str(db)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "serch" in p.stderr, p.stderr
