"""Store fixtures of the server tests (registered by tests/server/conftest.py): every test that
takes ``store_db`` runs on SQLite and on
PostgreSQL.

SQLite: a fresh data folder in ``tmp_path``. PostgreSQL: a fresh database with a random name per
test module, created on the server named by ``CALLCENTER_TEST_PG`` (``scripts/test.sh`` sets it)
and dropped after the module; each test starts from an empty schema. Without the variable the
PostgreSQL variants are skipped, with the reason shown.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from callcenter.server.store.db import database, open_store

PG_ENV = "CALLCENTER_TEST_PG"
SQLITE_FILE = "callcenter.db"  # a data folder's SQLite store
PG_SKIP = (f"{PG_ENV} is not set: the PostgreSQL variant needs a server "
           "(scripts/test.sh starts one and sets it)")


def _pg_connect(url: str) -> Any:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _with_dbname(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test module, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    name = "cc_store_test_" + secrets.token_hex(6)
    admin = _pg_connect(base)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
        yield _with_dbname(base, name)
        _close_store()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.close()


def reset_pg_schema(url: str) -> None:
    conn = _pg_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        conn.close()


@dataclass
class StoreTarget:
    """Where a test's store lives; ``open()`` opens it (again) like a program would."""

    kind: str  # "sqlite" or "postgresql"
    data_dir: Path
    url: str | None

    def open(self) -> Any:
        return open_store(self.data_dir, self.url)

    def sql(self, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run raw SQL on the open store, outside any model (as an attacker would); ``?``
        placeholders work on both databases. Returns the rows, if any."""
        db = database.obj
        cursor = db.execute_sql(text.replace("?", db.param), params)
        return list(cursor.fetchall()) if cursor.description else []


def _close_store() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    """A store location (not yet opened) on each database."""
    if request.param == "sqlite":
        target = StoreTarget("sqlite", tmp_path / "data", None)
    else:
        url = request.getfixturevalue("pg_url")
        _close_store()
        reset_pg_schema(url)
        target = StoreTarget("postgresql", tmp_path / "data", url)
    yield target
    _close_store()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly created SQLite store file, made once per session: a test's ``store_db`` starts
    from a copy of it, the very file a first ``open_store`` writes (migrations take ~0.1 s
    a test otherwise)."""
    folder = tmp_path_factory.mktemp("sqlite-template") / "data"
    open_store(folder)
    _close_store()
    return folder / SQLITE_FILE


@pytest.fixture
def store_db(store_target: StoreTarget, sqlite_template: Path) -> Iterator[StoreTarget]:
    """An opened, migrated, empty store on each database (``database`` points at it)."""
    from_template(store_target, sqlite_template)
    store_target.open()
    yield store_target


def from_template(target: StoreTarget, template: Path) -> None:
    """On SQLite, put a copy of the session's fresh store file where ``target`` opens it."""
    if target.kind == "sqlite":
        target.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        copy = target.data_dir / SQLITE_FILE
        shutil.copyfile(template, copy)
        copy.chmod(0o600)
