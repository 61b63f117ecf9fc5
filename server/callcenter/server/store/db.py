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

PostgreSQL (``StorePostgresqlDatabase``) survives a lost connection (a server restart, a
``pg_terminate_backend``, a network cut): each thread's connection is checked before it is used
outside a transaction, and a dead one is replaced by a new one. A transaction that loses its
connection half-way fails as a whole (the server rolled it back) and leaves the thread without a
connection, so the caller's next attempt starts on a fresh one. While the server cannot be
reached, new connections are tried with back-off (``Reachability``), the outage is logged once
at ERROR and once when it ends, and an ``Alert`` row (``store_unreachable``) is written then.

The data folder and the files holding secrets are private to the server's user on POSIX: a
folder the server sets up is made 0700 and ``callcenter.db`` (with its ``-wal``/``-shm``
files) 0600 (``private_data_dir``, ``make_sqlite``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import peewee
from peewee import Database

from callcenter.server.store.engine import (
    _SQLITE_SCHEMES,
    BOOTSTRAP_FILE,
    MAX_RECONNECT_DELAY,
    PG_CONNECT_DEFAULTS,
    SQLITE_FILE,
    SQLITE_PRAGMAS,
    AnyDatabase,
    NoServerData,
    Reachability,
    StoreError,
    StorePostgresqlDatabase,
    StoreSqliteDatabase,
    StoreUnavailable,
    _check_url,
    database,
    has_store,
    is_sqlite,
    make_postgresql,
    make_sqlite,
    private_data_dir,
    private_file,
    read_snapshot,
    redact_url,
    write_transaction,
)
from callcenter.server.store.migrations import migrate
from callcenter.server.store.models import Alert, utc_now

log = logging.getLogger(__name__)

__all__ = [
    "BOOTSTRAP_FILE", "MAX_RECONNECT_DELAY", "PG_CONNECT_DEFAULTS", "SQLITE_FILE",
    "SQLITE_PRAGMAS", "AnyDatabase", "NoServerData", "Reachability", "StoreError",
    "StorePostgresqlDatabase", "StoreSqliteDatabase", "StoreUnavailable", "database",
    "has_store", "is_sqlite", "make_postgresql", "make_sqlite", "open_store",
    "private_data_dir", "private_file", "read_bootstrap", "read_snapshot", "redact_url",
    "require_server_data", "write_transaction",
]



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
    return make_postgresql(url)


def open_store(data_dir: Path, url: str | None = None) -> Database:
    """Open (creating if needed) the store of ``data_dir`` and bring its schema up to date.

    Without ``url`` the store is the one remembered in ``DIR/store.json``, or the SQLite file
    ``DIR/callcenter.db``. A given ``url`` (``postgresql://...``) is remembered there once the
    database has been reached and migrated, so a wrong URL is never remembered. The returned
    database is also what the ``database`` proxy now points at.
    """
    data_dir = Path(data_dir)
    try:
        private_data_dir(data_dir)
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


def _alert_outage(db: Database, since: str, seconds: float, error: str) -> None:
    """The one alert of a PostgreSQL outage, written when the store is back (it could not
    be written while the store was unreachable)."""
    text = (f"the store was unreachable for {seconds:.0f} s from {since} UTC: {error}; "
            "call records were stored when it came back")
    try:
        Alert.insert(kind="store_unreachable", text=text, created_at=utc_now(),
                     detail=json.dumps({"since": since, "seconds": round(seconds, 1),
                                        "error": error})).execute(db)
    except peewee.DatabaseError as exc:
        log.warning("cannot keep the alert about the store outage: %s", exc)


StorePostgresqlDatabase.outage_alert = _alert_outage
