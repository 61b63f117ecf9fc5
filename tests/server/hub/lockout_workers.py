"""Worker of test_lockout_race.py, run in other processes (multiprocessing "spawn")."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from callcenter.server.accounts import passwords
from callcenter.server.accounts.service import authenticate
from callcenter.server.store.db import database, open_store


def wrong_logins(job: dict[str, Any], barrier: Any, results: Any) -> None:
    """Open the store (``job``: data_dir, url), wait for the other processes, then try
    ``job["threads"]`` wrong passwords for ``job["user"]`` at once; report the outcomes and
    this process's scrypt checks."""
    user, threads = str(job["user"]), int(job["threads"])
    try:
        open_store(Path(job["data_dir"]), job["url"])
        start = threading.Barrier(threads)

        def attempt(_: int) -> str:
            start.wait(timeout=30)
            outcome = authenticate(user, "wrong-password").outcome.value
            if not database.is_closed():
                database.close()
            return outcome

        barrier.wait(timeout=60)
        before = passwords.checks_done
        with ThreadPoolExecutor(threads) as pool:
            outcomes = list(pool.map(attempt, range(threads)))
        results.put(("ok", passwords.checks_done - before, outcomes))
    except BaseException as exc:
        results.put(("error", repr(exc), []))
        raise
