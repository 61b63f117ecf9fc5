"""``PbxService``: the headless server service (no GUI; the console is a view of it).

Theory of operation
-------------------
The service owns a ``PbxLink`` and four small threads:

* the link thread (inside ``PbxLink``) calls ``_on_link`` for every notice in wire order:
  port states are applied to ``PortStates`` at once (so a snapshot and the events after
  it stay in order); call records go to the dispatcher, everything else to the event
  thread;
* the *sync* thread runs after each ``LinkUp``: data verification (reading only the
  groups whose checksum changed), a state snapshot, and optionally setting the clock;
* the *dispatcher* thread stores call records in the ``RecordSink`` (a backlog is taken
  in one batch: one commit) and acknowledges them with ``RecordAck`` only after the sink
  returned, then hands ``RecordStored`` events to the event thread;
* the *event* thread saves ``DIR/image.json`` after parameter changes and hands every
  event to the listeners, in order.  A slow listener therefore never delays the storing
  or acknowledging of records, and a slow store commit never delays port states.

The image (``image``, ``DIR/image.json``) keeps each group's checksum as the PBX reported
it, so the next connect can skip a group that did not change.  The PC cannot compute the
PBX's checksum, so when it learns of a change it did not read (``ParameterChanged`` from
the PBX, or its own write) it applies the value and drops that group's checksum: the next
connect reads the group again instead of trusting a checksum that no longer describes the
values held.  Besides the values the service keeps a state per key (``key_states``):
verified (read from the PBX), written (accepted but not read back) or refused (the last
write's reason).  Every change of a value, whoever made it, is a ``ParameterSet`` event;
every write is an audit entry.

Writes (``write_parameters``, ``write_parameter``, ``renumber``) run in the caller's
thread and use the link's request/answer matching; they validate everything before
sending anything (``batch``, ``renumber``) and write key by key with read-back.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple

from callcenter.common.pbx.line import LineSettings
from callcenter.common.pbx.messages import (
    CallRecord,
    ClockSet,
    ClockSetResult,
    ExtensionState,
    Identity,
    ParameterChanged,
    ParameterWrite,
    ParameterWriteResult,
    ParkSlotState,
    RecordAck,
    StateRequest,
    StateSnapshot,
    TrunkState,
)
from callcenter.common.schema import Group, ParameterError, Schema, build_schema
from callcenter.server.pbx import parameters, renumber
from callcenter.server.pbx.batch import (
    INVALID,
    NOT_SENT,
    REFUSED,
    UNCHANGED,
    UNCONFIRMED,
    WRITTEN,
    Cancelled,
    Progress,
    WriteResult,
    run_batch,
    validate_batch,
)
from callcenter.server.pbx.events import (
    AlertRaised,
    ParameterSet,
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
from callcenter.server.pbx.parameters import ParameterRefused, PbxProtocolError, PbxRefused
from callcenter.server.pbx.port_states import PortStates
from callcenter.server.pbx.records import RecordSink, ack_ranges
from callcenter.server.pbx.verification import Verification, verify
from callcenter.server.store.audit import add_entry
from callcenter.server.store.db import StoreUnavailable
from callcenter.server.store.settings import site_zone

log = logging.getLogger(__name__)

ServiceListener = Callable[[ServiceEvent], None]
_STOP = object()
_SAVE_IMAGE = object()  # the event thread saves DIR/image.json (once for a burst of writes)
#: Key states (``key_states``): read from the PBX, accepted but not read back, refused.
VERIFIED, WRITTEN_UNREAD, REFUSED_STATE = "verified", "written", "refused"
SEEN_LIMIT = 100_000  # records remembered to drop re-sent ones quickly
RETRY_SECONDS = 5.0
#: Closer than this to the end of a minute, a clock set waits for the next minute to begin:
#: the request could reach the PBX after its minute turned, and it would apply the time a
#: minute late.
CLOCK_MARGIN = 2.0


def _local_now() -> datetime:
    return datetime.now().astimezone()


def clock_minute_text(minute: str, zone: tzinfo | None) -> str:
    """The PBX's answer to a clock set (``YYYYMMDDhhmm``, its local time: the site's zone)
    as people read it: ``2026-12-03 18:41 Asia/Shanghai``; an answer of another shape as
    it came."""
    try:
        at = datetime.strptime(minute, "%Y%m%d%H%M")
    except ValueError:
        return minute
    return f"{at:%Y-%m-%d %H:%M} {zone if zone is not None else 'local time'}"


class KeyState(NamedTuple):
    """A key's state in the image: ``state`` (verified, written, refused) and why."""

    state: str
    reason: str = ""


