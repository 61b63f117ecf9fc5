"""Framing of agent protocol v1: bytes <-> JSON objects (JSON Lines), sans-I/O.

Theory of operation
-------------------
Each message is one UTF-8 JSON object on one line, terminated by ``\\n``; a line is at
most ``MAX_LINE`` bytes *including* its newline.  JSON escapes every newline inside a
string, so a raw ``\\n`` byte always ends a message and the decoder can resynchronise
on the next one whatever the peer sent before it.

``LineDecoder`` is fed any bytes with ``receive_data`` and hands out events from
``next_event``:

* ``ObjectLine``    a line that holds one JSON object;
* ``InvalidLine``   a line that is not UTF-8, not JSON, or a JSON value other than an
                    object (the decoder carries on with the next line);
* ``LineTooLong``   a line passed ``MAX_LINE``; it is reported as soon as the limit is
                    crossed and the rest of it, up to the next ``\\n``, is discarded;
* ``EndOfStream``   after ``receive_data(b"")``, once every earlier line was handed out
                    (returned on every later call too: stop reading when you see it);
* ``NEED_DATA``     nothing complete yet.

Bounded memory: an unfinished line is kept only while it fits in ``MAX_LINE``; bytes
of an over-long line are dropped as they arrive.  Complete lines of one
``receive_data`` call wait (undecoded) for ``next_event``, so the caller bounds them
by the size of what it reads at a time.  Empty or whitespace-only lines are skipped
(someone typing into telnet).  A trailing ``\\r`` is JSON whitespace and is accepted.

Nothing here raises because of what the peer sent; ``LocalProtocolError`` is raised
only when *we* try to encode something the protocol cannot carry.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

MAX_LINE: Final = 65536  # bytes, including the terminating "\n"

_JSON_WHITESPACE: Final = " \t\r"
# A \uD800-\uDFFF escape can decode to a lone surrogate, which no UTF-8 text can carry.
_SURROGATE_ESCAPE_RE: Final = re.compile(rb"\\u[dD][89abcdefABCDEF]")


class LocalProtocolError(ValueError):
    """We tried to encode something the protocol cannot carry (a bug on our side)."""


@dataclass(frozen=True)
class ObjectLine:
    """One line that held a JSON object."""

    data: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class InvalidLine:
    """A line that was skipped: not UTF-8, not JSON, or not a JSON object.

    ``raw`` holds at most the first 64 bytes, for logs.  The hub answers it with a
    ``bad_json`` error response whose ``id`` is ``null``.
    """

    reason: str
    raw: bytes = b""

    code: ClassVar[str] = "bad_json"


@dataclass(frozen=True)
class LineTooLong:
    """A line exceeded ``limit`` bytes; the decoder skips to the next ``\\n``."""

    limit: int = MAX_LINE

    code: ClassVar[str] = "line_too_long"


@dataclass(frozen=True)
class EndOfStream:
    """The peer closed its sending side; no more events will follow."""


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = _NeedData()

DecoderEvent = ObjectLine | InvalidLine | LineTooLong | EndOfStream


def encode(obj: Mapping[str, Any], *, max_line: int = MAX_LINE) -> bytes:
    """One message as a line: compact JSON, UTF-8 (not ``\\u`` escaped), ``\\n`` at the end.

    Raises ``LocalProtocolError`` for a value that is not an object, not JSON
    (NaN, infinities, sets, ...), holds a lone surrogate, or is longer than ``max_line``.
    """
    if not isinstance(obj, Mapping):
        raise LocalProtocolError(f"a message must be a JSON object, not {type(obj).__name__}")
    try:
        text = json.dumps(dict(obj), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False)
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"message holds text UTF-8 cannot carry: {exc.reason}") from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(f"message is not JSON: {exc}") from None
    if len(data) + 1 > max_line:
        raise LocalProtocolError(f"message of {len(data) + 1} bytes exceeds {max_line}")
    return data + b"\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_KIND_NAMES: Final = {list: "array", str: "string", int: "number", float: "number",
                      bool: "boolean", type(None): "null"}


def decode_line(line: bytes) -> ObjectLine | InvalidLine | None:
    """Decode one line without its ``\\n``; ``None`` for a blank line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InvalidLine(f"not UTF-8 (bad byte at offset {exc.start})", line[:64])
    if not text.strip(_JSON_WHITESPACE):
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return InvalidLine("JSON nested too deeply", line[:64])
    except ValueError as exc:  # JSONDecodeError, or an integer of too many digits
        return InvalidLine(f"not JSON: {exc}", line[:64])
    if not isinstance(value, dict):
        return InvalidLine(f"a JSON {_KIND_NAMES.get(type(value), 'value')} is not an object",
                           line[:64])
    if _SURROGATE_ESCAPE_RE.search(line) and _has_lone_surrogate(value):
        return InvalidLine("a \\u escape encodes a lone surrogate, which is not text",
                           line[:64])
    return ObjectLine(value)


class LineDecoder:
    """Incremental, resynchronising JSON Lines decoder (see the module docstring)."""

    def __init__(self, *, max_line: int = MAX_LINE) -> None:
        if max_line < 2:
            raise ValueError("max_line must leave room for a byte and the newline")
        self.max_line = max_line
        self._partial = bytearray()
        self._discarding = False  # inside an over-long line, waiting for its "\n"
        self._pending: deque[bytes | InvalidLine | LineTooLong] = deque()
        self._closed = False
        self.lines_too_long = 0
        self.invalid_lines = 0

    @property
    def buffered(self) -> int:
        """Bytes of the unfinished line held now (never more than ``max_line``)."""
        return len(self._partial)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes from the peer; ``b""`` means the peer closed its side."""
        if self._closed:
            if data:
                raise LocalProtocolError("data received after end of stream")
            return
        if not data:
            self._closed = True
            if self._partial.strip(_JSON_WHITESPACE.encode()):
                self._pending.append(InvalidLine("line cut short by end of stream",
                                                 bytes(self._partial[:64])))
            self._partial.clear()
            return
        chunk = bytes(data)
        pos, size = 0, len(chunk)
        while pos < size:
            newline = chunk.find(b"\n", pos)
            end = size if newline < 0 else newline
            if self._discarding:
                if newline < 0:
                    return
                self._discarding = False
            elif end - pos > self.max_line - 1 - len(self._partial):
                self._partial.clear()
                self._pending.append(LineTooLong(self.max_line))
                if newline < 0:
                    self._discarding = True
                    return
            elif newline < 0:
                self._partial += chunk[pos:]
                return
            elif self._partial:
                self._partial += chunk[pos:newline]
                self._pending.append(bytes(self._partial))
                self._partial.clear()
            else:
                self._pending.append(chunk[pos:newline])
            pos = newline + 1

    def next_event(self) -> DecoderEvent | _NeedData:
        """The next event, or ``NEED_DATA`` when no complete line is waiting."""
        while self._pending:
            item = self._pending.popleft()
            if not isinstance(item, bytes):
                self._count(item)
                return item
            decoded = decode_line(item)
            if decoded is not None:
                self._count(decoded)
                return decoded
        return EndOfStream() if self._closed else NEED_DATA

    def _count(self, event: ObjectLine | InvalidLine | LineTooLong) -> None:
        if isinstance(event, InvalidLine):
            self.invalid_lines += 1
        elif isinstance(event, LineTooLong):
            self.lines_too_long += 1
