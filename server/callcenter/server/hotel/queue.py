"""The hotel link's on-disk queue and its two consumers: the bill file and the serial port.

Theory of operation
-------------------
``enqueue_calls`` is (part of) the intake's ``after_insert`` hook: inside the transaction that
stores the call records it adds one ``hotel_queue`` row per record with the finished bill line
(``file_done`` / ``serial_done`` already true for a consumer that is switched off). A record
and its bill line are therefore committed together: once the PBX has been acknowledged, the
line is on disk and cannot be lost, whatever the hotel side does.

``HotelLink.run_once()`` lets each consumer take its pending rows in ``id`` order:

* **file**: the batch is appended to the bill file with one write, fsynced, and only then the
  rows are marked done together with the file's new size (``hotel_bill_file``). Before a batch
  the file's size is compared with the size recorded: bytes beyond it are what a crash left
  between the write and the commit, so the lines they hold are marked done instead of being
  written again (and a line cut short is completed, not repeated). A file that shrank was
  emptied or taken away by the hotel software: writing goes on at its new end.
* **serial**: line by line, each marked done as soon as it has left the port.

The hotel side absent or slow (folder missing, file locked by the hotel software, port missing
or in use) is an error the consumer reports and retries with back-off; the intake never waits
for it. ``HotelLinkLoop`` runs the two consumers in two threads.

Exactly once: the file holds every line once, even across a kill -9 (the commit after the
write is checked against the file at the next start). The serial port cannot be read back: a
crash between a line leaving the port and its commit sends that one line again at restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import peewee

from callcenter.server.hotel.billfile import (
    FILE_NAME,
    LINE_WIDTH,
    append_bytes,
    encode_line,
    file_size,
    format_line,
    read_range,
    resume_point,
)
from callcenter.server.hotel.forward import SerialForwarder
from callcenter.server.store.db import AnyDatabase, StoreUnavailable, write_transaction
from callcenter.server.store.intake import StoredCall
from callcenter.server.store.models import utc_now
from callcenter.server.store.prepaid_models import HotelBillFile, HotelQueueEntry
from callcenter.server.store.settings import all_settings

log = logging.getLogger(__name__)

#: Lines sent to a TCP converter before the connection is confirmed and they are marked done.
CONVERTER_GROUP = 50

BATCH = 200
MAX_BACKOFF = 60.0
#: Back-off after a store error: the store itself backs off its connection attempts, and
#: the lines should follow the records soon after the store is back.
MAX_STORE_BACKOFF = 8.0
KEEP_DONE = timedelta(days=7)


def enqueue_calls(calls: Sequence[StoredCall]) -> int:
    """The intake's ``after_insert`` hook: queue each new record's bill line for the consumers
    that are switched on. Runs inside the intake's transaction; returns the rows added."""
    settings = all_settings()
    file_on = bool(settings["hotel_bill.enabled"])
    serial_on = bool(settings["hotel_forward.enabled"])
    if not calls or not (file_on or serial_on):
        return 0
    now = utc_now()
    rows = [{"record_id": c.record_id,
             "line": format_line(c.record, c.cost_fen, c.service_type, c.unknown),
             "file_done": not file_on, "serial_done": not serial_on, "queued_at": now}
            for c in calls]
    for at in range(0, len(rows), 500):
        HotelQueueEntry.insert_many(rows[at:at + 500]).execute()
    return len(rows)


@dataclass
class HotelRunResult:
    """What one ``run_once`` did; an error text when a consumer could not reach its side."""

    written: int = 0
    sent: int = 0
    file_error: str = ""
    serial_error: str = ""


