"""The tests hash at argon2's lowest cost (tests/conftest.py); production hashes at the real one."""

from __future__ import annotations

import subprocess
import sys

import argon2

from pos_customers.domain import security
from tests.conftest import CHEAP_HASHER, REAL_HASHER

OWASP = {"type": argon2.Type.ID, "memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


def params(hasher) -> dict:
    found = argon2.extract_parameters(hasher.hash("1357"))
    return {k: getattr(found, k) for k in OWASP}


def test_production_hashes_with_the_owasp_parameters():
    """A process that imports the app as production does (nothing from the tests) hashes at full cost."""
    out = subprocess.run([sys.executable, "-c", "from pos_customers.domain.security import hash_secret; "
                          "print(hash_secret('1357'))"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert params(REAL_HASHER) == OWASP


def test_the_tests_hash_cheaply_and_real_argon2_restores_the_real_cost(request):
    assert security.HASHER is CHEAP_HASHER
    request.getfixturevalue("real_argon2")
    assert params(security.HASHER) == OWASP
