"""What the hub keeps for the desks (migration 007) on SQLite and PostgreSQL: messages kept
for an offline receiver (taken once), the message history's paging, missed calls (a day,
newest first, taken back when answered), extension names (all or nothing, audited)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from callcenter.server.accounts import extension_names as names
from callcenter.server.accounts import missed_calls as missed
from callcenter.server.accounts import service as accounts
from callcenter.server.accounts.extension_names import ExtensionNameError
from callcenter.server.accounts.missed_calls import Missed
from callcenter.server.hub.desk import _write_batch
from callcenter.server.store.desk_models import PendingMessage
from callcenter.server.store.models import AuditEntry
from tests.server.store_fixtures import StoreTarget

T0 = datetime(2026, 12, 3, 8, 0, 0)  # naive UTC, as the store keeps times


def test_kept_messages_are_taken_once_and_purged_with_the_history(
        store_db: StoreTarget) -> None:
    kept = accounts.record_message("amy", "bob", "请回电", 0, T0, keep=True)
    accounts.record_message("amy", "ALL", "开会", 2, T0 + timedelta(seconds=1))
    live = accounts.record_message("amy", "bob", "在吗", 1, T0 + timedelta(seconds=2))
    assert live > kept
    assert [m.text for m in accounts.take_pending("bob")] == ["请回电"]
    assert accounts.take_pending("bob") == []  # once only
    assert accounts.delivered_pending("bob", [kept]) == 0
    later = accounts.record_message("amy", "bob", "明天见", 0, T0 + timedelta(days=100),
                                    keep=True)
    assert accounts.delivered_pending("bob", [later]) == 1  # a send that found bob back
    accounts.record_message("amy", "cy", "old", 0, T0, keep=True)
    assert accounts.purge_messages(T0 + timedelta(days=1)) == 4
    assert PendingMessage.select().count() == 0  # the kept copy went with its message

    history = accounts.message_history("bob")
    assert [m.text for m in history] == ["明天见"]


def test_history_pages_back_by_id(store_db: StoreTarget) -> None:
    ids = [accounts.record_message("amy", "bob", f"m{i}", 1, T0 + timedelta(seconds=i))
           for i in range(6)]
    accounts.record_message("cy", "dan", "not theirs", 1, T0)
    assert [m.text for m in accounts.message_history("bob", 2)] == ["m4", "m5"]
    assert [m.text for m in accounts.message_history("amy", 3, before=ids[4])] == [
        "m1", "m2", "m3"]


def _missed(port: str, call_id: int, ended: datetime) -> Missed:
    return Missed(port, call_id, "13800138000", "01", f"8{port}", ended - timedelta(seconds=9),
                  ended)


def test_missed_calls_of_the_last_day_newest_first(store_db: StoreTarget) -> None:
    now = T0 + timedelta(days=1)
    missed.record_missed(_missed("002", 7, T0 - timedelta(minutes=1)))  # older than a day
    missed.record_missed(_missed("002", 8, T0 + timedelta(hours=1)))
    missed.record_missed(_missed("002", 9, T0 + timedelta(hours=2)))
    missed.record_missed(_missed("003", 9, T0 + timedelta(hours=2)))
    assert [m.call_id for m in missed.missed_calls("002", now)] == [9, 8]
    assert missed.forget_missed("002", 9, T0) == 1  # answered after all
    assert [m.call_id for m in missed.missed_calls("002", now)] == [8]
    assert [m.port for m in missed.missed_calls("003", now)] == ["003"]
    assert missed.purge_missed(now) == 1


def test_extension_names_all_or_nothing_and_audited(store_db: StoreTarget) -> None:
    assert names.set_extension_names({"001": " 前台 ", "002": "Sales"}, who="t") == {
        "001": "前台", "002": "Sales"}
    with pytest.raises(ExtensionNameError) as refused:
        names.set_extension_names({"003": "ok", "025": "x"}, ports=24)
    assert refused.value.field == "port" and "001-024" in refused.value.message
    with pytest.raises(ExtensionNameError) as refused:
        names.set_extension_names({"003": "x" * 33})
    assert refused.value.field == "name"
    assert names.set_extension_names({"002": "", "001": "前台"}) == {"001": "前台"}
    assert names.extension_names() == {"001": "前台"}
    audit = [(a.key, a.old, a.new) for a in AuditEntry.select()
             .where(AuditEntry.what == "extension name").order_by(AuditEntry.id)]
    assert audit == [("extension.001.name", None, "前台"), ("extension.002.name", None, "Sales"),
                     ("extension.002.name", "Sales", None)]


def test_a_batch_of_missed_call_changes_keeps_all_but_the_one_that_failed(
        store_db: StoreTarget) -> None:
    def broken() -> None:
        missed.record_missed(_missed("004", 1, T0))
        raise RuntimeError("this change fails after its insert")

    _write_batch([lambda: missed.record_missed(_missed("004", 2, T0)), broken,
                  lambda: missed.record_missed(_missed("004", 3, T0))])
    assert sorted(m.call_id for m in missed.missed_calls("004", T0)) == [2, 3]
