"""Helpers of the query tests: varied records stored through the real intake, and the
reference view of what was stored (imported by the tests and by conftest.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from callcenter.common.pbx.messages import CallRecord
from callcenter.server.rating import sample_tariff
from callcenter.server.store.db import database
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import CallRecordRow, RatingRow, from_fen

TARIFF = sample_tariff()
NUMBERS = ("12315888", "1251234567", "13800138000", "13812345678", "9123456", "96163777",
           "88123456", "77000888", "163", "200300", "5550888", "12365")


@dataclass(frozen=True)
class Ref:
    """What a stored record should look like, for the Python reference filter."""

    id: int
    pbx: str
    seq: int
    start: datetime  # naive UTC
    local_start: str
    port: str
    extension: str
    trunk: str
    number: str
    duration: int
    cost: Decimal
    call_type: str
    caller: str
    account: str
    service_type: int | None
    description: str
    unknown: bool

    def get(self, name: str) -> Any:
        return getattr(self, name)


def make_records(count: int, seed: int = 7, first_seq: int = 1,
                 day0: datetime = datetime(2026, 1, 3, 8, 0)) -> list[CallRecord]:
    """Varied records spread over about six months, PBX-local (+08:00) starts."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        start = day0 + timedelta(minutes=rnd.randint(0, 180 * 24 * 60))
        if i % 17 == 0:  # some exactly at local midnight and month starts
            start = datetime(2026, rnd.randint(1, 6), 1, 0, 0)
        port = str(801 + rnd.randrange(6))
        out.append(CallRecord(
            first_seq + i, start.strftime("%Y%m%d%H%M%S"), rnd.choice((0, 1, 59, 60, 180, 181,
                                                                       rnd.randint(0, 900))),
            port, "8" + port[1:] + str(rnd.randrange(2)), str(1 + rnd.randrange(4)),
            rnd.choice(NUMBERS), rnd.choice(("OUT", "OUT", "OUT", "IN", "INT")),
            caller=rnd.choice(("", "8001", "13900001111")),
            account=rnd.choice(("", "", "A17", "B2"))))
    return out


def store_records(records: list[CallRecord], pbx: str = "pbx-a", batch: int = 200) -> None:
    sink = RecordIntake(database, pbx, lambda: TARIFF)
    for at in range(0, len(records), batch):
        sink.store(records[at:at + batch])


def references() -> list[Ref]:
    """Every live record as stored (read with the models, independently of the query code)."""
    descriptions: dict[int, str] = {}
    for rating in RatingRow.select().order_by(RatingRow.id):
        descriptions[int(rating.record_id)] = str(rating.description)  # type: ignore[attr-defined]
    return [Ref(int(r.id), str(r.pbx_id), int(r.sequence), r.start, str(r.local_start),
                str(r.port), str(r.extension_number), str(r.trunk), str(r.number),
                int(r.duration), from_fen(int(r.cost_fen)), str(r.call_type), str(r.caller),
                str(r.account), r.service_type, descriptions.get(int(r.id), ""),
                bool(r.unknown))
            for r in CallRecordRow.select()]


def head_one_line(argv: list[str]) -> None:
    """``callcenter-server ARGV | head -1``: the command's reader takes one line and goes;
    the command ends quietly (no "Broken pipe", no traceback), exit 0 or 141."""
    child = subprocess.Popen([sys.executable, "-m", "callcenter.server", *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()
    child.stdout.close()  # as head does after its first line
    err = child.stderr.read()
    code = child.wait(timeout=60)
    assert err == b""
    assert code in (0, 141)
