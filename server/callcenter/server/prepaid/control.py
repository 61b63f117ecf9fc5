"""Making the PBX's over-limit switches match the prepaid ledger.

Theory of operation
-------------------
The ledger (in the store) says what each switch should be: ``on`` for an account under prepaid
control whose balance is below zero, ``off`` for every other account that was ever on prepaid
(a released room included). The PBX is outside the database transaction, so the server never
"sends a change": ``reconcile`` reads what the PBX holds, compares it with what the ledger
implies, and writes only the switches that differ, each through the validated write with
read-back. Whatever moment a crash hit (after the charge was committed but before the switch
was written, or in the middle of a write), the next reconcile puts it right: at start-up, after
every link reconnect (``VerificationDone``), after each stored batch of records, and every
``interval`` seconds (``ReconcileLoop``). A switch the PBX refuses (a port the PBX does not
have ...) is reported and the others still go through.

What the PBX holds is read from the service's parameter image when it has the key (kept
current by verification after each connect, by ``ParameterChanged`` notices and by the
service's own writes), else read from the PBX; a direct link (the CLI's ``--pbx``) always reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import peewee

from callcenter.common.schema import ParameterError, Schema
from callcenter.server.pbx.events import RecordStored, ServiceEvent, VerificationDone
from callcenter.server.pbx.link import LinkUp, PbxError, PbxLink
from callcenter.server.pbx.parameters import read_parameter, write_parameter
from callcenter.server.pbx.service import PbxService
from callcenter.server.prepaid.ledger import AccountState, all_states
from callcenter.server.store.db import AnyDatabase, StoreUnavailable, read_snapshot

log = logging.getLogger(__name__)

ON, OFF = "on", "off"
DEFAULT_INTERVAL = 30.0


class PbxControl(Protocol):
    """What reconcile needs of the PBX: current values, and a validated write with read-back."""

    def current(self, keys: Sequence[str]) -> dict[str, str]: ...

    def write(self, key: str, value: str) -> str: ...


class ServiceControl:
    """A running ``PbxService``: its image for current values, its ``write_parameter``."""

    def __init__(self, service: PbxService) -> None:
        self.service = service

    def current(self, keys: Sequence[str]) -> dict[str, str]:
        params = self.service.image.params
        out = {key: params[key] for key in keys if key in params}
        for key in keys:
            if key not in out:
                try:
                    out[key] = self.service.read_parameter(key)
                except ParameterError:
                    continue  # not in this PBX's schema: reported when written
        return out

    def write(self, key: str, value: str) -> str:
        return self.service.write_parameter(key, value, who="prepaid")


class LinkControl:
    """A direct ``PbxLink`` (the CLI's ``--pbx URL``): reads every key from the PBX."""

    def __init__(self, link: PbxLink, schema: Schema, timeout: float = 10.0) -> None:
        self.link, self.schema, self.timeout = link, schema, timeout

    def current(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in keys:
            try:
                out[key] = read_parameter(self.link, self.schema, key, self.timeout)
            except ParameterError:
                continue
        return out

    def write(self, key: str, value: str) -> str:
        return write_parameter(self.link, self.schema, key, value, timeout=self.timeout)


@dataclass
class ReconcileResult:
    """What one reconcile did: switches written, already right, and failures (key, reason)."""

    written: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def wanted_switches(states: Sequence[AccountState]) -> dict[str, str]:
    """The over-limit switch value the ledger implies for every account ever on prepaid."""
    return {s.ref.over_limit_key: ON if s.over_limit else OFF for s in states}


def reconcile(pbx: PbxControl | PbxService, db: AnyDatabase) -> ReconcileResult:
    """Write every over-limit switch that differs from what the ledger implies.

    Raises nothing for a single refused switch (see ``failed``); a link that is down raises
    the link's ``PbxError`` (nothing else to do until it is back).
    """
    control: PbxControl = ServiceControl(pbx) if isinstance(pbx, PbxService) else pbx
    with read_snapshot(db):
        states = all_states()
    wanted = wanted_switches(states)
    accounts = {s.ref.over_limit_key: s for s in states}
    result = ReconcileResult()
    if not wanted:
        return result
    current = control.current(list(wanted))
    for key, value in wanted.items():
        if current.get(key) == value:
            result.unchanged += 1
            continue
        try:
            stored = control.write(key, value)
        except ParameterError as exc:
            result.failed.append((key, str(exc)))
            log.error("prepaid: cannot set %s=%s: %s", key, value, exc)
            continue
        except PbxError as exc:
            if not _link_error_is_per_key(exc):
                raise
            result.failed.append((key, str(exc)))
            log.error("prepaid: the PBX refused %s=%s: %s", key, value, exc)
            continue
        result.written.append((key, stored))
        log.info("prepaid: %s", switch_text(accounts[key], key, stored))
    return result


def switch_text(account: AccountState, key: str, value: str) -> str:
    """What a written over-limit switch means, for the service's output."""
    if account.over_limit:
        return (f"{account.ref} is below zero (balance {account.balance}): the PBX now refuses "
                f"its outside calls ({key} = {value})")
    why = ("is off prepaid" if not account.active
           else f"is no longer below zero (balance {account.balance})")
    return f"{account.ref} {why}: its normal class is back at the PBX ({key} = {value})"


def _link_error_is_per_key(exc: PbxError) -> bool:
    """A refusal concerns one key; a timeout or a lost link concerns them all."""
    from callcenter.server.pbx.parameters import PbxRefused  # noqa: PLC0415 - avoid a cycle

    return isinstance(exc, PbxRefused)


class ReconcileLoop:
    """A thread that reconciles at start, on demand, after each link (re)connect and stored
    batch, and every ``interval`` seconds (each once the service is ready). ``start()``
    registers itself as a listener of the service; ``stop()`` ends the thread."""

    def __init__(self, service: PbxService, db: AnyDatabase,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.service, self.db, self.interval = service, db, interval
        self.last: ReconcileResult | None = None
        self.runs = 0
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.service.add_listener(self._on_event)
        self._thread = threading.Thread(target=self._run, name="prepaid-reconcile",
                                        daemon=True)
        self._thread.start()
        self.trigger()

    def stop(self) -> None:
        self._stopping.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def trigger(self) -> None:
        """Reconcile as soon as possible (after a top-up made through the service ...)."""
        self._wanted.set()

    def _on_event(self, event: ServiceEvent | object) -> None:
        if isinstance(event, LinkUp | VerificationDone | RecordStored):
            self._wanted.set()

    def _run(self) -> None:
        try:
            pending = True
            while not self._stopping.is_set():
                # While a run is owed but the service is not ready yet, look again soon.
                if self._wanted.wait(min(self.interval, 0.5) if pending else self.interval):
                    pending = True
                if self._stopping.is_set():
                    return
                self._wanted.clear()
                if not self.service.ready:
                    continue
                pending = False
                try:
                    self.last = reconcile(self.service, self.db)
                except PbxError as exc:
                    log.warning("prepaid: reconcile with the PBX failed, will retry: %s", exc)
                except StoreUnavailable:
                    pending = True  # the store logs its outage once; try again soon
                except (peewee.OperationalError, peewee.InterfaceError) as exc:
                    # The store's connection was lost: the next run opens a new one.
                    log.warning("prepaid: reconcile failed (store: %s), will retry",
                                " ".join(str(exc).split()))
                    pending = True
                except Exception:
                    log.exception("prepaid: reconcile failed, will retry")
                self.runs += 1
        finally:
            if not self.db.is_closed():
                self.db.close()  # this thread's connection
