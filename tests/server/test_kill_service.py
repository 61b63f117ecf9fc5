"""No call record lost (B-7): kill -9 the running service in a burst, restart it, and every
record the simulator issued is stored exactly once, in the store and in the hotel bill file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.store.db import open_store
from callcenter.server.store.models import CallRecordRow
from callcenter.server.store.verify import verify_chain
from tests.server.pbxlink_support import ask, no_leaked_threads, wait_until

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
BURST = 3000


def server(data: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "callcenter.server", "--headless", "--pbx",
                             url, "--data", str(data), "--no-clock-sync", "--agent-port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)


def acked(sim: Simulator) -> int:
    return int(ask(sim, {"cmd": "counters"})["records_acked"])


def test_kill_9_in_a_burst_loses_and_doubles_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = [sys.executable, "-m", "callcenter.server", "settings", "set", "--data", str(data)]
    subprocess.run([*settings, "hotel_bill.enabled=true"], check=True, env=ENV,
                   capture_output=True, timeout=60)
    with Simulator(SimulatorConfig(seed=3, ack_timeout=0.5, max_retries=2, heartbeat=2.0,
                                   record_timeout=2.0)) as sim:
        first = server(data, sim.url)
        try:
            ask(sim, {"cmd": "burst", "count": BURST})
            wait_until(lambda: acked(sim) >= BURST // 4, 120, "a quarter of the burst stored")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        assert acked(sim) < BURST, "the kill came too late to prove anything"
        second = server(data, sim.url)
        try:
            wait_until(lambda: acked(sim) == BURST, 180, "every record acknowledged")
            bill = data / "HotelBill.TXT"
            wait_until(lambda: bill.exists() and bill.read_bytes().count(b"\r\n") >= BURST, 60,
                       "every record in the hotel bill file")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        counters = ask(sim, {"cmd": "counters"})
    assert counters["records_issued"] == BURST
    open_store(data)
    sequences = [row.sequence for row in CallRecordRow.select(CallRecordRow.sequence)]
    assert len(sequences) == len(set(sequences)) == BURST
    assert verify_chain(open_store(data)) == []
    lines = bill.read_bytes().split(b"\r\n")[:-1]
    assert len(lines) == len(set(lines)) == BURST
