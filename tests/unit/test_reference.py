import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_customers.domain import reference as R

stores = st.integers(1, R.MAX_STORE)
tills = st.integers(1, R.MAX_TERMINAL)
till_seqs = st.integers(0, R.MAX_TERMINAL_SEQUENCE)


def _value(ref: str) -> int:
    value = 0
    for c in ref[:R.PAYLOAD_LEN]:
        value = value * R.BASE + R.ALPHABET.index(c)
    return value


def _ref_of_value(value: int) -> str:
    return R._encode(value)


def test_round_trip_and_shape():
    ref = R.make_reference(101, 0, terminal=3)
    assert len(ref) == 9 and all(c in R.ALPHABET for c in ref)
    assert R.decode_reference(ref) == R.ReferenceOrigin(101, 0, 3)
    assert R.format_reference(ref) == f"{ref[:3]}-{ref[3:6]}-{ref[6:]}"


def test_references_made_before_till_numbers_are_unchanged_and_decode_without_a_terminal():
    # made by the earlier code (store sequence only): they are printed on cards and must stay valid
    known = {(101, 0): "FJMREGWX4", (101, 1): "B0V810V55", (1, 1): "GP6C98A24",
             (7, 123456): "1HJFTAB7D", (8191, R.MAX_SEQUENCE): "HFWMQPC7Y"}
    for (store, seq), ref in known.items():
        assert R.make_legacy_reference(store, seq) == ref
        assert R.decode_reference(ref) == R.ReferenceOrigin(store, seq, None)
        assert R.decode_reference(R.format_reference(ref).lower()).terminal is None


def test_unique_across_stores_terminals_and_sequences():
    seqs = [*range(400), R.MAX_TERMINAL_SEQUENCE - 1, R.MAX_TERMINAL_SEQUENCE]
    made = {}
    for store in (1, 2, 101, 4096, 8191):
        for terminal in (0, 1, 2, 31, 32, 63, 64):
            for seq in seqs:
                ref = R.make_reference(store, seq, terminal=terminal)
                assert ref not in made, (ref, made.get(ref), (store, terminal, seq))
                made[ref] = (store, terminal, seq)
                assert R.decode_reference(ref) == R.ReferenceOrigin(store, seq, terminal)
    assert len(made) == 5 * 7 * len(seqs)


@settings(max_examples=500, deadline=None)
@given(stores, tills, till_seqs)
def test_decoding_inverts_making_for_every_till(store, terminal, seq):
    """decode(make(x)) == x for all x: making is one-to-one, so no two tills share a reference."""
    ref = R.make_reference(store, seq, terminal=terminal)
    assert R.looks_like_reference(ref)
    assert R.decode_reference(ref) == R.ReferenceOrigin(store, seq, terminal)
    assert R.TILL_BASE <= _value(ref) < R.BULK_BASE


@settings(max_examples=300, deadline=None)
@given(stores, st.integers(0, R.MAX_BULK_SEQUENCE))
def test_decoding_inverts_making_for_bulk_references(store, seq):
    ref = R.make_reference(store, seq, terminal=R.BULK_TERMINAL)
    assert R.decode_reference(ref) == R.ReferenceOrigin(store, seq, 0)
    assert R.BULK_BASE <= _value(ref) < R.END


@settings(max_examples=300, deadline=None)
@given(stores, st.integers(0, R.MAX_SEQUENCE))
def test_old_references_lie_below_every_new_one(store, seq):
    ref = R.make_legacy_reference(store, seq)
    assert _value(ref) < R.TILL_BASE
    assert R.decode_reference(ref) == R.ReferenceOrigin(store, seq, None)


def test_the_three_ranges_are_disjoint_and_fit_in_eight_symbols():
    assert 0 < R.TILL_BASE == 2**39 and R.BULK_BASE == R.TILL_BASE + 2**38
    assert R.END == R.BULK_BASE + 2**34 <= R.BASE ** R.PAYLOAD_LEN
    old = {R.make_legacy_reference(s, q) for s in (1, 101, 8191) for q in range(2000)}
    new = {R.make_reference(s, q, terminal=t) for s in (1, 101, 8191) for t in (0, 1, 64) for q in range(700)}
    assert not old & new


