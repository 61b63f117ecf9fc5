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
class RecordStored:
    """A call record was committed to the sink (and is being acknowledged to the PBX)."""

    record: CallRecord


ServiceEvent = (LinkUp | LinkDown | VerificationProgress | VerificationDone | RecordStored
                | ExtensionState | TrunkState | ParkSlotState | ParameterChanged)
