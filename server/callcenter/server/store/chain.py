"""The record hash chain and the columns derived from a raw record, shared by intake and verify.

Each PBX has its own chain. The first record's ``prev_hash`` is ``genesis_hash(pbx_id)``; each
record's ``hash`` is the hex SHA-256 of ``prev_hash + raw`` (both as UTF-8), where ``raw`` is the
record's wire fields as canonical JSON (``canonical_raw``); the next record's ``prev_hash`` is
that hash. Editing a raw record changes its hash; removing or inserting one breaks the link of
the record after it; removing the last one no longer matches the chain head.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from callcenter.common.pbx.messages import CallRecord, message_from_fields


def canonical_raw(record: CallRecord) -> str:
    """The record's wire fields, in wire order, as compact JSON: ``[["q","17"],["t",...],...]``."""
    return json.dumps([list(pair) for pair in record.to_fields()], ensure_ascii=False,
                      separators=(",", ":"))


def record_from_raw(raw: str) -> CallRecord:
    """Parse ``raw`` (as written by ``canonical_raw``) back into a CallRecord.

    Raises ValueError (including ``MessageFormatError``) when it is not one.
    """
    pairs = json.loads(raw)
    if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in pairs):
        raise ValueError("raw record must be a JSON list of [key, value] text pairs")
    message = message_from_fields("CDR", [(k, v) for k, v in pairs])
    assert isinstance(message, CallRecord)
    return message


def genesis_hash(pbx_id: str) -> str:
    """The ``prev_hash`` of a PBX's first record."""
    return hashlib.sha256(f"callcenter record chain {pbx_id}".encode()).hexdigest()


def link_hash(prev_hash: str, raw: str) -> str:
    """The hash of a record whose predecessor's hash is ``prev_hash``."""
    return hashlib.sha256((prev_hash + raw).encode("utf-8")).hexdigest()


def local_start(record: CallRecord) -> datetime | None:
    """The PBX-local start as a naive datetime, or None when the text is not a real date."""
    text = record.start  # YYYYMMDDhhmmss; sliced, as strptime costs a tenth of the intake
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        return None
    try:
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]),
                        int(text[10:12]), int(text[12:]))
    except ValueError:
        return None


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL; the raw JSON keeps it (escaped) for the record.
    return value.replace("\x00", "")


def derived_columns(record: CallRecord, local: datetime | str | None = "parse"
                    ) -> dict[str, Any]:
    """The call-record columns that intake derives from the raw record.

    ``start`` is UTC, or None when the PBX sent an impossible date (intake then keeps the time
    of receipt there and raises an alert; the raw text stays in ``local_start``).  ``local``:
    ``local_start(record)`` when the caller has it already.
    """
    if isinstance(local, str):  # not given: parse it here
        local = local_start(record)
    start = None if local is None else local - timedelta(minutes=record.utc_offset_minutes)
    return {
        "sequence": record.sequence,
        "start": start,
        "utc_offset_minutes": record.utc_offset_minutes,
        "local_start": record.start,
        "month": f"{record.start[:4]}-{record.start[4:6]}",
        "duration": record.duration,
        "port": _text(record.port),
        "extension_number": _text(record.extension),
        "trunk": _text(record.trunk),
        "number": _text(record.number),
        "call_type": record.call_type,
        "caller": _text(record.caller),
        "account": _text(record.account),
        "ring_seconds": record.ring_seconds,
    }
