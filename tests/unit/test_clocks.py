"""A customer's field clocks are stored compact and read back whole (domain/clocks.py)."""

import json

from pos_customers.domain import clocks
from pos_customers.domain.record import DOCUMENT_FIELDS

STAMP, LATER = "0001700000000-00000-demo", "0001764000000-00003-T1"


def test_the_last_field_list_is_the_document_fields():
    """A new document field needs a new list: rows written before keep meaning what they meant."""
    assert clocks.FIELD_LISTS[clocks.CURRENT] == DOCUMENT_FIELDS


def test_one_stamp_for_every_field_is_stored_once_and_read_back_whole():
    whole = {f: STAMP for f in DOCUMENT_FIELDS}
    packed = clocks.pack(whole)
    assert packed == {"*": STAMP, "#": clocks.CURRENT}
    assert len(json.dumps(packed)) < 50 < 1500 < len(json.dumps(whole))
    assert clocks.unpack(packed) == whole


def test_the_fields_edited_later_are_written_out():
    whole = {**{f: STAMP for f in DOCUMENT_FIELDS}, "last_name": LATER, "emails": LATER, "extra": LATER}
    packed = clocks.pack(whole)
    assert packed == {"*": STAMP, "#": clocks.CURRENT, "last_name": LATER, "emails": LATER, "extra": LATER}
    assert clocks.unpack(packed) == whole
    mostly_later = {**{f: LATER for f in DOCUMENT_FIELDS}, "title": STAMP}
    assert clocks.pack(mostly_later) == {"*": LATER, "#": clocks.CURRENT, "title": STAMP}


def test_a_mapping_without_every_field_or_stored_before_stays_as_it_is():
    some = {"last_name": LATER, "first_name": STAMP}
    assert clocks.pack(some) == some and clocks.unpack(some) == some
    assert clocks.pack({}) == {} and clocks.unpack(None) == {} and clocks.unpack({}) == {}
