"""Sign-in refusals take as long as each other: an unknown number, an inactive associate, a wrong
PIN and a locked associate (wrong or right PIN), against the raw baseline of one argon2id
verification with the same parameters (what an expert's check of a PIN costs at least).

Prints the median of N tries of each, and its ratio to the baseline. The attempts run on a
throw-away store in a temporary folder; the lockout is lifted between the wrong-PIN tries so
that path stays "wrong PIN" and does not become "locked" (the unlock is not timed).

    uv run python bench/sign_in.py --tries 30
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from argon2 import PasswordHasher

from pos_customers.domain.enums import Role
from pos_customers.services import access
from pos_customers.services.access import SignInFailed, sign_in
from pos_customers.services.associates import add_associate, set_active, unlock
from pos_customers.services.context import Actor, Services
from pos_customers.services.store import init_store
from pos_customers.storage.engine import Database
from pos_customers.storage.migrate import upgrade


def median_ms(fn, tries: int, between=None) -> float:
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        if between is not None:
            between()  # not timed
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=30)
    tries = parser.parse_args().tries

    folder = Path(tempfile.mkdtemp(prefix="bench-sign-in-"))
    db = Database(folder / "store.db")
    upgrade(db)
    admin = Actor("9000", "Admin", Role.ADMIN, "bench")
    svc = Services(db)
    init_store(svc, admin, code="BER01", number=101, name="B", country="DE", currency="EUR", language="de")
    add_associate(svc, admin, number="1002", name="Jonas", role="associate", pin="1357")
    add_associate(svc, admin, number="1003", name="Eva", role="associate", pin="1111")
    add_associate(svc, admin, number="1004", name="Karl", role="associate", pin="2222")
    set_active(svc, admin, "1003", False)
    for _ in range(access.MAX_ATTEMPTS):  # 1004 stays locked for the whole run
        try:
            sign_in(svc, "1004", "0000")
        except SignInFailed:
            pass

    raw = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    stored = raw.hash("1357")
    access.warm_up()

    def refused(number: str, pin: str):
        def attempt() -> None:
            try:
                sign_in(svc, number, pin)
            except SignInFailed:
                pass
        return attempt

    def baseline() -> None:
        try:
            raw.verify(stored, "0000")
        except Exception:  # noqa: BLE001 - a mismatch is the point
            pass

    base = median_ms(baseline, tries)
    print(f"raw argon2id verify (baseline)   {base:7.1f} ms")
    reset = lambda: unlock(svc, admin, "1002")  # noqa: E731 - wrong PINs stay "wrong", never "locked"
    for label, fn, between in (("unknown number", refused("4242", "1234"), None),
                               ("inactive associate", refused("1003", "1111"), None),
                               ("wrong PIN", refused("1002", "0000"), reset),
                               ("locked, wrong PIN", refused("1004", "0000"), None),
                               ("locked, right PIN", refused("1004", "2222"), None),
                               ("right PIN (signs in)", lambda: sign_in(svc, "1002", "1357"), None)):
        ms = median_ms(fn, tries, between)
        print(f"{label:<32} {ms:7.1f} ms  {ms / base:5.2f}x baseline", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
