"""The simulated PBX's memory: parameters, the call-record sequence counter, the record buffer.

Like the real exchange's battery-backed memory, it survives restarts: with a ``state_file``
every change is written at once as JSON (a temporary file then ``os.replace``, so a crash
never leaves half a file), and the file is read back at start.  A missing file means factory
defaults.  Call records stay in the buffer until the PC acknowledges them (B-7), so they
survive a restart too, and the sequence counter never goes back.

A lock makes each operation atomic, so the protocol thread and the traffic generator may
share one memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.common.pbx.messages import CallRecord, record_from_dict, record_to_dict
from callcenter.common.schema import Group, ParameterError, Row, Schema

if TYPE_CHECKING:
    from .engine import PendingRecord

STATE_VERSION = 1
MAX_SEQUENCE = 0xFFFFFFFF


class BufferFull(Exception):
    """The record buffer holds ``buffer_capacity`` unacknowledged records; none may be added."""


class ParameterMemory:
    """The PBX's memory: parameters (schema-backed), record sequence counter, record buffer.

    Persisted as JSON in ``state_file`` (atomic write: temp file + ``os.replace``) after every
    change when ``state_file`` is given; loaded from it at start (missing file = factory
    defaults).
    """

    def __init__(self, schema: Schema, state_file: Path | None = None,
                 buffer_capacity: int = 2000) -> None:
        if buffer_capacity < 1:
            raise ValueError("buffer_capacity must be at least 1")
        self.schema = schema
        self.state_file = Path(state_file) if state_file is not None else None
        self.buffer_capacity = buffer_capacity
        self._lock = threading.RLock()
        self._params: dict[str, str] = schema.defaults()
        self._records: list[CallRecord] = []
        self.next_sequence = 1
        self.records_issued = 0
        self.records_acked = 0
        self.defer_saves = False
        self._dirty = False
        if self.state_file is not None and self.state_file.exists():
            self._load(self.state_file)

    # ------------------------------------------------------------------ parameters

    def __getitem__(self, key: str) -> str:
        with self._lock:
            return self._params[key]

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def get(self, key: str, default: str = "") -> str:
        """The stored value of ``key``, or ``default`` when this PBX has no such setting."""
        with self._lock:
            return self._params.get(key, default)

    def write(self, key: str, text: str) -> str:
        """Store ``text`` at ``key`` and return the canonical stored value.

        The value is validated by the schema and the would-be image checked against the
        consistency rules; on any problem ParameterError is raised and nothing changes.
        """
        with self._lock:
            value = self.schema.validate(key, text)
            if self._params[key] == value:
                return value
            image = dict(self._params)
            image[key] = value
            problems = self.schema.check_consistency(image)
            if problems:
                raise ParameterError(key, "; ".join(problems))
            self._params = image
            self._save()
            return value

    def image(self) -> dict[str, str]:
        """A copy of every parameter, key -> canonical value."""
        with self._lock:
            return dict(self._params)

    def group_checksum(self, group: Group | str) -> str:
        """CRC32 (8 upper-case hex digits) over the group's ``key=value`` lines in schema order.

        Changes whenever a value of that group changes, and only then: the PC skips
        verifying a group whose checksum it already knows.
        """
        with self._lock:
            text = "".join(f"{key}={self._params[key]}\n"
                           for row in self.schema.group_rows(group) for key in row.keys)
        return f"{zlib.crc32(text.encode('utf-8')):08X}"

    def row_values(self, row: Row) -> tuple[str, ...]:
        """The row's values in wire order."""
        with self._lock:
            return tuple(self._params[key] for key in row.keys)

    def factory_reset(self) -> None:
        """Every parameter back to its factory default.

        The record buffer, the sequence counter and the counters are kept: a reset must not
        lose unacknowledged records or make sequence numbers repeat (B-7).
        """
        with self._lock:
            self._params = self.schema.defaults()
            self._save()

    # ------------------------------------------------------------------ call records

    def buffer_full(self) -> bool:
        with self._lock:
            return len(self._records) >= self.buffer_capacity

    def add_record(self, pending: PendingRecord) -> CallRecord:
        """Give ``pending`` the next sequence number and keep it until acknowledged.

        Raises BufferFull (and changes nothing) when the buffer is full.
        """
        with self._lock:
            if len(self._records) >= self.buffer_capacity:
                raise BufferFull(f"record buffer full ({self.buffer_capacity} records "
                                 "waiting for acknowledgement)")
            offset = pending.start.utcoffset()
            record = CallRecord(
                sequence=self.next_sequence,
                start=pending.start.strftime("%Y%m%d%H%M%S"),
                duration=pending.duration,
                port=pending.port,
                extension=pending.extension,
                trunk=pending.trunk,
                number=pending.number,
                call_type=pending.call_type,
                caller=pending.caller,
                account=pending.account,
                ring_seconds=pending.ring_seconds,
                utc_offset_minutes=480 if offset is None else int(offset.total_seconds() // 60),
            )
            self._records.append(record)
            self.next_sequence = 1 if self.next_sequence >= MAX_SEQUENCE else self.next_sequence + 1
            self.records_issued += 1
            self._changed()
            return record

    def unacked_records(self) -> list[CallRecord]:
        """Records waiting for acknowledgement, oldest first."""
        with self._lock:
            return list(self._records)

    def acknowledge(self, first: int, last: int) -> int:
        """Drop the records with sequence ``first..last``; return how many were newly dropped.

        A repeated acknowledgement (or one for records never issued) drops nothing and
        counts 0, so ``records_acked`` counts distinct records.
        """
        with self._lock:
            keep = [r for r in self._records if not first <= r.sequence <= last]
            dropped = len(self._records) - len(keep)
            if dropped:
                self._records = keep
                self.records_acked += dropped
                self._changed()
            return dropped

    # ------------------------------------------------------------------ persistence

    def _state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "params": self._params,
            "next_sequence": self.next_sequence,
            "records_issued": self.records_issued,
            "records_acked": self.records_acked,
            "records": [record_to_dict(r) for r in self._records],
        }

    def _changed(self) -> None:
        """Record-buffer changes are saved at once, or at the next ``flush`` when
        ``defer_saves`` is set (the protocol side flushes before it offers new records, so a
        record never reaches the PC before it is in the state file)."""
        if self.defer_saves:
            self._dirty = True
        else:
            self._save()

    def flush(self) -> None:
        """Save deferred changes now."""
        with self._lock:
            if self._dirty:
                self._save()

    def _save(self) -> None:
        self._dirty = False
        if self.state_file is None:
            return
        target = self.state_file
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._state(), out, ensure_ascii=False, indent=1)
            # No fsync: the simulator's "power cut" is a process restart, which os.replace
            # already survives; an fsync per call record would throttle record bursts.
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def _load(self, path: Path) -> None:
        """Read the state file; values the schema no longer accepts keep their default."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not a PBX state file")
        for key, value in dict(data.get("params", {})).items():
            if key in self._params and isinstance(value, str):
                with contextlib.suppress(ParameterError):
                    self._params[key] = self.schema.validate(key, value)
        self.next_sequence = int(data.get("next_sequence", 1))
        if not 1 <= self.next_sequence <= MAX_SEQUENCE:
            self.next_sequence = 1
        self.records_issued = int(data.get("records_issued", 0))
        self.records_acked = int(data.get("records_acked", 0))
        self._records = [record_from_dict(r) for r in data.get("records", [])]
