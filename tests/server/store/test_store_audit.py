"""The audit log: migration 005 (the ``result`` column) on a store made before it, add_entry
and entries with every filter, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callcenter.server.store import audit
from callcenter.server.store.db import make_postgresql, make_sqlite
from callcenter.server.store.migrations import MIGRATIONS, schema_versions
from callcenter.server.store.models import AuditEntry
from tests.server.store_fixtures import StoreTarget


def _open_at_version_4(target: StoreTarget) -> None:
    """Make the store as a program of migration 004 left it, with one audit entry."""
    target.data_dir.mkdir(parents=True)
    db = (make_sqlite(target.data_dir / "callcenter.db") if target.url is None
          else make_postgresql(target.url))
    db.connect()
    with db.atomic():
        db.execute_sql("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                       "name VARCHAR(100) NOT NULL, applied_at VARCHAR(32) NOT NULL)")
        for migration in MIGRATIONS[:4]:
            migration.apply(db)
            db.execute_sql(f"INSERT INTO schema_version VALUES ({db.param}, {db.param}, "
                           f"{db.param})", (migration.number, migration.name, "2026-01-01"))
        db.execute_sql(f"INSERT INTO audit (who, what, key, old, new, at) VALUES ({db.param}, "
                       f"{db.param}, {db.param}, {db.param}, {db.param}, {db.param})",
                       ("admin", "setting", "timezone", '"UTC"', '"Asia/Shanghai"',
                        datetime(2026, 1, 1, 8, 0)))
    db.close()


def test_migration_005_adds_the_result_to_existing_entries(store_target: StoreTarget) -> None:
    _open_at_version_4(store_target)
    db = store_target.open()
    assert (5, "005_audit_result") in schema_versions(db)
    total, rows = audit.entries()
    assert total == 1
    assert rows[0] == {"at": "2026-01-01T08:00:00+00:00", "who": "admin", "what": "setting",
                       "key": "timezone", "old": '"UTC"', "new": '"Asia/Shanghai"',
                       "result": ""}
    audit.add_entry("alice", "pbx", "extension.001.number", "8001", "3001", "written")
    assert AuditEntry.select().count() == 2


def test_entries_filter_and_page(store_db: StoreTarget) -> None:
    audit.add_entry("alice", "pbx", "extension.001.number", "8001", "3001", "written")
    audit.add_entry("bob", "pbx", "extension.002.day_class", "1", "9", "refused: no such class")
    audit.add_entry("alice", "account add", "account.carol", None, "role=agent port=-")
    audit.add_entry("alice", "tariff", "save", "v1", "v2")
    total, rows = audit.entries()
    assert total == 4
    assert [r["key"] for r in rows] == ["save", "account.carol", "extension.002.day_class",
                                        "extension.001.number"]  # newest first
    assert audit.entries(who="alice")[0] == 3
    assert audit.entries(who="alice", what="pbx")[1][0]["new"] == "3001"
    assert audit.entries(what="account")[1][0]["key"] == "account.carol"
    assert audit.entries(what="acc")[0] == 0  # a kind, not any prefix
    assert audit.entries(key="extension.002.day_class")[1][0]["result"] == (
        "refused: no such class")
    total, page = audit.entries(offset=1, limit=2)
    assert total == 4
    assert [r["key"] for r in page] == ["account.carol", "extension.002.day_class"]
    now = datetime.now(UTC)
    assert audit.entries(start=now - timedelta(minutes=5))[0] == 4
    assert audit.entries(end=now - timedelta(minutes=5))[0] == 0
    at = datetime.fromisoformat(rows[0]["at"])
    assert at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"offset": -1}, "offset"), ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
    ({"start": datetime(2026, 1, 1)}, "start"),
    ({"start": datetime(2026, 1, 2, tzinfo=UTC), "end": datetime(2026, 1, 1, tzinfo=UTC)},
     "end"),
])
def test_bad_filters_name_the_field(store_db: StoreTarget, kwargs: dict[str, object],
                                    field: str) -> None:
    with pytest.raises(audit.AuditQueryError, match=f"^{field}:"):
        audit.entries(**kwargs)  # type: ignore[arg-type]


def test_tariff_save_and_its_audit_entry_are_one_transaction(store_db: StoreTarget) -> None:
    from callcenter.server.rating import sample_tariff
    from callcenter.server.rating.tariff_io import load_data_tariff
    from callcenter.server.rating.tariff_service import save_tariff

    data_dir = store_db.data_dir
    first = sample_tariff()
    second = first.with_rows(holidays={datetime(2026, 10, 1).date()})
    assert save_tariff(data_dir, second, "alice") == second.version
    assert load_data_tariff(data_dir).version == second.version
    assert audit.entries(what="tariff")[1][0]["new"] == second.version
    store_db.sql("ALTER TABLE audit RENAME TO audit_away")
    try:
        with pytest.raises(Exception):  # noqa: B017 - the database's own error
            save_tariff(data_dir, first, "alice")
    finally:
        store_db.sql("ALTER TABLE audit_away RENAME TO audit")
    assert load_data_tariff(data_dir).version == second.version  # unchanged
    assert audit.entries(what="tariff")[0] == 1