class HotelLink:
    """The two consumers of the hotel queue. ``settings`` overrides the store's hotel_bill.*
    / hotel_forward.* settings (else they are read from the store at each run)."""

    def __init__(self, db: AnyDatabase, data_dir: Path, settings: Mapping[str, Any] | None = None,
                 *, batch: int = BATCH) -> None:
        self.db, self.data_dir, self.batch = db, Path(data_dir), batch
        self.overrides = dict(settings or {})
        self._forwarder: SerialForwarder | None = None

    def settings(self) -> dict[str, Any]:
        return {**all_settings(), **self.overrides}

    def bill_path(self, settings: Mapping[str, Any]) -> Path:
        text = str(settings["hotel_bill.path"])
        return Path(text) if text else self.data_dir / FILE_NAME

    def run_once(self) -> HotelRunResult:
        """Feed the file and the serial port with what is pending (one batch each)."""
        result = HotelRunResult()
        try:
            result.written = self.file_once()
        except OSError as exc:
            result.file_error = str(exc)
        try:
            result.sent = self.serial_once()
        except OSError as exc:
            result.serial_error = str(exc)
        return result

    def pending(self, consumer: str) -> int:
        done = HotelQueueEntry.file_done if consumer == "file" else HotelQueueEntry.serial_done
        return int(HotelQueueEntry.select().where(done == False).count())  # noqa: E712 - SQL

    def _pending_rows(self, done: Any, limit: int = 0) -> list[tuple[int, str]]:
        """(id, line) of the next batch a consumer has not done, in queue order."""
        query: Any = (HotelQueueEntry.select(HotelQueueEntry.id, HotelQueueEntry.line)
                      .where(done == False)  # noqa: E712 - SQL
                      .order_by(HotelQueueEntry.id).limit(limit or self.batch).tuples())
        return [(int(row_id), str(line)) for row_id, line in query]

    # ------------------------------------------------------------------ file

    def file_once(self) -> int:
        """Append one batch to the bill file; the lines written (0: nothing pending or off).
        Raises OSError when the file cannot be written (retry later)."""
        settings = self.settings()
        if not settings["hotel_bill.enabled"]:
            return 0
        path = self.bill_path(settings)
        key = str(path)
        known_row = HotelBillFile.get_or_none(HotelBillFile.path == key)
        size = file_size(path)
        # Nothing of ours is known to be in a file we never recorded: a crash after the
        # very first append (before its row) must be recognised like any other.
        known = 0 if known_row is None else int(known_row.size)
        # Enough rows to cover whatever a crash may have left beyond ``known`` (a line is at
        # least LINE_WIDTH + 2 bytes in any encoding), so it is recognised whole.
        limit = max(self.batch, (size - known) // (LINE_WIDTH + 2) + 2)
        rows = self._pending_rows(HotelQueueEntry.file_done, limit)
        if not rows:
            return 0
        encoding = str(settings["hotel_bill.encoding"])
        lines = [encode_line(line, encoding) for _, line in rows]
        skip, partial, prefix = 0, 0, b""
        if size < known:
            log.info("hotel bill file %s is shorter than written (%d < %d bytes): the hotel "
                     "software took it; appending at its end", path, size, known)
        elif size > known:
            tail = read_range(path, known, size - known)
            skip, partial = resume_point(tail, lines)
            if partial < 0:
                log.warning("hotel bill file %s: %d bytes that are not ours follow what was "
                            "written; appending after them", path, size - known)
                partial = 0
                if not tail.endswith(b"\n"):
                    prefix = b"\r\n"
            elif skip or partial:
                log.info("hotel bill file %s: %d line(s) written before a restart were "
                         "already there; not written again", path, skip)
        data = prefix + b"".join(lines[skip:])[partial:] if skip < len(lines) else b""
        new_size = append_bytes(path, data) if data else size
        now = utc_now()
        with write_transaction(self.db):
            ids = [row_id for row_id, _ in rows]
            HotelQueueEntry.update(file_done=True).where(HotelQueueEntry.id.in_(ids)).execute()
            (HotelBillFile.insert(path=key, size=new_size, updated_at=now)
             .on_conflict(conflict_target=[HotelBillFile.path],
                          update={HotelBillFile.size: new_size, HotelBillFile.updated_at: now})
             .execute())
        return len(rows)

    # ------------------------------------------------------------------ serial

    def serial_once(self) -> int:
        """Send one batch to the hotel port, each line marked done once it is out; the lines
        sent. Raises OSError (ForwardError) when the port cannot be used (retry later)."""
        settings = self.settings()
        url = str(settings["hotel_forward.url"])
        if not settings["hotel_forward.enabled"] or not url:
            self.close()
            return 0
        baud = int(settings["hotel_forward.baud"])
        if self._forwarder is None or (self._forwarder.url, self._forwarder.baud) != (url, baud):
            self.close()
            self._forwarder = SerialForwarder(url, baud)
        rows = self._pending_rows(HotelQueueEntry.serial_done)
        encoding = str(settings["hotel_bill.encoding"])
        # A serial device: each line is done once it has left the port. A TCP converter:
        # lines are done in groups, after confirm() saw the connection survive them.
        group = CONVERTER_GROUP if self._forwarder.networked else 1
        for start in range(0, len(rows), group):
            chunk = rows[start:start + group]
            try:
                for _, line in chunk:
                    self._forwarder.send(encode_line(line, encoding))
                self._forwarder.confirm()
            except OSError:
                if start:
                    log.info("hotel port: %d line(s) sent before the port failed", start)
                raise
            with write_transaction(self.db):
                HotelQueueEntry.update(serial_done=True).where(
                    HotelQueueEntry.id.in_([row_id for row_id, _ in chunk])).execute()
        return len(rows)

    def close(self) -> None:
        if self._forwarder is not None:
            self._forwarder.close()
            self._forwarder = None

    def purge_done(self, keep: timedelta = KEEP_DONE) -> int:
        """Delete rows both consumers finished more than ``keep`` ago; the number deleted."""
        with write_transaction(self.db):
            return int(HotelQueueEntry.delete().where(
                (HotelQueueEntry.file_done == True) & (HotelQueueEntry.serial_done == True)  # noqa: E712
                & (HotelQueueEntry.queued_at < utc_now() - keep)).execute())


class HotelLinkLoop:
    """Runs the file and the serial consumer in two threads: each works while something is
    pending, waits ``poll`` seconds (or a ``notify()``) when idle, and after a failure backs
    off 1, 2, 4 ... up to 60 s. ``stop()`` ends both."""

    def __init__(self, db: AnyDatabase, data_dir: Path, *, poll: float = 1.0,
                 settings: Mapping[str, Any] | None = None) -> None:
        self.db, self.data_dir, self.poll, self.settings = db, data_dir, poll, settings
        self.errors: dict[str, str] = {}
        self._wake = {"file": threading.Event(), "serial": threading.Event()}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for consumer in ("file", "serial"):
            thread = threading.Thread(target=self._run, args=(consumer,), daemon=True,
                                      name=f"hotel-{consumer}")
            thread.start()
            self._threads.append(thread)

    def notify(self, *_: object) -> None:
        """Something was queued: wake both consumers (usable as a service listener)."""
        for event in self._wake.values():
            event.set()

    def stop(self) -> None:
        self._stopping.set()
        self.notify()
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()

    def _run(self, consumer: str) -> None:
        link = HotelLink(self.db, self.data_dir, self.settings)
        step = link.file_once if consumer == "file" else link.serial_once
        backoff = 0.0
        purge_at = 0
        try:
            while not self._stopping.is_set():
                wake = self._wake[consumer]
                try:
                    done = step()
                    backoff = 0.0
                    self.errors.pop(consumer, None)
                except StoreUnavailable as exc:  # the store logs its outage once
                    backoff = min(MAX_STORE_BACKOFF, backoff * 2 or 1.0)
                    self.errors[consumer] = f"store: {exc}"
                    done = 0
                except (peewee.OperationalError, peewee.InterfaceError) as exc:
                    # The store's connection was lost: the next try opens a new one.
                    backoff = min(MAX_STORE_BACKOFF, backoff * 2 or 1.0)
                    text = "store: " + " ".join(str(exc).split())
                    if self.errors.get(consumer) != text:
                        log.warning("hotel %s: %s; retrying", consumer, text)
                    self.errors[consumer] = text
                    done = 0
                except OSError as exc:
                    backoff = min(MAX_BACKOFF, backoff * 2 or 1.0)
                    if self.errors.get(consumer) != str(exc):
                        log.warning("hotel %s: %s; retrying (every %g s at most)", consumer,
                                    exc, MAX_BACKOFF)
                    self.errors[consumer] = str(exc)
                    done = 0
                except Exception:
                    log.exception("hotel %s consumer failed; retrying", consumer)
                    backoff = min(MAX_BACKOFF, backoff * 2 or 1.0)
                    done = 0
                if consumer == "file":
                    purge_at += 1
                    if purge_at % 3600 == 0:
                        link.purge_done()
                if done and not backoff:
                    continue  # more may be pending
                wake.wait(backoff or self.poll)
                wake.clear()
        finally:
            link.close()
            if not self.db.is_closed():
                self.db.close()
