"""The store's databases: the ``database`` proxy every model is bound to, SQLite with the
store's pragmas, PostgreSQL that survives lost connections, transactions, private files.

``db.py`` (above the models and migrations) opens a data folder's store with these; this
module imports no model, so models and migrations can import it.  Theory of operation of
the whole: ``db.py``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit, urlunsplit

import peewee
from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse import db_url

log = logging.getLogger(__name__)

database: Final = DatabaseProxy()
"""The store every model is bound to; initialised by ``open_store()``."""

AnyDatabase = Database | DatabaseProxy

SQLITE_FILE: Final = "callcenter.db"
BOOTSTRAP_FILE: Final = "store.json"

#: Applied in this order on every new SQLite connection.
SQLITE_PRAGMAS: Final[tuple[tuple[str, object], ...]] = (
    # Wait (in ms) for another process's write lock instead of failing at once: the CLI
    # commands run while the service writes.
    ("busy_timeout", 30_000),
    # Write-ahead log: readers (queries, exports) never block the intake writer. The server
    # store is local; WAL does not work on network file systems (the CRM's shared store
    # uses a rollback journal instead).
    ("journal_mode", "wal"),
    # FULL: the WAL is synced at every commit, so a committed batch survives a power cut, not
    # only a process crash. Records are acknowledged to the PBX only after that commit.
    ("synchronous", "full"),
    ("foreign_keys", 1),
)

_PG_SCHEMES: Final = ("postgresql", "postgres")
_SQLITE_SCHEMES: Final = ("sqlite",)


class StoreError(Exception):
    """The store cannot be opened or used; the text says which store and why."""


class StoreUnavailable(peewee.OperationalError):
    """The store's server cannot be reached now; raised at once while the store waits before
    its next connection attempt (back-off), so callers fail fast and try again later."""


class NoServerData(Exception):
    """``--data DIR`` names no server data folder (a mistyped path); exit status 1."""


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r":[^:@/]*@", ":***@", url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _check_url(url: str) -> str:
    """The URL's scheme, or StoreError naming the URL and what is allowed."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in _PG_SCHEMES + _SQLITE_SCHEMES:
        raise StoreError(
            f"database URL {redact_url(url)!r}: not supported (allowed: "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?host=SOCKETDIR], "
            "or sqlite:///PATH; without a URL the store is DIR/callcenter.db)")
    return scheme


class StoreSqliteDatabase(SqliteDatabase):
    """SQLite that retries its connection pragmas while another process holds a lock.

    Switching a fresh file to WAL needs an exclusive lock, and SQLite reports "database is
    locked" at once (without its busy handler) when two processes open a new store together.
    The pragmas are idempotent, so they are simply tried again for a while.
    """

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                super()._set_pragmas(conn)  # type: ignore[misc]  # private, not in the stubs
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


#: Back-off between connection attempts while a PostgreSQL server cannot be reached:
#: 1, 2, 4, 8 s, then every ``MAX_RECONNECT_DELAY`` s.
MAX_RECONNECT_DELAY: Final = 8.0

#: libpq connection defaults the URL may override: give up connecting after 10 s, and notice a
#: silent network cut on an idle connection within about a minute (TCP keepalives).
PG_CONNECT_DEFAULTS: Final[dict[str, object]] = {
    "connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30,
    "keepalives_interval": 10, "keepalives_count": 3}


class Reachability:
    """Whether a store's server can be reached: back-off between failed connection attempts,
    one ERROR line when an outage starts and one line when it ends (not one per attempt)."""

    def __init__(self, where: str, clock: Any = time.monotonic) -> None:
        self.where = where
        self.clock = clock
        self.reached = False  # a connection was ever opened
        self.failures = 0
        self.down_since: float | None = None  # clock() of the first failed attempt
        self.down_since_utc: str = ""
        self.error = ""
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def check(self) -> None:
        """Raise ``StoreUnavailable`` while waiting before the next attempt."""
        with self._lock:
            if self.down_since is None:
                return
            wait = self._retry_at - self.clock()
            if wait > 0:
                raise StoreUnavailable(f"the store {self.where} is unreachable ({self.error}); "
                                       f"next attempt in {wait:.0f} s")

    def failed(self, exc: BaseException) -> bool:
        """A connection attempt failed; False when the store was never reached (nothing is
        counted then: opening the store reports that)."""
        text = " ".join(str(exc).split()) or type(exc).__name__
        with self._lock:
            if not self.reached:
                return False
            now = self.clock()
            self.failures += 1
            self.error = text
            self._retry_at = now + min(MAX_RECONNECT_DELAY, 2.0 ** (self.failures - 1))
            if self.down_since is not None:
                return True
            self.down_since = now
            self.down_since_utc = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        log.error("the store %s is unreachable: %s; trying again with back-off (every %g s "
                  "at most); call records wait in the PBX meanwhile", self.where, text,
                  MAX_RECONNECT_DELAY)
        return True

    def connected(self) -> tuple[str, float, str] | None:
        """A connection was opened; (since UTC, seconds, last error) when an outage ended."""
        with self._lock:
            self.reached = True
            if self.down_since is None:
                return None
            seconds = self.clock() - self.down_since
            ended = (self.down_since_utc, seconds, self.error)
            self.down_since, self.failures, self._retry_at = None, 0, 0.0
        log.warning("the store %s is reachable again after %.0f s", self.where, seconds)
        return ended


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read now (or was hung up), without waiting."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    ready, _, _ = select.select([fd], [], [], 0)  # Windows: sockets only, no fd limit there
    return bool(ready)


