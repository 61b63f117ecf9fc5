"""Opening the store: SQLite by default, PostgreSQL by URL (remembered), migrations on open."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from peewee import PostgresqlDatabase

from callcenter.server.store.db import BOOTSTRAP_FILE, SQLITE_FILE, StoreError, open_store
from callcenter.server.store.migrations import (
    MIGRATIONS,
    latest_version,
    migrate,
    schema_versions,
)
from callcenter.server.store.models import Setting, utc_now
from tests.server.store.store_workers import migrate_at_once
from tests.server.store_fixtures import StoreTarget

ALL_VERSIONS = [(m.number, m.name) for m in MIGRATIONS]


def test_open_creates_migrates_and_reopens(store_target: StoreTarget) -> None:
    assert not store_target.data_dir.exists()
    db = store_target.open()
    assert store_target.data_dir.is_dir()
    assert schema_versions(db) == ALL_VERSIONS
    assert {"call_record", "rating", "chain_head", "alert", "setting", "audit",
            "malformed_record", "schema_version"} <= set(db.get_tables())
    Setting.create(key="k", value="1", updated_at=utc_now())
    db.close()

    db = store_target.open()  # a second open finds everything and applies nothing
    assert migrate(db) == []
    assert schema_versions(db) == ALL_VERSIONS
    assert Setting.get_by_id("k").value == "1"


def test_sqlite_is_the_default_with_explicit_pragmas(tmp_path: Path) -> None:
    db = open_store(tmp_path / "d")
    try:
        assert (tmp_path / "d" / SQLITE_FILE).is_file()
        assert not (tmp_path / "d" / BOOTSTRAP_FILE).exists()
        pragma = {name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
                  for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
        assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                          "busy_timeout": 30000}
    finally:
        db.close()


def test_postgres_url_is_remembered(pg_url: str, tmp_path: Path) -> None:
    from tests.server.store_fixtures import reset_pg_schema

    reset_pg_schema(pg_url)
    data = tmp_path / "data"
    db = open_store(data, pg_url)
    db.close()
    assert json.loads((data / BOOTSTRAP_FILE).read_text())["url"] == pg_url
    assert (data / BOOTSTRAP_FILE).stat().st_mode & 0o077 == 0  # may hold a password
    assert not (data / SQLITE_FILE).exists()
    db = open_store(data)  # no URL: the remembered one
    try:
        assert isinstance(db, PostgresqlDatabase)
        assert schema_versions(db) == ALL_VERSIONS
    finally:
        db.close()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres:/nohost", "nonsense",
                                 "sqlite://relative"])
def test_bad_url_names_itself(tmp_path: Path, url: str) -> None:
    with pytest.raises(StoreError, match="database URL") as info:
        open_store(tmp_path / "d", url)
    assert url.split("://", maxsplit=1)[0] in str(info.value)
    assert not (tmp_path / "d" / BOOTSTRAP_FILE).exists()


def test_unreachable_postgres_is_a_store_error_and_not_remembered(tmp_path: Path) -> None:
    url = "postgresql://nobody:secret@127.0.0.1:1/nodb?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot connect") as info:
        open_store(tmp_path / "d", url)
    assert "secret" not in str(info.value)  # passwords are redacted from messages
    assert not (tmp_path / "d" / BOOTSTRAP_FILE).exists()


def test_newer_schema_is_refused(store_target: StoreTarget) -> None:
    store_target.open()
    store_target.sql("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                     (latest_version() + 1, "999_future", "2030-01-01T00:00:00"))
    with pytest.raises(StoreError, match="newer than this program"):
        store_target.open()


def test_two_processes_migrate_the_same_fresh_store_at_once(store_target: StoreTarget) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=migrate_at_once,
                           args=(str(store_target.data_dir), store_target.url, barrier, results))
               for _ in range(2)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert outcomes == [("ok", []), ("ok", [])], outcomes
    db = store_target.open()
    assert schema_versions(db) == ALL_VERSIONS
