"""CrmStore in network mode on real SQLite files: several processes writing one shared file at
once, version conflicts between PCs, the outbox while the shared folder is away."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from callcenter.crm_client.store import (
    CallEntry,
    CrmStore,
    Customer,
    PhonebookEntry,
    ShareUnavailable,
    VersionConflict,
)

PROCESSES = 4
WRITES = 150  # customers and as many calls per process: 4 x 300 writes, and repeats


def _writer(index: int, data: str, shared: str, start: Any, results: Any) -> None:
    """One PC: WRITES new customers and WRITES calls of its own (every tenth logged twice), and
    a call every PC logs with the same key (the same call seen by all) every fifth step."""
    store = CrmStore.open(Path(data), Path(shared))
    start.wait(60)
    again = 0
    for n in range(WRITES):
        store.save_customer(Customer(name=f"pc{index}-{n}", mobile=f"139{index:04d}{n:04d}"))
        now = datetime.now(UTC)
        store.log_call(CallEntry(key=f"pc{index}/{n}", time=now, number=f"8{index}{n:06d}"))
        if n % 10 == 0 and not store.log_call(CallEntry(key=f"pc{index}/{n}", time=now,
                                                         number=f"8{index}{n:06d}")):
            again += 1
        if n % 5 == 0:
            store.log_call(CallEntry(key=f"all/{n}", time=now, number="01082895782"))
    results.put((index, again, store.retries, store.pending_writes()))
    store.close()


def test_four_processes_writing_one_shared_file_lose_nothing_and_double_nothing(
        tmp_path: Path) -> None:
    shared = tmp_path / "share"
    shared.mkdir()
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(i, str(tmp_path / f"pc{i}"), str(shared),
                                               start, results)) for i in range(PROCESSES)]
    for p in procs:
        p.start()
    start.set()
    reports = [results.get(timeout=100) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert sorted(r[0] for r in reports) == list(range(PROCESSES))
    assert all(r[1] == WRITES // 10 for r in reports)  # every second log of a key said "known"
    assert all(r[3] == 0 for r in reports)  # nothing went to an outbox
    db = sqlite3.connect(shared / "crm-shared.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT name) FROM customer").fetchone() == (
        PROCESSES * WRITES, PROCESSES * WRITES)
    assert db.execute("SELECT COUNT(*) FROM customer_phone").fetchone()[0] == PROCESSES * WRITES
    assert db.execute("SELECT COUNT(*) FROM customer_search").fetchone()[0] == PROCESSES * WRITES
    assert db.execute("SELECT COUNT(*) FROM call_log WHERE key LIKE 'pc%'").fetchone()[0] == (
        PROCESSES * WRITES)
    assert db.execute("SELECT COUNT(*) FROM call_log WHERE key LIKE 'all/%'").fetchone()[0] == (
        WRITES // 5)
    db.close()
    assert not (shared / "crm-shared.db-wal").exists()
    store = CrmStore.open(tmp_path / "reader", shared)
    assert store.count_customers() == PROCESSES * WRITES
    last = store.find_by_number(f"+86 139 0003 {WRITES - 1:04d}")
    assert last is not None and last.name == f"pc3-{WRITES - 1}"
    store.close()


def test_two_pcs_editing_one_customer_the_second_gets_version_conflict(tmp_path: Path) -> None:
    shared = tmp_path / "share"
    shared.mkdir()
    pc1 = CrmStore.open(tmp_path / "pc1", shared)
    pc2 = CrmStore.open(tmp_path / "pc2", shared)
    assert pc1.mode == pc2.mode == "network"
    created = pc1.save_customer(Customer(name="杨庆丰", mobile="13509636630"))
    read_by_1 = pc1.customer(created.id)
    read_by_2 = pc2.find_by_number("013509636630")
    assert read_by_1 == read_by_2 == created
    assert read_by_1 is not None and read_by_2 is not None
    saved = pc1.save_customer(replace(read_by_1, vip=True))
    with pytest.raises(VersionConflict) as conflict:
        pc2.save_customer(replace(read_by_2, notes="PC 2's note"))
    assert conflict.value.current == saved
    assert pc2.customer(created.id) == saved
    assert pc2.pending_writes() == 0  # a conflict is not queued
    pc1.close()
    pc2.close()


def test_writes_wait_in_the_outbox_while_the_share_is_away_and_replay_once(
        tmp_path: Path) -> None:
    shared = tmp_path / "share"
    shared.mkdir()
    pc = CrmStore.open(tmp_path / "pc", shared)
    other = CrmStore.open(tmp_path / "other", shared)
    kept = pc.save_customer(Customer(name="留下", mobile="13800000001"))
    touched = pc.save_customer(Customer(name="改动", mobile="13800000002"))
    book = pc.save_phonebook_entry(PhonebookEntry(book="common", name="前台", number="800"))

    os.rename(shared, tmp_path / "share-away")  # the share goes away
    now = datetime.now(UTC)
    queued: list[Any] = [
        lambda: pc.save_customer(Customer(name="新客户", mobile="13800000003")),
        lambda: pc.save_customer(replace(touched, notes="离线修改")),
        lambda: pc.log_call(CallEntry(key="offline/1", time=now, number="13800000003")),
        lambda: pc.log_call(CallEntry(key="offline/1", time=now, number="13800000003",
                                      answered=True, duration=30)),
        lambda: pc.save_phonebook_entry(replace(book, notes="离线")),
        lambda: pc.save_phonebook_entry(PhonebookEntry(book="company", name="赛纳",
                                                       number="075526515007")),
        lambda: pc.delete_customer(kept.id, kept.version),
    ]
    for write in queued:
        with pytest.raises(ShareUnavailable, match="kept on this PC"):
            write()
    assert pc.pending_writes() == len(queued)
    with pytest.raises(ShareUnavailable, match="cannot be reached"):
        pc.search_customers("")
    with pytest.raises(ShareUnavailable):
        pc.calls()
    assert not shared.exists()  # the store never made the missing folder

    os.rename(tmp_path / "share-away", shared)  # back
    local = sqlite3.connect(tmp_path / "pc" / "crm.db")
    outbox = local.execute("SELECT op, payload, queued_at FROM outbox ORDER BY id").fetchall()
    assert pc.replay_outbox() == len(queued)
    assert pc.pending_writes() == 0 and pc.replay_outbox() == 0

    def state(s: CrmStore) -> tuple[Any, ...]:
        return ([(c.name, c.notes, c.version) for c in s.search_customers("")],
                [(e.key, e.answered, e.duration) for e in s.calls()],
                [(e.name, e.notes) for b in ("common", "company") for e in s.phonebook(b)])

    after = state(other)
    assert after == ([("改动", "离线修改", 2), ("新客户", "", 1)], [("offline/1", True, 30)],
                     [("前台", "离线"), ("赛纳", "")])
    # The same writes replayed again (a crash after the share's commit, before the outbox was
    # emptied) change nothing.
    local.executemany("INSERT INTO outbox (op, payload, queued_at) VALUES (?, ?, ?)", outbox)
    local.commit()
    local.close()
    assert pc.replay_outbox() == len(queued)
    assert state(other) == after
    assert pc.outbox_conflicts() == []
    pc.close()
    other.close()


def test_an_offline_edit_overtaken_by_another_pc_is_set_aside(tmp_path: Path) -> None:
    shared = tmp_path / "share"
    shared.mkdir()
    pc = CrmStore.open(tmp_path / "pc", shared)
    other = CrmStore.open(tmp_path / "other", shared)
    c = pc.save_customer(Customer(name="争议", mobile="13800000009"))
    os.rename(shared, tmp_path / "away")
    with pytest.raises(ShareUnavailable):
        pc.save_customer(replace(c, notes="mine, offline"))
    os.rename(tmp_path / "away", shared)
    theirs = other.save_customer(replace(c, notes="theirs"))
    assert pc.replay_outbox() == 0
    [conflict] = pc.outbox_conflicts()
    assert conflict.op == "save_customer" and "changed by another PC" in conflict.problem
    assert pc.pending_writes() == 0
    assert other.customer(c.id) == theirs
    pc.discard_outbox_conflict(conflict.id)
    assert pc.outbox_conflicts() == []
    pc.close()
    other.close()


def test_a_store_opens_with_the_share_away_and_uses_it_when_it_appears(tmp_path: Path) -> None:
    shared = tmp_path / "not-yet"
    pc = CrmStore.open(tmp_path / "pc", shared)
    with pytest.raises(ShareUnavailable):
        pc.check_share()
    with pytest.raises(ShareUnavailable, match="kept on this PC"):
        pc.save_customer(Customer(name="早", mobile="13800000010"))
    shared.mkdir()
    # the next write replays the outbox first, so the two arrive in order
    pc.save_customer(Customer(name="晚", mobile="13800000011"))
    assert pc.pending_writes() == 0
    assert [c.name for c in pc.search_customers("")] == ["早", "晚"]
    assert [c.id for c in pc.search_customers("早")] == [1]
    pc.close()


def test_a_share_locked_through_every_try_is_away_and_the_write_waits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another PC holding the write lock (a crashed PC's lock on a share, say) longer than the
    busy timeout and every retry: the write goes to the outbox, and is replayed once the lock
    is gone. The waits are shortened for the test."""
    from callcenter.crm_client.store import engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(engine, "FIRST_BACKOFF", 0.01)
    monkeypatch.setattr(engine, "MAX_ATTEMPTS", 3)
    shared = tmp_path / "share"
    shared.mkdir()
    pc = CrmStore.open(tmp_path / "pc", shared)
    pc.check_share()  # the shared file exists, migrated
    other_pc = sqlite3.connect(shared / "crm-shared.db", isolation_level=None)
    other_pc.execute("BEGIN IMMEDIATE")
    with pytest.raises(ShareUnavailable, match="stayed locked"):
        pc.save_customer(Customer(name="等待", mobile="13800000020"))
    assert pc.retries == 2 and pc.pending_writes() == 1
    with pytest.raises(ShareUnavailable, match="stayed locked"):
        pc.replay_outbox()
    other_pc.execute("ROLLBACK")
    other_pc.close()
    assert pc.replay_outbox() == 1
    assert [c.name for c in pc.search_customers("")] == ["等待"]
    pc.close()
