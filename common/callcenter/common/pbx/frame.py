"""Framing of PBX serial protocol v1: bytes <-> frames, sans-I/O.

Theory of operation
-------------------
A frame on the line is 7-bit clean ASCII, so the link works with 7 data bits::

    STX  SEQ(2 hex)  TYPE(3 letters)  *("|" KEY "=" VALUE)  ETX  CRC(4 hex)

``CRC`` is CRC-16/XMODEM (``binascii.crc_hqx``, init 0) over every byte from
``SEQ`` up to and including ``ETX``, in upper-case hex.  Values are UTF-8 text
in which ``%``, ``|``, control characters and every non-ASCII byte are written
``%XX`` (percent-encoding), so Chinese text survives a 7-bit line.

``FrameDecoder`` is fed any bytes with ``receive_data`` and hands out
``Frame`` or ``BadFrame`` events from ``next_event`` (or ``NEED_DATA``).
Garbage between frames is skipped; a second ``STX`` inside a frame restarts the
frame there (the first one was truncated); a frame longer than ``MAX_FRAME``
or with a bad check is reported as ``BadFrame`` and skipped.  The buffer never
holds more than one maximal frame, whatever the peer sends.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from typing import Final

STX: Final = 0x02
ETX: Final = 0x03
MAX_FRAME: Final = 4096  # bytes from STX to the last CRC digit
CRC_LEN: Final = 4

_TYPE_RE = re.compile(rb"[0-9A-F]{2}[A-Z]{3}")
_TYPE_CODE_RE = re.compile(r"[A-Z]{3}\Z")
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_KEY_RE = re.compile(r"[A-Za-z0-9_.]{1,32}\Z")
_SAFE = frozenset(range(0x20, 0x7F)) - {ord("%"), ord("|")}


class LocalProtocolError(ValueError):
    """We tried to encode something the protocol cannot carry (a bug on our side)."""


@dataclass(frozen=True)
class Frame:
    """A frame that passed its check."""

    seq: int
    type: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BadFrame:
    """Bytes from the peer that were skipped: a frame with a bad check or form."""

    reason: str
    raw: bytes


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = _NeedData()


def escape(text: str) -> str:
    """Percent-encode a field value so that it is 7-bit safe and has no ``|``."""
    out = []
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: not text UTF-8 can carry
        raise LocalProtocolError(f"value is not valid UTF-8 text: {exc.reason}") from None
    for byte in data:
        out.append(chr(byte) if byte in _SAFE else f"%{byte:02X}")
    return "".join(out)


def unescape(text: str) -> str:
    """Reverse of ``escape``; malformed escapes are kept literally."""
    if "%" not in text:
        return text
    raw = bytearray()
    i = 0
    src = text.encode("ascii", "replace")
    while i < len(src):
        c = src[i]
        if c == ord("%") and i + 2 < len(src) and _is_hex(src[i + 1:i + 3]):
            raw.append(int(src[i + 1:i + 3], 16))
            i += 3
        else:
            raw.append(c)
            i += 1
    return raw.decode("utf-8", "replace")


def _is_hex(b: bytes) -> bool:
    return len(b) == 2 and all(ch in b"0123456789ABCDEFabcdef" for ch in b)


def encode_frame(seq: int, type_code: str, fields: list[tuple[str, str]] | tuple[
        tuple[str, str], ...] = ()) -> bytes:
    """Encode one frame; raises LocalProtocolError for what the wire cannot carry."""
    if not 0 <= seq <= 0xFF:
        raise LocalProtocolError(f"sequence number {seq} out of 0..255")
    if not _TYPE_CODE_RE.match(type_code):
        raise LocalProtocolError(f"message type {type_code!r} must be three capital letters")
    parts = [f"{seq:02X}{type_code}"]
    for key, value in fields:
        if not _KEY_RE.match(key):
            raise LocalProtocolError(f"field key {key!r} is not [A-Za-z0-9_.]{{1,32}}")
        parts.append(f"{key}={escape(value)}")
    body = "|".join(parts).encode("ascii") + bytes([ETX])
    crc = binascii.crc_hqx(body, 0)
    frame = bytes([STX]) + body + f"{crc:04X}".encode("ascii")
    if len(frame) > MAX_FRAME:
        raise LocalProtocolError(f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
    return frame


def renumber_frame(frame: bytes, seq: int) -> bytes:
    """The same frame with sequence number ``seq`` (and its check recomputed)."""
    if not 0 <= seq <= 0xFF:
        raise LocalProtocolError(f"sequence number {seq} out of 0..255")
    body = f"{seq:02X}".encode("ascii") + frame[3:-CRC_LEN]
    return bytes([STX]) + body + f"{binascii.crc_hqx(body, 0):04X}".encode("ascii")


def _parse_body(body: bytes) -> Frame | BadFrame:
    """``body`` is SEQ..fields (without STX/ETX/CRC), already checked."""
    if not _TYPE_RE.match(body):
        return BadFrame("bad sequence or type", body)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return BadFrame("non-ASCII byte in frame", body)
    head, *rest = text.split("|")
    if len(head) != 5:
        return BadFrame("bad header", body)
    fields = []
    for item in rest:
        key, sep, value = item.partition("=")
        if not sep or not _KEY_RE.match(key):
            return BadFrame(f"bad field {item[:20]!r}", body)
        fields.append((key, unescape(value)))
    return Frame(int(head[:2], 16), head[2:], tuple(fields))


class FrameDecoder:
    """Incremental, resynchronising frame decoder (see the module docstring)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._events: list[Frame | BadFrame] = []
        self.bytes_skipped = 0

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the line; ``b""`` (end of stream) drops a partial frame."""
        if not data:
            if self._buf:
                self._events.append(BadFrame("truncated at end of stream", bytes(self._buf)))
                self._buf.clear()
            return
        self._buf += data
        self._scan()

    def next_event(self) -> Frame | BadFrame | _NeedData:
        if self._events:
            return self._events.pop(0)
        return NEED_DATA

    def events(self) -> list[Frame | BadFrame]:
        """Take every event decoded so far."""
        out, self._events = self._events, []
        return out

    def _scan(self) -> None:
        buf = self._buf
        while buf:
            start = buf.find(STX)
            if start < 0:
                self.bytes_skipped += len(buf)
                buf.clear()
                return
            if start:
                self.bytes_skipped += start
                del buf[:start]
            end = buf.find(ETX, 1)
            restart = buf.find(STX, 1, end if end >= 0 else len(buf))
            if restart > 0:
                self._events.append(BadFrame("frame cut short by a new STX", bytes(buf[:restart])))
                del buf[:restart]
                continue
            if end < 0:
                if len(buf) > MAX_FRAME:
                    self._events.append(BadFrame("frame too long", bytes(buf[:64])))
                    del buf[:1]
                    continue
                return
            if end + 1 + CRC_LEN > MAX_FRAME:
                # Fed in one large chunk, an over-long frame can reach here with its ETX.
                self._events.append(BadFrame("frame too long", bytes(buf[:64])))
                del buf[:end + 1]
                continue
            if len(buf) < end + 1 + CRC_LEN:
                return
            raw = bytes(buf[:end + 1 + CRC_LEN])
            body = raw[1:end + 1]
            crc_text = raw[end + 1:]
            # int() alone would also take "+1A2", " 1A2" or "1_A2".
            crc_ok = (all(c in _HEX_DIGITS for c in crc_text)
                      and int(crc_text, 16) == binascii.crc_hqx(body, 0))
            if not crc_ok:
                self._events.append(BadFrame("check (CRC) mismatch", raw))
                # The check digits may contain the next STX; resume right after ETX.
                del buf[:end + 1]
                continue
            del buf[:len(raw)]
            self._events.append(_parse_body(body[:-1]))
