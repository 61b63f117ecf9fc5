"""Reading and writing single PBX parameters over a ``PbxLink``.

A write is never reported as done unless the PBX accepted it *and* reading the row back
shows the value: validate with the schema (nothing is sent for a bad value), send
``ParameterWrite``, then ``ParameterRead`` the row and compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.common.pbx.messages import (
    ParameterBlock,
    ParameterRead,
    ParameterWrite,
    ParameterWriteResult,
)
from callcenter.common.schema import Group, ParameterError, Schema
from callcenter.server.pbx.link import PbxError, PbxLink


class PbxRefused(PbxError):
    """The PBX answered a request with "no" and a reason."""


class ParameterRefused(PbxRefused):
    """The PBX refused a write, or read back a different value; the text says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: the PBX refused: {reason}")
        self.key = key
        self.reason = reason


class PbxProtocolError(PbxError):
    """The PBX answered something that does not fit the schema."""


@dataclass(frozen=True)
class RowAddress:
    """Where a key lives on the wire: its group, row index in the group, place in the row."""

    group: Group
    row: int
    column: int
    prefix: str


def address_of(schema: Schema, key: str) -> RowAddress:
    group = schema.group_of(key)  # ParameterError for an unknown key
    for index, row in enumerate(schema.group_rows(group)):
        if key in row.keys:
            return RowAddress(group, index, row.keys.index(key), row.prefix)
    raise ParameterError(key, "not in any parameter row")  # the schema is inconsistent


def rows_to_params(schema: Schema, block: ParameterBlock) -> dict[str, str]:
    """The ``{key: value}`` pairs of a block, checked against the schema's rows."""
    rows = schema.group_rows(block.group)
    out: dict[str, str] = {}
    for i, (prefix, values) in enumerate(block.rows):
        index = block.offset + i
        if index >= len(rows) or rows[index].prefix != prefix:
            raise PbxProtocolError(f"the PBX sent row {prefix!r} at {block.group} row {index}, "
                                   "which this program's schema does not have there")
        keys = rows[index].keys
        if len(values) != len(keys):
            raise PbxProtocolError(f"the PBX sent {len(values)} values for {prefix}, "
                                   f"expected {len(keys)}")
        out.update(zip(keys, values, strict=True))
    return out


def read_rows(link: PbxLink, group: Group, offset: int, count: int, *,
              timeout: float) -> ParameterBlock:
    answer = link.request(lambda r: ParameterRead(r, group.value, offset, count), timeout)
    if not isinstance(answer, ParameterBlock):
        raise PbxProtocolError(f"the PBX answered a parameter read with {answer.TYPE}")
    return answer


def read_parameter(link: PbxLink, schema: Schema, key: str, timeout: float = 10.0) -> str:
    """The value of ``key`` as the PBX has it now."""
    address = address_of(schema, key)
    block = read_rows(link, address.group, address.row, 1, timeout=timeout)
    params = rows_to_params(schema, block)
    if key not in params:
        raise PbxProtocolError(f"the PBX did not send row {address.prefix} when asked")
    return params[key]


def check_value(schema: Schema, key: str, text: str,
                current: Mapping[str, str] | None = None) -> str:
    """Canonical text for ``key``, or ParameterError (with what is allowed).

    With ``current`` (the whole image) the schema's consistency rules are checked too.
    """
    value = schema.validate(key, text)
    if current is not None and schema.rules:
        problems = schema.check_consistency({**current, key: value})
        if problems:
            raise ParameterError(key, "; ".join(problems))
    return value


def write_parameter(link: PbxLink, schema: Schema, key: str, text: str, *,
                    timeout: float = 10.0, current: Mapping[str, str] | None = None) -> str:
    """Validate, write, read back; returns the value now stored.

    Raises ParameterError (nothing sent), ParameterRefused (the PBX said no, or read back
    something else), or PbxTimeout / PbxUnavailable.
    """
    value = check_value(schema, key, text, current)
    answer = link.request(lambda r: ParameterWrite(r, key, value), timeout)
    if not isinstance(answer, ParameterWriteResult):
        raise PbxProtocolError(f"the PBX answered a parameter write with {answer.TYPE}")
    if not answer.ok:
        raise ParameterRefused(key, answer.error or "no reason given")
    stored = read_parameter(link, schema, key, timeout)
    if stored != value:
        raise ParameterRefused(key, f"wrote {value!r} but the PBX now holds {stored!r}")
    return stored
