"""Read what can still be read from a damaged terminal file: its settings, its store, its outbox
(the changes made here that headquarters has not got yet, parked ones included), its audit trail
and its redirects (customers merged into another, a merge asked for here with what undoes it).

Nothing here writes to the damaged file, and nothing raises: whatever the damage (truncated, a
garbage header, garbage pages in the middle, not a database at all), the answer is what could be
read plus notes on what could not. Three readers, their rows merged by key:

1. SQL on a copy of the file (and its -wal), each table read forwards and backwards until the first
   damaged page, and the outbox row by row through its ``id`` index;
2. SQLite's own ``.recover`` through the ``sqlite3`` program, when it is installed and works;
3. a page reader of our own: every page of the file (newest copies from the -wal first) that is a
   table leaf, each cell decoded as a record, outbox rows recognised by their shape. It needs
   neither page 1 nor the schema, so it reads past a garbage header.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..domain.enums import EventKind
from ..domain.i18n import Msg
from .rawfile import copy_file

OUTBOX_COLUMNS = ("id", "created_at", "hlc", "event_type", "entity", "entity_id", "payload", "attempts",
                  "last_error", "parked_at", "parked_reason", "parked_status", "parked_field", "parked_holder")
# These lists are the tables' columns in their stored order (records are decoded by position, without
# the schema): tests/storage/test_backup_recovery.py keeps them equal to the migrated tables.
AUDIT_COLUMNS = ("id", "at", "associate_number", "terminal_id", "store_code", "entity", "entity_id", "action",
                 "changes", "prev_hash", "hash", "changes_hash", "redacted_at")
STORE_COLUMNS = ("code", "number", "name", "country", "currency", "language", "region")
# customers merged into another (migrations 0023, 0026): a merge this till asked for and its undo
REDIRECT_COLUMNS = ("id", "reference", "into_id", "into_reference", "merged_at", "undo")
# the settings a rebuilt file carries over from the damaged one
SETTING_KEYS = frozenset({"store_code", "store_country", "terminal_id", "terminal_number", "reference_next",
                          "hq_url", "hq_credential", "sync_cursor", "sync_hlc_seen", "sync_audit_sent"})
_EVENT_KINDS = frozenset(k.value for k in EventKind)
_MAGIC = b"SQLite format 3\x00"


@dataclass
class Salvaged:
    settings: dict[str, str] = field(default_factory=dict)
    store: dict[str, Any] | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)  # OUTBOX_COLUMNS + "seq", in seq order
    audit: list[dict[str, Any]] = field(default_factory=list)  # AUDIT_COLUMNS, in id order
    outbox_complete: bool = False  # the whole outbox table was read through SQL without an error
    notes: list[Msg | str] = field(default_factory=list)  # what could not be read, one line each
    readers: list[str] = field(default_factory=list)  # which readers found something
    # customer rows SQL could count in the damaged file (None: the table could not be read at all);
    # customers_complete: the whole table was counted without an error, else it held at least that many
    customers: int | None = None
    customers_complete: bool = False
    # customers merged into another (REDIRECT_COLUMNS), in id order: gone from the till, their id and
    # reference open the survivor; one this till merged keeps what puts it back (``undo``)
    redirects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.settings or self.outbox or self.audit or self.store)


def salvage(path: Path, *, use_sqlite_program: bool = True) -> Salvaged:
    """Everything readable from ``path`` (see the module notes). Never raises for the file's sake."""
    out = Salvaged()
    path = Path(path)
    if not path.is_file():
        out.notes.append(Msg("no file at {path}", path=str(path)))
        return out
    with tempfile.TemporaryDirectory(prefix="pos-salvage-") as tmp:
        copy = Path(tmp) / "damaged.db"
        try:
            copy_file(path, copy)
            wal = Path(f"{path}-wal")
            if wal.is_file():
                copy_file(wal, Path(f"{copy}-wal"))
        except OSError as exc:
            out.notes.append(Msg("the damaged file could not be read: {reason}", reason=exc.strerror or str(exc)))
            return out
        readers = [("SQL", _read_sql)]
        if use_sqlite_program and shutil.which("sqlite3"):
            readers.append(("sqlite3 .recover", _read_recover))
        readers.append(("page reader", _read_pages))
        for name, reader in readers:
            try:
                found = reader(copy, out)
            except Exception as exc:  # noqa: BLE001 - a damaged file may break a reader in any way
                out.notes.append(f"{name}: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            if found:
                out.readers.append(name)
    out.outbox.sort(key=lambda r: (r.get("seq") or 0))
    out.audit.sort(key=lambda r: r["id"])
    out.redirects.sort(key=lambda r: r["id"])
    return out


# -- merging rows from several readers -----------------------------------------------------------

def _add_outbox(out: Salvaged, row: dict[str, Any]) -> bool:
    if not _plausible_outbox(row):
        return False
    if any(r["id"] == row["id"] for r in out.outbox):
        return False
    out.outbox.append(row)
    return True


def _plausible_outbox(row: dict[str, Any]) -> bool:
    try:
        return (isinstance(row.get("id"), str) and len(row["id"]) == 36 and row.get("event_type") in _EVENT_KINDS
                and isinstance(row.get("entity"), str) and isinstance(row.get("entity_id"), str)
                and isinstance(json.loads(row["payload"]), dict))
    except (TypeError, ValueError):
        return False


def _add_redirect(out: Salvaged, row: dict[str, Any]) -> bool:
    try:
        plausible = (all(isinstance(row.get(k), str) and len(row[k]) == 36 for k in ("id", "into_id"))
                     and all(isinstance(row.get(k), str) and row[k] for k in ("reference", "into_reference"))
                     and (row.get("undo") is None or isinstance(json.loads(row["undo"]), dict)))
    except (TypeError, ValueError):
        plausible = False
    if not plausible or any(r["id"] == row["id"] for r in out.redirects):
        return False
    out.redirects.append({c: row.get(c) for c in REDIRECT_COLUMNS})
    return True


def _add_setting(out: Salvaged, key: Any, value: Any) -> bool:
    if key in SETTING_KEYS and isinstance(value, str) and key not in out.settings:
        out.settings[key] = value
        return True
    return False


# -- 1. SQL ---------------------------------------------------------------------------------------

def _rows(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> Iterator[tuple]:
    """Rows until the first error (a damaged page ends the walk; what came before is kept)."""
    cur = conn.execute(sql, args)
    while True:
        try:
            row = cur.fetchone()
        except sqlite3.Error:
            return
        if row is None:
            return
        yield row


def _read_sql(copy: Path, out: Salvaged) -> bool:
    try:
        conn = sqlite3.connect(copy, timeout=1)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        out.notes.append(Msg("the file cannot be opened as a database: {reason}", reason=str(exc)))
        return False
    found = False
    try:
        found |= _sql_settings(conn, out)
        found |= _sql_store(conn, out)
        found |= _sql_outbox(conn, out)
        found |= _sql_audit(conn, out)
        found |= _sql_redirects(conn, out)
        _sql_count_customers(conn, out)
    finally:
        conn.close()
    return found


def _sql_count_customers(conn: sqlite3.Connection, out: Salvaged) -> None:
    """How many customers the damaged file held, as far as SQL can count them: the whole table, else
    the rows read forwards and backwards until the first damaged page (at least that many)."""
    try:
        out.customers = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        out.customers_complete = True
        return
    except sqlite3.Error:
        pass
    ids: set[Any] = set()
    for order in ("ASC", "DESC"):
        ids |= {r[0] for r in _try(conn, f"SELECT rowid FROM customer ORDER BY rowid {order}")}
    out.customers = len(ids) if ids else None


def _try(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> list[tuple]:
    try:
        return list(_rows(conn, sql, args))
    except sqlite3.Error:
        return []


def _sql_settings(conn: sqlite3.Connection, out: Salvaged) -> bool:
    found = False
    for order in ("ASC", "DESC"):
        for key, value in _try(conn, f"SELECT key, value FROM setting ORDER BY rowid {order}"):
            found |= _add_setting(out, key, value)
    for key in SETTING_KEYS - set(out.settings):  # one by one through the key's index
        for k, value in _try(conn, "SELECT key, value FROM setting WHERE key = ?", (key,)):
            found |= _add_setting(out, k, value)
    return found


def _sql_store(conn: sqlite3.Connection, out: Salvaged) -> bool:
    code = out.settings.get("store_code")
    rows = _try(conn, f"SELECT {', '.join(STORE_COLUMNS)} FROM store WHERE code = ?", (code,)) if code else []
    if rows:
        out.store = dict(zip(STORE_COLUMNS, rows[0]))
    return bool(rows)


def _sql_outbox(conn: sqlite3.Connection, out: Salvaged) -> bool:
    cols = ", ".join(("seq",) + OUTBOX_COLUMNS)
    names = ("seq",) + OUTBOX_COLUMNS
    found = False
    try:
        rows = conn.execute(f"SELECT {cols} FROM outbox_event ORDER BY seq").fetchall()
        for r in rows:
            found |= _add_outbox(out, dict(zip(names, r)))
        out.outbox_complete = True
        return found
    except sqlite3.Error:
        pass
    for order in ("ASC", "DESC"):
        for r in _try(conn, f"SELECT {cols} FROM outbox_event ORDER BY seq {order}"):
            found |= _add_outbox(out, dict(zip(names, r)))
    # the unique index on id lives on other pages: it names rows the table walk did not reach
    seqs = {r[0] for r in _try(conn, "SELECT seq FROM outbox_event INDEXED BY sqlite_autoindex_outbox_event_1 "
                                     "WHERE id > '' ORDER BY id")}
    have = {r.get("seq") for r in out.outbox}
    for seq in sorted(seqs - have):
        for r in _try(conn, f"SELECT {cols} FROM outbox_event WHERE seq = ?", (seq,)):
            found |= _add_outbox(out, dict(zip(names, r)))
    return found


def _sql_audit(conn: sqlite3.Connection, out: Salvaged) -> bool:
    cols = ", ".join(AUDIT_COLUMNS)
    rows: dict[int, dict[str, Any]] = {}
    for order in ("ASC", "DESC"):
        for r in _try(conn, f"SELECT {cols} FROM audit_event ORDER BY id {order}"):
            rows.setdefault(r[0], dict(zip(AUDIT_COLUMNS, r)))
    known = {r["id"] for r in out.audit}
    out.audit.extend(r for i, r in rows.items() if i not in known)
    return bool(rows)


def _sql_redirects(conn: sqlite3.Connection, out: Salvaged) -> bool:
    """The redirect table read forwards and backwards (a file from before migration 0026 has no
    ``undo``, one from before 0023 no table: nothing to read)."""
    found = False
    for names in (REDIRECT_COLUMNS, REDIRECT_COLUMNS[:-1]):
        rows = [r for order in ("ASC", "DESC")
                for r in _try(conn, f"SELECT {', '.join(names)} FROM customer_redirect ORDER BY rowid {order}")]
        for r in rows:
            found |= _add_redirect(out, dict(zip(names, r)))
        if rows:
            break
    return found


# -- 2. sqlite3 .recover ----------------------------------------------------------------------------

def _read_recover(copy: Path, out: Salvaged) -> bool:
    """SQLite's own recovery into a fresh file, read like a healthy one. Some builds of the
    ``sqlite3`` program lack what ``.recover`` needs: then it yields nothing and the others go on."""
    if out.outbox_complete:
        return False  # SQL read the whole outbox already
    rebuilt = copy.with_name("recovered.db")
    dump = subprocess.Popen(["sqlite3", str(copy), ".recover"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:  # piped from one program to the other: the dump never sits in memory
        subprocess.run(["sqlite3", str(rebuilt)], stdin=dump.stdout, capture_output=True, timeout=900)
    finally:
        dump.stdout.close()
        dump.kill()
        dump.wait()
    if not rebuilt.is_file() or rebuilt.stat().st_size == 0:
        return False
    return _read_sql(rebuilt, out)


# -- 3. the page reader -----------------------------------------------------------------------------

def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        b = buf[pos + i]
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, pos + i + 1
    return (value << 8) | buf[pos + 8], pos + 9


def _record(payload: bytes) -> list[Any]:
    types = _types(payload)
    body, _ = _varint(payload, 0)  # the header's length: the body starts there
    values: list[Any] = []
    for t in types:
        if t == 0:
            values.append(None)
        elif 1 <= t <= 6:
            n = (1, 2, 3, 4, 6, 8)[t - 1]
            values.append(int.from_bytes(payload[body:body + n], "big", signed=True))
            body += n
        elif t == 7:
            values.append(struct.unpack(">d", payload[body:body + 8])[0])
            body += 8
        elif t in (8, 9):
            values.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            raw = payload[body:body + n]
            if len(raw) != n:
                raise ValueError("record runs past its payload")
            values.append(raw.decode("utf-8") if t % 2 else raw)
            body += n
        else:
            raise ValueError("reserved serial type")
    if body > len(payload):
        raise ValueError("record runs past its payload")
    return values


class _Pages:
    """The file's pages by number: the newest committed copy from the -wal, else the main file."""

    def __init__(self, data: bytes, wal: bytes, page_size: int):
        self.data, self.size = data, page_size
        self.count = len(data) // page_size
        self.wal: dict[int, bytes] = {}
        if len(wal) >= 32 and wal[:4] in (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83") \
                and struct.unpack(">I", wal[8:12])[0] == page_size:
            salt = wal[16:24]
            frame, pending = 32, {}
            while frame + 24 + page_size <= len(wal):
                number, commit = struct.unpack(">II", wal[frame:frame + 8])
                if wal[frame + 8:frame + 16] != salt:
                    break
                pending[number] = wal[frame + 24:frame + 24 + page_size]
                if commit:
                    self.wal.update(pending)
                    pending = {}
                frame += 24 + page_size
            self.count = max([self.count, *self.wal])

    def get(self, number: int) -> bytes | None:
        if number in self.wal:
            return self.wal[number]
        start = (number - 1) * self.size
        page = self.data[start:start + self.size]
        return page if len(page) == self.size else None


def _page_size(data: bytes, wal: bytes) -> list[int]:
    """Page sizes worth trying, likeliest first: the header's, the -wal's, then the usual ones."""
    sizes = []
    if data[:16] == _MAGIC and len(data) >= 100:
        raw = struct.unpack(">H", data[16:18])[0]
        sizes.append(65536 if raw == 1 else raw)
    if len(wal) >= 32:
        sizes.append(struct.unpack(">I", wal[8:12])[0])
    sizes += [4096, 1024, 2048, 8192, 16384, 32768, 65536, 512]
    return [s for i, s in enumerate(sizes) if s in (512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
            and s not in sizes[:i]]


def _freelist(data: bytes, pages: _Pages) -> set[int]:
    """Pages on the freelist (a valid header names it): their old content is not live data."""
    free: set[int] = set()
    if data[:16] != _MAGIC:
        return free
    trunk = struct.unpack(">I", data[32:36])[0]
    while trunk and trunk not in free and len(free) < pages.count:
        page = pages.get(trunk)
        if page is None:
            break
        free.add(trunk)
        n = struct.unpack(">I", page[4:8])[0]
        if n > pages.size // 4:
            break
        free.update(struct.unpack(f">{n}I", page[8:8 + 4 * n]))
        trunk = struct.unpack(">I", page[0:4])[0]
    return free


def _leaf_cells(pages: _Pages, number: int, usable: int) -> Iterator[tuple[int, bytes]]:
    """(rowid, payload) of every cell of a table leaf page; nothing for any other page."""
    page = pages.get(number)
    if page is None:
        return
    base = 100 if number == 1 else 0
    if page[base] != 0x0D:
        return
    n_cells = struct.unpack(">H", page[base + 3:base + 5])[0]
    if n_cells == 0 or base + 8 + 2 * n_cells > usable:
        return
    max_local = usable - 35
    min_local = ((usable - 12) * 32 // 255) - 23
    for i in range(n_cells):
        try:
            offset = struct.unpack(">H", page[base + 8 + 2 * i:base + 10 + 2 * i])[0]
            if not base + 8 <= offset < usable:
                continue
            size, pos = _varint(page, offset)
            rowid, pos = _varint(page, pos)
            if size <= max_local:
                payload = page[pos:pos + size]
            else:
                k = min_local + (size - min_local) % (usable - 4)
                local = k if k <= max_local else min_local
                payload = page[pos:pos + local]
                nxt = struct.unpack(">I", page[pos + local:pos + local + 4])[0]
                seen: set[int] = set()
                while len(payload) < size and nxt and nxt not in seen:
                    seen.add(nxt)
                    over = pages.get(nxt)
                    if over is None:
                        break
                    payload += over[4:usable][:size - len(payload)]
                    nxt = struct.unpack(">I", over[:4])[0]
            if len(payload) == size:
                yield rowid, payload
        except (IndexError, struct.error, ValueError):
            continue


def _hex64(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _types(payload: bytes) -> list[int]:
    """The serial types of a record's header (its column count and kinds), body not decoded."""
    header_len, pos = _varint(payload, 0)
    if not 1 <= header_len <= len(payload):
        raise ValueError("bad record header")
    types = []
    while pos < header_len:
        t, pos = _varint(payload, pos)
        types.append(t)
    return types


def _text(t: int, length: int | None = None) -> bool:
    return t >= 13 and t % 2 == 1 and (length is None or (t - 13) // 2 == length)


def _kind(types: list[int]) -> str:
    """Which of the wanted tables a record of this shape belongs to ("" for none): a leaf page
    holds one table's rows, so its first readable cell says whether the page is worth decoding."""
    n = len(types)
    if n == 2 and _text(types[0]):
        return "setting"
    if n == len(AUDIT_COLUMNS) and types[0] == 0 and _text(types[9], 64) and _text(types[10], 64):
        return "audit"
    if 10 <= n <= 1 + len(OUTBOX_COLUMNS) and types[0] == 0 and _text(types[1], 36) and _text(types[4]):
        return "outbox"
    if n == 9 and _text(types[0]) and 1 <= types[1] <= 9 and _text(types[3], 2) and _text(types[4], 3):
        return "store"
    if n in (5, 6) and _text(types[0], 36) and _text(types[1]) and _text(types[2], 36) and _text(types[3]) \
            and _text(types[4]) and (n == 5 or types[5] == 0 or _text(types[5])):
        return "redirect"
    return ""


def _page_kind(pages: _Pages, number: int, usable: int) -> tuple[str, Iterator[tuple[int, bytes]]]:
    cells = _leaf_cells(pages, number, usable)
    seen: list[tuple[int, bytes]] = []
    for rowid, payload in cells:
        seen.append((rowid, payload))
        try:
            kind = _kind(_types(payload))
        except (ValueError, IndexError):
            kind = ""
        if kind or len(seen) >= 3:
            return kind, itertools.chain(seen, cells)
    return "", iter(())


def _tree(pages: _Pages, root: int, usable: int) -> tuple[list[int], int]:
    """The leaf pages of the table b-tree at ``root``, and how many of its pages could not be read
    (cut off, or not b-tree pages any more)."""
    leaves: list[int] = []
    lost = 0
    todo, seen = [root], set()
    while todo:
        number = todo.pop()
        if number in seen or not 1 <= number:
            continue
        seen.add(number)
        page = pages.get(number)
        base = 100 if number == 1 else 0
        if page is None or page[base] not in (0x05, 0x0D):
            lost += 1
            continue
        if page[base] == 0x0D:
            leaves.append(number)
            continue
        n_cells = struct.unpack(">H", page[base + 3:base + 5])[0]
        todo.append(struct.unpack(">I", page[base + 8:base + 12])[0])
        for i in range(n_cells):
            offset = struct.unpack(">H", page[base + 12 + 2 * i:base + 14 + 2 * i])[0]
            if base + 12 <= offset <= usable - 4:
                todo.append(struct.unpack(">I", page[offset:offset + 4])[0])
            else:
                lost += 1
    return leaves, lost


def _outbox_pages(pages: _Pages, usable: int) -> tuple[int, int] | None:
    """(pages of the outbox table, how many of them are unreadable), from the schema on page 1;
    None when the schema cannot be read."""
    leaves, _ = _tree(pages, 1, usable)
    for number in leaves:
        for _rowid, payload in _leaf_cells(pages, number, usable):
            try:
                values = _record(payload)
            except (ValueError, UnicodeDecodeError, IndexError, struct.error):
                continue
            if len(values) == 5 and values[0] == "table" and values[1] == "outbox_event" and isinstance(values[3], int):
                found, lost = _tree(pages, values[3], usable)
                return len(found) + lost, lost
    return None


def _read_pages(copy: Path, out: Salvaged) -> bool:
    data = copy.read_bytes()
    wal_path = Path(f"{copy}-wal")
    wal = wal_path.read_bytes() if wal_path.is_file() else b""
    sizes = _page_size(data, wal)
    header_ok = data[:16] == _MAGIC
    size = sizes[0]
    if not header_ok:  # guess the page size from a sample: the one under which most pages are table leaves
        def score(candidate: int) -> int:
            pages = _Pages(data, wal, candidate)
            return sum(1 for n in range(2, min(pages.count, 400) + 1)
                       if _page_kind(pages, n, candidate)[0] or next(_leaf_cells(pages, n, candidate), None))
        size = max(sizes, key=score)
    pages = _Pages(data, wal, size)
    reserved = data[20] if header_ok else 0
    free = _freelist(data, pages) if header_ok else set()
    if header_ok:
        try:
            counted = _outbox_pages(pages, size - reserved)
        except (IndexError, struct.error, ValueError):
            counted = None
        if counted and counted[1]:
            out.notes.append(Msg("{lost} of the outbox's {pages} page(s) cannot be read (cut off or overwritten): "
                                 "the changes on them are lost", lost=counted[1], pages=counted[0]))
    rows: dict[str, list[tuple[int, list[Any]]]] = {"setting": [], "audit": [], "outbox": [], "store": [],
                                                    "redirect": []}
    for number in range(1, pages.count + 1):
        if number in free:
            continue
        kind, cells = _page_kind(pages, number, size - reserved)
        if not kind:
            continue
        for rowid, payload in cells:
            try:
                values = _record(payload)
            except (ValueError, UnicodeDecodeError, IndexError, struct.error):
                continue
            rows[kind].append((rowid, values))
    if not any(rows.values()):
        out.notes.append(Msg("no readable rows in the file's pages"))
        return False
    found = False
    for rowid, values in rows["setting"]:
        if len(values) == 2 and isinstance(values[0], str):
            found |= _add_setting(out, values[0], values[1])
    for rowid, values in rows["outbox"]:
        # outbox_event: seq (the rowid, stored as NULL), then OUTBOX_COLUMNS (older files lack parked_*)
        row = dict(zip(OUTBOX_COLUMNS, values[1:]))
        row["seq"] = rowid
        for k in OUTBOX_COLUMNS[9:]:
            row.setdefault(k, None)
        found |= _add_outbox(out, row)
    audit_ids = {r["id"] for r in out.audit}
    for rowid, values in rows["audit"]:
        if rowid not in audit_ids and isinstance(values[8], str) and _hex64(values[9]) and _hex64(values[10]):
            audit_ids.add(rowid)
            out.audit.append(dict(zip(AUDIT_COLUMNS, [rowid, *values[1:]])))
            found = True
    for rowid, values in rows["redirect"]:
        found |= _add_redirect(out, dict(zip(REDIRECT_COLUMNS, values)))
    for rowid, values in rows["store"]:
        if out.store is None and values[0] == out.settings.get("store_code") and isinstance(values[1], int):
            out.store = dict(zip(STORE_COLUMNS, values))
            found = True
    return found


# -- writing what was read into the rebuilt file ------------------------------------------------------

def carry_audit(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> int:
    """Append the salvaged audit rows that continue the rebuilt file's chain (the next id, linked to
    its last hash), in order, up to the first gap. Returns how many were appended."""
    from ..domain.audit import GENESIS

    last = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    last_id, last_hash = (last[0], last[1]) if last else (0, GENESIS)
    carried = 0
    for r in sorted(rows, key=lambda r: r["id"]):
        if r["id"] <= last_id:
            continue
        if r["id"] != last_id + 1 or r["prev_hash"] != last_hash:
            break
        conn.execute(f"INSERT INTO audit_event ({', '.join(AUDIT_COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(AUDIT_COLUMNS))})", [r[c] for c in AUDIT_COLUMNS])
        last_id, last_hash = r["id"], r["hash"]
        carried += 1
    return carried


def carry_redirects(conn: sqlite3.Connection, redirects: list[dict[str, Any]]) -> int:
    """Put the salvaged redirects into the rebuilt file: a customer merged into another leaves it
    again (a backup made before the merge still holds it), its id and reference open the survivor,
    and a merge headquarters has not applied yet can still be put back. Returns how many."""
    from . import customers

    carried = 0
    for r in redirects:
        if conn.execute("SELECT 1 FROM customer_redirect WHERE id = ?", (r["id"],)).fetchone():
            continue
        customers.remove(conn, r["id"])
        try:
            undo = json.loads(r["undo"]) if r.get("undo") else {}
        except ValueError:
            undo = {}
        # the changes the merge took out of the outbox (kept in its undo): a backup's outbox still has them
        taken = [e["id"] for e in undo.get("events") or () if isinstance(e, dict) and isinstance(e.get("id"), str)]
        if taken:
            conn.execute(f"DELETE FROM outbox_event WHERE id IN ({', '.join('?' * len(taken))})", taken)
        conn.execute(f"INSERT INTO customer_redirect ({', '.join(REDIRECT_COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(REDIRECT_COLUMNS))})", [r.get(c) for c in REDIRECT_COLUMNS])
        carried += 1
    return carried


def requeue(conn: sqlite3.Connection, event: dict[str, Any]) -> None:
    """Put a salvaged outbox event at the end of the rebuilt file's outbox, as it was (a parked one
    stays parked, with its reason)."""
    defaults = {"attempts": 0, "last_error": "", "parked_reason": "", "parked_field": "", "parked_holder": ""}
    values = [event.get(c) if event.get(c) is not None else defaults.get(c) for c in OUTBOX_COLUMNS]
    conn.execute(f"INSERT INTO outbox_event ({', '.join(OUTBOX_COLUMNS)}) VALUES "
                 f"({', '.join('?' * len(OUTBOX_COLUMNS))})", values)
