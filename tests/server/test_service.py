"""PbxService against the real simulator: verification, writes, clock, states, records."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.common.pbx.messages import CallRecord, ExtensionState, ParameterChanged
from callcenter.common.schema import Group, ParameterError, Schema, build_schema
from callcenter.common.schema import kinds as k
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.pbxsim.clock import PbxClock
from callcenter.server.pbx.events import (
    ParameterSet,
    RecordStored,
    ServiceEvent,
    VerificationProgress,
)
from callcenter.server.pbx.image import ParameterImage
from callcenter.server.pbx.link import PbxTimeout, PbxUnavailable
from callcenter.server.pbx.service import PbxService, clock_minute_text
from callcenter.server.store.audit import entries
from callcenter.server.store.db import database, open_store
from callcenter.server.store.intake import RecordIntake
from callcenter.server.store.models import CallRecordRow
from tests.server.pbxlink_support import (
    FAST,
    ask,
    make_intake,
    no_leaked_threads,
    pty_sim,
    sim,
    wait_until,
)

__all__ = ["no_leaked_threads", "pty_sim", "sim"]


def _service(url: str, data_dir: Path, **options: Any) -> PbxService:
    """A service on ``url`` whose records go to the store of ``data_dir``."""
    return PbxService(url, data_dir, sink=make_intake(data_dir), link_options=FAST, **options)


def pbx_params(simulator: Simulator) -> dict[str, str]:
    params = ask(simulator, {"cmd": "params"})["params"]
    assert isinstance(params, dict)
    return params


def pbx_value(simulator: Simulator, key: str) -> str:
    return str(ask(simulator, {"cmd": "get", "key": key})["value"])


def counters(simulator: Simulator) -> dict[str, object]:
    return ask(simulator, {"cmd": "counters"})


def test_verification_reads_only_changed_groups(sim: Simulator, tmp_path: Path) -> None:
    progress: list[ServiceEvent] = []
    with _service(sim.url, tmp_path) as service:
        service.add_listener(progress.append)
        service.wait_ready(20)
        assert service.image.params == pbx_params(sim)
        assert service.verifications[-1].groups_read == tuple(Group)
        wait_until(lambda: any(isinstance(e, VerificationProgress) for e in progress), 5,
                   "progress events")
        last = [e for e in progress if isinstance(e, VerificationProgress)][-1]
        assert last.done == last.total == service.verifications[-1].rows_read
    assert (tmp_path / "image.json").exists()

    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        assert service.verifications[-1].groups_read == ()
        assert service.verifications[-1].rows_read == 0
        assert service.image.params == pbx_params(sim)

    ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "3"})  # changed at the PBX
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        assert service.verifications[-1].groups_read == (Group.TRUNK,)
        assert service.image.params["trunk.01.route"] == "3"
        assert service.image.params == pbx_params(sim)


def test_write_reads_back_and_bad_values_are_never_sent(sim: Simulator, tmp_path: Path
                                                       ) -> None:
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        assert service.write_parameter("extension.001.day_class", "21") == "21"
        assert pbx_value(sim, "extension.001.day_class") == "21"
        assert service.image.params["extension.001.day_class"] == "21"
        with pytest.raises(ParameterError, match=r"extension\.001\.day_class: .*allowed"):
            service.write_parameter("extension.001.day_class", "99")
        with pytest.raises(ParameterError, match="no such parameter"):
            service.write_parameter("extension.999.day_class", "11")
        assert pbx_value(sim, "extension.001.day_class") == "21"
        assert service.read_parameter("extension.001.day_class") == "21"


def _candidates(schema: Schema, key: str, current: str) -> list[str]:
    """Valid values of ``key`` other than ``current``, derived from its kind (best first).

    Digits and area codes carry the row number, so values that must be distinct between
    rows (extension numbers, passwords, area codes) are, and have one length (no number is
    the beginning of another)."""
    kind = schema.lookup(key)[0].kind
    row = key.split(".")[1] if key.count(".") == 2 else "0"
    n = int(row) if row.isdigit() else 0
    values: list[str]
    if isinstance(kind, k.Choice):
        values = [code for code, _, _ in kind.options]
    elif isinstance(kind, k.Digits):
        size = len(current) if current else min(max(kind.min_len, 5), kind.max_len)
        tail = str(n).zfill(size - 1)[-(size - 1):] if size > 1 else ""
        values = [lead + tail for lead in "123456789"]
    elif isinstance(kind, k.AreaCode):
        values = [lead + str(n).zfill(2) for lead in "789"]
    elif isinstance(kind, k.ServiceClass):
        values = [f"{out}{inc}" for out in range(1, kind.max_out + 1) for inc in range(1, 5)]
    elif isinstance(kind, k.PortSet):
        values = ["none", "all", "01", "01,02"]
    elif isinstance(kind, k.PortList):
        values = ["none", "001", "002,001"]
    elif isinstance(kind, k.GroupSet):
        values = ["none", "1", "1,2"]
    elif isinstance(kind, k.IntRange):
        values = [str(v).zfill(kind.width) for v in (kind.lo, kind.lo + 1, kind.hi)]
    elif isinstance(kind, k.ClockTime):
        values = ["0701", "0702", "2359"]
    elif isinstance(kind, k.Tenths):
        values = ["1.0", "2.5", "0.0"]
    elif isinstance(kind, k.RouteDigits):
        values = ["8", "98", "1"]
    else:
        values = ["x", "y"]
    return [v for v in values if v != current]


def _change_all(service: PbxService, image: dict[str, str], keys: list[str],
                wanted: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Write each key in turn (``wanted[key]``, else the first value other than its current
    one that the schema and its consistency rules allow then), each checked by the
    service's read-back; returns (the new image, the keys no other value was allowed for).
    A value the rules forbid is refused before anything is sent (ParameterError)."""
    image = dict(image)
    stuck: list[str] = []
    schema = service.schema
    for key in keys:
        options = [wanted[key]] if wanted is not None else _candidates(schema, key, image[key])
        for value in options:
            try:
                stored = service.write_parameter(key, value)
            except ParameterError:
                continue
            assert stored == value, key
            image[key] = value
            break
        else:
            stuck.append(key)
    return image, stuck


