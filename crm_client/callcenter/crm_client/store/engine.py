"""Opening the CRM's SQLite files and running work on them with locks, retries and back-off.

Theory of operation
-------------------
``Gateway`` owns one SQLite file and runs functions on it: ``run(fn, write=True)`` inside a
``BEGIN IMMEDIATE`` transaction (the writer takes the write lock when it starts, so it never
fails half-way upgrading a read lock), ``run(fn)`` for reads. Its connection (one per thread,
peewee's) is opened on first use and the file's migrations applied then.

The local file ``DIR/crm.db`` uses the write-ahead log. The shared file of network mode
(``FOLDER/crm-shared.db``, opened by several PCs over a network share) uses the rollback
journal (``journal_mode=DELETE``: WAL's shared memory does not work across machines) with
``synchronous=FULL``. Every PC waits for another's lock (``busy_timeout``); when the wait runs out
("database is locked") the whole function is tried again after a bounded, jittered back-off, up
to ``MAX_ATTEMPTS`` times. A function run again must be harmless when its first run was in fact
committed: the store's writes carry keys for that (call keys, client-made uuids, write ids).

The share is *away* when its folder cannot be seen (checked before each run: a folder renamed
or unmounted), or SQLite cannot open or write the file ("unable to open", "disk I/O error",
OSError). The gateway then closes this thread's connection (the next run opens a new one, so a
share that comes back is used again) and raises ``ShareUnavailable``; a share that stays locked
through every attempt is reported the same way. The store above decides what that means for a
write (the outbox) and for a read (an error the window shows).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

import peewee
from peewee import SqliteDatabase

from callcenter.crm_client.store.migrations import migrate
from callcenter.crm_client.store.records import ShareUnavailable, StoreError

log = logging.getLogger(__name__)

__all__ = ["LOCAL_FILE", "MAX_ATTEMPTS", "SHARED_FILE", "Gateway", "default_data_dir"]

LOCAL_FILE: Final = "crm.db"
SHARED_FILE: Final = "crm-shared.db"

#: How long SQLite waits for another process's lock before reporting "database is locked" (ms).
BUSY_TIMEOUT_MS: Final = 10_000
#: SQLite's page cache per connection (KiB): the search and number indexes of 100 k
#: customers stay in memory.
CACHE_KIB: Final = 65_536
#: Tries of one function while the database stays locked; back-off between them doubles from
#: ``FIRST_BACKOFF`` up to ``MAX_BACKOFF`` seconds, with jitter so PCs do not retry in step.
MAX_ATTEMPTS: Final = 6
FIRST_BACKOFF: Final = 0.05
MAX_BACKOFF: Final = 2.0

T = TypeVar("T")

_AWAY_ERRORS: Final = ("unable to open", "disk i/o error", "no such file", "not a directory",
                       "readonly database", "read-only file system")
_LOCKED_ERRORS: Final = ("database is locked", "database is busy", "database table is locked")


def default_data_dir() -> Path:
    """The per-user data folder: %APPDATA%\\callcenter-crm on Windows, else
    $XDG_DATA_HOME/callcenter-crm or ~/.local/share/callcenter-crm (as the server picks its own)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "callcenter-crm"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callcenter-crm"


class _Sqlite(SqliteDatabase):
    """SQLite that retries its connection pragmas while another process holds a lock
    (switching the journal mode needs one, and SQLite reports it at once, without waiting)."""

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                super()._set_pragmas(conn)  # type: ignore[misc]  # private, not in the stubs
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def _kind(exc: BaseException) -> str:
    """"locked", "away" or "other" for an error raised by SQLite or the file system."""
    if isinstance(exc, OSError):
        return "away"
    text = str(exc).lower()
    if any(t in text for t in _LOCKED_ERRORS):
        return "locked"
    if any(t in text for t in _AWAY_ERRORS):
        return "away"
    return "other"


class Gateway:
    """One CRM SQLite file: connections, migrations, transactions, retries (module docstring).

    ``shared`` marks the network-mode file: its folder must exist (it is never created: a
    missing folder is a share that is away) and its journal is the rollback journal.
    """

    def __init__(self, path: Path, *, shared: bool, chains: tuple[str, ...]) -> None:
        self.path = path
        self.shared = shared
        self.chains = chains
        journal = "delete" if shared else "wal"
        self.db = _Sqlite(str(path), pragmas=[("busy_timeout", BUSY_TIMEOUT_MS),
                                              ("journal_mode", journal),
                                              ("synchronous", "full"),
                                              ("cache_size", -CACHE_KIB),
                                              ("foreign_keys", 1)],
                          timeout=BUSY_TIMEOUT_MS / 1000)
        self._migrated = False
        self._lock = threading.Lock()
        self.retries = 0  # lock waits that ran out and were tried again (all threads)

    def where(self) -> str:
        return f"the shared folder {self.path.parent}" if self.shared else str(self.path)

    def _check_reachable(self) -> None:
        if self.shared and not self.path.parent.is_dir():
            raise ShareUnavailable(f"the shared folder {self.path.parent} cannot be reached "
                                   "(missing, renamed or not mounted)")

    def _connect(self) -> None:
        self.db.connect(reuse_if_open=True)
        if not self._migrated:
            with self._lock:
                if not self._migrated:
                    migrate(self.db, self.chains)
                    self._migrated = True

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        with contextlib.suppress(peewee.DatabaseError, sqlite3.Error):
            self.db.close()

    def _drop(self) -> None:
        with contextlib.suppress(Exception):
            if self.db.in_transaction():
                self.db.rollback()
        self.close()

    def run(self, fn: Callable[[], T], *, write: bool = False) -> T:
        """``fn()`` on this file (in one ``BEGIN IMMEDIATE`` transaction when ``write``), tried
        again while the file stays locked; ShareUnavailable when it cannot be reached,
        StoreError for any other database failure."""
        delay = FIRST_BACKOFF
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._check_reachable()
            try:
                self._connect()
                if write:
                    with self.db.atomic("IMMEDIATE"):
                        return fn()
                return fn()
            except (peewee.OperationalError, sqlite3.OperationalError, OSError) as exc:
                kind = _kind(exc)
                if kind == "locked" and attempt < MAX_ATTEMPTS:
                    self.retries += 1
                    log.info("%s is locked (attempt %d of %d); trying again in %.2f s",
                             self.where(), attempt, MAX_ATTEMPTS, delay)
                    time.sleep(delay * random.uniform(0.5, 1.5))
                    delay = min(MAX_BACKOFF, delay * 2)
                    continue
                if self.shared and kind in ("locked", "away"):
                    self._drop()
                    why = ("stayed locked by another PC through "
                           f"{MAX_ATTEMPTS} attempts") if kind == "locked" else str(exc).strip()
                    raise ShareUnavailable(f"{self.where()} cannot be used now: {why}") from None
                self._drop()
                if kind == "locked":
                    raise StoreError(f"{self.path}: stayed locked by another program through "
                                     f"{MAX_ATTEMPTS} attempts") from None
                raise StoreError(f"{self.path}: {str(exc).strip()}") from None
            except peewee.DatabaseError as exc:
                self._drop()
                raise StoreError(f"{self.path}: {str(exc).strip()}") from None
        raise AssertionError("unreachable")  # pragma: no cover: the loop returns or raises
