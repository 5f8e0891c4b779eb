"""What an associate typed before pressing F2 lands in the right field of the new customer."""

from pos_customers.ui.screens.search import draft_from_query


def test_typed_text_goes_to_the_right_field():
    assert [e.address for e in draft_from_query("anna@gmx.de").emails] == ["anna@gmx.de"]
    assert [p.number for p in draft_from_query("0151 2345").phones] == ["0151 2345"]
    assert [p.number for p in draft_from_query("0151").phones] == ["0151"]  # short digits: still a phone
    assert draft_from_query("0151").last_name == ""
    d = draft_from_query("Anna Maria Müller")
    assert (d.first_name, d.last_name) == ("Anna Maria", "Müller")
    assert draft_from_query("Weiß").last_name == "Weiß"
    assert draft_from_query("   ").last_name == ""


def test_names_typed_in_lower_case_are_capitalised_as_people_write_them():
    assert draft_from_query("neum").last_name == "Neum"
    d = draft_from_query("jan de vries")
    assert (d.first_name, d.last_name) == ("Jan", "de Vries")
    d = draft_from_query("ronald mcdonald")
    assert (d.first_name, d.last_name) == ("Ronald", "McDonald")
    assert draft_from_query("anna@GMX.de").emails[0].address == "anna@GMX.de"  # an email is not a name


def test_what_no_name_holds_is_left_out_of_the_names():
    """An emoji or a search's quote and star would only make the form refuse the name."""
    d = draft_from_query('"meier* 😀')
    assert (d.first_name, d.last_name) == ("", "Meier")
    d = draft_from_query("😀")
    assert (d.first_name, d.last_name) == ("", "")
    d = draft_from_query("hans müller-lüdenscheidt")
    assert (d.first_name, d.last_name) == ("Hans", "Müller-Lüdenscheidt")
