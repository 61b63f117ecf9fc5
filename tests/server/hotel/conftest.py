"""The store fixtures of tests/server/store (SQLite, and PostgreSQL when CALLCENTER_TEST_PG is
set), loaded under their own module name so that the two conftest files do not collide."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

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
store_db = _fixtures.store_db
StoreTarget = _fixtures.StoreTarget
