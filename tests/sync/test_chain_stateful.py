"""A chain: 2 stores x 3 tills and one headquarters, driven by hypothesis.

Rules: a till creates, edits or anonymizes customers offline; a random till syncs; a till crashes
mid-sync (headquarters has applied its push, or sent it a pull page, but the till dies before it
records the answer, and starts again from its file). Invariants: no reference ever names two
customers anywhere. At the end, after every till has synced until nothing moves: every reference is
unique chain-wide and decodes to the till that made it, every customer made exists once at
headquarters, and every till holds exactly its store's customers with headquarters' field values.

Headquarters is the real FastAPI app on a SQLite file, reached through its ASGI interface, so a
server error fails the test at once. The slow variant runs the tills' syncs as real processes against
a real headquarters process and kills them (SIGKILL) at a random moment.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)
from sqlalchemy import select

from pos_customers.domain.customer import CustomerDraft, EmailInput
from pos_customers.domain.reference import decode_reference
from pos_customers.hq import tables as t
from pos_customers.hq.api import create_app
from pos_customers.hq.db import make_engine, upgrade
from pos_customers.hq.mailer import FileMailer
from pos_customers.hq.service import Headquarters
from pos_customers.services import sync
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.services.privacy import anonymize_customer
from pos_customers.services.sync import HqUnavailable, enrol_terminal
from pos_customers.storage.documents import all_documents
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade as upgrade_terminal
from tests.helpers import person

STORES = (("BER01", 101), ("HAM01", 102))
TILLS_PER_STORE = 3
HQ_URL = "http://hq.chain.test"
FIRST = ("Anna", "Bernd", "Chiara", "Dmitri", "Eva", "Fatma", "Jürgen", "Zoë")
LAST = ("Müller", "Schmidt", "Öztürk", "Weiß", "Nguyen", "Kowalska")
COMPANY = ("", "Acme GmbH", "Globex", "Initech AG")
ADMIN = Actor.command_line()
SYNC_PROCESS = """
import sys
from pos_customers.services import sync
from pos_customers.services.context import Actor, Services
from pos_customers.storage.engine import Database
svc = Services(Database(sys.argv[1]))
svc.settings()
print("ready", flush=True)
sync.sync_now(svc, Actor.command_line())
"""


# -- the chain ------------------------------------------------------------------------------------

class ServerError(AssertionError):
    pass


class Forward(httpx.BaseTransport):
    """Hands each request to headquarters' ASGI app. An unhandled server error is raised in the
    test (TestClient re-raises it); a 5xx answer fails the test as well."""

    def __init__(self, http: TestClient):
        self.http = http

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        r = self.http.request(request.method, str(request.url), headers=headers, content=request.read())
        if r.status_code >= 500:
            raise ServerError(f"{request.method} {request.url.path} answered {r.status_code}: {r.text[:300]}")
        return httpx.Response(r.status_code, headers=r.headers, content=r.content, request=request)


class DiesAfter(httpx.BaseTransport):
    """Headquarters gets (and answers) the request; the till never sees the answer."""

    def __init__(self, forward: Forward, path: str):
        self.forward, self.path = forward, path

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.forward.handle_request(request)
        if request.url.path == self.path:
            raise httpx.ReadError("the till died before it read the answer", request=request)
        return response


def _copy_sqlite(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _scratch_folder() -> Path:
    """Memory-backed when the machine has it: the test is about sync, not about fsync."""
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="chain-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))


class Till:
    def __init__(self, store: str, store_number: int, index: int, path: Path):
        self.store, self.store_number, self.index, self.path = store, store_number, index, path
        self.svc = Services(Database(path))
        self.number = int(self.svc.settings().get("terminal_number") or 0)

    @property
    def name(self) -> str:
        return f"{self.store}/{self.index + 1}"

    def restart(self) -> None:
        """The process died: whatever it held in memory is gone, the file is what is left."""
        self.svc.db.dispose()
        self.svc = Services(Database(self.path))

    def rows(self, sql: str, *args) -> list[tuple]:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def documents(self) -> dict[str, dict]:
        with self.svc.db.read() as s:
            return {d["id"]: d for d in all_documents(s)}


def _till_files() -> list[tuple[str, int, int, str]]:
    return [(code, number, i, f"{code}-{i + 1}.db") for code, number in STORES for i in range(TILLS_PER_STORE)]


_TEMPLATE: list[Path] = []


def enrolled_chain() -> Path:
    """Headquarters and six tills enrolled and synced once (reference data pulled), made once per
    session; every example starts from a copy of these files."""
    if not _TEMPLATE:
        folder = _scratch_folder()
        engine = make_engine(f"sqlite:///{folder / 'hq.db'}")
        upgrade(engine)
        hq = Headquarters(engine, mailer=FileMailer(folder / "mail"))
        http = TestClient(create_app(engine, hq))
        empty = folder / "empty-till.db"
        db = Database(empty)
        upgrade_terminal(db)
        db.dispose()
        tokens: dict[str, str] = {}
        for code, number, i, file in _till_files():
            if code not in tokens:
                tokens[code] = hq.add_store(code, f"Store {code}", number=number, country="DE", currency="EUR",
                                            language="de")
            _copy_sqlite(empty, folder / file)
            svc = Services(Database(folder / file))
            enrol_terminal(svc, ADMIN, HQ_URL, tokens[code] if i == 0 else hq.issue_token(code),
                           terminal_name=f"{code}/{i + 1}", transport=Forward(http))
            sync.sync_now(svc, ADMIN, transport=Forward(http))
            svc.db.dispose()
        http.close()
        engine.dispose()
        _TEMPLATE.append(folder)
    return _TEMPLATE[0]


@pytest.fixture(scope="module", autouse=True)
def _drop_the_template():
    yield
    for folder in _TEMPLATE:
        shutil.rmtree(folder, ignore_errors=True)
    _TEMPLATE.clear()


class Chain:
    """Headquarters and the tills, copied from the enrolled chain into ``folder``."""

    def __init__(self, folder: Path, *, serve: bool = False):
        self.folder = folder
        source = enrolled_chain()
        for file in ["hq.db", *(f for *_, f in _till_files())]:
            _copy_sqlite(source / file, folder / file)
        self.engine = make_engine(f"sqlite:///{folder / 'hq.db'}")
        self.hq = Headquarters(self.engine, mailer=FileMailer(folder / "mail"))
        self.http = TestClient(create_app(self.engine, self.hq))
        self.forward = Forward(self.http)
        self.transport: httpx.BaseTransport | None = self.forward
        self.server = None
        self.tills = [Till(code, number, i, folder / file) for code, number, i, file in _till_files()]
        if serve:  # a real headquarters process: the tills' syncs run as processes that can be killed
            from tests.sync.conftest import HqProcess

            self.server = HqProcess(folder / "hq.db")
            self.server.start()
            self.transport = None
            for till in self.tills:
                sync.connect(till.svc, ADMIN, url=self.server.url)

    def close(self) -> None:
        for till in self.tills:
            till.svc.db.dispose()
        if self.server is not None:
            self.server.stop()
            self.server.hq.engine.dispose()
        self.http.close()
        self.engine.dispose()

    def sync(self, till: Till) -> sync.SyncResult:
        return sync.sync_now(till.svc, ADMIN, transport=self.transport)

    def hq_customers(self) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {r.id: {"reference": r.reference, "store_code": r.home_store,
                           "anonymized": r.anonymized_at is not None, "fields": json.loads(r.fields)}
                    for r in conn.execute(select(t.customer))}

    def settle(self, rounds: int = 8) -> None:
        """Sync every till until a whole round moves nothing."""
        for _ in range(rounds):
            moved = 0
            for till in self.tills:
                result = self.sync(till)
                moved += result.pushed + result.pulled
            if moved == 0:
                return
        raise AssertionError(f"the chain did not settle in {rounds} rounds of syncs")


# -- the state machine ----------------------------------------------------------------------------

class ChainMachine(RuleBasedStateMachine):
    serve = False

    @initialize()
    def start(self):
        self.folder = _scratch_folder()
        self.chain = Chain(self.folder, serve=self.serve)
        self.made: dict[str, tuple[str, int, str]] = {}  # customer id -> (store, till number, reference)
        self.counter = 0

    def teardown(self):
        chain = getattr(self, "chain", None)
        if chain is None:
            return
        try:
            self.check_the_settled_chain()
        finally:
            chain.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _till(self, index: int) -> Till:
        return self.chain.tills[index % len(self.chain.tills)]

    def _held(self, till: Till, pick: int) -> str | None:
        ids = [r[0] for r in till.rows("SELECT id FROM customer WHERE anonymized_at IS NULL ORDER BY id")]
        return ids[pick % len(ids)] if ids else None

    # -- rules --
    @rule(till=st.integers(0, 5), first=st.sampled_from(FIRST), last=st.sampled_from(LAST),
          with_email=st.booleans())
    def create_offline(self, till, first, last, with_email):
        t_ = self._till(till)
        self.counter += 1
        email = f"{first.lower()}.{self.counter}@example.org".replace("ü", "ue").replace("ë", "e") \
            if with_email else None
        view = create_customer(t_.svc, ADMIN, person(first, last, email))
        self.made[view.id] = (t_.store, t_.number, view.reference)

    @rule(till=st.integers(0, 5), pick=st.integers(0, 1000), last=st.sampled_from(LAST),
          company=st.sampled_from(COMPANY), new_email=st.booleans())
    def edit_offline(self, till, pick, last, company, new_email):
        t_ = self._till(till)
        cid = self._held(t_, pick)
        if cid is None:
            return
        view = get_customer(t_.svc, ADMIN, cid)
        draft = draft_from_view(view)
        self.counter += 1
        emails = (EmailInput(f"edit.{self.counter}@example.org", primary=True),) if new_email else draft.emails
        update_customer(t_.svc, ADMIN, cid, CustomerDraft(**{**draft.__dict__, "last_name": last,
                                                             "company": company, "emails": emails}),
                        opened=view)

    @rule(till=st.integers(0, 5), pick=st.integers(0, 1000))
    def anonymize_offline(self, till, pick):
        t_ = self._till(till)
        cid = self._held(t_, pick)
        if cid is None:
            return
        anonymize_customer(t_.svc, ADMIN, cid, get_customer(t_.svc, ADMIN, cid).reference)

    @rule(till=st.integers(0, 5))
    def sync_a_till(self, till):
        self.chain.sync(self._till(till))

    @precondition(lambda self: not self.serve)
    @rule(till=st.integers(0, 5), where=st.sampled_from(("/v1/push", "/v1/pull")))
    def till_dies_mid_sync(self, till, where):
        t_ = self._till(till)
        try:
            sync.sync_now(t_.svc, ADMIN, transport=DiesAfter(self.chain.forward, where))
        except HqUnavailable:
            pass  # it died there; with nothing to push it only died on the pull
        t_.restart()

    @precondition(lambda self: self.serve)
    @rule(till=st.integers(0, 5), after_ms=st.integers(0, 300))
    def till_killed_mid_sync(self, till, after_ms):
        t_ = self._till(till)
        t_.svc.db.dispose()
        proc = subprocess.Popen([sys.executable, "-c", SYNC_PROCESS, str(t_.path)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().strip() == "ready"  # imported and opened: the sync starts now
        time.sleep(after_ms / 1000)  # where the kill lands; nothing is asserted about time
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        event("killed mid-sync" if proc.wait() == -signal.SIGKILL else "the sync ended before the kill")
        t_.restart()

    # -- invariants --
    @invariant()
    def no_reference_names_two_customers(self):
        if not hasattr(self, "chain"):
            return
        by_reference: dict[str, str] = {}
        sources = [(till.name, till.rows("SELECT reference, id FROM customer")) for till in self.chain.tills]
        sources.append(("headquarters", [(c["reference"], cid) for cid, c in self.chain.hq_customers().items()]))
        for where, pairs in sources:
            for reference, cid in pairs:
                assert by_reference.setdefault(reference, cid) == cid, (
                    f"{where}: reference {reference} names {cid} and {by_reference[reference]}")

    # -- the end state --
    def check_the_settled_chain(self):
        chain = self.chain
        chain.settle()
        for till in chain.tills:  # nothing left behind (a refused event would stay here)
            stuck = till.rows("SELECT event_type, entity_id, last_error FROM outbox_event")
            assert stuck == [], (till.name, stuck)
        at_hq = chain.hq_customers()
        # nothing lost, nothing doubled, every reference unique and from the till that made it
        assert set(at_hq) == set(self.made), (set(self.made) - set(at_hq), set(at_hq) - set(self.made))
        references = [c["reference"] for c in at_hq.values()]
        assert len(set(references)) == len(references)
        numbers = dict(STORES)
        for cid, (store, number, reference) in self.made.items():
            assert at_hq[cid]["reference"] == reference and at_hq[cid]["store_code"] == store
            origin = decode_reference(reference)
            assert (origin.store_number, origin.terminal) == (numbers[store], number)
        tills_of = {code: [t_ for t_ in chain.tills if t_.store == code] for code, _ in STORES}
        assert sorted(t_.number for t_ in tills_of["BER01"]) == [1, 2, 3]
        for till in chain.tills:
            assert till.rows("SELECT count(*) FROM outbox_event") == [(0,)], till.name
            docs = till.documents()
            scope = {cid for cid, c in at_hq.items() if c["store_code"] == till.store}
            assert set(docs) == scope, (till.name, set(docs) ^ scope)
            for cid in scope:
                mine, theirs = docs[cid], at_hq[cid]
                assert mine["reference"] == theirs["reference"], (till.name, cid)
                assert (mine["anonymized_at"] is not None) == theirs["anonymized"], (till.name, cid)
                assert mine["fields"] == theirs["fields"], (till.name, cid, _field_diff(mine["fields"],
                                                                                         theirs["fields"]))
            # settled: synced, or in conflict exactly where a conflict waits for someone to resolve it
            states = dict(till.rows("SELECT id, sync_state FROM customer"))
            open_conflicts = {cid for (cid,) in till.rows(
                "SELECT customer_id FROM sync_conflict WHERE resolved_at IS NULL")}
            for cid, state in states.items():
                expected = {"synced", "conflict"} if cid in open_conflicts else {"synced"}
                assert state in expected, (till.name, cid, state)


def _field_diff(a: dict, b: dict) -> dict:
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


def _run(machine: type[ChainMachine], **limits) -> None:
    run_state_machine_as_test(machine, settings=settings(
        deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), **limits))


def test_a_chain_of_tills_never_loses_doubles_or_shares_a_customer():
    _run(type("Chain", (ChainMachine,), {}), max_examples=15, stateful_step_count=20)


@pytest.mark.slow
def test_a_longer_chain_run():
    _run(type("LongChain", (ChainMachine,), {}), max_examples=60, stateful_step_count=50)


@pytest.mark.slow
def test_a_chain_with_tills_killed_mid_sync():
    _run(type("KilledChain", (ChainMachine,), {"serve": True}), max_examples=8, stateful_step_count=20)


# -- the issue as it was reported -----------------------------------------------------------------

def test_two_tills_of_one_store_both_offline_issue_distinct_references(tmp_path, hq_server):
    from tests.sync.conftest import terminal as enrolled

    first = enrolled(tmp_path, hq_server, "BER01", country="DE", currency="EUR", language="de")
    second_db = Database(tmp_path / "BER01-2.db")
    upgrade_terminal(second_db)
    second = Services(second_db)
    enrol_terminal(second, ADMIN, hq_server.url, hq_server.hq.issue_token("BER01"), terminal_name="till 2")
    assert (first.settings()["terminal_number"], second.settings()["terminal_number"]) == ("1", "2")
    made = [create_customer(svc, ADMIN, person(FIRST[i], "Müller"))
            for i in range(3) for svc in (first, second)]
    assert len({v.reference for v in made}) == 6
    for svc in (first, second, first, second):
        sync.sync_now(svc, ADMIN)  # HqRefused / HqUnavailable (a 500) would raise here
    with hq_server.hq.engine.connect() as conn:
        at_hq = dict(conn.execute(select(t.customer.c.id, t.customer.c.reference)).all())
    assert at_hq == {v.id: v.reference for v in made}
    for svc in (first, second):
        assert sync.status(svc, ADMIN).outbox == 0
        with svc.db.read() as s:
            assert {d["id"]: d["reference"] for d in all_documents(s)} == at_hq


def test_a_customer_made_and_anonymized_before_the_first_sync_reaches_headquarters_anonymized():
    """Found by the chain test: the till drops the unsent creation (it holds the personal data) and
    sends only the anonymization; headquarters registers the customer from it, anonymized."""
    folder = _scratch_folder()
    chain = Chain(folder)
    try:
        till, other = chain.tills[0], chain.tills[1]
        view = create_customer(till.svc, ADMIN, person("Anna", "Müller", "anna@example.org"))
        anonymize_customer(till.svc, ADMIN, view.id, view.reference)
        chain.settle()
        at_hq = chain.hq_customers()
        assert list(at_hq) == [view.id] and at_hq[view.id]["anonymized"]
        assert at_hq[view.id]["reference"] == view.reference and at_hq[view.id]["store_code"] == "BER01"
        assert "anna@example.org" not in json.dumps(at_hq[view.id]["fields"])
        for t_ in (till, other):
            assert t_.rows("SELECT count(*) FROM outbox_event") == [(0,)]
            assert t_.documents()[view.id]["fields"] == at_hq[view.id]["fields"]
    finally:
        chain.close()
        shutil.rmtree(folder, ignore_errors=True)
