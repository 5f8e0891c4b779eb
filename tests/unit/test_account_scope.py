"""Account sharing scope: scope keys, what a customer claims, and how a merge fills an account."""

from __future__ import annotations

from pos_customers.domain.account_scope import AccountScope, AccountScopeSetting, claimed_emails, store_key
from pos_customers.domain.customer import CustomerDraft, EmailInput, PhoneInput
from pos_customers.services.account_scope import merged_draft


def test_scope_keys_region_falls_back_to_the_country():
    assert store_key(AccountScope.SHARED, "BER01", "north", "DE") is None
    assert store_key(AccountScope.CHAIN, "BER01") == "chain"
    assert store_key(AccountScope.REGION, "BER01", " North ", "DE") == "region:north"
    assert store_key(AccountScope.REGION, "BER01", "", "de") == "country:DE"
    assert store_key(AccountScope.STORE, "ber01") == "store:BER01"
    setting = AccountScopeSetting(value=AccountScope.REGION, stores={"BER01": "country:DE"})
    assert setting.key_of("BER01") == "country:DE" and setting.key_of("XXX") is None


def test_only_registered_accounts_claim_their_addresses():
    emails = [{"address": "Anna@Example.org"}, {"address": "anna@example.org"}, {"address": "b@example.org"}]
    assert claimed_emails({"account_type": "guest", "emails": emails}) == []
    assert claimed_emails({"account_type": "registered", "emails": emails}) == ["anna@example.org", "b@example.org"]
    assert claimed_emails({"account_type": "registered", "emails": emails}, anonymized=True) == []


def test_a_merge_fills_what_the_account_lacks_and_never_takes_its_place():
    account = CustomerDraft(first_name="Anna", last_name="Müller", emails=[EmailInput("anna@example.org", primary=True)],
                            cards=["2000012345678"])
    other = CustomerDraft(first_name="Ann", last_name="Mueller", birth_date="1990-02-03", password="x",
                          emails=[EmailInput("ANNA@example.org", primary=True), EmailInput("a.m@example.org", primary=True)],
                          phones=[PhoneInput("0151 23456789", primary=True)], cards=["2000012345678"])
    merged = merged_draft(account, other)
    assert (merged.first_name, merged.last_name, merged.birth_date, merged.password) == (
        "Anna", "Müller", "1990-02-03", "")
    assert [(e.address, e.primary) for e in merged.emails] == [("anna@example.org", True), ("a.m@example.org", False)]
    assert [(p.number, p.primary) for p in merged.phones] == [("0151 23456789", True)]  # the account had none
    assert merged.cards == ["2000012345678"]
