"""Code the store tests run in other processes (multiprocessing "spawn" imports it by name)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.rating import sample_tariff
from callcenter.server.store.db import open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.migrations import migrate

BATCH = 10


def make_record(sequence: int, number: str = "12315888", duration: int = 300, *,
                port: str = "801", extension: str = "8001", call_type: str = "OUT",
                start: str = "20261105103000") -> CallRecord:
    return CallRecord(sequence, start, duration, port, extension, "1", number, call_type)


def migrate_at_once(data_dir: str, url: str | None, barrier: Any, results: Any) -> None:
    """Wait for the other process, then open (and so migrate) the same fresh store."""
    try:
        barrier.wait(timeout=30)
        db = open_store(Path(data_dir), url)
        applied_again = migrate(db)
        results.put(("ok", applied_again))
        db.close()
    except BaseException as exc:  # report anything to the parent
        results.put(("error", repr(exc)))


def store_batches_forever(data_dir: str, url: str | None) -> None:
    """Store batch after batch (each re-sending the previous batch's last records) and print
    ``committed N`` after batch N's store() returned, until killed."""
    db = open_store(Path(data_dir), url)
    tariff = sample_tariff()
    intake = RecordIntake(db, "pbx-crash", lambda: tariff)
    batch = 0
    while True:
        first = batch * BATCH + 1
        records = [make_record(s) for s in range(first, first + BATCH)]
        resent = [make_record(s) for s in range(max(1, first - 3), first)]
        intake.store(resent + records)
        print(f"committed {batch}", flush=True)
        batch += 1


if __name__ == "__main__":
    store_batches_forever(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