def test_every_key_round_trips_through_the_service(sim: Simulator, tmp_path: Path) -> None:
    """Every key is written with a value it did not hold, read back (by the write and by a
    full verification), and restored."""
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        before = service.image.params
        keys = service.schema.keys()
        assert set(before) == set(keys)
        changed, stuck = _change_all(service, before, keys)
        # Left: keys whose only other value a consistency rule forbids now (smart routing
        # while multiple routes is on, or the reverse) or always (one-key call in groups
        # 9-12, round-robin start at the priority extension outside group 8).
        assert len(stuck) < 20, stuck
        assert all(changed[key] != before[key] for key in keys if key not in stuck)
        assert service.verify(force=True).image.params == changed == pbx_params(sim)
        # Back to the factory image; a key a rule held back before may change now.
        restored, left = _change_all(service, changed, keys, wanted=before)
        assert not left and restored == before
        retry, never = _change_all(service, before, stuck)
        assert all(retry[key] != before[key] for key in stuck if key not in never)
        for key in never:  # no other value is allowed at all
            assert key.startswith("group."), key
            with pytest.raises(ParameterError):
                service.write_parameter(key, _candidates(service.schema, key, before[key])[0])
        assert service.verify(force=True).image.params == retry == pbx_params(sim)
        _change_all(service, retry, stuck, wanted=before)
        assert service.verify(force=True).image.params == before == pbx_params(sim)


def test_clock_set_says_when_it_takes_effect(sim: Simulator, tmp_path: Path) -> None:
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        when = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone(timedelta(hours=8)))
        effective = service.set_clock(when)
        assert len(effective) == 12 and effective.isdigit()


def _pbx_time(simulator: Simulator) -> datetime:
    return datetime.strptime(str(ask(simulator, {"cmd": "clock"})["pbx_time"]), "%Y%m%d%H%M%S")


