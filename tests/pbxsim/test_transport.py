"""The simulator's line: one connection at a time, probes, a real pty, pacing, fault injection."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest
import serial

from callcenter.common.pbx.line import LineSettings
from callcenter.pbxsim.app import Simulator
from callcenter.pbxsim.control import ControlClient
from callcenter.pbxsim.transport import FaultInjector, split_frames
from tests.pbxsim.pcclient import PcClient, fast_config


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("socket://").rsplit(":", 1)
    return host, int(port)


def _acked(control: ControlClient) -> int:
    return int(control.request({"cmd": "counters"})["records_acked"])


def test_second_connection_is_refused_while_one_is_active(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        with socket.create_connection(_host_port(sim.url), timeout=5) as second, \
                contextlib.suppress(ConnectionResetError):
            assert second.recv(100) == b""  # closed at once: the line is in use
        assert pc.identify().model == "GW-SIM"  # the first PC is unaffected
    assert sim.refused_connections == 1
    with PcClient(sim.url) as pc:  # free again once the first PC has gone
        assert pc.identify().model == "GW-SIM"


def test_port_probe_is_harmless(sim: Simulator) -> None:
    for _ in range(5):
        socket.create_connection(_host_port(sim.url), timeout=5).close()
    with PcClient(sim.url) as pc:
        assert pc.identify().extensions == 24


def test_pty_line() -> None:
    with Simulator(fast_config(listen=None, pty=True)) as sim:
        assert sim.url.startswith("/dev/")
        with ControlClient(*sim.control_address) as control:  # type: ignore[misc]
            control.request({"cmd": "burst", "count": 3})
            with PcClient(sim.url, baudrate=9600) as pc:
                assert pc.identify().model == "GW-SIM"
                pc.until(lambda: _acked(control) == 3, what="3 records acknowledged")
            with PcClient(sim.url) as pc:  # the line can be opened again
                assert pc.identify().next_record == 4


def test_pacing_at_9600_baud_is_not_faster_than_the_line() -> None:
    line = LineSettings(9600)
    with Simulator(fast_config(line=line)) as sim, \
            ControlClient(*sim.control_address) as control:  # type: ignore[misc]
        control.request({"cmd": "burst", "count": 40})
        with PcClient(sim.url) as pc:
            pc.identify()
            before = sim.call(sim.pbx.counters)["bytes_sent"]
            start = time.monotonic()
            pc.until(lambda: _acked(control) == 40, timeout=30, what="40 records")
            elapsed = time.monotonic() - start
            sent = sim.call(sim.pbx.counters)["bytes_sent"] - before
    # Timing is not asserted (benchmarks measure speed); print it for the record.
    print(f"\n40 records at 9600 baud: {sent} bytes in {elapsed:.2f} s = "
          f"{sent / elapsed:.0f} B/s; line capacity {line.bytes_per_second:.0f} B/s")


def test_fault_corrupt_and_drop_are_recovered(sim: Simulator, control: ControlClient) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        assert control.request({"cmd": "fault", "kind": "corrupt", "count": 3})["ok"]
        assert pc.identify().model == "GW-SIM"
        control.request({"cmd": "burst", "count": 4})
        pc.until(lambda: _acked(control) == 4, timeout=10, what="4 records after corruption")
        assert control.request({"cmd": "fault", "kind": "drop", "count": 3})["ok"]
        control.request({"cmd": "burst", "count": 4})
        pc.until(lambda: _acked(control) == 8, timeout=10, what="8 records after drops")
        assert pc.session.counters.bad_frames >= 1
    counters = control.request({"cmd": "counters"})
    assert (counters["frames_corrupted"], counters["frames_dropped"]) == (3, 3)
    assert sorted(pc.records) == list(range(1, 9))


def test_fault_delay_is_recovered(sim: Simulator, control: ControlClient) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        assert control.request({"cmd": "fault", "kind": "delay", "seconds": 1.0})["ok"]
        start = time.monotonic()
        assert pc.identify(timeout=10).model == "GW-SIM"
        assert time.monotonic() - start >= 0.5


def test_fault_disconnect_then_records_offered_again(sim: Simulator,
                                                     control: ControlClient) -> None:
    control.request({"cmd": "burst", "count": 3})
    with PcClient(sim.url, auto_ack=False) as pc:
        pc.identify()
        pc.until(lambda: len(pc.records) == 3, what="3 records")
        assert control.request({"cmd": "fault", "kind": "disconnect"})["disconnected"]
        with pytest.raises(serial.SerialException):
            pc.until(lambda: False, timeout=2)
    with PcClient(sim.url) as pc:
        pc.identify()
        pc.until(lambda: _acked(control) == 3, what="3 records after reconnect")
    assert control.request({"cmd": "counters"})["records_issued"] == 3


def test_fault_reboot_keeps_records_and_sequence(sim: Simulator, control: ControlClient) -> None:
    control.request({"cmd": "offhook", "extension": "007"})
    control.request({"cmd": "burst", "count": 2})
    assert control.request({"cmd": "fault", "kind": "reboot"})["ok"]
    states = {e["port"]: e["state"] for e in control.request({"cmd": "state"})["extensions"]}
    assert states["007"] == "idle"
    control.request({"cmd": "burst", "count": 1})
    with PcClient(sim.url) as pc:
        assert pc.identify().next_record == 4
        pc.until(lambda: _acked(control) == 3, what="3 records after reboot")
    assert sorted(pc.records) == [1, 2, 3]


def test_fault_injector_works_frame_by_frame() -> None:
    frames = [b"\x0200HBT\x03ABCD", b"\x0201HBT\x03ABCD", b"\x0202HBT\x03ABCD"]
    assert split_frames(b"".join(frames)) == frames
    faults = FaultInjector()
    faults.drop(1)
    faults.corrupt(1)
    out = faults.apply(b"".join(frames))
    assert split_frames(out) == [b"\x0211HBT\x03ABCD", frames[2]]
