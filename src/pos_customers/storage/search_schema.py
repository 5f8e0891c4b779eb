"""The FTS5 search indexes over ``customer_search`` (revision 0001 creates them).

Two external-content FTS5 tables read the projection table:
- ``customer_name_fts``: words, unicode61 with diacritics removed, prefix indexes 1-3 so a
  typed prefix is a cheap lookup;
- ``customer_contact_fts``: trigram, for fragments of emails and of phone digits.
Triggers keep both in step with every insert, update and delete of ``customer_search``.
"""

CREATE = [
    """CREATE VIRTUAL TABLE customer_name_fts USING fts5(
        name_text, content='customer_search', content_rowid='rowid',
        tokenize="unicode61 remove_diacritics 2", prefix='1 2 3', detail=column)""",
    """CREATE VIRTUAL TABLE customer_contact_fts USING fts5(
        contact_text, content='customer_search', content_rowid='rowid',
        tokenize='trigram')""",
    """CREATE TRIGGER customer_search_ai AFTER INSERT ON customer_search BEGIN
        INSERT INTO customer_name_fts(rowid, name_text) VALUES (new.rowid, new.name_text);
        INSERT INTO customer_contact_fts(rowid, contact_text) VALUES (new.rowid, new.contact_text);
    END""",
    """CREATE TRIGGER customer_search_ad AFTER DELETE ON customer_search BEGIN
        INSERT INTO customer_name_fts(customer_name_fts, rowid, name_text)
            VALUES ('delete', old.rowid, old.name_text);
        INSERT INTO customer_contact_fts(customer_contact_fts, rowid, contact_text)
            VALUES ('delete', old.rowid, old.contact_text);
    END""",
    """CREATE TRIGGER customer_search_au AFTER UPDATE ON customer_search BEGIN
        INSERT INTO customer_name_fts(customer_name_fts, rowid, name_text)
            VALUES ('delete', old.rowid, old.name_text);
        INSERT INTO customer_contact_fts(customer_contact_fts, rowid, contact_text)
            VALUES ('delete', old.rowid, old.contact_text);
        INSERT INTO customer_name_fts(rowid, name_text) VALUES (new.rowid, new.name_text);
        INSERT INTO customer_contact_fts(rowid, contact_text) VALUES (new.rowid, new.contact_text);
    END""",
]

DROP = [
    "DROP TRIGGER IF EXISTS customer_search_au",
    "DROP TRIGGER IF EXISTS customer_search_ad",
    "DROP TRIGGER IF EXISTS customer_search_ai",
    "DROP TABLE IF EXISTS customer_contact_fts",
    "DROP TABLE IF EXISTS customer_name_fts",
]

FTS_TABLES = ("customer_name_fts", "customer_contact_fts")
