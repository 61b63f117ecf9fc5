"""Fixtures for the query tests: the store fixtures of tests/server/store (SQLite, and
PostgreSQL when CALLCENTER_TEST_PG is set), loaded under their own module name so the conftest
files do not collide, plus a store filled with varied records through the real intake."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from query_support import Ref, make_records, references, store_records

_NAME = "callcenter_store_fixtures"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parents[1] / "store" / "conftest.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
_fixtures = sys.modules[_NAME]

pg_url = _fixtures.pg_url
store_target = _fixtures.store_target
StoreTarget = _fixtures.StoreTarget


@pytest.fixture
def store_db(store_target: Any) -> Any:
    """An opened, migrated, empty store on each database; on PostgreSQL the ``archive`` schema
    (which the store fixtures' schema reset leaves alone) is dropped first."""
    if store_target.kind == "postgresql":
        conn = _fixtures._pg_connect(store_target.url)
        try:
            with conn.cursor() as cur:
                cur.execute("DROP SCHEMA IF EXISTS archive CASCADE")
        finally:
            conn.close()
    store_target.open()
    return store_target

@pytest.fixture
def filled(store_db: Any) -> tuple[Any, list[Ref]]:
    """A store with 300 varied records of two PBXs; returns (target, references)."""
    store_records(make_records(240))
    store_records(make_records(60, seed=9), pbx="pbx-b")
    return store_db, references()
