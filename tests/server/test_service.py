"""PbxService against the real simulator: verification, writes, clock, states, records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from callcenter.common.pbx.messages import ExtensionState
from callcenter.common.schema import Group, ParameterError
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.events import RecordStored, ServiceEvent, VerificationProgress
from callcenter.server.link import PbxTimeout
from callcenter.server.service import PbxService
from callcenter.server.store.db import open_store
from callcenter.server.store.models import CallRecordRow
from tests.server.pbxlink_support import FAST, ask, no_leaked_threads, pty_sim, sim, wait_until

__all__ = ["no_leaked_threads", "pty_sim", "sim"]


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
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
        service.add_listener(progress.append)
        service.wait_ready(20)
        assert service.image.params == pbx_params(sim)
        assert service.verifications[-1].groups_read == tuple(Group)
        wait_until(lambda: any(isinstance(e, VerificationProgress) for e in progress), 5,
                   "progress events")
        last = [e for e in progress if isinstance(e, VerificationProgress)][-1]
        assert last.done == last.total == service.verifications[-1].rows_read
    assert (tmp_path / "image.json").exists()

    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
        service.wait_ready(20)
        assert service.verifications[-1].groups_read == ()
        assert service.verifications[-1].rows_read == 0
        assert service.image.params == pbx_params(sim)

    ask(sim, {"cmd": "set", "key": "trunk.01.route", "value": "3"})  # changed at the PBX
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
        service.wait_ready(20)
        assert service.verifications[-1].groups_read == (Group.TRUNK,)
        assert service.image.params["trunk.01.route"] == "3"
        assert service.image.params == pbx_params(sim)


def test_write_reads_back_and_bad_values_are_never_sent(sim: Simulator, tmp_path: Path
                                                       ) -> None:
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
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


def test_every_key_round_trips_through_the_service(sim: Simulator, tmp_path: Path) -> None:
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
        service.wait_ready(20)
        before = service.image.params
        assert set(before) == set(service.schema.keys())
        for key, value in before.items():
            assert service.write_parameter(key, value) == value
        again = service.verify(force=True)
        assert again.image.params == before == pbx_params(sim)


def test_clock_set_says_when_it_takes_effect(sim: Simulator, tmp_path: Path) -> None:
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
        service.wait_ready(20)
        when = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone(timedelta(hours=8)))
        effective = service.set_clock(when)
        assert len(effective) == 12 and effective.isdigit()


def test_snapshot_then_events_from_a_ring(sim: Simulator, tmp_path: Path) -> None:
    events: list[ServiceEvent] = []
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
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
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
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
    # Rated at intake: the manual's default tariff has no row for 020..., so the record is
    # kept with cost 0 and flagged, not dropped.
    assert first.unknown and first.cost_fen == 0


@pytest.mark.parametrize("kind", ["disconnect", "reboot"])
def test_records_survive_line_faults(sim: Simulator, tmp_path: Path, kind: str) -> None:
    with PbxService(sim.url, tmp_path, link_options=FAST) as service:
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
    with PbxService(pty_sim.url, tmp_path, link_options=FAST) as service:
        service.wait_ready(20)
        assert service.image.params == pbx_params(pty_sim)
        ask(pty_sim, {"cmd": "burst", "count": 10})
        wait_until(lambda: counters(pty_sim)["records_acked"] == 10, 20, "10 records acked")
    assert len(_stored_sequences(tmp_path)) == 10


def test_missing_port_keeps_retrying_with_a_clear_reason(tmp_path: Path) -> None:
    with PbxService("/dev/ttyNO_SUCH_PORT", tmp_path, link_options=FAST) as service, \
            pytest.raises(PbxTimeout, match="cannot open PBX port /dev/ttyNO_SUCH_PORT"):
        service.wait_ready(1)


def test_a_large_pbx_snapshot_comes_in_pages(tmp_path: Path) -> None:
    """300 extension ports do not fit one frame: the state snapshot is paged."""
    with Simulator(SimulatorConfig(seed=2, extensions=300, trunks=32)) as big, \
            PbxService(big.url, tmp_path, link_options=FAST) as service:
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