def test_clock_sync_at_connect_sets_the_pbx_to_the_site_time_now(sim: Simulator,
                                                                   tmp_path: Path) -> None:
    """The PBX applies a clock set when its next minute begins, so the PC must send that
    minute, not the current one (which would leave the PBX a minute slow)."""
    shift: list[timedelta] = []

    def computer_now() -> datetime:
        # This computer's clock, shifted once when the service first reads it (to set the
        # PBX clock) so that it then reads hh:mm:57: the minute turns 3 s later, not up to
        # 60 s.  The simulated PBX runs from the same shifted clock.
        now = datetime.now().astimezone()
        if not shift:
            shift.append(timedelta(seconds=57 - now.second - now.microsecond / 1e6))
        return now + shift[0]

    def pbx_hardware_utc() -> datetime:
        return datetime.now(UTC) + (shift[0] if shift else timedelta(0))

    sim.call(lambda: setattr(sim.pbx, "clock", PbxClock(pbx_hardware_utc)))
    with _service(sim.url, tmp_path, sync_clock=True,
                    clock=computer_now) as service:
        service.wait_ready(20)  # ready after the clock was set
        assert shift, "the service did not read the computer's clock to set the PBX's"
        turn = computer_now().replace(second=0, microsecond=0) + timedelta(minutes=1)
        assert (turn - computer_now()).total_seconds() < 10
        while computer_now() < turn + timedelta(seconds=1):
            time.sleep(0.1)
        # The PBX keeps the site's time (setting timezone), whatever this computer's zone.
        local = computer_now().astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        pbx = _pbx_time(sim)
        assert abs((pbx - local).total_seconds()) <= 2, (pbx, local)


def test_a_change_at_the_pbx_reaches_the_image_and_the_next_connect(sim: Simulator,
                                                                    tmp_path: Path) -> None:
    """PCH: applied to the image and DIR/image.json at once, and told to listeners; the
    group's checksum is dropped, so the next connect reads the group again even if the
    PBX's checksum is back to the saved one (the change was undone meanwhile)."""
    events: list[ServiceEvent] = []
    with _service(sim.url, tmp_path) as service:
        service.add_listener(events.append)
        service.wait_ready(20)
        assert service.image.params["trunk.01.route"] == "1"
        ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "3"})  # as from a phone
        wait_until(lambda: ParameterChanged("trunk.01.route", "3") in events, 10,
                   "the change reached the listeners")
        assert service.image.params["trunk.01.route"] == "3"
        saved = ParameterImage.load(tmp_path / "image.json")  # saved before the event
        assert saved.params["trunk.01.route"] == "3"
        assert "trunk" not in saved.checksums and "extension" in saved.checksums
    ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "1"})  # nobody connected
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        assert service.verifications[-1].groups_read == (Group.TRUNK,)
        assert service.image.params == pbx_params(sim)


def test_own_write_undone_at_the_pbx_while_away_is_read_again(sim: Simulator,
                                                              tmp_path: Path) -> None:
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        service.write_parameter("extension.001.day_class", "21")
    ask(sim, {"cmd": "set", "key": "extension.001.day_class", "value": "11"})
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        assert service.verifications[-1].groups_read == (Group.EXTENSION,)
        assert service.image.params["extension.001.day_class"] == "11"
        assert service.image.params == pbx_params(sim)


def test_snapshot_then_events_from_a_ring(sim: Simulator, tmp_path: Path) -> None:
    events: list[ServiceEvent] = []
    with _service(sim.url, tmp_path) as service:
        service.add_listener(events.append)
        service.wait_ready(20)
        states = service.port_states
        assert states.snapshots >= 1
        assert len(states.extensions()) == 24 and len(states.trunks()) == 8
        assert states.extension("001").state == "idle"  # type: ignore[union-attr]
        ask(sim, {"cmd": "ring", "extension": "001", "caller": "13800138000"})
        wait_until(lambda: (e := states.extension("001")) is not None and e.state == "ringing",
                   10, "ext 001 ringing")
        assert states.extension("001").peer == "13800138000"  # type: ignore[union-attr]
        wait_until(lambda: any(isinstance(e, ExtensionState) and e.state == "ringing"
                               for e in events), 5, "the ringing event reached a listener")
        ask(sim, {"cmd": "answer", "extension": "001"})
        wait_until(lambda: states.extension("001").state == "talking",  # type: ignore
                   10, "ext 001 talking")
        ask(sim, {"cmd": "hangup", "extension": "001"})
        wait_until(lambda: states.extension("001").state == "idle",  # type: ignore
                   10, "ext 001 idle")


