"""Store credit's ledger, driven by hypothesis: the three BER01 tills of the test chain
(tests/sync/test_chain_stateful.py) add and correct credit offline for two customers, the order
system spends and refunds credit at headquarters, tills sync, die before they read headquarters'
answer (and send the same events again), start again from their file.

Invariants, after every step: each ledger row's balance is the running sum of its currency's
movements and never below zero; every movement in the ledger is one that was made (once: its id is
the key). At the end, after every till has synced until nothing moves: every movement a till queued
is in the ledger exactly once or parked at its till with headquarters' reason (never lost, never
applied twice), and headquarters' balance is the sum of the accepted movements.

The slow variant runs the tills' syncs as processes against a headquarters process and kills them
(SIGKILL) at a random moment.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from pos_customers.domain.enums import Role
from pos_customers.domain.errors import ValidationFailed
from pos_customers.hq import tables as t
from pos_customers.hq.errors import Conflict
from pos_customers.services import credit, sync
from pos_customers.services.context import Actor
from pos_customers.services.customers import create_customer
from pos_customers.services.sync import HqUnavailable
from tests.helpers import DOWN, person
from tests.sync.test_chain_stateful import (ADMIN, SYNC_PROCESS, Chain, DiesAfter, _run, _scratch_folder,
                                            _drop_the_template)  # noqa: F401  (the template's clean-up)

MANAGER = Actor("1001", "Maria", Role.MANAGER)
CUSTOMERS = 2


class CreditMachine(RuleBasedStateMachine):
    serve = False

    @initialize()
    def start(self):
        self.folder = _scratch_folder()
        self.chain = Chain(self.folder, serve=self.serve)
        self.tills = [t_ for t_ in self.chain.tills if t_.store == "BER01"]
        first = self.tills[0]
        self.customers = [create_customer(first.svc, ADMIN, person(name, "Kredit")).id
                          for name in ("Anna", "Bernd")[:CUSTOMERS]]
        for till in self.tills:
            self.chain.sync(till)
        self.queued: dict[str, tuple[str, int]] = {}  # movement id -> (customer, amount), made at a till
        self.at_hq: dict[str, int] = {}               # movement id -> amount, recorded by the order system
        self.counter = 0

    def teardown(self):
        chain = getattr(self, "chain", None)
        if chain is None:
            return
        try:
            self.check_the_settled_ledger()
        finally:
            chain.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _ledger(self) -> list:
        m = t.credit_movement.c
        with self.chain.engine.connect() as conn:
            return list(conn.execute(select(t.credit_movement).order_by(m.customer_id, m.n)))

    # -- rules --
    @rule(till=st.integers(0, 2), customer=st.integers(0, CUSTOMERS - 1),
          kind=st.sampled_from(("added", "corrected", "corrected")),
          amount=st.sampled_from((1000, 2500, -1000, -2500, -3500)) | st.integers(-4000, 4000))
    def a_manager_moves_credit(self, till, customer, kind, amount):
        t_ = self.tills[till]
        cid = self.customers[customer]
        try:
            moved = credit.move_credit(t_.svc, MANAGER, cid, kind=kind, amount_minor=amount, reason=f"r{amount}",
                                       currency="EUR")
        except ValidationFailed:
            event("refused at the till")
            return
        self.queued[moved.id] = (cid, amount)

    @rule(till=st.integers(0, 2), customer=st.integers(0, CUSTOMERS - 1))
    def a_manager_corrects_all_the_credit_it_knows_of(self, till, customer):
        """What this till knows may be out of date: another till may take the same credit first."""
        t_ = self.tills[till]
        cid = self.customers[customer]
        known = credit.credit_account(t_.svc, MANAGER, cid, transport=self.chain.transport).line("EUR")
        if known.expected_minor > 0:
            self.a_manager_moves_credit(till, customer, "corrected", -known.expected_minor)

    @rule(customer=st.integers(0, CUSTOMERS - 1), kind=st.sampled_from(("used", "refunded", "expired")),
          amount=st.sampled_from((500, 2000)) | st.integers(1, 4000))
    def the_order_system_moves_credit(self, customer, kind, amount):
        self.counter += 1
        signed = -amount if kind in ("used", "expired") else amount
        try:
            row = self.chain.hq.credit_move(self.customers[customer], currency="EUR", kind=kind,
                                            amount_minor=signed, reason="order", movement_id=f"o-{self.counter}")
        except Conflict:
            event("refused at headquarters (order system)")
            return
        self.at_hq[row.id] = signed

    @rule(till=st.integers(0, 2))
    def a_till_syncs(self, till):
        self.chain.sync(self.tills[till])

    @rule(till=st.integers(0, 2), customer=st.integers(0, CUSTOMERS - 1), offline=st.booleans())
    def a_till_reads_the_balance(self, till, customer, offline):
        credit.credit_account(self.tills[till].svc, MANAGER, self.customers[customer],
                              transport=DOWN if offline else self.chain.transport)

    @precondition(lambda self: not self.serve)
    @rule(till=st.integers(0, 2))
    def a_till_dies_before_it_reads_the_answer(self, till):
        t_ = self.tills[till]
        try:
            sync.sync_now(t_.svc, ADMIN, transport=DiesAfter(self.chain.forward, "/v1/push"))
        except HqUnavailable:
            pass
        t_.restart()  # its events go again: headquarters finds them applied

    @precondition(lambda self: self.serve)
    @rule(till=st.integers(0, 2), after_ms=st.integers(0, 300))
    def a_till_is_killed_mid_sync(self, till, after_ms):
        t_ = self.tills[till]
        t_.svc.db.dispose()
        proc = subprocess.Popen([sys.executable, "-c", SYNC_PROCESS, str(t_.path)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(after_ms / 1000)  # where the kill lands; nothing is asserted about time
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        event("killed mid-sync" if proc.wait() == -signal.SIGKILL else "the sync ended before the kill")
        t_.restart()

    # -- invariants --
    @invariant()
    def the_ledger_adds_up_and_never_goes_below_zero(self):
        if not hasattr(self, "chain"):
            return
        running: dict[tuple[str, str], int] = defaultdict(int)
        for r in self._ledger():
            running[(r.customer_id, r.currency)] += r.amount_minor
            assert running[(r.customer_id, r.currency)] == r.balance_minor >= 0, r
            assert r.id in self.queued or r.id in self.at_hq, f"a movement nobody made: {r.id}"

    # -- the end state --
    def check_the_settled_ledger(self):
        self.chain.settle()
        ledger = {r.id: r for r in self._ledger()}
        parked = {}
        for till in self.tills:
            for entity_id, parked_at, reason in till.rows(
                    "SELECT entity_id, parked_at, parked_reason FROM outbox_event WHERE event_type = 'credit.moved'"):
                assert parked_at is not None, f"{till.name}: {entity_id} still queued after settling"
                assert "below zero" in reason, reason
                parked[entity_id] = reason
        for mid, (cid, amount) in self.queued.items():
            assert (mid in ledger) != (mid in parked), f"movement {mid}: in the ledger {mid in ledger}, parked " \
                                                       f"{mid in parked}"
            if mid in ledger:
                assert (ledger[mid].customer_id, ledger[mid].amount_minor) == (cid, amount)
        accepted = {mid: a for mid, (_c, a) in self.queued.items() if mid in ledger} | self.at_hq
        assert set(accepted) == set(ledger)
        for cid in self.customers:
            expected = sum(r.amount_minor for mid, r in ledger.items() if r.customer_id == cid)
            acct = self.chain.hq.credit_account(None, cid)
            assert sum(b.balance_minor for b in acct.balances) == expected >= 0
            assert expected == sum(accepted[mid] for mid, r in ledger.items() if r.customer_id == cid)


def test_store_credit_is_applied_once_never_lost_never_below_zero():
    _run(type("Credit", (CreditMachine,), {}), max_examples=10, stateful_step_count=25)


@pytest.mark.slow
def test_store_credit_with_tills_killed_mid_sync():
    _run(type("KilledCredit", (CreditMachine,), {"serve": True}), max_examples=6, stateful_step_count=20)
