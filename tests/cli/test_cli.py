import json
import sqlite3

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app


@pytest.fixture
def run(tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(db))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    invoke.db = db
    return invoke


@pytest.fixture
def store(run):
    r = run("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
            "--currency", "EUR", "--language", "de")
    assert r.exit_code == 0, r.output
    return run


def count(db, table):
    return sqlite3.connect(db).execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_commands_before_init_say_what_to_do(run):
    r = run("customers", "search", "anna")
    assert r.exit_code == 1 and "pos-customers init" in r.output


def test_init_says_how_to_add_the_first_associate_until_there_is_one(run):
    args = ("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
            "--currency", "EUR", "--language", "de")
    r = run(*args)
    assert r.exit_code == 0 and "no associates yet" in r.output and "associates add" in r.output
    r = run("associates", "add", "--number", 1001, "--name", "Mia Chef", "--role", "manager", "--pin", "2468")
    assert r.exit_code == 0, r.output
    r = run(*args)
    assert r.exit_code == 0 and "no associates yet" not in r.output


def test_add_search_show(store):
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@gmx.de",
              "--phone", "0151 23456789", "--street", "Hauptstr. 1", "--city", "Berlin",
              "--postal-code", "10115", "--card", "2000012345678")
    assert r.exit_code == 0, r.output
    ref = r.output.split()[1]
    for text in ("mül ann", "anna@gmx", "0151 234", ref.lower(), "2000012345678"):
        out = store("customers", "search", text, "--json")
        assert out.exit_code == 0
        assert json.loads(out.output)["results"][0]["display_name"] == "Anna Müller", text
    shown = json.loads(store("customers", "show", ref.replace("-", ""), "--json").output)
    assert shown["phones"][0]["e164"] == "+4915123456789" and shown["addresses"][0]["postal_code"] == "10115"
    text = store("customers", "show", ref).output
    assert "10115 Berlin" in text


def test_search_with_no_result_exits_1(store):
    r = store("customers", "search", "zzzqqq")
    assert r.exit_code == 1 and "no customers found" in r.output


def test_add_bad_input_one_line_nonzero_nothing_written(store):
    r = store("customers", "add", "--first", "A" * 5000, "--last", "B", "--email", "x@", "--phone", "12")
    assert r.exit_code == 2
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --first: First name is too long")
    assert "--email:" in lines[0] and "--phone:" in lines[0] and "emails.0" not in lines[0]
    assert count(store.db, "customer") == 0


def test_add_refuses_likely_duplicate_unless_told(store):
    assert store("customers", "add", "--first", "Hans", "--last", "Meier", "--email", "h@m.de").exit_code == 0
    r = store("customers", "add", "--first", "Hans", "--last", "Meyer", "--email", "H@M.de")
    assert r.exit_code == 4 and "likely duplicate" in r.output and "same email" in r.output
    assert count(store.db, "customer") == 1
    assert store("customers", "add", "--first", "Hans", "--last", "Meyer", "--email", "H@M.de",
                 "--allow-duplicate").exit_code == 0


def test_add_from_json_on_stdin(store):
    doc = {"first_name": "Zoë", "last_name": "Weiß", "emails": [{"address": "zoe@example.org",
                                                                  "marketing_consent": True}],
           "addresses": [{"line1": "1 Main St", "city": "Boston", "region": "MA", "postal_code": "02108",
                          "country": "US", "purpose": "DELIVERY"}]}
    r = store("customers", "add", "--json", input=json.dumps(doc))
    assert r.exit_code == 0, r.output
    ref = r.output.split()[1]
    shown = json.loads(store("customers", "show", ref, "--json").output)
    assert shown["addresses"][0]["purpose"] == "DELIVERY" and shown["emails"][0]["marketing_consent"]
    bad = store("customers", "add", "--json", input="{not json")
    assert bad.exit_code == 2 and "not valid JSON" in bad.output
    unknown = store("customers", "add", "--json", input='{"nickname": "Z"}')
    assert unknown.exit_code == 2 and "nickname: unknown field" in unknown.output


CSV_GOOD = "first_name,last_name,email,phone,line1,city,postal_code\n" \
           "Anna,Müller,anna@gmx.de,0151 23456789,Hauptstr. 1,Berlin,10115\n" \
           "Bernd,Schulz,bernd@web.de,,,,\n"
CSV_BAD = CSV_GOOD + "Carla,Braun,carla@,,,,\n" + "Dora,Klein,dora@web.de,,,Berlin,999\n"


