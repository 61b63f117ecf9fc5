"""Kill -9 during intake: every batch is either wholly stored or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from callcenter.server.store.db import database
from callcenter.server.store.models import CallRecordRow, ChainHead, RatingRow
from callcenter.server.store.verify import verify_chain
from tests.server.store.store_workers import BATCH
from tests.server.store_fixtures import StoreTarget

WORKER = Path(__file__).with_name("store_workers.py")


def test_sigkill_leaves_whole_batches_and_a_valid_chain(store_target: StoreTarget) -> None:
    store_target.open()  # migrate first, so the worker's time goes to batches
    database.close()
    args = [sys.executable, str(WORKER), str(store_target.data_dir)]
    if store_target.url:
        args.append(store_target.url)
    worker = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    confirmed = -1
    try:
        deadline = time.monotonic() + 30
        while confirmed < 30 and time.monotonic() < deadline:  # lines arrive as batches commit
            line = worker.stdout.readline()
            assert line.startswith("committed "), line
            confirmed = int(line.split()[1])
        os.kill(worker.pid, signal.SIGKILL)  # in the middle of a later batch, most likely
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=10)
        worker.stdout.close()
    assert confirmed >= 30
    assert worker.returncode == -signal.SIGKILL

    store_target.open()
    sequences = sorted(r.sequence for r in CallRecordRow.select(CallRecordRow.sequence))
    batches = len(sequences) // BATCH
    # every batch whose store() returned is there, and only whole batches are
    assert batches > confirmed
    assert sequences == list(range(1, batches * BATCH + 1))
    assert RatingRow.select().count() == len(sequences)
    assert ChainHead.get().records == len(sequences)
    assert verify_chain(database) == []
