"""Segments at the till: received by pull, kept locally (offline), shown for the card, and the
search box's seg:CODE filter combined with the other words; an unknown code is said, not an empty list."""

from __future__ import annotations

import pytest

from pos_customers.services.customers import create_customer
from pos_customers.services.search import UnknownSegment, search_customers, unknown_segment_text
from pos_customers.services.segments import customer_segments, known_segments, segment_rows, segments_line
from pos_customers.sync.engine import apply_item
from tests.helpers import person


def pull(svc, kind, doc, key, deleted=False):
    with svc.db.write() as s:
        apply_item(s, {"t": kind, "seq": 1, "key": key, "deleted": deleted, "doc": doc}, "BER01", {})


@pytest.fixture
def members(svc, admin):
    made = {k: create_customer(svc, admin, person(*name.split(), email=f"{k}@example.org"))
            for k, name in {"anna": "Anna Müller", "anton": "Anton Müller", "bea": "Bea Schulz",
                            "carl": "Carl Müller"}.items()}
    pull(svc, "segment", {"code": "vip", "name": "VIP customers"}, "vip")
    pull(svc, "segment", {"code": "new", "name": "New this month"}, "new")
    for key, codes in {"anna": ["new", "vip"], "bea": ["vip"], "anton": ["new"]}.items():
        cid = made[key].id
        pull(svc, "customer_segments", {"customer_id": cid, "codes": codes}, cid)
    return made


def names(svc, admin, text):
    return sorted(r.display_name for r in search_customers(svc, admin, text).rows)


def test_seg_filters_and_combines_with_words(svc, admin, members):
    assert names(svc, admin, "seg:vip") == ["Anna Müller", "Bea Schulz"]
    assert names(svc, admin, "SEG:VIP müller") == ["Anna Müller"]
    assert names(svc, admin, "müller seg:new") == ["Anna Müller", "Anton Müller"]
    assert names(svc, admin, "seg:new seg:vip") == ["Anna Müller"]
    assert names(svc, admin, "seg:vip carl") == []
    assert names(svc, admin, "seg:vip bea@example.org") == ["Bea Schulz"]  # exact email, filtered
    assert names(svc, admin, "seg:new bea@example.org") == []
    bea = members["bea"].reference
    assert names(svc, admin, f"seg:vip {bea.lower()}") == ["Bea Schulz"]  # a reference, filtered
    assert names(svc, admin, f"seg:new {bea}") == []
    assert names(svc, admin, "müller") == ["Anna Müller", "Anton Müller", "Carl Müller"]  # no filter


def test_unknown_segment_is_said(svc, admin, members):
    with pytest.raises(UnknownSegment) as err:
        search_customers(svc, admin, "seg:gold anna")
    assert unknown_segment_text(err.value) == "No segment “gold”: seg:new, seg:vip"
    with pytest.raises(UnknownSegment) as err:
        search_customers(svc, admin, "seg:")
    assert str(unknown_segment_text(err.value)).startswith("seg: needs a segment's code")


def test_card_line_and_changes_from_headquarters(svc, admin, members):
    anna = members["anna"].id
    assert segments_line(customer_segments(svc, admin, anna)) == "new, vip"
    assert segment_rows(customer_segments(svc, admin, anna))[1:] == [("  seg:new", "New this month"),
                                                                    ("  seg:vip", "VIP customers")]
    assert segments_line(customer_segments(svc, admin, members["carl"].id)) == "—"
    pull(svc, "customer_segments", {"customer_id": anna, "codes": ["vip"]}, anna)  # left "new"
    assert customer_segments(svc, admin, anna) == [("vip", "VIP customers")]
    pull(svc, "segment", {"code": "vip", "name": "VIP customers"}, "vip", deleted=True)  # removed at HQ
    assert customer_segments(svc, admin, anna) == []
    assert known_segments(svc, admin) == {"new": "New this month"}
    with pytest.raises(UnknownSegment):
        search_customers(svc, admin, "seg:vip")


def test_access_request_names_the_segments_and_anonymizing_drops_them(svc, admin, members):
    from pos_customers.services.privacy import access_report, anonymize_customer, report_text

    anna = members["anna"]
    report = access_report(svc, admin, anna.id)
    assert report["terminal"]["segments"] == [{"code": "new", "name": "New this month"},
                                              {"code": "vip", "name": "VIP customers"}]
    assert "vip: VIP customers" in report_text(report)
    anonymize_customer(svc, admin, anna.id, anna.reference)
    assert customer_segments(svc, admin, anna.id) == []


def test_membership_batches_add_remove_and_clear(svc, admin, members):
    """A batch of one segment's changes (issue 17): who came and
    went; a clearing batch empties the segment. The card and seg: follow, offline."""
    anna, carl, bea = members["anna"].id, members["carl"].id, members["bea"].id
    pull(svc, "segment_members", {"code": "vip", "add": [carl, anna], "remove": [bea]}, "vip:7")
    assert names(svc, admin, "seg:vip") == ["Anna Müller", "Carl Müller"]
    assert segments_line(customer_segments(svc, admin, carl)) == "vip"
    pull(svc, "segment_members", {"code": "new", "clear": True}, "new:8")
    assert names(svc, admin, "seg:new") == []
    assert segments_line(customer_segments(svc, admin, anna)) == "vip"