def _stored(data_dir: Path) -> list[CallRecordRow]:
    open_store(data_dir)
    return list(CallRecordRow.select().order_by(CallRecordRow.chain_pos))


def _stored_sequences(data_dir: Path) -> list[int]:
    return [row.sequence for row in _stored(data_dir)]


def test_records_are_stored_once_and_acknowledged(sim: Simulator, tmp_path: Path) -> None:
    stored: list[ServiceEvent] = []
    with _service(sim.url, tmp_path) as service:
        service.add_listener(lambda e: stored.append(e) if isinstance(e, RecordStored) else None)
        service.wait_ready(20)
        ask(sim, {"cmd": "call", "extension": "001", "number": "02088886666", "duration": 65})
        ask(sim, {"cmd": "burst", "count": 40})
        wait_until(lambda: counters(sim)["records_acked"] == 41, 20, "41 records acked")
        wait_until(lambda: len(stored) == 41, 5, "41 RecordStored events")
    assert counters(sim)["records_issued"] == 41
    sequences = _stored_sequences(tmp_path)
    assert sorted(sequences) == sorted(set(sequences)) and len(sequences) == 41
    first = _stored(tmp_path)[0]
    assert (first.port, first.number, first.duration) == ("001", "02088886666", 65)
    # Rated at intake by the built-in tariff: domestic long distance, 0.07 per 6 s (11 x 6 s).
    assert not first.unknown and first.cost_fen == 77


@pytest.mark.parametrize("kind", ["disconnect", "reboot"])
def test_records_survive_line_faults(sim: Simulator, tmp_path: Path, kind: str) -> None:
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        ask(sim, {"cmd": "burst", "count": 30})
        ask(sim, {"cmd": "fault", "kind": kind})
        ask(sim, {"cmd": "fault", "kind": "corrupt", "count": 2})
        ask(sim, {"cmd": "burst", "count": 30})
        ask(sim, {"cmd": "fault", "kind": "drop", "count": 2})
        wait_until(lambda: counters(sim)["records_acked"] == 60, 30, "60 records acked")
        assert counters(sim)["records_issued"] == 60
    sequences = _stored_sequences(tmp_path)
    assert len(sequences) == len(set(sequences)) == 60


def test_service_over_a_pty(pty_sim: Simulator, tmp_path: Path) -> None:
    with _service(pty_sim.url, tmp_path) as service:
        service.wait_ready(20)
        assert service.image.params == pbx_params(pty_sim)
        ask(pty_sim, {"cmd": "burst", "count": 10})
        wait_until(lambda: counters(pty_sim)["records_acked"] == 10, 20, "10 records acked")
    assert len(_stored_sequences(tmp_path)) == 10


def test_missing_port_keeps_retrying_with_a_clear_reason(tmp_path: Path) -> None:
    with _service("/dev/ttyNO_SUCH_PORT", tmp_path) as service, \
            pytest.raises(PbxTimeout, match="cannot open PBX port /dev/ttyNO_SUCH_PORT"):
        service.wait_ready(1)


