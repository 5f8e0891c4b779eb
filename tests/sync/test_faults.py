"""kill -9 of a syncing terminal, over and over: nothing lost, nothing doubled at headquarters."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select
from sqlmodel import select as model_select

from pos_customers.hq import tables as t
from pos_customers.services import sync
from pos_customers.services.customers import create_customer
from pos_customers.storage.tables import Customer
from tests.helpers import person
from tests.sync.conftest import terminal

CHILD = """
import sys
from pos_customers.services import sync
from pos_customers.services.context import Actor, Services
from pos_customers.storage.engine import Database
from pos_customers.sync import engine
engine.PUSH_BATCH, engine.PULL_PAGE = 4, 5      # small batches: a kill lands mid-push or mid-pull
svc = Services(Database(sys.argv[1]))
print("ready", flush=True)
while True:
    try:
        sync.sync_now(svc, Actor.command_line())
    except Exception as exc:
        print(exc, file=sys.stderr)
"""


def _kill_cycles(tmp_path, hq_server, admin, cycles: int) -> None:
    rng = random.Random(20261124)
    ber = terminal(tmp_path, hq_server, "BER01")
    ham = terminal(tmp_path, hq_server, "HAM01", scope="all")   # pulls everything Berlin pushes
    made = 0
    for cycle in range(cycles):
        for _ in range(rng.randint(1, 4)):
            create_customer(ber, admin, person("Kim", f"Cycle{chr(97 + made % 26)}{'x' * (made // 26)}",
                                               f"kim{made}@example.org"))
            made += 1
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(svc.db.path)], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL) for svc in (ber, ham)]
        for p in procs:
            p.stdout.readline()  # imported and running
        time.sleep(rng.uniform(0.0, 0.25))
        for p in procs:
            p.kill()             # SIGKILL: no cleanup, no flush, wherever it is
            p.wait()
    for svc in (ber, ham, ber, ham):
        sync.sync_now(svc, admin)
    with ber.db.read() as s:
        local = set(s.exec(model_select(Customer.id)))
    with hq_server.hq.engine.connect() as conn:
        at_hq = conn.execute(select(t.customer.c.id)).scalars().all()
        refs = conn.execute(select(func.count(func.distinct(t.customer.c.reference)))).scalar_one()
    with ham.db.read() as s:
        pulled = set(s.exec(model_select(Customer.id)))
    assert len(local) == made
    assert set(at_hq) == local, "customers lost on the way to headquarters"
    assert len(at_hq) == len(set(at_hq)) == refs == made, "customers doubled at headquarters"
    assert pulled == local, "customers lost on the way to the other store"
    assert sync.status(ber, admin).outbox == 0


def test_kill_during_sync_loses_and_doubles_nothing(tmp_path, hq_server, admin):
    _kill_cycles(tmp_path, hq_server, admin, cycles=6)


@pytest.mark.slow
def test_kill_during_sync_fifty_times(tmp_path, hq_server, admin):
    _kill_cycles(tmp_path, hq_server, admin, cycles=int(os.environ.get("POS_CUSTOMERS_FAULT_CYCLES", "50")))
