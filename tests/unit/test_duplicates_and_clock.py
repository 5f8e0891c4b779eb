import pytest

from pos_customers.domain.duplicates import NameParts, name_key, similar_name
from pos_customers.sync.clock import HybridClock, Stamp


@pytest.mark.parametrize("a,b", [("Meier", "Meyer"), ("Meier", "Maier"), ("Mayer", "Meier"),
                                 ("Müller", "Mueller"), ("Schmidt", "Schmitt")])
def test_phonetic_key_groups_spellings(a, b):
    assert name_key("person", a, "") == name_key("person", b, "") != ""


def test_phonetic_key_separates_different_names():
    assert name_key("person", "Meier", "") != name_key("person", "Schulz", "")
    assert name_key("organization", "", "Bau GmbH") == name_key("organization", "", "Bau GmbH")
    assert name_key("person", "😀", "") == ""


def test_similar_name_needs_similar_first_names():
    p = lambda f, l: NameParts("person", f, l, "")  # noqa: E731
    assert similar_name(p("Hans", "Meier"), p("Hanns", "Meyer"))
    assert similar_name(p("Jürgen", "Maier"), p("Juergen", "Mayer"))
    assert not similar_name(p("Hans", "Meier"), p("Paula", "Meier"))
    assert not similar_name(p("Hans", "Meier"), NameParts("organization", "", "", "Hans Meier"))


def test_clock_is_monotonic_even_when_the_wall_clock_goes_back():
    wall = [1000]
    clock = HybridClock("A", wall=lambda: wall[0])
    a = clock.now()
    wall[0] = 900
    b = clock.now()
    assert b > a and Stamp.parse(b).millis == 1000 and Stamp.parse(b).counter == 1


def test_clock_observes_remote_stamps():
    clock = HybridClock("A", wall=lambda: 1000)
    clock.observe(str(Stamp(5000, 3, "B")))
    after = Stamp.parse(clock.now())
    assert (after.millis, after.counter, after.node) == (5000, 5, "A")


def test_clock_resumes_after_the_last_stamp():
    clock = HybridClock("A", wall=lambda: 10, last=str(Stamp(20, 7, "A")))
    assert Stamp.parse(clock.now()) == Stamp(20, 8, "A")
