"""Helpers of the prepaid tests: records, a long-distance tariff, bounded waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.rating import Tariff, TariffRow

#: Long distance: 0.30 per started minute (service type 1), so a 600 s call costs 3.00.
LONG_DISTANCE = Tariff((TariffRow("0", "国内长途", 60, Decimal("0.30"), 60, Decimal("0.30"), 1),))


def record(sequence: int, port: str = "001", *, number: str = "02088886666",
           duration: int = 600, account: str = "", call_type: str = "OUT") -> CallRecord:
    return CallRecord(sequence, "20261105103000", duration, port, str(8000 + int(port)), "01",
                      number, call_type, str(8000 + int(port)), account)


def wait_until(condition: Callable[[], object], timeout: float = 10.0,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)