def test_a_large_pbx_snapshot_comes_in_pages(tmp_path: Path) -> None:
    """300 extension ports do not fit one frame: the state snapshot is paged."""
    with Simulator(SimulatorConfig(seed=2, extensions=300, trunks=32)) as big, \
            _service(big.url, tmp_path) as service:
        service.wait_ready(30)
        ask(big, {"cmd": "ring", "extension": "299", "caller": "13800138000"})
        wait_until(lambda: service.port_states.extension("299") is not None
                   and service.port_states.extension("299").state == "ringing",  # type: ignore
                   10, "ext 299 ringing")
        service.refresh_states()
        extensions = service.port_states.extensions()
        assert sorted(extensions) == [f"{i:03d}" for i in range(1, 301)]
        assert extensions["299"].state == "ringing"
        assert len(service.port_states.trunks()) == 32


def test_a_pbx_replaced_while_the_service_runs_loses_no_record(tmp_path: Path) -> None:
    """A new PBX on the same port numbers its records from 1 again: the service must hand
    them to the store (which keeps them under a new PBX name), not drop them as re-sent."""
    with Simulator(SimulatorConfig(seed=5)) as first:
        port = int(first.url.rsplit(":", 1)[1])
        service = _service(first.url, tmp_path)
        service.start()
        try:
            service.wait_ready(20)
            ask(first, {"cmd": "burst", "count": 5})
            wait_until(lambda: counters(first)["records_acked"] == 5, 20, "5 records acked")
            first.stop()
            with Simulator(SimulatorConfig(seed=6, listen=("127.0.0.1", port))) as second:
                ask(second, {"cmd": "burst", "count": 5})
                wait_until(lambda: counters(second)["records_acked"] == 5, 30,
                           "the new PBX's 5 records acked")
        finally:
            service.stop()
    rows = _stored(tmp_path)
    by_pbx: dict[str, list[int]] = {}
    for row in rows:
        by_pbx.setdefault(row.pbx_id, []).append(row.sequence)
    assert {k: sorted(v) for k, v in by_pbx.items()} == {"main": [1, 2, 3, 4, 5],
                                                        "main-2": [1, 2, 3, 4, 5]}


# --------------------------------------------------------------------------- issue 7

def test_every_change_is_an_event_and_every_write_an_audit_entry(sim: Simulator,
                                                                 tmp_path: Path) -> None:
    """Defect 6.1: the service's own writes told nobody; now each change is a ParameterSet
    naming who made it (a PCH from the PBX: "pbx"), and each write is audited."""
    events: list[ServiceEvent] = []
    with _service(sim.url, tmp_path) as service:
        service.add_listener(events.append)
        service.wait_ready(20)
        assert service.write_parameter("extension.001.number", "3001", who="cli:root") == "3001"
        ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "3"})  # at the PBX
        wait_until(lambda: ParameterSet("trunk.01.route", "1", "3", "pbx") in events, 10,
                   "the PBX's change")
        assert ParameterSet("extension.001.number", "8001", "3001", "cli:root") in events
        with pytest.raises(ParameterError):
            service.write_parameter("extension.002.number", "3001", who="cli:root")  # clash
        assert service.write_parameter("extension.001.number", "8001") == "8001"
        ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "1"})
        wait_until(lambda: service.image.params["trunk.01.route"] == "1", 10, "route back")
    total, rows = entries(key="extension.001.number")
    assert total == 2
    assert [(r["who"], r["what"], r["old"], r["new"], r["result"]) for r in rows] == [
        ("service", "pbx", "3001", "8001", "written"),
        ("cli:root", "pbx", "8001", "3001", "written")]
    assert entries(key="extension.002.number")[0] == 0  # invalid: nothing sent, no entry


def test_a_write_during_verification_stays_in_the_image(sim: Simulator,
                                                        tmp_path: Path) -> None:
    """Defect 6.2: the verification's result replaced the image and lost a write made while
    it ran (the image said 11 while the PBX held 21)."""
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        written: list[str] = []

        def write_once(done: int, total: int, group: str) -> None:
            if not written:  # after the first block, which holds extension 001's row
                written.append(service.write_parameter("extension.001.day_class", "21"))

        service.verify(force=True, progress=write_once)
        assert written == ["21"] and pbx_value(sim, "extension.001.day_class") == "21"
        assert service.image.params["extension.001.day_class"] == "21"
        assert ParameterImage.load(tmp_path / "image.json").params[
            "extension.001.day_class"] == "21"
        service.write_parameter("extension.001.day_class", "11")


