"""F2 pre-fills a new customer's names from the search text, capitalised as people write names."""

import pytest

from pos_customers.domain.names import name_case, split_typed_name


@pytest.mark.parametrize("typed, written", [
    ("neum", "Neum"),
    ("anna müller", "Anna Müller"),
    ("MÜLLER", "Müller"),
    ("hans müller-lüdenscheidt", "Hans Müller-Lüdenscheidt"),
    ("ludwig van beethoven", "Ludwig van Beethoven"),
    ("anna van der berg", "Anna van der Berg"),
    ("jan de vries", "Jan de Vries"),
    ("ursula von der leyen", "Ursula von der Leyen"),
    ("anna maria de la cruz", "Anna Maria de la Cruz"),
    ("ahmad bin ali", "Ahmad bin Ali"),
    ("juan garcía y vega", "Juan García y Vega"),
    ("ronald mcdonald", "Ronald McDonald"),
    ("sean o'neil", "Sean O'Neil"),
    ("sean o’neil", "Sean O’Neil"),
    ("jean-luc picard", "Jean-Luc Picard"),
    ("zoë weiß", "Zoë Weiß"),
    ("le pen", "Le Pen"),            # an article alone is part of the surname
    ("van", "Van"),                  # a particle standing last is a surname of its own
    ("machado", "Machado"),          # "Mac" is left alone: MacHado would be wrong
    ("ΟΔΥΣΣΕΑΣ", "Οδυσσεας"),
    ("محمد علي", "محمد علي"),         # scripts without capitals: unchanged
    ("田中 太郎", "田中 太郎"),
    ("  anna   lee ", "Anna Lee"),
])
def test_typed_names_get_the_capitals_people_write(typed, written):
    assert name_case(typed) == written


@pytest.mark.parametrize("typed", ["McDonald", "DeVito", "van Gogh", "Anna VAN der Berg", "iPhone Maier"])
def test_text_with_capitals_of_its_own_is_kept_as_typed(typed):
    assert name_case(typed) == typed


@pytest.mark.parametrize("typed, first, last", [
    ("neum", "", "Neum"),
    ("anna maria müller", "Anna Maria", "Müller"),
    ("jan de vries", "Jan", "de Vries"),
    ("de vries", "", "de Vries"),
    ("ludwig van beethoven", "Ludwig", "van Beethoven"),
    ("ursula von der leyen", "Ursula", "von der Leyen"),
    ("anna maria de la cruz", "Anna Maria", "de la Cruz"),
    ("juan garcía y vega", "Juan", "García y Vega"),
    ("", "", ""),
])
def test_the_last_name_keeps_its_particles(typed, first, last):
    assert split_typed_name(typed) == (first, last)
