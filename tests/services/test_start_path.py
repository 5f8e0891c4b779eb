"""Signing in and the first searches need no ORM: a terminal is usable while SQLAlchemy,
SQLModel and pydantic still load in the background."""

import json
import subprocess
import sys

from pos_customers.services.associates import add_associate
from pos_customers.services.customers import create_customer
from tests.helpers import person

PROBE = r"""
import json, sys
from pathlib import Path
from pos_customers.services.access import SignInFailed, sign_in
from pos_customers.services.bootstrap import open_services
from pos_customers.services.search import search_customers
from pos_customers.services.store_info import store_info
svc = open_services(Path(sys.argv[1]))
store = store_info(svc).name
try:
    sign_in(svc, "1002", "0000")
except SignInFailed:
    pass
actor = sign_in(svc, "1002", "1357")
recent = [r.display_name for r in search_customers(svc, actor, "").rows]
found = [r.display_name for r in search_customers(svc, actor, "mül ann").rows]
heavy = sorted(m for m in ("sqlalchemy", "sqlmodel", "pydantic", "alembic") if m in sys.modules)
print(json.dumps({"store": store, "actor": actor.name, "recent": recent, "found": found, "heavy": heavy}))
"""


def test_sign_in_and_first_searches_load_no_orm(svc, admin):
    add_associate(svc, admin, number="1002", name="Jonas Becker", role="associate", pin="1357")
    create_customer(svc, admin, person("Anna", "Müller", "anna.mueller@gmx.de", "0151 23456789", "10115"))
    out = subprocess.run([sys.executable, "-c", PROBE, str(svc.db.path)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["heavy"] == []
    assert seen["actor"] == "Jonas Becker" and seen["found"] == ["Anna Müller"] and "Anna Müller" in seen["recent"]
    # the raw sign-in path writes the same hash-chained audit rows as every other change
    with svc.db.snapshot() as conn:
        actions = [r[0] for r in conn.execute(
            "SELECT action FROM audit_event WHERE entity = 'associate' AND entity_id = '1002' ORDER BY id")]
        from pos_customers.storage.audit_chain import verify
        count, _head, problems = verify(conn)
    assert actions[-2:] == ["sign_in_failed", "sign_in"]
    assert count > 2 and problems == []