def test_schema_and_image_while_the_link_is_down(sim: Simulator, tmp_path: Path) -> None:
    """Defect 6.3: with the link down the schema follows the saved image's port counts."""
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        image = service.image
    with _service("socket://127.0.0.1:9", tmp_path) as down:
        wait_until(lambda: down.link.last_error, 10, "the dead port's error")
        assert down.schema.keys() == build_schema(24, 8).keys()
        assert down.image.params == image.params and down.image_source == "saved"
        [result] = down.write_parameters([("system.night", "on")], who="test")
        assert (result.status, result.old) == ("not_sent", "off")
        [bad] = down.write_parameters([("system.night", "maybe")], who="test")
        assert bad.status == "invalid" and "allowed" in bad.reason
    with _service("socket://127.0.0.1:9", tmp_path / "new") as never, \
            pytest.raises(PbxUnavailable, match="no parameter image"):
        _ = never.schema


class _GatedSink:
    """The real store's intake, made slow: ``store`` waits for the gate first."""

    def __init__(self, intake: RecordIntake) -> None:
        self.intake = intake
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def store(self, records: list[CallRecord]) -> None:
        self.waiting.set()
        self.gate.wait(30)
        self.intake.store(records)


def test_a_slow_listener_delays_no_acknowledgement(sim: Simulator, tmp_path: Path) -> None:
    """Defect 6.4, one way: listeners ran on the record dispatcher, so a slow one held
    back the acknowledgements (the PBX kept the records and sent them again)."""
    gate = threading.Event()

    def slow(event: ServiceEvent) -> None:
        if isinstance(event, RecordStored):
            gate.wait(30)

    with _service(sim.url, tmp_path) as service:
        service.add_listener(slow)
        service.wait_ready(20)
        try:
            ask(sim, {"cmd": "burst", "count": 5})
            wait_until(lambda: counters(sim)["records_acked"] == 5, 20,
                       "5 records acked while the listener is stuck")
        finally:
            gate.set()


def test_port_states_flow_while_a_commit_is_slow(sim: Simulator, tmp_path: Path) -> None:
    """Defect 6.4, the other way: port states waited behind store commits."""
    sink = _GatedSink(make_intake(tmp_path))
    events: list[ServiceEvent] = []
    with PbxService(sim.url, tmp_path, sink=sink, link_options=FAST) as service:
        service.add_listener(events.append)
        service.wait_ready(20)
        try:
            ask(sim, {"cmd": "burst", "count": 1})
            assert sink.waiting.wait(10), "the record did not reach the sink"
            ask(sim, {"cmd": "ring", "extension": "002", "caller": "13800138000"})
            wait_until(lambda: any(isinstance(e, ExtensionState) and e.port == "002"
                                   and e.state == "ringing" for e in events), 10,
                       "the ring told while the commit waits")
            assert counters(sim)["records_acked"] == 0  # still being committed
        finally:
            sink.gate.set()
        wait_until(lambda: counters(sim)["records_acked"] == 1, 20, "the record acked")
        ask(sim, {"cmd": "hangup", "extension": "002"})


def test_renumbering_rotates_through_a_temporary_number(sim: Simulator,
                                                       tmp_path: Path) -> None:
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        rotation = {"001": "8002", "002": "8003", "003": "8001", "004": "8004"}
        results = service.renumber(rotation, who="test")
        assert [(r.key, r.value, r.old, r.status) for r in results] == [
            ("extension.001.number", "8002", "8001", "written"),
            ("extension.002.number", "8003", "8002", "written"),
            ("extension.003.number", "8001", "8003", "written"),
            ("extension.004.number", "8004", "8004", "unchanged")]
        assert [pbx_value(sim, f"extension.{p}.number") for p in ("001", "002", "003")] == [
            "8002", "8003", "8001"]
        back = service.renumber({"001": "8001", "002": "8002", "003": "8003"}, who="test")
        assert {r.status for r in back} == {"written"}
        # A number that begins another is a clash too: 800 and 8001..8009 cannot coexist.
        [short] = service.renumber({"010": "800"}, who="test")
        assert short.status == "invalid" and "clashes" in short.reason
        assert service.image.params == pbx_params(sim)


