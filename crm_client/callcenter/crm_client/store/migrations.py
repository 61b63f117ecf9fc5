"""Numbered schema migrations of the CRM databases, recorded in ``schema_version``.

Two chains: ``shared`` (customers and their number and search indexes, call log, phonebooks:
the tables network mode keeps in ``FOLDER/crm-shared.db``) and ``local`` (outbox, messages,
monitor icons: always on this PC, in ``DIR/crm.db``). ``DIR/crm.db`` gets both chains (so a
PC can switch between standalone and network mode and find its own data again), the shared file
only the shared one.

Each migration is frozen SQL, as it was when written; a later change is a new numbered
migration, and ``models.py`` is changed to match. ``migrate()`` applies what is pending, with its
``schema_version`` rows, in one ``BEGIN IMMEDIATE`` transaction taken before reading the
version, so several PCs opening a new shared file at once apply each migration once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from callcenter.crm_client.store.records import StoreError

__all__ = ["LOCAL", "SHARED", "Migration", "migrate"]


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    apply: Callable[[Any], None]


def _script(*statements: str) -> Callable[[Any], None]:
    def apply(db: Any) -> None:
        for sql in statements:
            db.execute_sql(sql)
    return apply


_SHARED_001 = _script(
    """CREATE TABLE customer (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '', extension TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '', phones TEXT NOT NULL DEFAULT '[]',
        mobile TEXT NOT NULL DEFAULT '', fax TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT '',
        customer_no TEXT NOT NULL DEFAULT '', company TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '', handler TEXT NOT NULL DEFAULT '',
        department TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
        vip INTEGER NOT NULL DEFAULT 0, blacklist INTEGER NOT NULL DEFAULT 0,
        blacklist_reason TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 1,
        last_write TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL)""",
    # The number index: one row per normalised number of a customer; rdigits (reversed) lets
    # a caller ID without its area code find the stored number by its ending.
    """CREATE TABLE customer_phone (
        customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
        digits TEXT NOT NULL, rdigits TEXT NOT NULL,
        PRIMARY KEY (customer_id, digits)) WITHOUT ROWID""",
    "CREATE INDEX customer_phone_digits ON customer_phone (digits)",
    "CREATE INDEX customer_phone_rdigits ON customer_phone (rdigits)",
    # Search (see crm_store): one short text per customer, scanned for substrings when no
    # index serves, listed in name order by its index; its trigrams (FTS5) and their list
    # (fts5vocab) for texts of two characters or more.
    """CREATE TABLE customer_search (
        customer_id INTEGER PRIMARY KEY, name_key TEXT NOT NULL, text TEXT NOT NULL)""",
    "CREATE INDEX customer_search_name ON customer_search (name_key, customer_id)",
    # External content: the index reads the texts from customer_search (not stored twice).
    """CREATE VIRTUAL TABLE customer_fts USING fts5 (text, tokenize = 'trigram',
        content = 'customer_search', content_rowid = 'customer_id')""",
    "CREATE VIRTUAL TABLE customer_fts_terms USING fts5vocab (customer_fts, 'row')",
    """CREATE TABLE call_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        time_utc TEXT NOT NULL, utc_offset INTEGER NOT NULL,
        number TEXT NOT NULL, digits TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
        direction TEXT NOT NULL, answered INTEGER NOT NULL DEFAULT 0,
        duration INTEGER NOT NULL DEFAULT 0, extension TEXT NOT NULL DEFAULT '',
        user TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX call_log_time ON call_log (time_utc, id)",
    """CREATE TABLE phonebook (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        book TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', number TEXT NOT NULL,
        digits TEXT NOT NULL, company TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX phonebook_book ON phonebook (book, name)",
)

_LOCAL_001 = _script(
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        op TEXT NOT NULL, payload TEXT NOT NULL, queued_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending', problem TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX outbox_status ON outbox (status, id)",
    """CREATE TABLE message (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        time_utc TEXT NOT NULL, utc_offset INTEGER NOT NULL,
        sender TEXT NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL)""",
    "CREATE INDEX message_time ON message (time_utc, id)",
    """CREATE TABLE monitor_icon (
        port TEXT PRIMARY KEY, label TEXT NOT NULL DEFAULT '',
        x INTEGER NOT NULL DEFAULT 0, y INTEGER NOT NULL DEFAULT 0,
        position INTEGER NOT NULL DEFAULT 0)""",
)

SHARED: Final = (Migration(1, "customers, number and search indexes, call log, phonebooks",
                           _SHARED_001),)
LOCAL: Final = (Migration(1, "outbox, messages, monitor icons", _LOCAL_001),)

_CHAINS: Final = {"shared": SHARED, "local": LOCAL}


def migrate(db: Any, chains: tuple[str, ...]) -> int:
    """Apply the pending migrations of ``chains`` ("shared", "local"); how many were applied.
    A database newer than this program (a higher number than it knows) is refused."""
    db.execute_sql("""CREATE TABLE IF NOT EXISTS schema_version (
        chain TEXT NOT NULL, number INTEGER NOT NULL, name TEXT NOT NULL,
        applied_at TEXT NOT NULL, PRIMARY KEY (chain, number))""")
    applied = 0
    with db.atomic("IMMEDIATE"):
        for chain in chains:
            migrations = _CHAINS[chain]
            row = db.execute_sql("SELECT MAX(number) FROM schema_version WHERE chain = ?",
                                 (chain,)).fetchone()
            current = row[0] or 0
            if current > len(migrations):
                raise StoreError(f"{db.database}: its {chain} schema is version {current}, newer "
                                 f"than this program's {len(migrations)}: update callcenter-crm")
            if chain == "shared" and current >= 1 and not db.execute_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'customer_fts'").fetchone():
                raise StoreError(f"{db.database}: made by a development build of 2026-12-03 "
                                 "(before the search index): delete the file and import again")
            for m in migrations[current:]:
                m.apply(db)
                db.execute_sql(
                    "INSERT INTO schema_version (chain, number, name, applied_at) "
                    "VALUES (?, ?, ?, ?)",
                    (chain, m.number, m.name, datetime.now(UTC).isoformat(timespec="seconds")))
                applied += 1
    return applied
