import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from pos_customers.storage import migrate
from pos_customers.storage.engine import Database


def test_empty_file_upgrades_to_head_and_back(tmp_path):
    db = Database(tmp_path / "x.db")
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision(db)
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    tables = {r[0] for r in sqlite3.connect(db.path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables <= {"alembic_version"}
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision(db)


def test_every_earlier_revision_upgrades_to_head(tmp_path):
    db0 = Database(tmp_path / "probe.db")
    script = ScriptDirectory.from_config(migrate.alembic_config(db0))
    revisions = [r.revision for r in script.walk_revisions()]
    assert revisions
    for rev in revisions:
        db = Database(tmp_path / f"{rev}.db")
        migrate.upgrade(db, rev)
        assert migrate.current_revision(db) == rev
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.head_revision(db)


def test_migrations_match_the_models(tmp_path):
    db = Database(tmp_path / "x.db")
    migrate.upgrade(db)
    from pos_customers.storage import tables  # noqa: F401
    with db.read_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, compare_to: not (
                type_ == "table" and name and "_fts" in name)})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_start_up_is_a_no_op_on_a_current_file(tmp_path):
    db = Database(tmp_path / "x.db")
    migrate.upgrade(db)
    mtime = db.path.stat().st_mtime_ns
    migrate.upgrade(db)
    assert db.path.stat().st_mtime_ns == mtime


def test_head_constant_matches_the_newest_revision(tmp_path):
    assert migrate.HEAD == migrate.head_revision(Database(tmp_path / "x.db"))


def test_0002_backfills_match_keys_for_existing_customers(tmp_path):
    db = Database(tmp_path / "old.db")
    migrate.upgrade(db, "0001")
    conn = sqlite3.connect(db.path)
    conn.executescript("""
        INSERT INTO store (code, number, name, country, currency, language, region, next_sequence, created_at)
            VALUES ('BER01', 101, 'B', 'DE', 'EUR', 'de', '', 1, '2026-01-01 00:00:00');
        INSERT INTO address_purpose (code, label, labels, active, sort_order, default_person, default_organization)
            VALUES ('HOME', 'Home', '{}', 1, 0, 1, 0);
        INSERT INTO customer (id, reference, customer_type, title, first_name, middle_name, last_name,
            organization_name, company, language, currency, financial_dimensions, receipt_option, receipt_email,
            status, account_type, store_code, created_at, updated_at, sync_state, version, name_key)
            VALUES ('c1', 'AAAAAAAAA', 'person', '', 'Hans', '', 'Meier', '', '', 'de', 'EUR', '{}', 'print', '',
            'active', 'guest', 'BER01', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'synced', 1, 'M600');
        INSERT INTO customer_address (id, customer_id, purpose_code, line1, line2, city, district, region,
            postal_code, country, default_billing, default_shipping)
            VALUES ('a1', 'c1', 'HOME', 'Hauptstr. 1', '', 'Berlin', '', '', '10115', 'DE', 1, 1);
    """)
    conn.commit()
    conn.close()
    migrate.upgrade(db)
    rows = sqlite3.connect(db.path).execute("SELECT * FROM customer_match_key").fetchall()
    assert rows == [("M600", "DE", "10115", "c1")]
