"""What the service tells its listeners (the CLI prints them; the console will show them)."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.common.pbx.messages import (
    CallRecord,
    ExtensionState,
    ParameterChanged,
    ParkSlotState,
    TrunkState,
)
from callcenter.common.schema import Group
from callcenter.server.pbx.link import LinkDown, LinkUp


@dataclass(frozen=True)
class VerificationProgress:
    """``done`` of ``total`` rows read so far; now reading ``group``."""

    done: int
    total: int
    group: Group


@dataclass(frozen=True)
class VerificationDone:
    """Start-up verification finished: which groups were read, which were unchanged."""

    groups_read: tuple[Group, ...]
    groups_skipped: tuple[Group, ...]
    rows_read: int


@dataclass(frozen=True)
class ParameterSet:
    """A PBX parameter now holds ``new`` (it held ``old``; ``""`` when not known).

    ``by`` says who changed it: the console user or ``cli:<user>`` who wrote it,
    ``"prepaid"`` (prepaid control), a restore's user, ``"service"``, or ``"pbx"`` for a
    change programmed at the PBX itself (a ``PCH``, which listeners also get as
    ``ParameterChanged``).  Sent after ``DIR/image.json`` holds the new value.
    """

    key: str
    old: str
    new: str
    by: str


@dataclass(frozen=True)
class RecordStored:
    """A call record was committed to the sink (and is being acknowledged to the PBX);
    ``cost_fen``: its rating (None: not rated, or a sink that does not rate), ``pbx_id``: the
    PBX name it is stored under."""

    record: CallRecord
    cost_fen: int | None = None
    pbx_id: str = ""


@dataclass(frozen=True)
class AlertRaised:
    """The store raised an alert while storing records (a sequence gap, an unknown number,
    a malformed record ...): the console shows it at once."""

    alert_id: int
    kind: str
    text: str


ServiceEvent = (LinkUp | LinkDown | VerificationProgress | VerificationDone | RecordStored
                | AlertRaised
                | ExtensionState | TrunkState | ParkSlotState | ParameterChanged | ParameterSet)