def test_renumbering_without_a_free_temporary_number_sends_nothing(sim: Simulator,
                                                                   tmp_path: Path) -> None:
    """Every leading digit taken (0 operator, 9 trunk access, 1-8 one-key group calls):
    no temporary number, so the swap is refused whole."""
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        groups = [(f"group.{g:02d}.one_key_call", "on") for g in range(1, 9)]
        assert {r.status for r in service.write_parameters(groups, who="test")} == {"written"}
        results = service.renumber({"001": "8002", "002": "8001"}, who="test")
        assert {r.status for r in results} == {"not_sent"}
        assert "no free temporary number" in results[0].reason
        assert (pbx_value(sim, "extension.001.number"),
                pbx_value(sim, "extension.002.number")) == ("8001", "8002")
        service.write_parameters([(k, "off") for k, _ in groups], who="test")


def test_batch_cancel_and_refusal(sim: Simulator, tmp_path: Path) -> None:
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        calls: list[int] = []
        pairs = [(f"extension.{p:03d}.night_class", "21") for p in range(1, 6)]
        results = service.write_parameters(pairs, who="test", cancelled=lambda: len(
            calls) >= 2, progress=lambda done, total, key: calls.append(done))
        assert [r.status for r in results] == ["written", "written", "not_sent", "not_sent",
                                               "not_sent"]
        assert [pbx_value(sim, k) for k, _ in pairs] == ["21", "21", "11", "11", "11"]
        assert service.key_states() == {}
        # The PBX refuses what the image allowed (multiple routes turned on behind its back).
        sim.call(lambda: sim.pbx.memory.write("system.multiple_routes", "on"))
        [refused] = service.write_parameters([("system.smart_routing", "on")], who="test")
        assert refused.status == "refused" and "multiple routes" in refused.reason
        assert service.key_states()["system.smart_routing"].state == "refused"
        sim.call(lambda: sim.pbx.memory.write("system.multiple_routes", "off"))
        service.write_parameters([(k, "11") for k, _ in pairs], who="test")


def test_the_clock_set_is_logged_in_the_site_time_for_people(
        sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """"PBX clock set; it takes effect at 2026-12-03 18:41 Asia/Shanghai", not the PBX's
    raw digits (202612031841)."""
    caplog.set_level("INFO", logger="callcenter.server.pbx.service")
    with _service(sim.url, tmp_path, sync_clock=True) as service:
        service.wait_ready(80)
        line = next(r.getMessage() for r in caplog.records
                    if r.getMessage().startswith("PBX clock set"))
    assert re.fullmatch(r"PBX clock set; it takes effect at \d{4}-\d\d-\d\d \d\d:\d\d "
                        r"Asia/Shanghai", line), line
    assert clock_minute_text("202612031841", ZoneInfo("Asia/Shanghai")) == (
        "2026-12-03 18:41 Asia/Shanghai")
    assert clock_minute_text("garbled", None) == "garbled"


def test_a_failing_audit_log_does_not_fail_the_write(sim: Simulator, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """The PBX holds the value whether or not the store can note it: the write is reported
    as done and the audit failure is logged."""
    with _service(sim.url, tmp_path) as service:
        service.wait_ready(20)
        database.execute_sql("ALTER TABLE audit RENAME TO audit_away")  # the store fails
        try:
            assert service.write_parameter("extension.009.day_class", "21") == "21"
            assert pbx_value(sim, "extension.009.day_class") == "21"
            assert "audit log: cannot record extension.009.day_class" in caplog.text
        finally:
            database.execute_sql("ALTER TABLE audit_away RENAME TO audit")
        service.write_parameter("extension.009.day_class", "11")
    assert entries(key="extension.009.day_class")[0] == 1  # the write back, audited again
