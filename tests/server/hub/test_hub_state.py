"""PBX notices -> protocol events (pure), and random bytes thrown at a live session."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.common.agent.catalog import EVENTS, check_fields
from callcenter.common.pbx.messages import ExtensionState, ParkSlotState, TrunkState
from callcenter.server.hub import AgentHub
from callcenter.server.hub.session import EncodedEvent
from callcenter.server.hub.state import PbxView
from tests.server.hub.agent_client import AgentClient


def names(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.name for e in events]


def valid(view: PbxView, notice: ExtensionState | TrunkState | ParkSlotState) -> list[str]:
    events = view.apply(notice)
    for item in events:
        assert check_fields(EVENTS[item.name].fields, item.data) is None, item
    return names(events)


def test_a_call_from_ring_to_hangup() -> None:
    view = PbxView()
    view.set_numbers({"002": "8002"})
    view.load([ExtensionState("002", "idle")], [TrunkState("01", "idle")],
              [ParkSlotState(s, False) for s in range(1, 7)])
    assert valid(view, TrunkState("01", "incoming", "13800138000", "", 7)) == ["trunk_state"]
    assert valid(view, ExtensionState("002", "ringing", "13800138000", "01", 7)) == [
        "extension_state", "ring"]
    ring = view.apply(ExtensionState("002", "idle"))  # (to get at the ring's fields again)
    assert names(ring) == ["hangup", "extension_state"]
    assert ring[0].data["answered"] is False
    view.apply(ExtensionState("002", "ringing", "13800138000", "01", 8))
    assert valid(view, ExtensionState("002", "talking", "13800138000", "01", 8)) == [
        "extension_state", "answer"]
    assert valid(view, ExtensionState("002", "held", "13800138000", "01", 8)) == [
        "extension_state"]
    assert valid(view, ExtensionState("002", "talking", "13800138000", "01", 8)) == [
        "extension_state"]  # taking a held call back is not a new answer
    assert valid(view, ExtensionState("002", "talking", "13800138000", "01", 8, "8005")) == [
        "forward"]
    assert valid(view, ExtensionState("002", "talking", "13800138000", "01", 8, "8005",
                                      True)) == ["dnd"]
    hangup = view.apply(ExtensionState("002", "idle", forward="8005", dnd=True))
    assert names(hangup) == ["hangup", "extension_state"]
    assert hangup[0].data["answered"] is True
    assert valid(view, ParkSlotState(2, True, "13800138000", "002", 8)) == ["park_slot"]
    assert valid(view, ParkSlotState(2, True, "13800138000", "002", 8)) == []


def test_ring_goes_to_the_port_and_carries_the_caller() -> None:
    view = PbxView()
    view.set_numbers({"003": "8003"})
    ring = next(e for e in view.apply(ExtensionState("003", "ringing", "02087654321", "02",
                                                     11)) if e.name == "ring")
    assert ring.port == "003"
    assert ring.data == {"call_id": 11, "caller": "02087654321", "trunk": "02",
                         "extension": "003", "number": "8003"}


def test_calls_in_progress_of_the_snapshot() -> None:
    view = PbxView()
    view.set_numbers({"001": "8001", "002": "8002", "003": "8003"})
    view.load([ExtensionState("001", "dialing", "8002", "", 5),
               ExtensionState("002", "ringing", "8001", "", 5),
               ExtensionState("003", "talking", "13800138000", "01", 6)],
              [TrunkState("01", "talking", "13800138000", "003", 6)],
              [ParkSlotState(1, True, "13900000000", "004", 9), *(
                  ParkSlotState(s, False) for s in range(2, 7))])
    fields = view.snapshot_fields()
    assert check_fields(EVENTS["snapshot"].fields,
                        {**fields, "agents": [], "link": "up", "part": 1, "parts": 1}) \
        is None
    calls = {c["call_id"]: c for c in fields["calls"]}
    assert calls[5] == {"call_id": 5, "kind": "internal", "state": "ringing", "trunk": "",
                        "number": "8001", "ports": ["001"], "ringing": ["002"]}
    assert calls[6]["state"] == "talking" and calls[6]["number"] == "13800138000"
    assert calls[9]["state"] == "parked" and calls[9]["ports"] == []


def test_encoded_event_lines() -> None:
    line = EncodedEvent("dnd", "2024-06-01T09:37:05.000+08:00", {"port": "002", "on": True})
    assert line.line(11) == (b'{"type":"event","event":"dnd","seq":11,"time":'
                             b'"2024-06-01T09:37:05.000+08:00","port":"002","on":true}\n')
    empty = EncodedEvent("x", "2024-06-01T09:37:05.000+08:00", {})
    assert empty.line(1).endswith(b'"time":"2024-06-01T09:37:05.000+08:00"}\n')


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"\n", b"{}\n", b'{"type":"request"}\n', b'{"type":"login","id":1}\n',
                     b'{"type":"request","id":1,"action":"dial","number":""}\n',
                     b"\xff\n", b"[]\n", b'{"id":' * 50 + b"\n"])), max_size=8))
def test_random_bytes_never_kill_a_session(hub: AgentHub, junk: list[bytes]) -> None:
    with AgentClient(hub.address) as client:
        client.send_raw(b"".join(junk) + b"\n")
        client.send({"type": "request", "id": "after-the-junk", "action": "ping"})
        answer = client.read_response("after-the-junk")
        assert answer["ok"], answer
        for other in client.responses:
            assert other["type"] == "response" and other["ok"] is False
