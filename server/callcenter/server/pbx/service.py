"""``PbxService``: the headless server service (no GUI; the console is a view of it).

Theory of operation
-------------------
The service owns a ``PbxLink`` and three small threads:

* the link thread (inside ``PbxLink``) calls ``_on_link`` for every notice in wire order:
  port states are applied to ``PortStates`` at once (so a snapshot and the events after
  it stay in order); everything else is queued for the dispatcher;
* the *sync* thread runs after each ``LinkUp``: data verification (reading only the
  groups whose checksum changed), a state snapshot, and optionally setting the clock;
* the *dispatcher* thread stores call records in the ``RecordSink`` (a backlog is taken
  in one batch: one commit), acknowledges them with ``RecordAck`` only after the sink
  returned, saves the image after a ``ParameterChanged``, then hands events to the
  listeners.

The image (``image``, ``DIR/image.json``) keeps each group's checksum as the PBX reported
it, so the next connect can skip a group that did not change.  The PC cannot compute the
PBX's checksum, so when it learns of a change it did not read (``ParameterChanged`` from
the PBX, or its own verified write) it applies the value and drops that group's checksum:
the next connect reads the group again instead of trusting a checksum that no longer
describes the values held.

Public calls (``write_parameter``, ``set_clock`` ...) run in the caller's thread and use
the link's request/answer matching; they raise ``PbxError`` subclasses with clear texts.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.common.pbx.line import LineSettings
from callcenter.common.pbx.messages import (
    CallRecord,
    ClockSet,
    ClockSetResult,
    ExtensionState,
    Identity,
    ParameterChanged,
    ParkSlotState,
    RecordAck,
    StateRequest,
    StateSnapshot,
    TrunkState,
)
from callcenter.common.schema import Group, ParameterError, Schema, build_schema
from callcenter.server.pbx import parameters
from callcenter.server.pbx.events import (
    RecordStored,
    ServiceEvent,
    VerificationDone,
    VerificationProgress,
)
from callcenter.server.pbx.image import ImageFileError, ParameterImage, write_json_atomic
from callcenter.server.pbx.link import (
    LinkDown,
    LinkNotice,
    LinkOptions,
    LinkUp,
    PbxError,
    PbxLink,
    PbxTimeout,
    PbxUnavailable,
)
from callcenter.server.pbx.parameters import PbxProtocolError, PbxRefused
from callcenter.server.pbx.port_states import PortStates
from callcenter.server.pbx.records import RecordSink, ack_ranges
from callcenter.server.pbx.verification import Verification, verify
from callcenter.server.rating.tariff_io import load_data_tariff
from callcenter.server.store.db import open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.settings import get_setting

log = logging.getLogger(__name__)

ServiceListener = Callable[[ServiceEvent], None]
_STOP = object()
_SAVE_IMAGE = object()  # the dispatcher saves DIR/image.json (once for a burst of writes)
SEEN_LIMIT = 100_000  # records remembered to drop re-sent ones quickly
RETRY_SECONDS = 5.0
#: Closer than this to the end of a minute, a clock set waits for the next minute to begin:
#: the request could reach the PBX after its minute turned, and it would apply the time a
#: minute late.
CLOCK_MARGIN = 2.0


def _local_now() -> datetime:
    return datetime.now().astimezone()


def site_zone() -> tzinfo | None:
    """The site's time zone (setting ``timezone``); None (this computer's) if unreadable."""
    try:
        return ZoneInfo(str(get_setting("timezone")))
    except Exception as exc:  # no store open, or a zone this system does not know
        log.warning("time zone setting unusable (%s): using this computer's", exc)
        return None


class PbxService:
    """Connect, identify, verify, keep port states, store and acknowledge call records."""

    def __init__(self, url: str, data_dir: Path, *, line: LineSettings | None = None,
                 sink: RecordSink | None = None, link_options: LinkOptions | None = None,
                 verify_at_start: bool = True, sync_clock: bool = False,
                 request_timeout: float = 10.0,
                 clock: Callable[[], datetime] | None = None) -> None:
        """``clock``: this computer's time as an aware datetime (default: the system clock;
        the PBX clock is set from it)."""
        self.data_dir = data_dir
        self.clock = clock or _local_now
        data_dir.mkdir(parents=True, exist_ok=True)
        self.image_path = data_dir / "image.json"
        if sink is None:  # the data directory's own store
            sink = RecordIntake(open_store(data_dir), str(get_setting("pbx.id")),
                                lambda: load_data_tariff(data_dir))
        self.sink: RecordSink = sink
        self.port_states = PortStates()
        self.verify_at_start = verify_at_start
        self.sync_clock = sync_clock
        self.request_timeout = request_timeout
        self.link = PbxLink(url, line, listener=self._on_link, options=link_options)
        self.verifications: list[Verification] = []
        self.records_stored = 0
        self.records_acked = 0
        self._listeners: list[ServiceListener] = []
        self._image_lock = threading.Lock()
        self._save_lock = threading.Lock()  # one writer of image.json at a time
        self._image = self._load_image()
        self._changes_during_verify: list[ParameterChanged] | None = None
        self._verify_lock = threading.Lock()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        # Records already stored, whole (not just their sequence): a re-sent record is
        # dropped here without a trip to the store, but another PBX's record with a number
        # already seen still goes to the store, which keeps it (see store/intake.py).
        self._seen: set[CallRecord] = set()
        self._seen_order: deque[CallRecord] = deque()
        self._ready = threading.Event()
        self._sync_wanted = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ life cycle
    def add_listener(self, listener: ServiceListener) -> None:
        """``listener`` is called in the dispatcher thread, in order, for every event."""
        self._listeners.append(listener)

    def start(self) -> None:
        for name, target in (("pbx-dispatch", self._dispatch_loop), ("pbx-sync",
                                                                     self._sync_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.link.start()

    def stop(self) -> None:
        """Close the link and end the threads; records already received are still stored."""
        self._stopping.set()
        self.link.stop()
        self._sync_wanted.set()
        self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()

    def __enter__(self) -> PbxService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_ready(self, timeout: float) -> Identity:
        """Wait until connected, verified and holding a state snapshot."""
        if not self._ready.wait(timeout) or self.link.identity is None:
            detail = self.link.last_error or "no answer yet"
            raise PbxTimeout(f"the PBX at {self.link.url} was not ready within {timeout:g} s "
                             f"({detail})")
        return self.link.identity

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    # ------------------------------------------------------------------ parameters
    @property
    def schema(self) -> Schema:
        return build_schema(*self._counts())

    def _counts(self) -> tuple[int, int]:
        identity = self.link.identity
        if identity is None:
            raise PbxUnavailable(f"the PBX link is down ({self.link.last_error or 'not yet up'})")
        return identity.extensions, identity.trunks

    @property
    def image(self) -> ParameterImage:
        """A copy of the last verified image (with later writes and changes applied)."""
        with self._image_lock:
            return ParameterImage.from_json(self._image.to_json())

    def verify(self, *, force: bool = False) -> Verification:
        """Data verification now (also run after every connect); ``force`` reads everything."""
        with self._verify_lock:
            identity = self.link.identity
            if identity is None:
                raise PbxUnavailable(f"the PBX link is down ({self.link.last_error})")
            with self._image_lock:
                saved = ParameterImage.from_json(self._image.to_json())
                self._changes_during_verify = []
            try:
                result = verify(self.link, identity, saved, progress=self._progress,
                                force=force, timeout=self.request_timeout)
            except BaseException:
                with self._image_lock:
                    self._changes_during_verify = None
                raise
            with self._image_lock:  # (one block: no change slips in between)
                changes, self._changes_during_verify = self._changes_during_verify, None
                self._image = result.image
                for change in changes or []:  # (already in the image if read after it)
                    self._apply_change(change.key, change.value)
            self._save_image()
            self.verifications.append(result)
            self._queue.put(VerificationDone(result.groups_read, result.groups_skipped,
                                             result.rows_read))
            return result

    def write_parameter(self, key: str, text: str) -> str:
        """Validate (ParameterError: nothing sent), write, read back; the value now stored."""
        schema = self.schema
        with self._image_lock:
            current = dict(self._image.params) if len(self._image.params) == len(
                schema.keys()) else None
        value = parameters.write_parameter(self.link, schema, key, text,
                                           timeout=self.request_timeout, current=current)
        with self._image_lock:
            self._apply_change(key, value, schema)
        # Saved soon by the dispatcher, once for a burst of writes.  Until then the file
        # holds the old value with the old checksum, which still describe each other.
        self._queue.put(_SAVE_IMAGE)
        return value

    def read_parameter(self, key: str) -> str:
        return parameters.read_parameter(self.link, self.schema, key, self.request_timeout)

    def set_clock(self, when: datetime | None = None) -> str:
        """Set the PBX clock from this computer's (``when``: as if it were that time now), in
        the site's time zone (setting ``timezone``, the zone queries read times in), so the
        PBX's local times, its records and every query agree whatever zone this computer
        is set to.

        The PBX applies a new time at the start of its next minute (protocol CKQ), so the
        PC sends the minute about to begin: at 12:00:40 it sends 12:01, and when the PBX's
        minute turns its clock reads 12:01:00 as this computer's does.  Without ``when``,
        within CLOCK_MARGIN seconds of a minute's end it first waits for the next minute.
        Returns when the new time takes effect (YYYYMMDDhhmm, as the PBX answered).
        """
        if when is None:
            moment = self.clock()
            left = 60 - moment.second - moment.microsecond / 1e6
            if left < CLOCK_MARGIN:
                self._stopping.wait(left + 0.05)
                moment = self.clock()
        else:
            moment = when
        moment = moment.astimezone(site_zone())
        offset = moment.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 480
        next_minute = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        answer = self.link.request(
            lambda r: ClockSet(r, next_minute.strftime("%Y%m%d%H%M"), minutes),
            self.request_timeout)
        if not isinstance(answer, ClockSetResult):
            raise PbxProtocolError(f"the PBX answered a clock set with {answer.TYPE}")
        if not answer.ok:
            raise PbxRefused(f"clock: the PBX refused: {answer.error or 'no reason given'}")
        return answer.effective

    def refresh_states(self) -> None:
        """Ask for a state snapshot; ``port_states`` holds it when this returns."""
        offset = 0
        for _ in range(1000):  # pages; a PBX has at most 999 extension ports
            answer = self.link.request(functools.partial(_state_page, offset=offset),
                                       self.request_timeout)
            if not isinstance(answer, StateSnapshot):
                raise PbxProtocolError(f"the PBX answered a state request with {answer.TYPE}")
            if answer.complete or not answer.extensions:
                return
            offset = answer.offset + len(answer.extensions)

    # ------------------------------------------------------------------ internals
    def _load_image(self) -> ParameterImage:
        if not self.image_path.exists():
            return ParameterImage()
        try:
            return ParameterImage.load(self.image_path)
        except ImageFileError as exc:
            log.warning("%s; the whole image will be read from the PBX", exc)
            return ParameterImage()

    def _save_image(self) -> None:
        """Write the image as it is now (never called holding the image lock: the link
        thread applies changes meanwhile).  Saves are serialised, and each takes the image
        when it starts, so a later save never writes an older image."""
        with self._save_lock:
            with self._image_lock:
                data = self._image.to_json()
            try:
                write_json_atomic(self.image_path, data)
            except OSError as exc:
                log.error("cannot save %s: %s", self.image_path, exc)

    def _apply_change(self, key: str, value: str, schema: Schema | None = None) -> None:
        """Under the image lock: ``key`` now holds ``value`` at the PBX; its group's
        checksum no longer describes the image, so the next connect reads the group."""
        self._image.params[key] = value
        try:
            group = (schema or build_schema(self._image.extensions or 1,
                                            self._image.trunks)).group_of(key)
        except (ParameterError, ValueError):
            self._image.checksums.clear()  # cannot tell the group: read them all
            return
        self._image.checksums.pop(group.value, None)

    def _parameter_changed(self, change: ParameterChanged) -> ParameterChanged | None:
        """In the link thread: the PBX reports a change made at the PBX (PCH).  Applied to
        the image at once (the dispatcher saves it); None for a key this PBX does not have."""
        identity = self.link.identity
        schema = build_schema(identity.extensions, identity.trunks) if identity else None
        if schema is not None:
            try:
                value = schema.validate(change.key, change.value)
            except ParameterError as exc:
                if change.key not in schema:
                    log.warning("the PBX reported a change of %s, which this PBX's schema "
                                "does not have: ignored", change.key)
                    return None
                log.warning("the PBX reported %s = %r, which the schema does not allow "
                            "(%s); kept as the PBX holds it", change.key, change.value, exc)
            else:
                if value != change.value:
                    change = ParameterChanged(change.key, value)
        with self._image_lock:
            self._apply_change(change.key, change.value, schema)
            if self._changes_during_verify is not None:
                self._changes_during_verify.append(change)
        log.info("parameter %s = %r changed at the PBX", change.key, change.value)
        return change

    def _progress(self, done: int, total: int, group: Group) -> None:
        self._queue.put(VerificationProgress(done, total, group))

    def _on_link(self, notice: LinkNotice) -> None:
        """In the link thread: keep it short."""
        if isinstance(notice, LinkUp):
            self._queue.put(notice)
            self._sync_wanted.set()
        elif isinstance(notice, LinkDown):
            self._ready.clear()
            self._queue.put(notice)
        elif isinstance(notice, StateSnapshot):
            self.port_states.load(notice)
        elif isinstance(notice, ExtensionState | TrunkState | ParkSlotState):
            self.port_states.apply(notice)
            self._queue.put(notice)
        elif isinstance(notice, CallRecord):
            self._queue.put(notice)
        elif isinstance(notice, ParameterChanged):
            change = self._parameter_changed(notice)
            if change is not None:
                self._queue.put(change)

    def _sync_loop(self) -> None:
        while True:
            self._sync_wanted.wait()
            if self._stopping.is_set():
                return
            self._sync_wanted.clear()
            if self.link.identity is None:
                continue
            try:
                if self.verify_at_start:
                    self.verify()
                self.refresh_states()
                if self.sync_clock:
                    effective = self.set_clock()
                    log.info("PBX clock set; it takes effect at %s", effective)
                self._ready.set()
            except PbxError as exc:
                log.warning("start-up sync with the PBX failed: %s", exc)
                if self.link.is_up and not self._stopping.wait(RETRY_SECONDS):
                    self._sync_wanted.set()

    def _dispatch_loop(self) -> None:
        unstored: list[CallRecord] = []
        stopping = False
        while not stopping:
            try:
                items = [self._queue.get(timeout=1.0 if unstored else None)]
            except queue.Empty:
                items = []
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = _STOP in items
            unstored += [i for i in items if isinstance(i, CallRecord)]
            stored: set[int] = set()
            if unstored:
                try:
                    stored = self._store(unstored)
                    unstored = []
                except Exception as exc:
                    log.error("cannot store %d call record(s), will retry (the PBX keeps "
                              "them): %s", len(unstored), exc)
            if any(i is _SAVE_IMAGE or isinstance(i, ParameterChanged) for i in items):
                self._save_image()  # one save for a burst of changes
            for item in items:
                if isinstance(item, CallRecord):
                    if item.sequence in stored:
                        stored.discard(item.sequence)
                        self._emit(RecordStored(item))
                elif item is not _STOP and item is not _SAVE_IMAGE:
                    self._emit(item)  # type: ignore[arg-type]

    def _store(self, records: list[CallRecord]) -> set[int]:
        """Commit the new records, then acknowledge all of them; the new sequences."""
        new: dict[int, CallRecord] = {}
        for record in records:
            if record not in self._seen:
                new.setdefault(record.sequence, record)
        if new:
            self.sink.store(list(new.values()))
            self.records_stored += len(new)
            for record in new.values():
                self._seen.add(record)
                self._seen_order.append(record)
            while len(self._seen_order) > SEEN_LIMIT:
                self._seen.discard(self._seen_order.popleft())
        for first, last in ack_ranges(r.sequence for r in records):
            try:
                self.link.send(RecordAck(first, last))
                self.records_acked += last - first + 1
            except PbxUnavailable:
                log.info("records %d-%d stored but not acknowledged (link down); the PBX "
                         "will send them again", first, last)
        return set(new)

    def _emit(self, event: ServiceEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a service listener failed on %r", event)


def _state_page(request_id: int, offset: int) -> StateRequest:
    return StateRequest(request_id, offset)
