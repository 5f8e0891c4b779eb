import random

import pytest

from pos_customers.domain import reference as R


def test_round_trip_and_shape():
    ref = R.make_reference(101, 0)
    assert len(ref) == 9 and all(c in R.ALPHABET for c in ref)
    assert R.decode_reference(ref) == R.ReferenceOrigin(101, 0)
    assert R.format_reference(ref) == f"{ref[:3]}-{ref[3:6]}-{ref[6:]}"


def test_unique_across_stores_and_sequences():
    refs = {R.make_reference(store, seq) for store in (1, 2, 101, 8191) for seq in range(3000)}
    assert len(refs) == 4 * 3000


def test_consecutive_customers_do_not_look_sequential():
    a, b = R.make_reference(101, 41), R.make_reference(101, 42)
    assert sum(x == y for x, y in zip(a, b)) <= 3


def test_parse_accepts_any_case_separators_and_lookalikes():
    ref = R.make_reference(7, 123456)
    spaced = " " + R.format_reference(ref).lower() + " "
    assert R.parse_reference(spaced) == ref
    assert R.parse_reference(ref.replace("0", "O").replace("1", "l")) == ref


@pytest.mark.parametrize("seed", range(20))
def test_check_symbol_catches_every_single_substitution(seed):
    ref = R.make_reference(random.Random(seed).randrange(1, 8191), seed * 7919)
    for pos in range(len(ref)):
        for sym in R.ALPHABET:
            if sym != ref[pos]:
                wrong = ref[:pos] + sym + ref[pos + 1:]
                assert not R.looks_like_reference(wrong), (ref, wrong)


@pytest.mark.parametrize("seed", range(200))
def test_check_symbol_catches_every_adjacent_swap(seed):
    ref = R.make_reference(1 + seed % 8000, seed * 104729 % R.MAX_SEQUENCE)
    for pos in range(len(ref) - 1):
        if ref[pos] != ref[pos + 1]:
            swapped = ref[:pos] + ref[pos + 1] + ref[pos] + ref[pos + 2:]
            assert not R.looks_like_reference(swapped), (ref, swapped)


def test_clear_errors():
    with pytest.raises(R.InvalidReference, match="9 characters"):
        R.parse_reference("ABC")
    with pytest.raises(R.InvalidReference, match="mistyped"):
        ref = R.make_reference(5, 5)
        R.parse_reference(ref[:-1] + ("0" if ref[-1] != "0" else "1"))
    with pytest.raises(ValueError):
        R.make_reference(0, 1)
    with pytest.raises(ValueError):
        R.make_reference(1, R.MAX_SEQUENCE + 1)
