"""Call records (话单): the sink protocol the service hands them to.

The PBX keeps every record in its buffer until the PC acknowledges it; the service
acknowledges only after ``RecordSink.store`` has returned, i.e. after a durable commit.
A record may therefore arrive twice (the acknowledgement was lost): sinks skip sequence
numbers they already hold.  ``callcenter.server.store.intake.RecordIntake`` (the database
store) implements this one-method protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from callcenter.common.pbx.messages import CallRecord

log = logging.getLogger(__name__)


class RecordSink(Protocol):
    """Where call records go; ``store`` returns only after a durable commit."""

    def store(self, records: list[CallRecord]) -> None:
        """Commit ``records`` (skipping sequences already held); raise if that failed."""
        ...


def ack_ranges(sequences: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sequence numbers, for RecordAck(first, last)."""
    ranges: list[tuple[int, int]] = []
    for seq in sorted(set(sequences)):
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], seq)
        else:
            ranges.append((seq, seq))
    return ranges