class StorePostgresqlDatabase(PostgresqlDatabase):
    """PostgreSQL that replaces a dead connection instead of failing on it forever.

    peewee keeps a connection per thread and does not notice when the server ends it. Here,
    before a thread uses its connection outside a transaction (every ``BEGIN`` and every
    statement in autocommit), the connection is checked: closed by the driver, in an unknown
    state, or with bytes waiting on an idle socket (the server's goodbye after a restart or
    ``pg_terminate_backend``: nothing else arrives unasked on an idle connection that does not
    ``LISTEN``). A dead one is dropped and a new one opened. Inside a transaction nothing is
    replaced: the transaction fails, its rollback drops the dead connection, and the caller
    tries again (intake: the PBX sends the batch again; nothing is lost or doubled since the
    batch was never acknowledged and stored records are recognised).
    """

    reconnect_errors: ClassVar = (peewee.OperationalError, peewee.InterfaceError)
    # peewee's per-thread connection state, its lock and its driver adapter (not in the stubs)
    _state: Any
    _lock: Any
    _adapter: Any

    def __init__(self, database: str, *, where: str = "", **kwargs: Any) -> None:
        self.reachability = Reachability(where or database)
        super().__init__(database, **kwargs)

    def connect(self, reuse_if_open: bool = False) -> bool:
        if not self._state.closed:
            return bool(super().connect(reuse_if_open))
        self.reachability.check()
        try:
            opened = bool(super().connect(reuse_if_open))
        except peewee.OperationalError as exc:
            if not self.reachability.failed(exc):
                raise  # never reached yet: open_store() reports it
            raise StoreUnavailable(f"the store {self.reachability.where} is unreachable: "
                                   + " ".join(str(exc).split())) from exc
        ended = self.reachability.connected()
        if ended is not None:
            self._alert_outage(*ended)
        return opened

    def cursor(self, named_cursor: Any = None) -> Any:
        if not self._state.closed and not self.in_transaction() and self._dead():
            self._drop()
        return super().cursor(named_cursor)  # type: ignore[no-untyped-call]

    def begin(self, isolation_level: Any = None) -> None:
        try:
            super().begin(isolation_level)
        except self.reconnect_errors:
            if self._state.closed or not self._dead(idle_check=False):
                raise
            # The connection ended before the transaction started (its end can reach us just
            # after the check above): nothing was done, so BEGIN again on a new one, once.
            self._drop()
            super().begin(isolation_level)

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]
        except self.reconnect_errors:
            # A read outside a transaction changed nothing: run it again on a new connection,
            # once. Anything else is left to the caller (it may have been done already).
            if (self.in_transaction() or self._state.closed or not self._dead(idle_check=False)
                    or not sql.lstrip()[:6].upper() == "SELECT"):
                raise
            self._drop()
            return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]

    def rollback(self) -> None:
        if not self._state.closed and self._dead(idle_check=False):
            self._drop()  # the server rolled the transaction back when the connection ended
            return
        try:
            super().rollback()
        except self.reconnect_errors:
            if self._state.closed or not self._dead(idle_check=False):
                raise
            self._drop()

    def _dead(self, *, idle_check: bool = True) -> bool:
        conn = self._state.conn
        if conn is None or conn.closed:
            return True
        status = self._adapter.txn_status(conn)
        if status == self._adapter.txn_unknown:
            return True
        if not idle_check or status != self._adapter.txn_idle:
            return False
        try:
            return _readable(conn.fileno())
        except Exception:  # a connection we cannot even poll is not usable
            return True

    def _drop(self) -> None:
        """Forget this thread's connection (closing it if it is not closed yet)."""
        with self._lock:
            conn = self._state.conn
            self._state.reset()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    #: Called once when an outage ended, with (database, since UTC, seconds, last error):
    #: ``db.py`` sets it to write the outage's alert (models live above this module).
    outage_alert: ClassVar[Callable[[Database, str, float, str], None] | None] = None

    def _alert_outage(self, since: str, seconds: float, error: str) -> None:
        hook = type(self).outage_alert
        if hook is not None:
            hook(self, since, seconds, error)


