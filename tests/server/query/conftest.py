"""Fixtures for the query tests: ``store_db`` also drops the ``archive`` schema on PostgreSQL,
and ``filled`` is a store with varied records put through the real intake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.query.query_support import Ref, make_records, references, store_records
from tests.server.store_fixtures import _pg_connect, from_template


@pytest.fixture
def store_db(store_target: Any, sqlite_template: Path) -> Any:
    """An opened, migrated, empty store on each database; on PostgreSQL the ``archive`` schema
    (which the store fixtures' schema reset leaves alone) is dropped first."""
    if store_target.kind == "postgresql":
        conn = _pg_connect(store_target.url)
        try:
            with conn.cursor() as cur:
                cur.execute("DROP SCHEMA IF EXISTS archive CASCADE")
        finally:
            conn.close()
    from_template(store_target, sqlite_template)
    store_target.open()
    return store_target


@pytest.fixture
def filled(store_db: Any) -> tuple[Any, list[Ref]]:
    """A store with 300 varied records of two PBXs; returns (target, references)."""
    store_records(make_records(240))
    store_records(make_records(60, seed=9), pbx="pbx-b")
    return store_db, references()