def test_import_all_or_nothing_by_default(store, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(CSV_BAD, encoding="utf-8")
    r = store("customers", "import", f)
    assert r.exit_code == 2
    assert "row 4: emails.0.address" in r.output and "row 5: addresses.0.postal_code" in r.output
    assert "nothing imported" in r.output
    assert count(store.db, "customer") == 0 and count(store.db, "audit_event") == 1  # the store's own


def test_import_skip_bad_writes_the_good_rows(store, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(CSV_BAD, encoding="utf-8")
    r = store("customers", "import", f, "--skip-bad")
    assert r.exit_code == 2 and "imported 2 customer(s), skipped 2 bad row(s)" in r.output
    assert count(store.db, "customer") == 2


def test_import_rejects_unknown_columns_and_non_utf8(store, tmp_path):
    f = tmp_path / "cols.csv"
    f.write_text("first_name,nickname\nA,B\n", encoding="utf-8")
    r = store("customers", "import", f)
    assert r.exit_code == 2 and "nickname: unknown column" in r.output
    g = tmp_path / "latin1.csv"
    g.write_bytes("first_name,last_name\nJürgen,Groß\n".encode("latin-1"))
    r = store("customers", "import", g)
    assert r.exit_code == 2 and "not UTF-8" in r.output


def test_export_csv_round_trips_through_import(store, tmp_path, monkeypatch):
    f = tmp_path / "in.csv"
    f.write_text(CSV_GOOD, encoding="utf-8")
    assert store("customers", "import", f).exit_code == 0
    out = tmp_path / "out.csv"
    assert store("customers", "export", "--format", "csv", "-o", out).exit_code == 0
    monkeypatch.setenv("POS_CUSTOMERS_DB", str(tmp_path / "other.db"))
    store("init", "--store", "HAM01", "--number", 103, "--name", "Hamburg", "--country", "DE",
          "--currency", "EUR", "--language", "de")
    r = store("customers", "import", out)  # another store's references are not this store's to take
    assert r.exit_code == 2 and "is not a customer of this store" in r.output
    assert count(tmp_path / "other.db", "customer") == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    moved = tmp_path / "moved.csv"  # without their references they are new customers here
    moved.write_text("\n".join([rows[0]] + ["," + line.split(",", 1)[1] for line in rows[1:]]) + "\n",
                     encoding="utf-8")
    r = store("customers", "import", moved)
    assert r.exit_code == 0, r.output
    exported = json.loads(store("customers", "export").output)
    assert sorted((c["first_name"], c["last_name"], c["emails"][0]["address"]) for c in exported) == [
        ("Anna", "Müller", "anna@gmx.de"), ("Bernd", "Schulz", "bernd@web.de")]
    assert {c["store_code"] for c in exported} == {"HAM01"}


def test_export_format_is_checked(store):
    r = store("customers", "export", "--format", "xml")
    assert r.exit_code == 2 and "json or csv" in r.output


def test_associates_add_and_refusals(store):
    r = store("associates", "add", "--number", "1001", "--name", "Maria", "--role", "manager", "--pin", "2468")
    assert r.exit_code == 0, r.output
    h = sqlite3.connect(store.db).execute("SELECT pin_hash FROM associate").fetchone()[0]
    assert h.startswith("$argon2id$")
    r = store("associates", "add", "--number", "1001", "--name", "Again", "--pin", "2468")
    assert r.exit_code == 2 and "already exists" in r.output
    r = store("associates", "add", "--number", "1003", "--name", "X", "--pin", "12")
    assert r.exit_code == 2 and "PIN must be" in r.output


def test_doctor_finds_and_repairs_a_broken_search_index(store):
    store("customers", "add", "--first", "Anna", "--last", "Müller")
    assert store("doctor").exit_code == 0
    conn = sqlite3.connect(store.db)
    conn.execute("DELETE FROM customer_search")  # the triggers keep FTS in step; the projection is gone
    conn.commit()
    r = store("doctor")
    assert r.exit_code == 1 and "FAIL search index" in r.output and "no search row" in r.output
    r = store("doctor", "--repair")
    assert r.exit_code == 0 and "search index rebuilt" in r.output
    assert json.loads(store("customers", "search", "anna", "--json").output)["results"]


def test_db_flag_overrides_env(run, tmp_path):
    other = tmp_path / "flag.db"
    r = run("--db", other, "init", "--store", "X1", "--number", 5, "--name", "X", "--country", "AT",
            "--currency", "EUR", "--language", "de-at")
    assert r.exit_code == 0 and other.exists() and not run.db.exists()


# -- opening the app ---------------------------------------------------------------------------

LAUNCH_PROBE = r"""
import json, sys
import pos_customers.ui.app as ui_app
opened = []
ui_app.PosApp.run = lambda app: opened.append(str(app._db_path))
from pos_customers.launch import main
sys.argv = ["pos-customers", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("typer", "pos_customers.cli", "pydantic", "sqlalchemy") if m in sys.modules)
print(json.dumps({"opened": opened, "code": code, "heavy": heavy}))
"""


def launch(*args, env=None):
    import os
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", LAUNCH_PROBE, *map(str, args)], capture_output=True,
                         text=True, timeout=120, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


@pytest.mark.parametrize("args", [["--db", "{db}"], ["--db={db}"], []])
def test_the_app_opens_on_the_file_given_without_loading_the_command_line_tool(store, tmp_path, args):
    """The plain start skips Typer (slow to import, and it converts every option of every
    command before running anything)."""
    other = tmp_path / "other.db"
    store("--db", other, "init", "--store", "HAM01", "--number", 102, "--name", "Hamburg", "--country", "DE",
          "--currency", "EUR", "--language", "de")
    # --db wins over $POS_CUSTOMERS_DB; without it, the variable names the file
    seen, _ = launch(*[a.format(db=other) for a in args], env={"POS_CUSTOMERS_DB": str(store.db)})
    assert seen == {"opened": [str(other if args else store.db)], "code": 0, "heavy": []}


def test_a_bad_config_file_stops_the_start_with_exit_2(store, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[search\n")
    seen, err = launch("--db", store.db, env={"POS_CUSTOMERS_CONFIG": str(config)})
    assert seen["opened"] == [] and seen["code"] == 2 and err.startswith("error: config:")


def test_typer_without_a_command_opens_the_app_too(store, tmp_path, monkeypatch):
    import pos_customers.ui.app as ui_app
    opened = []
    monkeypatch.setattr(ui_app.PosApp, "run", lambda app: opened.append(app._db_path))
    assert store().exit_code == 0 and opened == [store.db]
    assert store("--db", tmp_path / "none.db").exit_code == 1 and opened == [store.db]


def test_opening_the_app_on_a_missing_file_says_what_to_do(tmp_path):
    seen, err = launch("--db", tmp_path / "none.db")
    assert seen["opened"] == [] and seen["code"] == 1
    assert err.strip() == f"error: no database at {tmp_path / 'none.db'}: run `pos-customers init` or " \
                          "`pos-customers demo` first"


@pytest.mark.parametrize("args", [["--help"], ["--db"], ["--db", "--help"], ["--db", "x.db", "sync"]])
def test_anything_else_goes_through_typer(args):
    from pos_customers.launch import app_only
    assert app_only(args) == (False, None)


def test_the_command_line_tool_behind_the_same_command(tmp_path):
    seen, err = launch("--db", tmp_path / "none.db", "customers", "search", "anna")
    assert seen["code"] == 1 and "pos-customers init" in err and "pos_customers.cli" in seen["heavy"]
    seen, _ = launch("--help")
    assert seen["code"] == 0 and seen["opened"] == []


def test_show_json_is_accepted_by_add_json_as_it_is(store):
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@gmx.de",
              "--phone", "0151 23456789", "--street", "Hauptstr. 1", "--city", "Berlin",
              "--postal-code", "10115", "--birth-date", "1990-04-01")
    ref = r.output.split()[1]
    shown = store("customers", "show", ref, "--json").output
    assert '"national"' in shown and '"anonymized_at"' in shown and '"reference"' in shown
    again = store("customers", "add", "--json", input=shown)
    assert again.exit_code == 4 and f"likely duplicate of {ref}" in again.output
    copy = store("customers", "add", "--json", "--allow-duplicate", input=shown)
    assert copy.exit_code == 0, copy.output
    new_ref = copy.output.split()[1]
    assert new_ref != ref  # read-only keys (reference, id, timestamps, ...) are ignored on add
    first, second = json.loads(shown), json.loads(store("customers", "show", new_ref, "--json").output)
    ignored = {"id", "reference", "created_at", "updated_at", "last_activity_at", "version"}
    assert {k: v for k, v in first.items() if k not in ignored} == \
        {k: v for k, v in second.items() if k not in ignored}


def test_import_refuses_known_reference_with_no_update_and_likely_duplicates(store, tmp_path):
    ref = store("customers", "add", "--first", "Hans", "--last", "Meier", "--email", "h@m.de").output.split()[1]
    f = tmp_path / "in.csv"
    f.write_text(f"reference,first_name,last_name,email\n{ref},Hans,Maier,h@m.de\n", encoding="utf-8")
    r = store("customers", "import", f, "--no-update")
    assert r.exit_code == 2 and "--no-update" in r.output
    r = store("customers", "import", f)
    assert r.exit_code == 0 and "imported 0 customer(s), updated 1" in r.output, r.output
    g = tmp_path / "new.csv"
    g.write_text("first_name,last_name,email\nHans,Meyer,H@M.de\n", encoding="utf-8")
    r = store("customers", "import", g)
    assert r.exit_code == 2 and f"likely duplicate of {ref}" in r.output
    assert store("customers", "import", g, "--allow-duplicate").exit_code == 0
    assert count(store.db, "customer") == 2
