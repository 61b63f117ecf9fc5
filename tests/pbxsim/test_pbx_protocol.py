"""The simulator's protocol side, through a real PC client over TCP (pyserial socket://)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from callcenter.common.pbx import messages as m
from callcenter.pbxsim.app import Simulator
from callcenter.pbxsim.clock import PbxClock
from callcenter.pbxsim.control import ControlClient
from tests.pbxsim.pcclient import PcClient, fast_config


def _write(request_id: int, *, key: str, value: str) -> m.ParameterWrite:
    return m.ParameterWrite(request_id, key, value)

def test_identify(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        ident = pc.identify()
    memory = sim.pbx.memory
    assert ident.model == "GW-SIM"
    assert (ident.extensions, ident.trunks) == (24, 8)
    assert dict(ident.checksums) == {g: sim.call(partial(memory.group_checksum, g))
                                     for g in ("extension", "trunk", "switches", "other")}
    assert len(ident.pbx_time) == 14 and ident.pbx_time.isdigit()
    assert ident.next_record == 1


def test_full_image_read_by_blocks_matches_memory(sim: Simulator) -> None:
    schema = sim.pbx.memory.schema
    read: dict[str, str] = {}
    with PcClient(sim.url) as pc:
        pc.identify()
        for group in ("extension", "trunk", "switches", "other"):
            rows = pc.read_group(group, count=256)
            for row in schema.group_rows(group):
                read.update(zip(row.keys, rows[row.prefix], strict=True))
    assert read == sim.call(sim.pbx.memory.image)


def test_write_then_read_back(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        before = pc.identify().checksum("extension")
        result = pc.request(lambda r: m.ParameterWrite(r, "extension.002.number", "8102"),
                            m.ParameterWriteResult)
        assert (result.ok, result.value, result.error) == (True, "8102", "")
        block = pc.request(lambda r: m.ParameterRead(r, "extension", 1, 1), m.ParameterBlock)
        assert block.rows[0][0] == "extension.002"
        assert block.rows[0][1][0] == "8102"
        assert pc.identify().checksum("extension") != before


def test_bad_write_refused_and_nothing_changed(sim: Simulator) -> None:
    image = sim.call(sim.pbx.memory.image)
    with PcClient(sim.url) as pc:
        pc.identify()
        for key, value in (("extension.001.number", "abc"), ("extension.001.day_class", "99"),
                           ("no.such.key", "1")):
            result = pc.request(partial(_write, key=key, value=value),
                                m.ParameterWriteResult)
            assert not result.ok
            assert result.error
            assert result.value == image.get(key, "")
    assert sim.call(sim.pbx.memory.image) == image


def test_clock_applies_at_the_next_minute() -> None:
    real = [datetime(2024, 5, 1, 4, 0, 30, tzinfo=UTC)]  # 12:00:30 at UTC+8
    clock = PbxClock(lambda: real[0])
    assert clock.now().strftime("%H%M%S") == "120030"
    assert clock.schedule("203001021800", 480) == "202405011201"
    real[0] += timedelta(seconds=29)
    assert clock.now().strftime("%Y%m%d%H%M%S") == "20240501120059"
    real[0] += timedelta(seconds=1)
    assert clock.now().strftime("%Y%m%d%H%M%S") == "20300102180000"
    real[0] += timedelta(seconds=75)
    assert clock.now().strftime("%Y%m%d%H%M%S") == "20300102180115"
    try:
        clock.schedule("202413400000", 480)
    except ValueError:
        pass
    else:
        raise AssertionError("an impossible date was accepted")


def test_clock_set_over_the_wire(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        before = pc.identify().pbx_time
        result = pc.request(lambda r: m.ClockSet(r, "203001021800"), m.ClockSetResult)
        bad = pc.request(lambda r: m.ClockSet(r, "202402300000"), m.ClockSetResult)
    assert result.ok
    boundary = datetime.strptime(before[:12], "%Y%m%d%H%M") + timedelta(minutes=1)
    # The answer names the next minute of the PBX clock (or the one after, had it just turned).
    assert result.effective in (boundary.strftime("%Y%m%d%H%M"),
                                (boundary + timedelta(minutes=1)).strftime("%Y%m%d%H%M"))
    assert not bad.ok and bad.error


def test_snapshot_and_call_control(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        snap = pc.request(m.StateRequest, m.StateSnapshot)
        assert len(snap.extensions) == 24 and len(snap.trunks) == 8
        assert {e.state for e in snap.extensions} == {"idle"}
        done = pc.request(lambda r: m.CallControl(r, "offhook", "003"), m.CallControlResult)
        assert done.ok, done.error
        event = pc.wait_for(lambda e: isinstance(e, m.ExtensionState) and e.port == "003",
                            what="state event of 003")
        assert isinstance(event, m.ExtensionState) and event.state != "idle"
        refused = pc.request(lambda r: m.CallControl(r, "answer", "005"), m.CallControlResult)
        assert not refused.ok and refused.error
        snap = pc.request(m.StateRequest, m.StateSnapshot)
    by_port = {e.port: e.state for e in snap.extensions}
    assert by_port["003"] != "idle"
    with ControlClient(*sim.control_address) as control:  # type: ignore[misc]
        state = control.request({"cmd": "state"})
    assert {e["port"]: e["state"] for e in state["extensions"]}["003"] == by_port["003"]


def test_records_delivered_and_acknowledged(sim: Simulator, control: ControlClient) -> None:
    answer = control.request({"cmd": "call", "extension": "001", "number": "13812345678",
                              "duration": 65})
    assert answer["ok"], answer
    with PcClient(sim.url) as pc:
        pc.identify()
        pc.until(lambda: 1 in pc.records, what="record 1")
        pc.until(lambda: control.request({"cmd": "counters"})["records_acked"] == 1,
                 what="record 1 acknowledged")
    record = pc.records[1]
    assert (record.port, record.number, record.duration) == ("001", "13812345678", 65)
    counters = control.request({"cmd": "counters"})
    assert (counters["records_issued"], counters["records_acked"], counters["buffered"]) == \
        (1, 1, 0)


def test_unacknowledged_records_are_offered_again_after_reconnect(
        sim: Simulator, control: ControlClient) -> None:
    assert control.request({"cmd": "burst", "count": 5})["ok"]
    with PcClient(sim.url, auto_ack=False) as pc:
        pc.identify()
        pc.until(lambda: len(pc.records) == 5, what="5 records")
    with PcClient(sim.url) as pc:
        pc.identify()
        pc.until(lambda: control.request({"cmd": "counters"})["records_acked"] == 5,
                 what="5 records acknowledged")
        assert sorted(pc.records) == [1, 2, 3, 4, 5]
    assert control.request({"cmd": "counters"})["records_issued"] == 5


def test_record_offered_again_when_not_acknowledged_in_time() -> None:
    with Simulator(fast_config(record_timeout=0.5)) as sim, \
            ControlClient(*sim.control_address) as control:  # type: ignore[misc]
        control.request({"cmd": "call", "extension": "002", "number": "88776655",
                         "duration": 10})
        with PcClient(sim.url, auto_ack=False) as pc:
            pc.identify()
            pc.until(lambda: pc.record_arrivals.count(1) >= 2, what="record 1 offered twice")
            pc.send(m.RecordAck(1, 1))
            pc.until(lambda: control.request({"cmd": "counters"})["records_acked"] == 1)
        assert control.request({"cmd": "counters"})["reoffers"] >= 1


def test_state_file_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "pbx.json"
    with Simulator(fast_config(state_file=state)) as sim:
        with PcClient(sim.url) as pc:
            pc.identify()
            assert pc.request(lambda r: m.ParameterWrite(r, "extension.004.number", "6004"),
                              m.ParameterWriteResult).ok
        with ControlClient(*sim.control_address) as control:  # type: ignore[misc]
            control.request({"cmd": "burst", "count": 3})
            with PcClient(sim.url) as pc:
                pc.identify()
                pc.until(lambda: control.request({"cmd": "counters"})["records_acked"] == 3)
            control.request({"cmd": "burst", "count": 2})  # left unacknowledged
    with Simulator(fast_config(state_file=state)) as sim:
        with PcClient(sim.url) as pc:
            ident = pc.identify()
            pc.until(lambda: set(pc.records) == {4, 5}, what="records 4 and 5 again")
        assert ident.next_record == 6
        assert sim.call(lambda: sim.pbx.memory["extension.004.number"]) == "6004"


def test_garbage_then_valid_frames(sim: Simulator) -> None:
    with PcClient(sim.url, start=False) as pc:
        pc.write_raw(b"\x00\xffATZ\r\n\x02garbage\x03ZZZZ\x02\x02\x0312" + bytes(range(256)))
        pc.pump(0.2)
        pc.session.start(0.0)
        pc.send(m.Heartbeat())
        assert pc.identify().model == "GW-SIM"
    assert sim.call(sim.pbx.counters)["bad_frames"] >= 1


def test_burst_gives_exactly_n_records(sim: Simulator, control: ControlClient) -> None:
    assert control.request({"cmd": "burst", "count": 60})["ok"]
    with PcClient(sim.url) as pc:
        pc.identify()
        pc.until(lambda: control.request({"cmd": "counters"})["records_acked"] == 60,
                 timeout=15, what="60 records acknowledged")
        pc.pump(0.3)
    assert sorted(pc.records) == list(range(1, 61))
    assert len(pc.record_arrivals) == 60  # acknowledged in time: nothing offered twice
    assert len({(r.number, r.duration) for r in pc.records.values()}) > 30
    assert control.request({"cmd": "counters"})["records_issued"] == 60


def test_full_buffer_makes_calls_wait() -> None:
    with Simulator(fast_config(buffer=5)) as sim, \
            ControlClient(*sim.control_address) as control:  # type: ignore[misc]
        assert control.request({"cmd": "burst", "count": 12})["ok"]
        counters = control.request({"cmd": "counters"})
        assert (counters["records_issued"], counters["buffered"], counters["waiting"]) == \
            (5, 5, 7)
        with PcClient(sim.url) as pc:
            pc.identify()
            pc.until(lambda: control.request({"cmd": "counters"})["records_acked"] == 12,
                     timeout=15, what="12 records acknowledged")
        assert sorted(pc.records) == list(range(1, 13))
        counters = control.request({"cmd": "counters"})
        assert (counters["records_issued"], counters["waiting"]) == (12, 0)