def make_postgresql(url: str) -> StorePostgresqlDatabase:
    """A PostgreSQL store database for ``url`` (libpq parameters may follow as a query
    string; ``PG_CONNECT_DEFAULTS`` fill in what it leaves out)."""
    try:
        params = db_url.parse(url)
    except ValueError as exc:
        raise StoreError(f"database URL {redact_url(url)!r}: {exc}") from None
    name = params.pop("database", "")
    if not name:
        raise StoreError(f"database URL {redact_url(url)!r}: has no database name (give "
                         "postgresql://USER@HOST/DBNAME)")
    for key, value in PG_CONNECT_DEFAULTS.items():
        params.setdefault(key, value)
    return StorePostgresqlDatabase(name, where=redact_url(url), **params)


#: Log files the server writes in the data folder (settings.LOG_FILE and its rotations): a
#: folder holding nothing else is one the server is setting up.
_OWN_FILE_PREFIX: Final = "callcenter-server.log"


def _private(path: Path, mode: int) -> None:
    """POSIX: take the group and other permission bits off ``path`` if it is ours and has
    any (a store made before this rule, or created by another program's umask)."""
    if os.name != "posix":
        return  # Windows: the data folder is in the user's profile
    with contextlib.suppress(OSError):
        info = path.stat()
        if info.st_mode & 0o077 and info.st_uid == os.geteuid():
            os.chmod(path, mode)


def private_data_dir(data_dir: Path) -> None:
    """Create the data folder readable by its owner only (0700 on POSIX), with its parents.

    A folder that already exists is made 0700 too while it holds no store and nothing but the
    server's log (the command line creates it just before): a folder with other contents may
    be shared on purpose and is left as it is. (The hotel bill file is read by the hotel
    software, perhaps as another user: keep ``hotel_bill.path`` outside DIR then.)
    """
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
    if has_store(data_dir):
        return
    with contextlib.suppress(OSError):
        if all(child.name.startswith(_OWN_FILE_PREFIX) for child in data_dir.iterdir()):
            _private(data_dir, 0o700)


def private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600) unless it exists; an
    existing one of ours loses its group and other bits."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _private(path, 0o600)


def make_sqlite(path: Path) -> SqliteDatabase:
    """A SQLite database at ``path`` with the store's pragmas and IMMEDIATE transactions.

    The file is created 0600 on POSIX before SQLite opens it (its ``-wal`` and ``-shm`` files
    take the same permissions): it holds password hashes, calls and the audit log.
    """
    if path.parent.is_dir():
        with contextlib.suppress(OSError):
            private_file(path)
        for suffix in ("-wal", "-shm"):
            _private(path.with_name(path.name + suffix), 0o600)
    return StoreSqliteDatabase(str(path), pragmas=list(SQLITE_PRAGMAS), timeout=30,
                               lock_type="IMMEDIATE")


def is_sqlite(db: AnyDatabase) -> bool:
    """True when ``db`` (or the database behind the proxy) is SQLite."""
    target = db.obj if isinstance(db, DatabaseProxy) else db
    return isinstance(target, SqliteDatabase)


def write_transaction(db: AnyDatabase) -> AbstractContextManager[Any]:
    """A transaction that holds the write lock from its start (SQLite: BEGIN IMMEDIATE)."""
    return db.atomic("IMMEDIATE") if is_sqlite(db) else db.atomic()


def read_snapshot(db: AnyDatabase) -> AbstractContextManager[Any]:
    """A read transaction that sees one consistent snapshot and does not block writers."""
    if is_sqlite(db):
        return db.atomic("DEFERRED")
    return db.atomic(isolation_level="REPEATABLE READ")


def has_store(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a store: the SQLite file or the bootstrap file naming one."""
    return any((data_dir / name).exists() for name in (SQLITE_FILE, BOOTSTRAP_FILE))
