"""The whole service as one object: the one owner of the PBX port and the store.

``ServerRuntime`` is the composition root that ``callcenter-server --headless`` and the
console run (DESIGN.md, "one composition root"): it opens the data directory's store,
builds the PBX link service, hands call records to the store's intake (rated,
hash-chained, charged to prepaid ledgers and queued for the hotel link in the same
transaction, acknowledged to the PBX only after the commit), keeps the PBX's over-limit
switches reconciled with the ledgers, runs the hotel link and the retention loop, serves
CRM agents and consoles on the agent hub (with the admin API), and for ``--demo`` runs the
built-in simulator.  While it runs it keeps ``DIR/service.json`` so that commands on this
computer find it (``service_file``).

A program embeds the whole service with ``ServerRuntime.embed(...)`` (built and started)
and stops it with ``stop()``; both may happen several times in one process, and nothing is
left running after ``stop()``.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from callcenter.common.pbx.line import LineSettings
from callcenter.server.demo import DemoConfig, DemoHotel, prepare_hotel, start_simulator
from callcenter.server.hotel.queue import HotelLinkLoop, enqueue_calls
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.pbx.link import LinkOptions
from callcenter.server.pbx.service import PbxService
from callcenter.server.prepaid.control import ReconcileLoop
from callcenter.server.prepaid.ledger import charge_calls
from callcenter.server.rating import Tariff
from callcenter.server.rating.tariff_io import TARIFF_FILE, load_data_tariff
from callcenter.server.service_file import (
    ServiceInfo,
    connect_host,
    remove_service_file,
    write_service_file,
)
from callcenter.server.store.archive import run_retention
from callcenter.server.store.db import AnyDatabase, StoreUnavailable, open_store
from callcenter.server.store.intake import RecordIntake, StoredCall
from callcenter.server.store.models import utc_now
from callcenter.server.store.settings import get_setting

if TYPE_CHECKING:
    from callcenter.pbxsim.app import Simulator

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


#: After the store was unreachable, the retention loop tries again this soon (not a day later).
STORE_RETRY_SECONDS = 300.0


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
            wait = self.interval
            try:
                moved = sum(r.moved for r in run_retention(self.db, utc_now()))
                if moved:
                    log.info("retention: %d call records moved to the monthly archives", moved)
            except StoreUnavailable:  # the outage is reported once by the store itself
                wait = min(self.interval, STORE_RETRY_SECONDS)
            except Exception:  # the next round tries again; the records stay where they are
                log.exception("retention: moving old records to the archives failed")
            self._stop.wait(wait)


class ServerRuntime:
    """Everything the service runs (see the module docstring).

    ``url``: the PBX port ("" with ``demo``: the built-in simulator's).  ``agent_port``:
    the agent hub's TCP port (0: any free one; None: no hub, for tests of the record path
    and benchmarks).  ``tls``: a server SSL context for the hub.
    """

    def __init__(self, url: str, data_dir: Path, *, line: LineSettings | None = None,
                 sync_clock: bool = True, db_url: str | None = None,
                 verify_at_start: bool = True, link_options: LinkOptions | None = None,
                 agent_port: int | None = None, agent_host: str = "",
                 tls: ssl.SSLContext | None = None, hub_options: HubOptions | None = None,
                 demo: DemoConfig | None = None) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self.simulator: Simulator | None = None
        self.demo_hotel: DemoHotel | None = None
        self.hub: AgentHub | None = None
        self.token = ServiceInfo.new_token()
        self.db = open_store(data_dir, db_url)
        try:
            if demo is not None:
                # the hotel with its opening call (room 009 below zero), so with traffic only
                wants_hotel = demo.hotel and demo.opening and demo.traffic > 0
                self.demo_hotel = prepare_hotel() if wants_hotel else None
                self.simulator = start_simulator(data_dir, demo, self.demo_hotel)
                url = self.simulator.url
            self.intake = RecordIntake(self.db, str(get_setting("pbx.id")),
                                       TariffSource(data_dir), after_insert=after_insert)
            self.service = PbxService(url, data_dir, line=line, sink=self.intake,
                                      sync_clock=sync_clock, verify_at_start=verify_at_start,
                                      link_options=link_options)
            self.reconcile = ReconcileLoop(self.service, self.db)
            self.hotel = HotelLinkLoop(self.db, data_dir)
            self.retention = RetentionLoop(self.db)
            if agent_port is not None:
                self.admin = AdminBackend(self.service, data_dir, token=self.token,
                                          prepaid_changed=self.reconcile.trigger)
                self.hub = AgentHub(self.service, host=agent_host, port=agent_port, tls=tls,
                                    options=hub_options, admin=self.admin)
        except BaseException:
            if self.simulator is not None:
                self.simulator.stop()
            raise
        self.agent_host = agent_host

    @classmethod
    def embed(cls, url: str, data_dir: Path, **options: object) -> ServerRuntime:
        """Build and start the whole service (the console's one call); ``stop()`` ends it."""
        runtime = cls(url, data_dir, **options)  # type: ignore[arg-type]
        try:
            runtime.start()
        except BaseException:
            runtime.stop()
            raise
        return runtime

    @property
    def hub_address(self) -> tuple[str, int]:
        """(host, port) the agent hub listens on (after ``start()``)."""
        if self.hub is None:
            raise RuntimeError("this runtime has no agent hub")
        return self.hub.address

    def start(self) -> None:
        """Start the hub first (logins are served while the PBX link is down or verifying),
        then the PBX service and the loops; then write DIR/service.json."""
        with self._lock:
            if self._started:
                raise RuntimeError("the service is already started")
            self._started = True
        if self.hub is not None:
            self.hub.start()  # OSError when the port is taken: nothing else started yet
            if self.agent_host in ("", "*", "0.0.0.0", "::") and self.hub.tls is None:
                log.warning("the agent hub listens on every network interface without TLS: "
                            "passwords and calls cross the LAN in clear text; set "
                            "agent.tls_cert/agent.tls_key, or --agent-host to one address "
                            "(docs/hub.md)")
        self.service.start()
        self.reconcile.start()
        self.hotel.start()
        self.service.add_listener(self.hotel.notify)
        self.retention.start()
        if self.hub is not None:
            write_service_file(self.data_dir, ServiceInfo(
                os.getpid(), connect_host(self.agent_host), self.hub.address[1], self.token,
                self.hub.tls is not None))

    def stop(self) -> None:
        """Stop everything, the PBX service after the loops and the simulator last
        (thread-safe, idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        remove_service_file(self.data_dir, self.token)
        parts: list[object] = [self.hub] if self.hub is not None else []
        parts += [self.retention, self.hotel, self.reconcile, self.service]
        if self.simulator is not None:
            parts.append(self.simulator)
        for part in parts:
            try:
                part.stop()  # type: ignore[attr-defined]
            except Exception:  # one part failing must not keep the others running
                log.exception("stopping %s failed", type(part).__name__)

    def __enter__(self) -> ServerRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
