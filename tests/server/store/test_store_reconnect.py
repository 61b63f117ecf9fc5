"""A PostgreSQL store that loses its connections recovers by itself (issue 10, item 1).

Real PostgreSQL only (``CALLCENTER_TEST_PG``; skipped without it): the service's connections
are ended from outside with ``pg_terminate_backend``, as an administrator or a server restart
would, and the threads that use the store must carry on without a restart, storing every
record exactly once. An outage (the server refusing connections for a while) is reported once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import peewee
import pytest

from callcenter.server.accounts import add_account, authenticate, find_account
from callcenter.server.accounts.service import AuthOutcome
from callcenter.server.rating import sample_tariff
from callcenter.server.store.db import database, open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import Alert, CallRecordRow
from callcenter.server.store.verify import verify_chain
from tests.server.store.store_workers import make_record
from tests.server.store_fixtures import _pg_connect, _with_dbname, reset_pg_schema

TARIFF = sample_tariff()
KILL = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture
def pg_store(pg_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL store opened for this test; yields its URL."""
    if database.obj is not None and not database.is_closed():
        database.close()
    reset_pg_schema(pg_url)
    open_store(tmp_path / "data", pg_url)
    yield pg_url
    if not database.is_closed():
        database.close()


def terminate_backends(url: str) -> int:
    """End every other session of the store's database, as an administrator would."""
    conn = _pg_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(KILL)
            return sum(1 for (ended,) in cur.fetchall() if ended)
    finally:
        conn.close()


def stored_sequences(pbx: str = "main") -> list[int]:
    return [int(r.sequence) for r in CallRecordRow.select(CallRecordRow.sequence)
            .where(CallRecordRow.pbx_id == pbx).order_by(CallRecordRow.sequence)]


class Feeder(threading.Thread):
    """Stores batches of records as the service's dispatcher does: a failed batch is tried
    again (the PBX keeps unacknowledged records) until it is stored or the deadline passes."""

    def __init__(self, batches: int, size: int, deadline: float,
                 pause_at: tuple[int, ...] = ()) -> None:
        super().__init__(name="test-feeder", daemon=True)
        self.batches, self.size, self.deadline = batches, size, deadline
        # Before these batches the feeder stops (holding its idle connection) until the test
        # lets it go on: the test ends its session meanwhile.
        self.pause_at = pause_at
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.intake = RecordIntake(database, "main", lambda: TARIFF)
        self.done_batches = 0
        self.failures = 0
        self.gave_up = False
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            for batch in range(self.batches):
                if batch in self.pause_at:
                    self.resume.clear()
                    self.paused.set()
                    if not self.resume.wait(30):
                        return
                first = batch * self.size + 1
                records = [make_record(seq) for seq in range(first, first + self.size)]
                while True:
                    try:
                        self.intake.store(records)
                        break
                    except peewee.DatabaseError as exc:
                        self.failures += 1
                        self.errors.append(f"{type(exc).__name__}: {exc}")
                        if time.monotonic() > self.deadline:
                            self.gave_up = True
                            return
                        time.sleep(0.05)
                self.done_batches += 1
        finally:
            if not database.is_closed():
                database.close()


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def test_intake_resumes_after_its_backend_is_terminated(pg_store: str) -> None:
    """Records keep being stored after pg_terminate_backend, each exactly once: the session
    ended while the intake was idle (three times), then ended again and again while it
    stores at full speed (some kills land inside a batch's transaction)."""
    batches, size = 120, 10
    feeder = Feeder(batches, size, deadline=time.monotonic() + 30, pause_at=(10, 20, 30))
    feeder.start()
    for _ in feeder.pause_at:
        assert feeder.paused.wait(30), "the feeder did not reach its pause"
        feeder.paused.clear()
        assert terminate_backends(pg_store) >= 1
        feeder.resume.set()
    kills = 0
    while feeder.is_alive() and kills < 30:  # kill during the unpaced rest of the run
        kills += terminate_backends(pg_store)
        time.sleep(0.01)
    feeder.join(timeout=60)
    assert not feeder.is_alive()
    assert not feeder.gave_up, f"the intake did not recover: {feeder.errors[-3:]}"
    assert feeder.done_batches == batches
    assert stored_sequences() == list(range(1, batches * size + 1))
    assert verify_chain(database) == []


def test_every_thread_with_an_idle_connection_gets_a_new_one(pg_store: str) -> None:
    """The hub's store pool threads (account checks) and any other thread that held a
    connection before the kill work on their next call, without an error."""
    add_account("alice", "agent", "secret-1")
    with ThreadPoolExecutor(4, thread_name_prefix="store") as pool:
        # Every pool thread opens its own connection ...
        barrier = threading.Barrier(4)

        def first() -> AuthOutcome:
            barrier.wait(timeout=10)
            return authenticate("alice", "secret-1").outcome

        assert list(pool.map(lambda _: first(), range(4))) == [AuthOutcome.OK] * 4
        assert terminate_backends(pg_store) >= 4
        # ... and after the kill each of them still answers at the first try.
        barrier = threading.Barrier(4)
        assert list(pool.map(lambda _: first(), range(4))) == [AuthOutcome.OK] * 4
        info = pool.submit(find_account, "alice").result(timeout=10)
        assert info is not None and info.failed_logins == 0
        pool.submit(database.close).result()


def test_an_outage_is_reported_once_and_the_records_follow(
        pg_store: str, caplog: pytest.LogCaptureFixture) -> None:
    """The server refuses connections for a while: one ERROR line, one line when it is
    back, one store_unreachable alert; the records are stored once it is back."""
    name = pg_store.split("?", 1)[0].rsplit("/", 1)[1]
    admin = _pg_connect(_with_dbname(pg_store, "postgres"))
    caplog.set_level(logging.INFO, logger="callcenter.server.store.db")
    feeder = Feeder(30, 5, deadline=time.monotonic() + 60)
    try:
        feeder.start()
        wait_for(lambda: feeder.done_batches >= 5, 30, "5 batches stored")
        with admin.cursor() as cur:
            cur.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s", (name,))
        # Well into the outage: the feeder has failed many times (every 50 ms).
        wait_for(lambda: feeder.failures >= 40, 30, "the feeder failing during the outage")
        stalled = feeder.done_batches
        assert stalled < 30
    finally:
        with admin.cursor() as cur:
            cur.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        admin.close()
    feeder.join(timeout=60)
    assert not feeder.gave_up, f"the intake did not recover: {feeder.errors[-3:]}"
    assert stored_sequences() == list(range(1, 30 * 5 + 1))
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    down = [m for level, m in messages if level == logging.ERROR and "is unreachable" in m]
    back = [m for _, m in messages if "reachable again" in m]
    assert len(down) == 1, messages
    assert len(back) == 1, messages
    alerts = list(Alert.select().where(Alert.kind == "store_unreachable"))
    assert len(alerts) == 1
    assert "unreachable" in alerts[0].text
