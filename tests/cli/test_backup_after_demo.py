"""`backup` and `recover` after `pos-customers demo`, with no store set up: they open the demo
database, as every other command does, and say so in the same one line."""

from __future__ import annotations

from tests.cli.test_after_demo import DEMO_CUSTOMERS, after_demo, demo_folder, home  # noqa: F401 - the fixtures


def test_backup_and_recover_work_on_the_demo_database_and_say_so(after_demo):  # noqa: F811
    home = after_demo
    demo = home.data / "demo.db"
    notice = f"using the demo store at {demo} (pos-customers init sets up a real store)"
    r = home("pos-customers backup")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [notice]
    made = r.stdout.split()[1]
    assert "demo" in made
    r = home("pos-customers recover")  # the demo's file is sound: nothing to do, nothing made
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [notice] and f"{demo} passes integrity_check" in r.stdout
    r = home(f"pos-customers recover --force --from {made}")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [notice]
    assert f"rebuilt {demo} from backup" in r.stdout
    assert f"the damaged file held {DEMO_CUSTOMERS} customer(s); the rebuilt file has {DEMO_CUSTOMERS}" in r.stdout
    assert "sync --once" not in r.stdout  # the demo is a standalone till
    assert not (home.data / "customers.db").exists()  # no new store beside the demo's
    left = [p.name for p in home.data.iterdir() if "recovering" in p.name or p.name.endswith("-checked")]
    assert left == [], left
    # --db before or after the command: that file, without the notice
    copy = home.work / "elsewhere.db"
    home(f"cp {demo} {copy}")
    for line in (f"pos-customers --db {copy} backup", f"pos-customers backup --db {copy}",
                 f"pos-customers --db {copy} recover", f"pos-customers recover --db {copy}"):
        r = home(line)
        assert r.returncode == 0, (line, r.stderr)
        assert "demo store" not in r.stderr, line
        assert str(demo) not in r.stdout, line
