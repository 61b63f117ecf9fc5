"""Application messages of PBX serial protocol v1, and their field encoding.

Theory of operation
-------------------
A frame (see ``frame.py``) carries a three-letter *type* and an ordered list of
``(key, value)`` text fields.  This module maps each type to a frozen dataclass
(an *event*, named by a noun) and back.  It knows nothing of sequence numbers,
check bytes or retransmission: those belong to the frame and session layers.

Each message class declares ``TYPE`` (its wire type) and implements
``to_fields()``; ``message_from_fields(type, fields)`` is the reverse and raises
``MessageFormatError`` naming the offending field when the peer sent something
malformed.  The full catalogue with examples is in ``docs/pbx-protocol.md``.

Requests from the PC carry a request id (field ``r``) that the PBX echoes in its
answer, so answers may be matched even when several requests are outstanding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

Fields = list[tuple[str, str]]

PROTOCOL_VERSION = "1.0"

#: Parameter groups on the wire (the four groups of backup/restore).
GROUP_CODES = {"extension": "E", "trunk": "T", "switches": "S", "other": "O"}
GROUP_NAMES = {code: name for name, code in GROUP_CODES.items()}

EXTENSION_STATES = ("idle", "offhook", "ringing", "talking", "busy", "held", "dialing")
TRUNK_STATES = ("idle", "incoming", "outgoing", "talking")
CALL_TYPES = ("OUT", "IN", "INT")
#: ``CallRecord.account`` of a DISA call (S-26): this letter + the DISA password's row ("D03");
#: a personal password's call has the row alone ("03").
DISA_ACCOUNT_PREFIX = "D"
CALL_ACTIONS = (
    "dial", "answer", "hangup", "transfer", "hold", "retrieve", "conference", "page",
    "pickup", "flash", "park", "unpark", "forward", "dnd", "offhook", "onhook",
)


class MessageFormatError(ValueError):
    """The peer sent a frame whose fields do not form a valid message."""


def _get(fields: Fields, key: str, *, default: str | None = None) -> str:
    for k, v in fields:
        if k == key:
            return v
    if default is None:
        raise MessageFormatError(f"missing field {key!r}")
    return default


def _int(fields: Fields, key: str, *, default: int | None = None, lo: int = 0,
         hi: int = 2**32 - 1) -> int:
    text = _get(fields, key, default=None if default is None else str(default))
    # isdigit() alone also takes "²" or Arabic-Indic digits, which int() refuses or misreads.
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise MessageFormatError(f"field {key!r} must be a decimal number, got {text!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise MessageFormatError(f"field {key!r} must be in {lo}..{hi}, got {value}")
    return value


def field_text(fields: Sequence[tuple[str, str]], key: str) -> str:
    """The first value of ``key`` in a frame's fields, or "" (for frames that did not decode,
    e.g. to answer a malformed request)."""
    return _get(list(fields), key, default="")


def request_id_of(fields: Sequence[tuple[str, str]]) -> int | None:
    """The request id ``r`` of a frame's fields when it reads as one, else None (the rest of
    the message may be malformed)."""
    try:
        return _int(list(fields), "r")
    except MessageFormatError:
        return None


def _choice(fields: Fields, key: str, allowed: Sequence[str]) -> str:
    text = _get(fields, key)
    if text not in allowed:
        raise MessageFormatError(f"field {key!r} must be one of {', '.join(allowed)}; got {text!r}")
    return text


def _bool(fields: Fields, key: str) -> bool:
    return _choice(fields, key, ("0", "1")) == "1"


def _rest(fields: Fields, reserved: set[str]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in fields if k not in reserved)


@dataclass(frozen=True)
class Message:
    """Base of every application message."""

    TYPE: ClassVar[str] = ""

    def to_fields(self) -> Fields:
        raise NotImplementedError


M = TypeVar("M", bound=Message)
_DECODERS: dict[str, Callable[[Fields], Message]] = {}


def _register(type_code: str) -> Callable[[Callable[[Fields], M]], Callable[[Fields], M]]:
    def deco(fn: Callable[[Fields], M]) -> Callable[[Fields], M]:
        _DECODERS[type_code] = fn
        return fn
    return deco


def message_from_fields(type_code: str, fields: Fields) -> Message:
    """Build the message of ``type_code`` from wire fields, or raise MessageFormatError."""
    decoder = _DECODERS.get(type_code)
    if decoder is None:
        raise MessageFormatError(f"unknown message type {type_code!r}")
    return decoder(fields)


# --------------------------------------------------------------------------- both ways

@dataclass(frozen=True)
class Heartbeat(Message):
    """Keep-alive; either side sends one when it has sent nothing for a while."""

    TYPE: ClassVar[str] = "HBT"

    def to_fields(self) -> Fields:
        return []


@_register("HBT")
def _hbt(fields: Fields) -> Heartbeat:
    return Heartbeat()


# --------------------------------------------------------------------------- PC -> PBX

@dataclass(frozen=True)
class IdentifyRequest(Message):
    """First message of the PC after connecting: who are you, what changed."""

    TYPE: ClassVar[str] = "IDQ"
    request_id: int

    def to_fields(self) -> Fields:
        return [("r", str(self.request_id))]


@_register("IDQ")
def _idq(fields: Fields) -> IdentifyRequest:
    return IdentifyRequest(_int(fields, "r"))


@dataclass(frozen=True)
class ParameterRead(Message):
    """Read ``count`` rows of a parameter group starting at row ``offset``."""

    TYPE: ClassVar[str] = "PRQ"
    request_id: int
    group: str  # extension / trunk / switches / other
    offset: int
    count: int

    def to_fields(self) -> Fields:
        return [("r", str(self.request_id)), ("g", GROUP_CODES[self.group]),
                ("o", str(self.offset)), ("c", str(self.count))]


@_register("PRQ")
def _prq(fields: Fields) -> ParameterRead:
    code = _choice(fields, "g", tuple(GROUP_NAMES))
    return ParameterRead(_int(fields, "r"), GROUP_NAMES[code], _int(fields, "o", hi=65535),
                         _int(fields, "c", lo=1, hi=256))


@dataclass(frozen=True)
class ParameterWrite(Message):
    """Write one parameter, by its schema key, as canonical text."""

    TYPE: ClassVar[str] = "PWQ"
    request_id: int
    key: str
    value: str

    def to_fields(self) -> Fields:
        return [("r", str(self.request_id)), ("k", self.key), ("v", self.value)]


@_register("PWQ")
def _pwq(fields: Fields) -> ParameterWrite:
    return ParameterWrite(_int(fields, "r"), _get(fields, "k"), _get(fields, "v"))


@dataclass(frozen=True)
class ClockSet(Message):
    """Set the PBX clock; ``local_time`` is ``YYYYMMDDhhmm`` (PBX local time).

    The PBX applies it at the start of the next minute (manual 1-3-32).
    """

    TYPE: ClassVar[str] = "CKQ"
    request_id: int
    local_time: str
    utc_offset_minutes: int = 480

    def to_fields(self) -> Fields:
        return [("r", str(self.request_id)), ("t", self.local_time),
                ("z", str(self.utc_offset_minutes + 1440))]


@_register("CKQ")
def _ckq(fields: Fields) -> ClockSet:
    t = _get(fields, "t")
    if len(t) != 12 or not (t.isascii() and t.isdigit()):
        raise MessageFormatError(f"field 't' must be YYYYMMDDhhmm, got {t!r}")
    return ClockSet(_int(fields, "r"), t, _int(fields, "z", default=1920, hi=2880) - 1440)


@dataclass(frozen=True)
class StateRequest(Message):
    """Ask for a snapshot of every port's live state, from extension row ``offset``.

    A large PBX answers in pages: the PC asks again from ``offset + len(extensions)``
    until it has ``total_extensions`` rows.
    """

    TYPE: ClassVar[str] = "STQ"
    request_id: int
    offset: int = 0

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id))]
        if self.offset:
            out.append(("o", str(self.offset)))
        return out


@_register("STQ")
def _stq(fields: Fields) -> StateRequest:
    return StateRequest(_int(fields, "r"), _int(fields, "o", default=0, hi=65535))


@dataclass(frozen=True)
class CallControl(Message):
    """A call-control action on behalf of extension ``port`` (CRM actions).

    ``number``: digits to dial / forward target; ``target``: another port
    (transfer, pickup); ``slot``: park slot 1-6; ``on``: forward/DND set or clear.
    """

    TYPE: ClassVar[str] = "CCQ"
    request_id: int
    action: str
    port: str
    number: str = ""
    target: str = ""
    slot: int = 0
    on: bool = True

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("a", self.action), ("p", self.port)]
        if self.number:
            out.append(("n", self.number))
        if self.target:
            out.append(("x", self.target))
        if self.slot:
            out.append(("s", str(self.slot)))
        out.append(("m", "1" if self.on else "0"))
        return out


@_register("CCQ")
def _ccq(fields: Fields) -> CallControl:
    return CallControl(
        _int(fields, "r"), _choice(fields, "a", CALL_ACTIONS), _get(fields, "p"),
        _get(fields, "n", default=""), _get(fields, "x", default=""),
        _int(fields, "s", default=0, hi=6), _get(fields, "m", default="1") == "1",
    )


@dataclass(frozen=True)
class RecordAck(Message):
    """The PC has durably stored call records ``first``..``last`` (inclusive).

    Only then may the PBX drop them from its record buffer (B-7).
    """

    TYPE: ClassVar[str] = "RAK"
    first: int
    last: int

    def to_fields(self) -> Fields:
        return [("q", str(self.first)), ("l", str(self.last))]


@_register("RAK")
def _rak(fields: Fields) -> RecordAck:
    first = _int(fields, "q")
    last = _int(fields, "l", default=first)
    if last < first:
        raise MessageFormatError("field 'l' must not be below 'q'")
    return RecordAck(first, last)


# --------------------------------------------------------------------------- PBX -> PC

@dataclass(frozen=True)
class Identity(Message):
    """Answer to IdentifyRequest.

    ``checksums`` maps each parameter group name to a change checksum of that
    group; the PC skips verification of a group whose checksum it already has.
    ``next_record`` is the sequence number the next new call record will get.
    """

    TYPE: ClassVar[str] = "IDR"
    request_id: int
    model: str
    firmware: str
    extensions: int
    trunks: int
    checksums: tuple[tuple[str, str], ...]
    pbx_time: str  # YYYYMMDDhhmmss, PBX local time
    next_record: int
    protocol: str = PROTOCOL_VERSION

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("m", self.model), ("f", self.firmware),
                       ("e", str(self.extensions)), ("k", str(self.trunks)),
                       ("t", self.pbx_time), ("q", str(self.next_record)),
                       ("v", self.protocol)]
        out += [("c" + GROUP_CODES[g], c) for g, c in self.checksums]
        return out

    def checksum(self, group: str) -> str:
        return dict(self.checksums).get(group, "")


@_register("IDR")
def _idr(fields: Fields) -> Identity:
    sums = tuple((GROUP_NAMES[k[1]], v) for k, v in fields
                 if len(k) == 2 and k[0] == "c" and k[1] in GROUP_NAMES)
    return Identity(
        _int(fields, "r"), _get(fields, "m"), _get(fields, "f"),
        _int(fields, "e", lo=1, hi=999), _int(fields, "k", lo=0, hi=99), sums,
        _get(fields, "t"), _int(fields, "q"), _get(fields, "v"),
    )


@dataclass(frozen=True)
class ParameterBlock(Message):
    """Rows of a parameter group: answer to ParameterRead.

    Each row is ``(row, values)``: ``row`` is the schema row prefix (for
    example ``extension.001`` or ``system``) and ``values`` the row's values in
    the schema's wire order for that group.  ``total`` is the number of rows
    in the whole group.
    """

    TYPE: ClassVar[str] = "PRR"
    request_id: int
    group: str
    offset: int
    total: int
    rows: tuple[tuple[str, tuple[str, ...]], ...]

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("g", GROUP_CODES[self.group]),
                       ("o", str(self.offset)), ("n", str(self.total))]
        # Values are joined with ";" — a value containing ";" is escaped by the frame
        # layer only for "|" and "%", so ";" itself is escaped here as "%3B" by quoting.
        out += [("w", row + "=" + ";".join(v.replace("%", "%25").replace(";", "%3B")
                                           for v in values)) for row, values in self.rows]
        return out


def _split_row(text: str) -> tuple[str, tuple[str, ...]]:
    row, sep, rest = text.partition("=")
    if not sep or not row:
        raise MessageFormatError(f"field 'w' must be ROW=VALUES, got {text[:40]!r}")
    values = tuple(v.replace("%3B", ";").replace("%25", "%") for v in rest.split(";"))
    return row, values


@_register("PRR")
def _prr(fields: Fields) -> ParameterBlock:
    code = _choice(fields, "g", tuple(GROUP_NAMES))
    rows = tuple(_split_row(v) for k, v in fields if k == "w")
    return ParameterBlock(_int(fields, "r"), GROUP_NAMES[code], _int(fields, "o", hi=65535),
                          _int(fields, "n", hi=65535), rows)


@dataclass(frozen=True)
class ParameterWriteResult(Message):
    """Answer to ParameterWrite: ``ok`` with the value now stored, or the reason."""

    TYPE: ClassVar[str] = "PWR"
    request_id: int
    key: str
    ok: bool
    value: str = ""
    error: str = ""

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("k", self.key),
                       ("ok", "1" if self.ok else "0"), ("v", self.value)]
        if self.error:
            out.append(("e", self.error))
        return out


@_register("PWR")
def _pwr(fields: Fields) -> ParameterWriteResult:
    return ParameterWriteResult(_int(fields, "r"), _get(fields, "k"), _bool(fields, "ok"),
                                _get(fields, "v", default=""), _get(fields, "e", default=""))


@dataclass(frozen=True)
class ClockSetResult(Message):
    """Answer to ClockSet: ``effective`` is the YYYYMMDDhhmm when it applies."""

    TYPE: ClassVar[str] = "CKR"
    request_id: int
    ok: bool
    effective: str = ""
    error: str = ""

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("ok", "1" if self.ok else "0"),
                       ("t", self.effective)]
        if self.error:
            out.append(("e", self.error))
        return out


@_register("CKR")
def _ckr(fields: Fields) -> ClockSetResult:
    return ClockSetResult(_int(fields, "r"), _bool(fields, "ok"), _get(fields, "t", default=""),
                          _get(fields, "e", default=""))


@dataclass(frozen=True)
class ExtensionState(Message):
    """An extension port changed state (also the rows of a StateSnapshot).

    ``peer``: the other party's number (caller ID when ringing from a trunk,
    the dialled number when talking out); ``trunk``: the trunk in use, if any.
    ``forward`` and ``dnd`` are the port's current call-forward target and
    do-not-disturb flag.
    """

    TYPE: ClassVar[str] = "EXS"
    port: str
    state: str
    peer: str = ""
    trunk: str = ""
    call_id: int = 0
    forward: str = ""
    dnd: bool = False

    def to_fields(self) -> Fields:
        return [("p", self.port), ("s", self.state), ("n", self.peer), ("k", self.trunk),
                ("i", str(self.call_id)), ("fw", self.forward), ("d", "1" if self.dnd else "0")]


@_register("EXS")
def _exs(fields: Fields) -> ExtensionState:
    return ExtensionState(
        _get(fields, "p"), _choice(fields, "s", EXTENSION_STATES), _get(fields, "n", default=""),
        _get(fields, "k", default=""), _int(fields, "i", default=0),
        _get(fields, "fw", default=""), _get(fields, "d", default="0") == "1",
    )


@dataclass(frozen=True)
class TrunkState(Message):
    """A trunk changed state; ``number`` is the caller ID (incoming) or dialled number."""

    TYPE: ClassVar[str] = "TKS"
    trunk: str
    state: str
    number: str = ""
    port: str = ""
    call_id: int = 0

    def to_fields(self) -> Fields:
        return [("k", self.trunk), ("s", self.state), ("n", self.number), ("p", self.port),
                ("i", str(self.call_id))]


@_register("TKS")
def _tks(fields: Fields) -> TrunkState:
    return TrunkState(_get(fields, "k"), _choice(fields, "s", TRUNK_STATES),
                      _get(fields, "n", default=""), _get(fields, "p", default=""),
                      _int(fields, "i", default=0))


@dataclass(frozen=True)
class ParkSlotState(Message):
    """Park slot 1-6 became occupied (``number`` parked, by ``port``) or free."""

    TYPE: ClassVar[str] = "PKS"
    slot: int
    occupied: bool
    number: str = ""
    port: str = ""
    call_id: int = 0

    def to_fields(self) -> Fields:
        return [("s", str(self.slot)), ("o", "1" if self.occupied else "0"),
                ("n", self.number), ("p", self.port), ("i", str(self.call_id))]


@_register("PKS")
def _pks(fields: Fields) -> ParkSlotState:
    return ParkSlotState(_int(fields, "s", lo=1, hi=6), _bool(fields, "o"),
                         _get(fields, "n", default=""), _get(fields, "p", default=""),
                         _int(fields, "i", default=0))


@dataclass(frozen=True)
class StateSnapshot(Message):
    """Answer to StateRequest: a page of extensions from ``offset`` (of
    ``total_extensions``), and, on the first page only, every trunk and park slot and
    day/night.  ``total_extensions`` 0 means "this page is everything".
    """

    TYPE: ClassVar[str] = "STR"
    request_id: int
    extensions: tuple[ExtensionState, ...]
    trunks: tuple[TrunkState, ...]
    park_slots: tuple[ParkSlotState, ...]
    night: bool = False
    offset: int = 0
    total_extensions: int = 0

    @property
    def complete(self) -> bool:
        """True when no further page follows this one."""
        return (not self.total_extensions
                or self.offset + len(self.extensions) >= self.total_extensions)

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("nt", "1" if self.night else "0")]
        if self.offset or self.total_extensions:
            out += [("o", str(self.offset)), ("n", str(self.total_extensions))]
        for e in self.extensions:
            out.append(("E", _join([e.port, e.state, e.peer, e.trunk, str(e.call_id),
                                    e.forward, "1" if e.dnd else "0"])))
        for t in self.trunks:
            out.append(("T", _join([t.trunk, t.state, t.number, t.port, str(t.call_id)])))
        for p in self.park_slots:
            out.append(("P", _join([str(p.slot), "1" if p.occupied else "0", p.number,
                                    p.port, str(p.call_id)])))
        return out


def _join(parts: list[str]) -> str:
    """Join snapshot row parts with ","; a "," or "%" inside a part is written %2C / %25."""
    return ",".join(p.replace("%", "%25").replace(",", "%2C") for p in parts)


def _parts(text: str, n: int, what: str) -> list[str]:
    parts = text.split(",")
    if len(parts) != n:
        raise MessageFormatError(f"snapshot {what} row must have {n} parts, got {text[:40]!r}")
    return [p.replace("%2C", ",").replace("%25", "%") for p in parts]


@_register("STR")
def _str(fields: Fields) -> StateSnapshot:
    exts, trunks, slots = [], [], []
    for k, v in fields:
        if k == "E":
            p = _parts(v, 7, "extension")
            exts.append(_exs([("p", p[0]), ("s", p[1]), ("n", p[2]), ("k", p[3]), ("i", p[4]),
                              ("fw", p[5]), ("d", p[6])]))
        elif k == "T":
            p = _parts(v, 5, "trunk")
            trunks.append(_tks([("k", p[0]), ("s", p[1]), ("n", p[2]), ("p", p[3]),
                                ("i", p[4])]))
        elif k == "P":
            p = _parts(v, 5, "park slot")
            slots.append(_pks([("s", p[0]), ("o", p[1]), ("n", p[2]), ("p", p[3]),
                               ("i", p[4])]))
    return StateSnapshot(_int(fields, "r"), tuple(exts), tuple(trunks), tuple(slots),
                         _get(fields, "nt", default="0") == "1",
                         _int(fields, "o", default=0, hi=65535),
                         _int(fields, "n", default=0, hi=65535))


@dataclass(frozen=True)
class CallControlResult(Message):
    """Answer to CallControl: done, or refused with a reason."""

    TYPE: ClassVar[str] = "CCR"
    request_id: int
    ok: bool
    error: str = ""
    call_id: int = 0

    def to_fields(self) -> Fields:
        out: Fields = [("r", str(self.request_id)), ("ok", "1" if self.ok else "0"),
                       ("i", str(self.call_id))]
        if self.error:
            out.append(("e", self.error))
        return out


@_register("CCR")
def _ccr(fields: Fields) -> CallControlResult:
    return CallControlResult(_int(fields, "r"), _bool(fields, "ok"),
                             _get(fields, "e", default=""), _int(fields, "i", default=0))


@dataclass(frozen=True)
class CallRecord(Message):
    """One completed call (话单), kept in the PBX buffer until a RecordAck covers it.

    ``sequence`` is a 32-bit number that increases by one per record and is kept
    across PBX restarts.  ``start`` is ``YYYYMMDDhhmmss`` in PBX local time with
    ``utc_offset_minutes`` (e.g. 480 for UTC+8).  ``number`` is the dialled
    number after the trunk access code (OUT), or the caller ID (IN).  ``account``
    is the personal (随身) or DISA password account used, if any.  A DISA call has no
    extension: ``port`` and ``extension`` are empty, ``caller`` is the outside caller's ID.
    """

    TYPE: ClassVar[str] = "CDR"
    sequence: int
    start: str
    duration: int
    port: str
    extension: str
    trunk: str
    number: str
    call_type: str
    caller: str = ""
    account: str = ""
    ring_seconds: int = 0
    utc_offset_minutes: int = 480
    extra: tuple[tuple[str, str], ...] = field(default=())

    def to_fields(self) -> Fields:
        return [("q", str(self.sequence)), ("t", self.start), ("z", str(self.utc_offset_minutes
                                                                        + 1440)),
                ("d", str(self.duration)), ("p", self.port), ("x", self.extension),
                ("k", self.trunk), ("n", self.number), ("y", self.call_type),
                ("c", self.caller), ("a", self.account), ("g", str(self.ring_seconds)),
                *self.extra]


_CDR_KEYS = {"q", "t", "z", "d", "p", "x", "k", "n", "y", "c", "a", "g"}


@_register("CDR")
def _cdr(fields: Fields) -> CallRecord:
    start = _get(fields, "t")
    if len(start) != 14 or not (start.isascii() and start.isdigit()):
        raise MessageFormatError(f"field 't' must be YYYYMMDDhhmmss, got {start!r}")
    return CallRecord(
        _int(fields, "q"), start, _int(fields, "d", hi=10**7), _get(fields, "p"),
        _get(fields, "x"), _get(fields, "k", default=""), _get(fields, "n", default=""),
        _choice(fields, "y", CALL_TYPES), _get(fields, "c", default=""),
        _get(fields, "a", default=""), _int(fields, "g", default=0, hi=10**6),
        _int(fields, "z", default=1920, hi=2880) - 1440, _rest(fields, _CDR_KEYS),
    )


@dataclass(frozen=True)
class ParameterChanged(Message):
    """Unsolicited: a parameter changed at the PBX (programmed from a phone)."""

    TYPE: ClassVar[str] = "PCH"
    key: str
    value: str

    def to_fields(self) -> Fields:
        return [("k", self.key), ("v", self.value)]


@_register("PCH")
def _pch(fields: Fields) -> ParameterChanged:
    return ParameterChanged(_get(fields, "k"), _get(fields, "v"))


def record_to_dict(record: CallRecord) -> dict[str, object]:
    """A call record as a JSON-ready dict (``extra`` as a list of pairs)."""
    return {"sequence": record.sequence, "start": record.start, "duration": record.duration,
            "port": record.port, "extension": record.extension, "trunk": record.trunk,
            "number": record.number, "call_type": record.call_type, "caller": record.caller,
            "account": record.account, "ring_seconds": record.ring_seconds,
            "utc_offset_minutes": record.utc_offset_minutes,
            "extra": [list(pair) for pair in record.extra]}


def record_from_dict(data: dict[str, object]) -> CallRecord:
    """Reverse of ``record_to_dict``; raises MessageFormatError on a malformed dict."""
    try:
        extra = data.get("extra") or []
        pairs = tuple((str(k), str(v)) for k, v in (
            extra.items() if isinstance(extra, dict) else extra))  # type: ignore[attr-defined]
        fields = {k: v for k, v in data.items() if k != "extra"}
        return CallRecord(**fields, extra=pairs)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise MessageFormatError(f"not a call record: {exc}") from None


MESSAGE_TYPES: tuple[type[Message], ...] = (
    Heartbeat, IdentifyRequest, ParameterRead, ParameterWrite, ClockSet, StateRequest,
    CallControl, RecordAck, Identity, ParameterBlock, ParameterWriteResult, ClockSetResult,
    ExtensionState, TrunkState, ParkSlotState, StateSnapshot, CallControlResult, CallRecord,
    ParameterChanged,
)
