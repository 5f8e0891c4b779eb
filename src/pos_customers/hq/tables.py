"""Headquarters' tables (SQLAlchemy Core, their own metadata: nothing shared with a terminal file).

Every row a store can pull carries ``seq``, taken from one counter in the same transaction as the
change. The counter row is locked until commit, so changes become visible in ``seq`` order and a
pull cursor ("everything after seq N") never skips a row that commits late.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table,
                        Text, UniqueConstraint)

metadata = MetaData()

store = Table(
    "hq_store", metadata,
    Column("code", String(32), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("country", String(2), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False, server_default=""),
    Column("language", String(16), nullable=False, server_default=""),
    Column("region", String(64), nullable=False, server_default=""),
    Column("scope", String(8), nullable=False, server_default="own"),  # own | region | all
    Column("created_at", DateTime(timezone=True), nullable=False),
)

enrolment = Table(
    "hq_enrolment", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of a 256-bit random token
    Column("store_code", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

terminal = Table(
    "hq_terminal", metadata,
    Column("id", String(36), primary_key=True),
    Column("store_code", String(32), nullable=False, index=True),
    Column("name", String(120), nullable=False, server_default=""),
    Column("credential_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("revoked", Boolean, nullable=False, server_default="0"),
    # the till's number in its store (1..64), part of every customer reference it issues; never
    # given twice, not even after a revocation. NULL: enrolled before numbers (the till works as 1)
    Column("number", Integer),
    UniqueConstraint("store_code", "number", name="uq_hq_terminal_store_number"),
)

counter = Table(
    "hq_counter", metadata,
    Column("name", String(16), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

customer = Table(
    "hq_customer", metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(9), nullable=False, unique=True),
    Column("home_store", String(32), nullable=False),
    Column("region", String(64), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("anonymized_at", DateTime(timezone=True)),
    Column("seq", BigInteger, nullable=False),
    Column("fields", Text, nullable=False),   # JSON: the merged document fields
    Column("clocks", Text, nullable=False),   # JSON: field -> HLC stamp
    Column("search_text", Text, nullable=False, server_default=""),  # lower-case names, emails, phones
    # what segment rules test, kept in step with ``fields`` by every writer (hq/segments.py facts()):
    # a rule is then a condition on indexed columns, not a read of every customer's document
    Column("group_code", String(32), nullable=False, server_default=""),
    Column("email_consent", Boolean, nullable=False, server_default="0"),  # an email with marketing consent
    Column("phone_consent", Boolean, nullable=False, server_default="0"),  # a phone with marketing consent
    Index("ix_hq_customer_seq", "seq"),
    Index("ix_hq_customer_group", "group_code"),
    Index("ix_hq_customer_created", "created_at"),
    Index("ix_hq_customer_home_seq", "home_store", "seq"),
    Index("ix_hq_customer_region_seq", "region", "seq"),
)

applied_event = Table(
    "hq_applied_event", metadata,
    Column("id", String(36), primary_key=True),
    Column("store_code", String(32), nullable=False),
    Column("terminal_id", String(36), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# Everything else a store pulls: reference data (global), templates / associates / notes (one
# store's own), orders and conflicts (follow their customer).
record = Table(
    "hq_record", metadata,
    Column("kind", String(24), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("store_code", String(32)),
    Column("customer_id", String(36)),
    Column("seq", BigInteger, nullable=False),
    Column("doc", Text, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default="0"),
    Index("ix_hq_record_seq", "seq"),
    Index("ix_hq_record_customer", "customer_id"),
    Index("ix_hq_record_store_seq", "store_code", "seq"),
)

interest = Table(
    "hq_interest", metadata,
    Column("store_code", String(32), primary_key=True),
    Column("customer_id", String(36), primary_key=True),
    UniqueConstraint("customer_id", "store_code", name="uq_hq_interest_customer_store"),
)

# Every terminal's audit trail, as it was sent: its hash chain continues here, so a terminal
# that rewrites or drops rows it already sent is caught.
audit = Table(
    "hq_audit", metadata,
    Column("terminal_id", String(36), primary_key=True),
    Column("local_id", BigInteger, primary_key=True),
    Column("store_code", String(32), nullable=False),
    Column("at", DateTime(timezone=False), nullable=False),
    Column("row", Text, nullable=False),   # JSON: who, where, entity, action, changes
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("chain_ok", Boolean, nullable=False),
    Index("ix_hq_audit_store_at", "store_code", "at"),
)

# Single-use password links: only the token's SHA-256 is kept.
reset_token = Table(
    "hq_reset_token", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

# -- customer search (hq/search.py writes these wherever hq_customer is written) --------------------
# One row per searchable customer (anonymized customers have none): the till's index texts.
# ``id`` only grows: the FTS5 rowid on SQLite, and "newest first" within a rank on both databases.
# The dialect's own indexes over it (FTS5 tables on SQLite, GIN indexes on PostgreSQL) are made by
# revision 0004 and named ``hq_search_fts_*`` / ``ix_hq_search_fts_*``.
customer_search = Table(
    "hq_customer_search", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), nullable=False, unique=True),
    Column("name_text", Text, nullable=False),     # folded name words plus German spellings
    Column("contact_text", Text, nullable=False),  # emails, phone digits, card numbers
)

# Exact lookups: a whole email (case-folded), a whole phone number (E.164), a card number.
customer_key = Table(
    "hq_customer_key", metadata,
    Column("kind", String(8), primary_key=True),   # email | phone | card
    Column("value", String(254), primary_key=True),
    Column("customer_id", String(36), primary_key=True),
    Index("ix_hq_customer_key_customer", "customer_id"),
)

# Sound-alike and one-typo keys of the name words in hq_customer_search (domain/fuzzy.py): the
# till's customer_name_key, over every store's names.
name_key = Table(
    "hq_name_key", metadata,
    Column("key", String(40), primary_key=True),
    Column("word", String(32), primary_key=True),
)

# The chain's support accounts (`hq support ...`): S-numbers, no store. Every store pulls them as
# records of kind "support" (the PIN's argon2id hash travels, never the PIN). A removed account stays
# here (its number is never given again: audit rows name it) and is deactivated on every till.
support = Table(
    "hq_support", metadata,
    Column("number", String(16), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("pin_hash", String(255), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True)),
)

# -- what headquarters holds about a customer besides the record (hq/customer_data.py) -----------------
# Money in minor units (BigInteger), never a float. A saved payment is the payment provider's token
# and the last four digits: never a card number (the models of domain/customer_data.py refuse one).
# the store directory every till shows on a customer's Stores tab: a store without a row is open
# and has no address or phone on record
store_contact = Table(
    "hq_store_contact", metadata,
    Column("code", String(32), primary_key=True),
    Column("address", String(200), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    Column("status", String(24), nullable=False, server_default="open"),  # open | closed | temporarily closed
)

cart = Table(
    "hq_cart", metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("store_code", String(32), nullable=False),  # the scope: WEB or a store
    Column("name", String(80), nullable=False),
    Column("type", String(24), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lines", Text, nullable=False),  # JSON: [{sku, name, quantity, unit_price_minor, total_minor}]
)

saved_payment = Table(
    "hq_saved_payment", metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("token_ref", String(64), nullable=False),
    Column("brand", String(24), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("expiry_month", Integer, nullable=False),
    Column("expiry_year", Integer, nullable=False),
    Column("holder", String(120), nullable=False, server_default=""),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    Column("deleted_by", String(100), nullable=False, server_default=""),  # store and associate
)

order_line = Table(
    "hq_order_line", metadata,
    Column("order_id", String(64), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", String(40), nullable=False, server_default=""),
    Column("name", String(120), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
)

shipment = Table(
    "hq_shipment", metadata,
    Column("id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("carrier", String(40), nullable=False, server_default=""),
    Column("tracking", String(64), nullable=False, server_default=""),
    Column("status", String(24), nullable=False),
    Column("shipped_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("items", Integer, nullable=False, server_default="0"),
)

# A person's membership of an organization (domain/membership.py): one row per pair, its fields
# merged one by one by clock stamp. A store pulls it when it sees both customers.
membership = Table(
    "hq_membership", metadata,
    Column("id", String(36), primary_key=True),          # membership_id(organization, person)
    Column("organization_id", String(36), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("fields", Text, nullable=False),   # JSON: role, active, primary, manager
    Column("clocks", Text, nullable=False),   # JSON: field -> HLC stamp
    Index("ix_hq_membership_seq", "seq"),
    Index("ix_hq_membership_organization", "organization_id"),
    Index("ix_hq_membership_person", "person_id"),
)

# Loyalty cards, one holder each across the chain: a push that gives a card to a second customer
# is refused for that event (409, payload.fields.cards). Kept in step with hq_customer's fields.
card = Table(
    "hq_card", metadata,
    Column("number", String(24), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Index("ix_hq_card_customer", "customer_id"),
)

# Account sharing scope (hq/account_scope.py): one row per (scope key, folded email) a registered
# account claims. The primary key is the rule: two pushes that claim one address in one scope at the
# same moment cannot both commit (the later batch is sent again and then refused for that event).
account_email = Table(
    "hq_account_email", metadata,
    Column("scope_key", String(80), primary_key=True),   # chain | region:<name> | country:<CC> | store:<CODE>
    Column("email", String(254), primary_key=True),      # case-folded
    Column("customer_id", String(36), nullable=False),
    Index("ix_hq_account_email_customer", "customer_id"),
)

# Customer segments (hq/segments.py): a rule over customer data and order history (domain/segment.py,
# stored as its canonical JSON), and who belongs to it as of the last evaluation. Each customer's
# segment codes reach the tills as records of kind "customer_segments"; the definitions (code and
# name, no rule) as records of kind "segment".
segment = Table(
    "hq_segment", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("rule", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("evaluated_at", DateTime(timezone=True)),
    Column("members", Integer, nullable=False, server_default="0"),
    # headquarters' seq when it was last evaluated (NULL: evaluate over every customer next time):
    # the next evaluation looks only at customers and orders changed after it
    Column("evaluated_seq", BigInteger),
)

segment_member = Table(
    "hq_segment_member", metadata,
    Column("code", String(32), primary_key=True),
    Column("customer_id", String(36), primary_key=True),
    # the customer's home store when published: the tills' change batches go by home store, so a
    # customer who moves is removed from the old store's batch and added to the new one's
    Column("home_store", String(32), nullable=False, server_default=""),
    Index("ix_hq_segment_member_customer", "customer_id"),
)

# One typed row per order record (kind "order", not deleted) with a customer, kept in step by
# put_records: what the spend and bought-in rules read instead of the orders' JSON. The total is in
# whole minor units of the order's currency, ``ordered_at`` in UTC.
order_fact = Table(
    "hq_order_fact", metadata,
    Column("order_id", String(64), primary_key=True),   # the record's key
    Column("customer_id", String(36), nullable=False),
    Column("store_code", String(32), nullable=False, server_default=""),
    Column("status", String(24), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False, server_default=""),
    Column("ordered_at", DateTime(timezone=True), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),           # the record's seq
    Index("ix_hq_order_fact_currency_at", "currency", "ordered_at"),
    Index("ix_hq_order_fact_store_at", "store_code", "ordered_at"),
    Index("ix_hq_order_fact_at", "ordered_at"),
    Index("ix_hq_order_fact_customer", "customer_id"),
    Index("ix_hq_order_fact_seq", "seq"),
)

# The spend rules' rolling totals (hq/spend.py): for each (currency, months) window a spend rule
# uses, the customers' spend in that currency from ``starts_at`` on, kept current by put_records as
# orders are added, corrected, refunded or moved, and rolled forward (the orders that left the
# window taken off) when a segment is evaluated. A "spent more than S" rule is then a range of
# ``ix_hq_spend_total_over`` instead of a sum over every order in the window.
# The customers an order left (deleted, or now another customer's), with the seq of that change:
# with the order facts' own seqs, who the next incremental segment evaluation must look at.
order_left = Table(
    "hq_order_left", metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Index("ix_hq_order_left_seq", "seq"),
)

spend_window = Table(
    "hq_spend_window", metadata,
    Column("currency", String(3), primary_key=True),
    Column("months", Integer, primary_key=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),  # UTC: orders from then on count
)

spend_total = Table(
    "hq_spend_total", metadata,
    Column("currency", String(3), primary_key=True),
    Column("months", Integer, primary_key=True),
    Column("customer_id", String(36), primary_key=True),
    Column("total_minor", BigInteger, nullable=False),   # whole minor units of the currency
    Column("orders", Integer, nullable=False),           # the orders summed (the row goes at 0)
    Index("ix_hq_spend_total_over", "currency", "months", "total_minor", "customer_id"),
)

# -- shopper assistance and online sessions (hq/online.py) ------------------------------------------
# An assistance link (seed 002 "Providing Shopper Assistance"): only the token's SHA-256 is kept; it
# works once (used_at) until expires_at, and only for a customer whose consent headquarters holds.
assist_link = Table(
    "hq_assist_link", metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("customer_id", String(36), nullable=False),
    Column("store_code", String(32), nullable=False),
    Column("requested_by", String(64), nullable=False),  # the associate's number and role
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_hq_assist_link_customer", "customer_id", "created_at"),
)

# A customer's online session (seed 002 "Now online", "Customer Session Lifetime"): opened by the
# online sign-in or an assistance link, open until ended_at or expires_at (each use moves it on by
# the session lifetime). Only the session token's SHA-256 is kept.
online_session = Table(
    "hq_online_session", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("assisted_by", String(64), nullable=False, server_default=""),  # opened by an assistance link
    Index("ix_hq_online_session_customer", "customer_id", "last_seen_at"),
    Index("ix_hq_online_session_open", "ended_at", "expires_at"),
)

# Store credit (domain/credit.py): the ledger, one row per movement, in minor units. A customer's
# balance in a currency is the sum of its rows; ``balance_minor`` is that balance after the row.
# A movement from a till has its event's movement id: it is recorded once.
credit_movement = Table(
    "hq_credit_movement", metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("n", BigInteger, nullable=False),             # the customer's movements in order: 1, 2, 3, ...
    Column("currency", String(3), nullable=False),
    Column("kind", String(16), nullable=False),          # added | refunded | used | expired | corrected
    Column("amount_minor", BigInteger, nullable=False),  # signed
    Column("balance_minor", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("by", String(100), nullable=False, server_default=""),  # store:associate, or who at headquarters
    Column("store_code", String(32), nullable=False, server_default=""),
    Column("terminal_id", String(64), nullable=False, server_default=""),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_hq_credit_movement_customer", "customer_id", "currency"),
    UniqueConstraint("customer_id", "n", name="uq_hq_credit_movement_n"),
)