@dataclass(frozen=True)
class VerificationStatus:
    """The last data verification: ``state`` never / running / done / failed, rows
    ``done`` of ``total``, ``at`` when it started (running) or ended, ``error``."""

    state: str = "never"
    done: int = 0
    total: int = 0
    at: datetime | None = None
    error: str = ""


class PbxService:
    """Connect, identify, verify, keep port states, store and acknowledge call records."""

    def __init__(self, url: str, data_dir: Path, *, sink: RecordSink,
                 line: LineSettings | None = None, link_options: LinkOptions | None = None,
                 verify_at_start: bool = True, sync_clock: bool = False,
                 request_timeout: float = 10.0,
                 clock: Callable[[], datetime] | None = None) -> None:
        """``sink``: where call records go (the store's ``RecordIntake``); ``clock``: this
        computer's time as an aware datetime (default: the system clock; the PBX clock is
        set from it)."""
        self.data_dir = data_dir
        self.clock = clock or _local_now
        data_dir.mkdir(parents=True, exist_ok=True)
        self.image_path = data_dir / "image.json"
        self.sink: RecordSink = sink
        self.port_states = PortStates()
        self.verify_at_start = verify_at_start
        self.sync_clock = sync_clock
        self.request_timeout = request_timeout
        self.link = PbxLink(url, line, listener=self._on_link, options=link_options)
        self.verifications: list[Verification] = []
        self.records_stored = 0
        self._last_result: object = None  # the sink's report of the last commit
        self.records_acked = 0
        self._listeners: list[ServiceListener] = []
        self._image_lock = threading.Lock()
        self._save_lock = threading.Lock()  # one writer of image.json at a time
        self._image = self._load_image()
        self._key_states: dict[str, KeyState] = {}  # keys not simply verified
        self._image_version = 0  # counts changes of the image or the key states
        self._changes_during_verify: list[ParameterChanged] | None = None
        self._verify_lock = threading.Lock()
        self.verification = VerificationStatus()
        self._records: queue.SimpleQueue[object] = queue.SimpleQueue()  # the dispatcher's
        self._events: queue.SimpleQueue[object] = queue.SimpleQueue()  # the event thread's
        # Records already stored, whole (not just their sequence): a re-sent record is
        # dropped here without a trip to the store, but another PBX's record with a number
        # already seen still goes to the store, which keeps it (see store/intake.py).
        self._seen: set[CallRecord] = set()
        self._seen_order: deque[CallRecord] = deque()
        self._ready = threading.Event()
        self._sync_wanted = threading.Event()
        self._stopping = threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    # ------------------------------------------------------------------ life cycle
    def add_listener(self, listener: ServiceListener) -> None:
        """``listener`` is called in the event thread, in order, for every event; it may be
        slow without delaying records or the link (later events wait for it)."""
        self._listeners.append(listener)

    def start(self) -> None:
        for name, target in (("pbx-dispatch", self._dispatch_loop),
                             ("pbx-events", self._event_loop), ("pbx-sync", self._sync_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads[name] = thread
        self.link.start()

    def stop(self) -> None:
        """Close the link and end the threads; records already received are still stored,
        and their events still reach the listeners."""
        self._stopping.set()
        self.link.stop()
        self._sync_wanted.set()
        self._records.put(_STOP)
        for name in ("pbx-dispatch", "pbx-sync"):
            if name in self._threads:
                self._threads[name].join(timeout=15)
        self._events.put(_STOP)
        if "pbx-events" in self._threads:
            self._threads["pbx-events"].join(timeout=15)
        self._threads.clear()

    def reconnect(self, url: str, line: LineSettings | None = None) -> None:
        """Close the port and open ``url`` (with ``line``, default the current settings)
        instead; listeners stay, and the new connection verifies and takes a snapshot as
        after any connect (``PbxLink.reopen``)."""
        self.link.reopen(url, line)

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
        """The schema of the PBX's port counts; while the link is down, of the saved image's
        (PbxUnavailable when there is none)."""
        return build_schema(*self._counts())

    def _counts(self) -> tuple[int, int]:
        identity = self.link.identity
        if identity is not None:
            return identity.extensions, identity.trunks
        with self._image_lock:
            counts = self._image.extensions, self._image.trunks
        if counts[0] > 0:
            return counts
        raise PbxUnavailable(f"the PBX link is down ({self.link.last_error or 'not yet up'}) "
                             "and no parameter image was saved yet")

    @property
    def image(self) -> ParameterImage:
        """A copy of the last verified image (with later writes and changes applied); while
        the link is down, the last one known (``image_source`` says which)."""
        with self._image_lock:
            return ParameterImage.from_json(self._image.to_json())

    def image_values(self) -> tuple[dict[str, str], dict[str, KeyState]]:
        """The image's values and the key states, taken together (one copy each)."""
        with self._image_lock:
            return dict(self._image.params), dict(self._key_states)

    def image_info(self) -> tuple[str, str, int, int]:
        """The image's model, firmware, extension ports and trunks (no copy of the values)."""
        with self._image_lock:
            image = self._image
            return image.model, image.firmware, image.extensions, image.trunks

    @property
    def image_source(self) -> str:
        """``"pbx"``: the image follows the PBX now; ``"saved"``: the link is down and the
        image is the last one known."""
        return "pbx" if self.link.is_up else "saved"

    @property
    def image_version(self) -> int:
        """A number that changes whenever a value or a key state of the image does (for
        caching what is made from the image)."""
        return self._image_version

    def key_states(self) -> dict[str, KeyState]:
        """The keys whose state is not simply verified: ``written`` (accepted by the PBX but
        not read back) or ``refused`` (the last write's reason)."""
        with self._image_lock:
            return dict(self._key_states)

    def verify(self, *, force: bool = False, progress: Progress | None = None
               ) -> Verification:
        """Data verification now (also run after every connect); ``force`` reads everything.

        ``progress(done, total, group)`` is called after each block (besides the
        ``VerificationProgress`` events); an exception it raises stops the verification
        and leaves the image as it was (with the changes learnt meanwhile)."""
        with self._verify_lock:
            link = self.link
            identity = link.identity
            if identity is None:
                raise PbxUnavailable(f"the PBX link is down ({link.last_error})")
            with self._image_lock:
                saved = ParameterImage.from_json(self._image.to_json())
                self._changes_during_verify = []
            self.verification = VerificationStatus("running", at=self.clock())

            def report(done: int, total: int, group: Group) -> None:
                self.verification = VerificationStatus("running", done, total,
                                                       self.verification.at)
                self._events.put(VerificationProgress(done, total, group))
                if progress is not None:
                    progress(done, total, group.value)

            try:
                result = verify(link, identity, saved, progress=report, force=force,
                                timeout=self.request_timeout)
            except BaseException as exc:
                with self._image_lock:
                    self._changes_during_verify = None
                self.verification = VerificationStatus(
                    "failed", self.verification.done, self.verification.total, self.clock(),
                    str(exc) or type(exc).__name__)
                raise
            schema = build_schema(identity.extensions, identity.trunks)
            read = set(result.groups_read)
            with self._image_lock:  # (one block: no change slips in between)
                changes, self._changes_during_verify = self._changes_during_verify, None
                self._image = result.image
                self._image_version += 1
                # Own writes and PBX changes made meanwhile (already in the image if the
                # group was read after them; applied again, they change nothing then).
                for change in changes or []:
                    self._apply_change(change.key, change.value, schema)
                for key, state in list(self._key_states.items()):
                    if (state.state == WRITTEN_UNREAD and key in schema
                            and schema.group_of(key) in read):
                        del self._key_states[key]
            self._save_image()
            self.verifications.append(result)
            self.verification = VerificationStatus("done", result.rows_read, result.rows_read,
                                                   self.clock())
            self._events.put(VerificationDone(result.groups_read, result.groups_skipped,
                                              result.rows_read))
            return result

    # ------------------------------------------------------------------ writes
    def write_parameters(self, pairs: Sequence[tuple[str, str]], *, who: str,
                         progress: Progress | None = None,
                         cancelled: Cancelled | None = None,
                         all_or_nothing: bool = False,
                         read_now: Mapping[str, str] | None = None) -> list[WriteResult]:
        """Write ``(key, value)`` pairs; one ``WriteResult`` per key, in the order given.

        Every pair is validated first (schema and consistency rules, in writing order):
        an invalid one is never sent.  Then each key is written and read back; ``who`` is
        the audit log's and the ``ParameterSet`` event's.  ``cancelled()`` is asked before
        each key and ``progress(done, total, key)`` told; after a cancel or a lost link the
        remaining keys are ``not_sent``.  ``all_or_nothing``: when any value is invalid,
        nothing at all is sent (the valid keys are ``not_sent``, saying why), as a command
        line that must change nothing on bad input wants.  ``read_now``: values the caller
        has just read from the PBX (a restore's), which count over the service's image
        (whose change events from the PBX may still be on their way): a key is skipped as
        unchanged only when the PBX holds its value.  PbxUnavailable only when no schema is
        known.
        """
        schema = self.schema
        with self._image_lock:
            current = dict(self._image.params)
            states = dict(self._key_states)
        if read_now:
            current.update(read_now)
        complete = len(current) == len(schema.keys())
        to_write, settled = validate_batch(
            schema, current, pairs, check_rules=complete,
            trusted=lambda key: key not in states or states[key].state != WRITTEN_UNREAD)
        order = list(dict.fromkeys(key for key, _ in pairs))
        if all_or_nothing and any(r.status == INVALID for r in settled.values()):
            held = {key: WriteResult(key, value, current.get(key, ""), NOT_SENT,
                                     "not sent: another value of this batch is not allowed")
                    for key, value in to_write}
            return [settled.get(key) or held[key] for key in order]
        return run_batch(to_write, settled, order,
                         lambda key, value: self._write_one(schema, key, value, who),
                         current=current, link_up=lambda: self.link.is_up, progress=progress,
                         cancelled=cancelled)

    def write_parameter(self, key: str, text: str, who: str = "service") -> str:
        """Validate (ParameterError: nothing sent), write, read back; the value now stored.
        ParameterRefused when the PBX said no, PbxUnavailable / PbxTimeout when the link
        failed."""
        [result] = self.write_parameters([(key, text)], who=who)
        if result.status == INVALID:
            raise ParameterError(key, result.reason)
        if result.status == REFUSED:
            raise ParameterRefused(key, result.reason)
        if result.status == NOT_SENT:
            raise PbxUnavailable(result.reason)
        if result.status == UNCONFIRMED:
            raise PbxTimeout(f"{key}: {result.reason}")
        return result.value

    def renumber(self, numbers: Mapping[str, str], *, who: str,
                 progress: Progress | None = None,
                 cancelled: Cancelled | None = None) -> list[WriteResult]:
        """Give extension ports new numbers (port -> number), which may shift or swap the
        numbers held now: ports pass through free temporary numbers where needed, so every
        state on the way is valid for the PBX (``renumber.plan``).  One result per port
        given, in order (key ``extension.<port>.number``).  Nothing is sent when a port or
        number is invalid, or no temporary number is free; a failed step puts its segment
        back (``renumber.run``)."""
        schema = self.schema
        with self._image_lock:
            params = dict(self._image.params)
        ports = list(numbers)

        def everyone(status: str, reason: str, wanted: Mapping[str, str],
                     special: Mapping[str, str] | None = None) -> list[WriteResult]:
            out = []
            for port in ports:
                key = renumber.number_key(port)
                if special and port in special:
                    out.append(WriteResult(key, numbers[port], params.get(key, ""), INVALID,
                                           special[port]))
                else:
                    out.append(WriteResult(key, wanted.get(port, numbers[port]),
                                           params.get(key, ""), status, reason))
            return out

        try:
            wanted, problems = renumber.check_request(schema, params, numbers)
            if problems:
                return everyone(NOT_SENT, "not sent: another number of this renumbering "
                                "is invalid", wanted, problems)
            segments = renumber.plan(schema, params, wanted)
        except renumber.RenumberError as exc:
            return everyone(NOT_SENT, str(exc), {})
        old = {port: params[renumber.number_key(port)] for port in wanted}
        done = renumber.run(segments, wanted, old,
                            lambda key, value: self._write_one(schema, key, value, who),
                            link_up=lambda: self.link.is_up, progress=progress,
                            cancelled=cancelled)
        return [done.get(port) or WriteResult(renumber.number_key(port), wanted[port],
                                               old[port], UNCHANGED) for port in ports]

    def _write_one(self, schema: Schema, key: str, value: str, who: str) -> WriteResult:
        """Write one valid value and read it back; image, key state, event and audit."""
        with self._image_lock:
            old = self._image.params.get(key, "")
        link = self.link
        timeout = self.request_timeout
        try:
            answer = link.request(lambda r: ParameterWrite(r, key, value), timeout)
        except PbxTimeout as exc:
            return self._unconfirmed(schema, WriteResult(key, value, old, UNCONFIRMED,
                                                         str(exc)), who)
        except PbxUnavailable as exc:
            return WriteResult(key, value, old, NOT_SENT, str(exc))
        if not isinstance(answer, ParameterWriteResult) or not answer.ok:
            reason = (answer.error or "no reason given") if isinstance(
                answer, ParameterWriteResult) else f"the PBX answered with {answer.TYPE}"
            with self._image_lock:
                self._key_states[key] = KeyState(REFUSED_STATE, reason)
                self._image_version += 1
            self._audit(who, key, old, value, f"refused: {reason}")
            return WriteResult(key, value, old, REFUSED, reason)
        try:
            stored = parameters.read_parameter(link, schema, key, timeout)
        except PbxError as exc:
            return self._unconfirmed(schema, WriteResult(
                key, value, old, UNCONFIRMED,
                f"the PBX accepted it but it was not read back: {exc}"), who)
        if stored != value:
            reason = f"wrote {value!r} but the PBX now holds {stored!r}"
            self._learn(schema, key, stored, who, KeyState(REFUSED_STATE, reason))
            self._audit(who, key, old, stored, f"refused: {reason}")
            return WriteResult(key, value, old, REFUSED, reason)
        self._learn(schema, key, stored, who, None)
        self._audit(who, key, old, stored, WRITTEN)
        return WriteResult(key, stored, old, WRITTEN)

    def _unconfirmed(self, schema: Schema, result: WriteResult, who: str) -> WriteResult:
        """The PBX may hold the value: the image takes it, marked written-not-read."""
        self._learn(schema, result.key, result.value, who,
                    KeyState(WRITTEN_UNREAD, result.reason))
        self._audit(who, result.key, result.old, result.value, f"unconfirmed: {result.reason}")
        return result

    def _learn(self, schema: Schema, key: str, value: str, who: str,
               state: KeyState | None) -> None:
        """``key`` holds ``value`` now (``state``: None for verified): image, key state,
        the verification running meanwhile, and the ParameterSet event (after the save)."""
        with self._image_lock:
            old = self._image.params.get(key, "")
            self._apply_change(key, value, schema)
            if state is None:
                self._key_states.pop(key, None)
            else:
                self._key_states[key] = state
            if self._changes_during_verify is not None:
                self._changes_during_verify.append(ParameterChanged(key, value))
        # Saved by the event thread before the event goes out (once for a burst of
        # writes).  Until then the file holds the old value with the old checksum, which
        # still describe each other.
        self._events.put(ParameterSet(key, old, value, who) if value != old else _SAVE_IMAGE)

    @staticmethod
    def _audit(who: str, key: str, old: str, new: str, result: str) -> None:
        """An audit entry for a write; a store that fails never fails the write."""
        try:
            add_entry(who, "pbx", key, old or None, new, result)
        except Exception as exc:
            log.warning("audit log: cannot record %s = %r by %s (%s): %s", key, new, who,
                        result, exc)

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
        self._image_version += 1
        try:
            group = (schema or build_schema(self._image.extensions or 1,
                                            self._image.trunks)).group_of(key)
        except (ParameterError, ValueError):
            self._image.checksums.clear()  # cannot tell the group: read them all
            return
        self._image.checksums.pop(group.value, None)

    def _parameter_changed(self, change: ParameterChanged) -> ParameterSet | None:
        """In the link thread: the PBX reports a change made at the PBX (PCH).  Applied to
        the image at once (the event thread saves it); None for a key this PBX does not
        have."""
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
            old = self._image.params.get(change.key, "")
            self._apply_change(change.key, change.value, schema)
            self._key_states.pop(change.key, None)
            if self._changes_during_verify is not None:
                self._changes_during_verify.append(change)
        log.info("parameter %s = %r changed at the PBX", change.key, change.value)
        self._events.put(change)
        return ParameterSet(change.key, old, change.value, "pbx")

    def _on_link(self, notice: LinkNotice) -> None:
        """In the link thread: keep it short."""
        if isinstance(notice, LinkUp):
            self._events.put(notice)
            self._sync_wanted.set()
        elif isinstance(notice, LinkDown):
            self._ready.clear()
            self._events.put(notice)
        elif isinstance(notice, StateSnapshot):
            self.port_states.load(notice)
        elif isinstance(notice, ExtensionState | TrunkState | ParkSlotState):
            self.port_states.apply(notice)
            self._events.put(notice)
        elif isinstance(notice, CallRecord):
            self._records.put(notice)
        elif isinstance(notice, ParameterChanged):
            change = self._parameter_changed(notice)
            if change is not None:
                self._events.put(change)

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
                    log.info("PBX clock set; it takes effect at %s",
                             clock_minute_text(effective, site_zone()))
                self._ready.set()
            except PbxError as exc:
                log.warning("start-up sync with the PBX failed: %s", exc)
                if self.link.is_up and not self._stopping.wait(RETRY_SECONDS):
                    self._sync_wanted.set()

    def _dispatch_loop(self) -> None:
        """Store records (a backlog in one commit), acknowledge them, then hand their
        ``RecordStored`` events to the event thread."""
        unstored: list[CallRecord] = []
        stopping = False
        while not stopping:
            items = _take_all(self._records, 1.0 if unstored else None)
            stopping = _STOP in items
            unstored += [i for i in items if isinstance(i, CallRecord)]
            if not unstored:
                continue
            try:
                stored = self._store(unstored)
            except StoreUnavailable:
                continue  # the store reported the outage once; the PBX keeps the records
            except Exception as exc:
                log.error("cannot store %d call record(s), will retry (the PBX keeps "
                          "them): %s", len(unstored), exc)
                continue
            result, self._last_result = self._last_result, None
            costs: dict[int, int | None] = getattr(result, "costs", {}) or {}
            pbx_id = str(getattr(self.sink, "pbx_id", ""))
            for record in unstored:
                if record.sequence in stored:
                    stored.discard(record.sequence)
                    self._events.put(RecordStored(record, costs.get(record.sequence),
                                                  pbx_id))
            for alert_id, kind, text in getattr(result, "alerts", ()) or ():
                self._events.put(AlertRaised(alert_id, kind, text))
            unstored = []

    def _event_loop(self) -> None:
        """Save the image after parameter changes, then tell the listeners, in order."""
        while True:
            items = _take_all(self._events, None)
            if any(i is _SAVE_IMAGE or isinstance(i, ParameterChanged | ParameterSet)
                   for i in items):
                self._save_image()  # one save for a burst of changes
            for item in items:
                if item is _STOP:
                    return
                if item is not _SAVE_IMAGE:
                    self._emit(item)  # type: ignore[arg-type]

    def _store(self, records: list[CallRecord]) -> set[int]:
        """Commit the new records, then acknowledge all of them; the new sequences."""
        new: dict[int, CallRecord] = {}
        for record in records:
            if record not in self._seen:
                new.setdefault(record.sequence, record)
        if new:
            self.sink.store(list(new.values()))
            # What this commit did (costs, alerts), when the sink tells (RecordIntake.last)
            self._last_result = getattr(self.sink, "last", None)
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


def _take_all(source: queue.SimpleQueue[object], timeout: float | None) -> list[object]:
    """What is queued: wait up to ``timeout`` (None: for ever) for the first item."""
    try:
        items = [source.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            items.append(source.get_nowait())
        except queue.Empty:
            return items
