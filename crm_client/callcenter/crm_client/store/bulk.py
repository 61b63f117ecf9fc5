"""Inserting many new customers in one transaction (the importer's path), fast.

The rows go in through the DB-API cursor with ``executemany`` and ids numbered from the
table's highest, all inside the caller's ``BEGIN IMMEDIATE`` transaction (so no other PC can take
those ids meanwhile). Each row's uuid is ``MARKER-N``: a retry of a transaction whose commit did
go through (the error came after it) finds its first row and inserts nothing again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from callcenter.crm_client.store.records import Customer, StoreError
from callcenter.crm_client.store.writes import (
    customer_fields,
    customer_values,
    index_rows,
    now_utc,
    write_index,
)

__all__ = ["insert_all"]

_CHUNK: Final = 2_000
_COLUMNS: Final = ("id", "uuid", "version", "last_write", "updated_at",
                   *customer_fields(Customer()).keys())


def insert_all(db: Any, customers: Sequence[tuple[Customer, list[str]]], marker: str,
               progress: Callable[[int], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> int:
    """Insert ``customers`` (each with the index keys of its numbers, as ``check_customer``
    returns them; ids ignored: all new); how many. Runs inside a write transaction."""
    if not customers:
        return 0
    cursor = db.cursor()
    if cursor.execute("SELECT 1 FROM customer WHERE uuid = ?", (f"{marker}-0",)).fetchone():
        return len(customers)  # this very batch was committed by an earlier attempt
    first = (cursor.execute("SELECT MAX(id) FROM customer").fetchone()[0] or 0) + 1
    seq = cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'customer'").fetchone()
    if seq is not None and seq[0] >= first:
        first = seq[0] + 1  # AUTOINCREMENT never reuses the id of a deleted customer
    stamp = now_utc()
    insert_customer = (f"INSERT INTO customer ({', '.join(_COLUMNS)}) "
                       f"VALUES ({', '.join('?' * len(_COLUMNS))})")
    done = 0
    for start in range(0, len(customers), _CHUNK):
        if cancelled is not None and cancelled():
            raise StoreError("import cancelled: nothing was imported")
        rows, indexes = [], []
        for n, (c, keys) in enumerate(customers[start:start + _CHUNK], start):
            cid = first + n
            rows.append((cid, f"{marker}-{n}", 1, marker, stamp,
                         *customer_values(c)))
            indexes.append(index_rows(c, cid, keys))
        cursor.executemany(insert_customer, rows)
        write_index(db, indexes)
        done += len(rows)
        if progress is not None:
            progress(done)
    return done
