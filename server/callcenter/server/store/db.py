"""Opening the server store: SQLite under the data folder by default, PostgreSQL by URL.

Theory of operation
-------------------
Every model is bound to the module-level ``database`` proxy; ``open_store()`` builds the real
database and initialises the proxy with it (peewee's deferred initialisation), then runs the
numbered migrations. Which database a data folder uses is remembered in ``DIR/store.json``, a
small bootstrap file: the server settings themselves live *in* the store, so the pointer to the
store cannot. Giving a URL once (``--db postgresql://...``) is enough; later opens of the same
folder without a URL find it there.

SQLite is opened with explicit pragmas (see ``SQLITE_PRAGMAS``) and with ``BEGIN IMMEDIATE`` for
every transaction, so a writer takes the write lock when it starts instead of failing with
"database is locked" when it tries to upgrade a read lock half-way. Read-only work that needs one
consistent snapshot (``records verify``) uses ``read_snapshot()`` instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import peewee
from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse import db_url

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


def read_bootstrap(data_dir: Path) -> dict[str, Any]:
    """The contents of ``DIR/store.json``, or ``{}`` when there is none."""
    path = data_dir / BOOTSTRAP_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read the store bootstrap file: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: must hold a JSON object")
    return data


def _write_bootstrap(data_dir: Path, data: dict[str, Any]) -> None:
    path = data_dir / BOOTSTRAP_FILE
    # A temporary file of our own (two processes may write at once), then an atomic rename.
    # mkstemp creates it readable by the owner only: the URL may carry a password.
    fd, tmp = tempfile.mkstemp(prefix=BOOTSTRAP_FILE + ".", suffix=".tmp", dir=data_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


def make_sqlite(path: Path) -> SqliteDatabase:
    """A SQLite database at ``path`` with the store's pragmas and IMMEDIATE transactions."""
    return StoreSqliteDatabase(str(path), pragmas=list(SQLITE_PRAGMAS), timeout=30,
                               lock_type="IMMEDIATE")


def _make_database(data_dir: Path, url: str | None) -> Database:
    if url is None:
        return make_sqlite(data_dir / SQLITE_FILE)
    scheme = _check_url(url)
    if scheme in _SQLITE_SCHEMES:
        path = url.split("://", 1)[1]
        if not path.startswith("/") or len(path) < 2:
            raise StoreError(f"database URL {url!r}: must be sqlite:///PATH (three slashes "
                             "and a file path)")
        return make_sqlite(Path(path[1:]) if path.startswith("//") else Path(path))
    try:
        db = db_url.connect(url)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise StoreError(f"database URL {redact_url(url)!r}: {exc}") from None
    assert isinstance(db, PostgresqlDatabase)
    return db


def open_store(data_dir: Path, url: str | None = None) -> Database:
    """Open (creating if needed) the store of ``data_dir`` and bring its schema up to date.

    Without ``url`` the store is the one remembered in ``DIR/store.json``, or the SQLite file
    ``DIR/callcenter.db``. A given ``url`` (``postgresql://...``) is remembered there once the
    database has been reached and migrated, so a wrong URL is never remembered. The returned
    database is also what the ``database`` proxy now points at.
    """
    from callcenter.server.store.migrations import migrate  # noqa: PLC0415 - migrations imports db

    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"data folder {data_dir}: cannot create it: {exc}") from None
    bootstrap = read_bootstrap(data_dir)
    remembered = bootstrap.get("url")
    if remembered is not None and not isinstance(remembered, str):
        raise StoreError(f"{data_dir / BOOTSTRAP_FILE}: 'url' must be a string")
    chosen = url if url is not None else remembered
    db = _make_database(data_dir, chosen)
    where = redact_url(chosen) if chosen else str(data_dir / SQLITE_FILE)
    try:
        db.connect(reuse_if_open=True)
    except peewee.DatabaseError as exc:
        db.close()
        raise StoreError(f"store {where!r}: cannot connect: {str(exc).strip()}") from None
    database.initialize(db)
    try:
        migrate(db)
    except StoreError:
        db.close()
        raise
    except peewee.DatabaseError as exc:
        db.close()
        raise StoreError(f"store {where!r}: cannot migrate: {str(exc).strip()}") from None
    if url is not None and url != remembered:
        _write_bootstrap(data_dir, {**bootstrap, "url": url})
    return db


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


def require_server_data(data_dir: Path, *, url: str | None = None,
                        also: tuple[str, ...] = ()) -> None:
    """Raise ``NoServerData`` unless ``data_dir`` holds server data: the store
    (``callcenter.db``), the bootstrap file naming it (``store.json``), or one of the file
    names in ``also`` (e.g. the tariff). With a store ``url`` the folder only has to exist (the
    URL is remembered in it). Read-only commands call this first, so a mistyped ``--data`` is
    reported instead of silently creating (or showing) an empty store."""
    if not data_dir.exists():
        raise NoServerData(f"no server data in {data_dir} (the folder does not exist)")
    if not data_dir.is_dir():
        raise NoServerData(f"no server data in {data_dir} (it is not a folder)")
    if url is not None:
        return
    if not has_store(data_dir) and not any((data_dir / name).exists() for name in also):
        names = (SQLITE_FILE, BOOTSTRAP_FILE, *also)
        listed = ", ".join(names[:-1]) + " or " + names[-1]
        raise NoServerData(f"no server data in {data_dir} (no {listed} in it; give the "
                           "folder the server runs with)")