def test_range_edges_decode_to_their_scheme_and_the_rest_is_refused():
    def origin(value):
        return R.decode_reference(_ref_of_value(value))

    # a value whose store part is 0 is refused in every range: store numbers start at 1
    def kind(o):
        return "old" if o.terminal is None else ("bulk" if o.terminal == 0 else "till")

    edges = {R.TILL_BASE - 1: "old", R.TILL_BASE - 2: "old", R.TILL_BASE: "till", R.TILL_BASE + 1: "till",
             R.BULK_BASE - 1: "till", R.BULK_BASE: "bulk", R.BULK_BASE + 1: "bulk", R.END - 1: "bulk"}
    decoded = 0
    for value, expected in edges.items():
        try:
            o = origin(value)
        except R.InvalidReference:
            continue
        decoded += 1
        assert kind(o) == expected and 1 <= o.store_number <= R.MAX_STORE, (value, o)
        assert _value(R.make_legacy_reference(o.store_number, o.sequence) if o.terminal is None else
                      R.make_reference(o.store_number, o.sequence, terminal=o.terminal)) == value
    assert decoded >= 4
    for value in (R.END, R.END + 12345, R.BASE ** R.PAYLOAD_LEN - 1):
        with pytest.raises(R.InvalidReference, match="not a reference issued by this system"):
            origin(value)


def test_a_till_that_used_its_range_is_refused_never_given_a_wrong_reference():
    last = R.make_reference(12, R.MAX_TERMINAL_SEQUENCE, terminal=5)
    assert R.decode_reference(last) == R.ReferenceOrigin(12, R.MAX_TERMINAL_SEQUENCE, 5)
    with pytest.raises(R.SequenceExhausted, match="till 5 of store 12 has issued all 524,288") as info:
        R.make_reference(12, R.MAX_TERMINAL_SEQUENCE + 1, terminal=5)
    assert (info.value.store_number, info.value.terminal, info.value.limit) == (12, 5, 524_288)
    with pytest.raises(R.SequenceExhausted, match="bulk range of store 12 has issued all 2,097,152"):
        R.make_reference(12, R.MAX_BULK_SEQUENCE + 1, terminal=0)


def test_consecutive_customers_do_not_look_sequential():
    for terminal in (0, 1, 7):
        a, b = R.make_reference(101, 41, terminal=terminal), R.make_reference(101, 42, terminal=terminal)
        assert sum(x == y for x, y in zip(a, b)) <= 3
    # neither do the same sequence numbers on neighbouring tills
    a, b = R.make_reference(101, 41, terminal=1), R.make_reference(101, 41, terminal=2)
    assert sum(x == y for x, y in zip(a, b)) <= 3


def test_parse_accepts_any_case_separators_and_lookalikes():
    ref = R.make_reference(7, 123456, terminal=2)
    spaced = " " + R.format_reference(ref).lower() + " "
    assert R.parse_reference(spaced) == ref
    assert R.parse_reference(ref.replace("0", "O").replace("1", "l")) == ref


def _sample(seed: int) -> str:
    rng = random.Random(seed)
    store = rng.randrange(1, R.MAX_STORE + 1)
    kind = seed % 3
    if kind == 0:
        return R.make_legacy_reference(store, rng.randrange(R.MAX_SEQUENCE + 1))
    if kind == 1:
        return R.make_reference(store, rng.randrange(R.MAX_BULK_SEQUENCE + 1), terminal=0)
    return R.make_reference(store, rng.randrange(R.MAX_TERMINAL_SEQUENCE + 1),
                            terminal=rng.randrange(1, R.MAX_TERMINAL + 1))


@pytest.mark.parametrize("seed", range(21))
def test_check_symbol_catches_every_single_substitution(seed):
    ref = _sample(seed)
    for pos in range(len(ref)):
        for sym in R.ALPHABET:
            if sym != ref[pos]:
                wrong = ref[:pos] + sym + ref[pos + 1:]
                assert not R.looks_like_reference(wrong), (ref, wrong)


@pytest.mark.parametrize("seed", range(201))
def test_check_symbol_catches_every_adjacent_swap(seed):
    ref = _sample(seed)
    for pos in range(len(ref) - 1):
        if ref[pos] != ref[pos + 1]:
            swapped = ref[:pos] + ref[pos + 1] + ref[pos] + ref[pos + 2:]
            assert not R.looks_like_reference(swapped), (ref, swapped)


def test_clear_errors():
    with pytest.raises(R.InvalidReference, match="9 characters"):
        R.parse_reference("ABC")
    with pytest.raises(R.InvalidReference, match="mistyped"):
        ref = R.make_reference(5, 5, terminal=1)
        R.parse_reference(ref[:-1] + ("0" if ref[-1] != "0" else "1"))
    with pytest.raises(ValueError, match="store number"):
        R.make_reference(0, 1, terminal=1)
    with pytest.raises(ValueError, match="terminal number must be between 0 and 64"):
        R.make_reference(1, 1, terminal=65)
    with pytest.raises(ValueError, match="negative"):
        R.make_reference(1, -1, terminal=1)
    with pytest.raises(ValueError):
        R.make_legacy_reference(1, R.MAX_SEQUENCE + 1)
    with pytest.raises(TypeError):
        R.make_reference(1, 1)  # the terminal is never implied
