"""The headless server as one object: store, PBX service, prepaid control, hotel link.

``ServerRuntime`` is the composition root that ``callcenter-server --headless`` (and, later,
the console) runs: it opens the data directory's store, hands call records to the store's
intake (rated, hash-chained, charged to prepaid ledgers and queued for the hotel link in
the same transaction, acknowledged to the PBX only after the commit), keeps the PBX's
over-limit switches reconciled with the ledgers, and runs the hotel link consumers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from callcenter.common.pbx.line import LineSettings
from callcenter.server.hotel.queue import HotelLinkLoop, enqueue_calls
from callcenter.server.pbx.link import LinkOptions
from callcenter.server.pbx.service import PbxService
from callcenter.server.prepaid.control import ReconcileLoop
from callcenter.server.prepaid.ledger import charge_calls
from callcenter.server.rating import Tariff
from callcenter.server.rating.tariff_io import TARIFF_FILE, load_data_tariff
from callcenter.server.store.archive import run_retention
from callcenter.server.store.db import AnyDatabase, open_store
from callcenter.server.store.intake import RecordIntake, StoredCall
from callcenter.server.store.models import utc_now
from callcenter.server.store.settings import get_setting

log = logging.getLogger(__name__)


class TariffSource:
    """The tariff of a data directory, re-read only when its file changes."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / TARIFF_FILE
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tariff: Tariff | None = None

    def __call__(self) -> Tariff:
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if self._tariff is None or stamp != self._stamp:
                self._tariff = load_data_tariff(self.data_dir)
                self._stamp = stamp
            return self._tariff


def after_insert(calls: Sequence[StoredCall]) -> None:
    """Inside the intake transaction: charge prepaid ledgers, queue hotel-link lines."""
    charge_calls(calls)
    enqueue_calls(calls)


class RetentionLoop:
    """Moves records older than ``retention_days`` to the monthly archives (S-40): at start-up
    and then every ``interval`` seconds (daily by default)."""

    def __init__(self, db: AnyDatabase, interval: float = 86400.0) -> None:
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                moved = sum(r.moved for r in run_retention(self.db, utc_now()))
                if moved:
                    log.info("retention: %d call records moved to the monthly archives", moved)
            except Exception:  # the next round tries again; the records stay where they are
                log.exception("retention: moving old records to the archives failed")
            self._stop.wait(self.interval)


class ServerRuntime:
    """Everything the headless server runs (see the module docstring)."""

    def __init__(self, url: str, data_dir: Path, *, line: LineSettings | None = None,
                 sync_clock: bool = True, db_url: str | None = None,
                 verify_at_start: bool = True, link_options: LinkOptions | None = None
                 ) -> None:
        self.data_dir = data_dir
        self.db = open_store(data_dir, db_url)
        self.intake = RecordIntake(self.db, str(get_setting("pbx.id")), TariffSource(data_dir),
                                   after_insert=after_insert)
        self.service = PbxService(url, data_dir, line=line, sink=self.intake,
                                  sync_clock=sync_clock, verify_at_start=verify_at_start,
                                  link_options=link_options)
        self.reconcile = ReconcileLoop(self.service, self.db)
        self.hotel = HotelLinkLoop(self.db, data_dir)
        self.retention = RetentionLoop(self.db)

    def start(self) -> None:
        self.service.start()
        self.reconcile.start()
        self.hotel.start()
        self.service.add_listener(self.hotel.notify)
        self.retention.start()

    def stop(self) -> None:
        """Stop everything, the PBX service last (thread-safe, idempotent)."""
        for part in (self.retention, self.hotel, self.reconcile):
            try:
                part.stop()
            except Exception:  # one part failing must not keep the others running
                log.exception("stopping %s failed", type(part).__name__)
        self.service.stop()

    def __enter__(self) -> ServerRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
