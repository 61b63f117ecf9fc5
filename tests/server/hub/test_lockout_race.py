"""The 5-attempt lock-out holds under concurrency (issue 10, item 3): at most five wrong
passwords are ever checked for an account before it locks, whatever the number of threads
and processes trying at once, and once locked even the right password is ``locked_out``.

The scrypt checks are counted by ``accounts.passwords.checks_done`` (the real counter in
``verify_password``), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from callcenter.server.accounts import passwords
from callcenter.server.accounts.service import (
    MAX_FAILURES,
    AuthOutcome,
    add_account,
    authenticate,
    find_account,
    set_password,
)
from callcenter.server.store.db import database
from callcenter.server.store.models import AuditEntry
from tests.server.hub.lockout_workers import wrong_logins
from tests.server.store_fixtures import StoreTarget

PW = "right-password-1"


def parallel_wrong_logins(user: str, count: int) -> list[AuthOutcome]:
    start = threading.Barrier(count)

    def attempt(_: int) -> AuthOutcome:
        start.wait(timeout=30)
        try:
            return authenticate(user, "wrong-password").outcome
        finally:
            if not database.is_closed():
                database.close()  # this pool thread's connection

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(attempt, range(count)))


def test_sixty_parallel_wrong_logins_check_exactly_five_passwords(
        store_db: StoreTarget) -> None:
    add_account("flo", "agent", PW)
    before = passwords.checks_done
    outcomes = parallel_wrong_logins("flo", 60)
    assert passwords.checks_done - before == MAX_FAILURES
    assert Counter(outcomes) == {AuthOutcome.AUTH_FAILED: MAX_FAILURES,
                                 AuthOutcome.LOCKED_OUT: 60 - MAX_FAILURES}
    info = find_account("flo")
    assert info is not None and info.locked()
    # The lock holds: the right password is refused, and is not even checked.
    before = passwords.checks_done
    assert authenticate("flo", PW).outcome is AuthOutcome.LOCKED_OUT
    assert passwords.checks_done == before
    locks = AuditEntry.select().where((AuditEntry.what == "account locked")
                                      & (AuditEntry.key == "account.flo")).count()
    assert locks == 1
    set_password("flo", PW)  # the administrator lifts it
    assert authenticate("flo", PW).outcome is AuthOutcome.OK


def test_the_right_password_among_wrong_ones_never_beats_a_lock(
        store_db: StoreTarget) -> None:
    """Wrong passwords racing the right one: whatever the order, no more than five wrong
    ones are checked, and if the account ended locked the right one was not let in after."""
    add_account("gus", "agent", PW)
    for _ in range(4):
        assert authenticate("gus", "wrong-password").outcome is AuthOutcome.AUTH_FAILED
    count = 20
    start = threading.Barrier(count)
    before = passwords.checks_done

    def attempt(i: int) -> AuthOutcome:
        start.wait(timeout=30)
        try:
            return authenticate("gus", PW if i == 0 else "wrong-password").outcome
        finally:
            if not database.is_closed():
                database.close()

    with ThreadPoolExecutor(count) as pool:
        outcomes = list(pool.map(attempt, range(count)))
    checked = passwords.checks_done - before
    wrong_checked = checked - (1 if outcomes[0] is AuthOutcome.OK else 0)
    info = find_account("gus")
    assert info is not None
    if outcomes[0] is AuthOutcome.OK:
        # The right password took the last attempt, or came first and reset the count.
        assert wrong_checked <= MAX_FAILURES
    else:
        assert outcomes[0] is AuthOutcome.LOCKED_OUT
        assert info.locked()
        assert checked <= 1  # the fifth wrong password was the only other check
    assert authenticate("gus", PW).outcome is (AuthOutcome.LOCKED_OUT if info.locked()
                                                else AuthOutcome.OK)


def test_several_processes_together_check_at_most_five(store_db: StoreTarget) -> None:
    add_account("hal", "agent", PW)
    if not database.is_closed():
        database.close()
    processes, threads = 4, 15
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [ctx.Process(target=wrong_logins,
                           args=({"data_dir": str(store_db.data_dir), "url": store_db.url,
                                  "user": "hal", "threads": threads}, barrier, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(kind == "ok" for kind, _, _ in reports), reports
    assert sum(checks for _, checks, _ in reports) == MAX_FAILURES
    outcomes = Counter(o for _, _, outs in reports for o in outs)
    assert outcomes == {"auth_failed": MAX_FAILURES,
                        "locked_out": processes * threads - MAX_FAILURES}
    store_db.open()
    assert authenticate("hal", PW).outcome is AuthOutcome.LOCKED_OUT
