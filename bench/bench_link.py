"""PBX link benchmarks over a paced simulator line (issue 2, section 7).

1. Call-record delivery: a burst of records from the simulator to the service (which
   stores each one in its SQLite store and acknowledges it), as delivered call-record
   frame bytes per second against the line's raw capacity (goal: at least 90 %).
2. Full data verification (数据校验): the time to read the whole parameter image
   against image size / line rate (goal: within 1.2x).

The simulator paces its output like a real RS-232 line of that speed (start, data, parity
and stop bits).  Run: python bench/bench_link.py [--records N] [--bauds 9600,115200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from callcenter.common.pbx.frame import encode_frame
from callcenter.common.pbx.line import LineSettings
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.control import ControlClient
from callcenter.server.pbx.service import PbxService
from callcenter.server.rating.tariff_io import load_data_tariff
from callcenter.server.runtime import ServerRuntime
from callcenter.server.store.chain import record_from_raw
from callcenter.server.store.db import open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import CallRecordRow


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step did not finish in time")
        time.sleep(0.01)


def bench_records(baud: int, count: int) -> None:
    line = LineSettings(baud)
    with tempfile.TemporaryDirectory() as tmp, \
            Simulator(SimulatorConfig(seed=7, line=line, buffer=max(2000, count))) as sim:
        control = ControlClient(*sim.control_address)  # type: ignore[misc]
        # The whole server path: parse, rate, prepaid and hotel hooks, hash chain, commit.
        with ServerRuntime(sim.url, Path(tmp), verify_at_start=False) as runtime:
            service = runtime.service
            service.wait_ready(120)
            counters = control.request({"cmd": "counters"})
            acked0 = counters["records_acked"]
            control.request({"cmd": "burst", "count": count})
            # Time from the first record arriving to the last one stored and acknowledged.
            wait_for(lambda: service.records_stored > 0, 60)
            first = time.monotonic()
            sent0 = control.request({"cmd": "counters"})["bytes_sent"]
            stored0 = service.records_stored
            wait_for(lambda: control.request({"cmd": "counters"})["records_acked"]
                     >= acked0 + count, 60 + 3 * count * 200 / line.bytes_per_second)
            elapsed = time.monotonic() - first
            sent = control.request({"cmd": "counters"})["bytes_sent"] - sent0
            records = service_records(Path(tmp))
        control.close()
    # Bytes of the CDR frames that carried the records after the first one arrived.
    frame_bytes = sum(len(encode_frame(0, r.TYPE, r.to_fields())) for r in records[stored0:])
    rate = frame_bytes / elapsed
    print(f"records  {baud:>6} baud: {count} records, {frame_bytes} frame bytes in "
          f"{elapsed:6.2f} s = {rate:8.1f} B/s of {line.bytes_per_second:8.1f} B/s capacity: "
          f"{100 * rate / line.bytes_per_second:5.1f} %; line busy (every byte the PBX "
          f"sent) {100 * sent / elapsed / line.bytes_per_second:5.1f} %")


def service_records(data_dir: Path) -> list:
    """The records the service stored, as the PBX sent them, in arrival order."""
    open_store(data_dir)
    rows = CallRecordRow.select(CallRecordRow.raw_json).order_by(CallRecordRow.chain_pos)
    return [record_from_raw(row.raw_json) for row in rows]


def bench_verification(baud: int, extensions: int, trunks: int) -> None:
    line = LineSettings(baud)
    with tempfile.TemporaryDirectory() as tmp, \
            Simulator(SimulatorConfig(seed=7, line=line, extensions=extensions,
                                      trunks=trunks)) as sim:
        control = ControlClient(*sim.control_address)  # type: ignore[misc]
        sink = RecordIntake(open_store(Path(tmp)), "bench", lambda: load_data_tariff(Path(tmp)))
        with PbxService(sim.url, Path(tmp), sink=sink, verify_at_start=False) as service:
            service.wait_ready(120)
            before = control.request({"cmd": "counters"})["bytes_sent"]
            start = time.monotonic()
            result = service.verify(force=True)
            elapsed = time.monotonic() - start
            sent = control.request({"cmd": "counters"})["bytes_sent"] - before
        control.close()
    params = sum(len(k) + len(v) for k, v in result.image.params.items())
    ideal = sent / line.bytes_per_second
    print(f"verify   {baud:>6} baud: {extensions} ext x {trunks} trunks, {result.rows_read} rows, "
          f"{len(result.image.params)} parameters; {sent} bytes on the line in {elapsed:6.2f} s; "
          f"image/line rate = {ideal:6.2f} s: {elapsed / ideal:4.2f}x  "
          f"(flat key=value text would be {params} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--bauds", default="9600,115200")
    args = parser.parse_args()
    print(f"# {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} {platform.platform()} "
          f"python {sys.version.split()[0]} cpus {os.cpu_count()}")
    for baud in (int(b) for b in args.bauds.split(",")):
        bench_records(baud, args.records if baud > 9600 else max(50, args.records // 6))
        bench_verification(baud, 24, 8)
        bench_verification(baud, 120, 16)


if __name__ == "__main__":
    main()
