"""The snapshot of a large PBX comes in parts, no line over the protocol's 64 KiB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.common.agent.codec import MAX_LINE, encode
from callcenter.common.agent.messages import validate_event
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.hub.snapshot import LISTS, split_snapshot
from callcenter.server.pbx.service import PbxService
from callcenter.server.store.settings import set_setting
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST, ask, make_intake, wait_until

PORTS = 900


def fields(extensions: int, agents: int) -> dict[str, object]:
    return {
        "extensions": [{"port": f"{p:03d}", "number": f"{8000 + p}", "name": "客房",
                        "state": "idle", "peer": "", "trunk": "", "call_id": 0,
                        "forward": "", "dnd": False} for p in range(1, extensions + 1)],
        "trunks": [{"trunk": f"{t:02d}", "state": "idle", "number": "", "port": "",
                    "call_id": 0} for t in range(1, 33)],
        "park_slots": [{"slot": s, "occupied": False, "number": "", "port": "", "call_id": 0}
                       for s in range(1, 7)],
        "calls": [],
        "agents": [{"user": f"agent{a}", "extension": f"{a:03d}", "device": "headset",
                    "since": "2026-11-26T08:00:00.000+08:00"} for a in range(agents)],
        "link": "up",
    }


def test_a_small_snapshot_is_one_part() -> None:
    whole = fields(24, 3)
    assert split_snapshot(whole) == [{**whole, "part": 1, "parts": 1}]


@pytest.mark.parametrize(("extensions", "agents", "budget"),
                         [(900, 200, 65024), (300, 0, 4000), (5, 400, 2000)])
def test_parts_keep_every_item_in_order_and_under_the_budget(
        extensions: int, agents: int, budget: int) -> None:
    whole = fields(extensions, agents)
    parts = split_snapshot(whole, budget)
    assert len(parts) > 1
    assert [p["part"] for p in parts] == list(range(1, len(parts) + 1))
    assert {p["parts"] for p in parts} == {len(parts)} and {p["link"] for p in parts} == {"up"}
    for name in LISTS:
        assert [item for p in parts for item in p[name]] == whole[name]
    for part in parts:
        size = len(json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode())
        assert size <= budget


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, AgentHub]]:
    """A 900-port PBX; the hub starts before the PBX link, as ``callcenter-server`` does, so
    it takes the PBX's paged state snapshot itself."""
    with Simulator(SimulatorConfig(seed=2, extensions=PORTS, trunks=32)) as sim:
        data = Path(tmp_path_factory.mktemp("data"))
        service = PbxService(sim.url, data, sink=make_intake(data), link_options=FAST)
        hub = AgentHub(service, host="127.0.0.1", port=0,
                       options=HubOptions(**TEST_OPTIONS.__dict__))
        hub.start()
        try:
            service.start()
            service.wait_ready(60)
            add_account("night", "agent", PASSWORD)
            yield sim, hub
        finally:
            hub.stop()
            service.stop()


def read_snapshot(client: AgentClient) -> list[dict[str, Any]]:
    """Every part of the next snapshot (other events before it are skipped)."""
    first = client.wait_event("snapshot", timeout=20, part=1)
    parts = [first]
    while parts[-1]["part"] < parts[-1]["parts"]:
        parts.append(client.read())
    return parts


def check_whole(parts: list[dict[str, Any]]) -> None:
    first_seq = parts[0]["seq"]
    assert [(p["event"], p["seq"], p["part"]) for p in parts] == \
        [("snapshot", first_seq + n, n + 1) for n in range(len(parts))]
    assert len(parts) >= 2
    for part in parts:
        problem = validate_event(part)
        assert not isinstance(problem, Exception), problem
        assert len(encode(part, max_line=1 << 24)) <= MAX_LINE
    ports = [e["port"] for p in parts for e in p["extensions"]]
    assert ports == [f"{n:03d}" for n in range(1, PORTS + 1)]
    assert len([t for p in parts for t in p["trunks"]]) == 32
    assert [s["slot"] for p in parts for s in p["park_slots"]] == [1, 2, 3, 4, 5, 6]


def test_a_900_port_pbx_snapshot_arrives_in_parts_within_the_line_limit(
        big: tuple[Simulator, AgentHub]) -> None:
    sim, hub = big
    with AgentClient(hub.address, timeout=20) as client:  # its decoder allows 64 KiB
        assert client.login("night", extension="450", device="headset")["ok"]
        parts = read_snapshot(client)
        assert parts[0]["seq"] == 1
        check_whole(parts)
        assert [a["user"] for p in parts for a in p["agents"]] == ["night"]
        # The link drops and comes back: the PBX's paged snapshot makes one whole snapshot.
        ask(sim, {"cmd": "fault", "kind": "disconnect"})
        client.wait_event("link", timeout=20, state="down")
        client.wait_event("link", timeout=20, state="up")
        check_whole(read_snapshot(client))


@pytest.fixture
def small(tmp_path: Path) -> Iterator[tuple[Simulator, AgentHub]]:
    with Simulator(SimulatorConfig(seed=4, state_file=tmp_path / "pbx.json")) as sim, \
            PbxService(sim.url, tmp_path / "data", sink=make_intake(tmp_path / "data"),
                       link_options=FAST) as service:
        service.wait_ready(20)
        add_account("dawn", "agent", PASSWORD)
        hub = AgentHub(service, host="127.0.0.1", port=0, options=HubOptions(
            **{**TEST_OPTIONS.__dict__, "settings_interval": 0.2}))
        hub.start()
        try:
            yield sim, hub
        finally:
            hub.stop()


def test_call_ids_stay_unique_when_the_pbx_restarts_and_numbers_calls_again(
        small: tuple[Simulator, AgentHub]) -> None:
    sim, hub = small
    with AgentClient(hub.address) as client:
        assert client.login("dawn", extension="004", device="headset")["ok"]
        client.wait_event("snapshot")
        before = []
        for _ in range(3):  # internal calls: 004 dials 8005, both hang up
            before.append(client.request("dial", number="8005")["call_id"])
            client.wait_event("extension_state", port="004", state="dialing")
            ask(sim, {"cmd": "hangup", "extension": "004"})
            client.wait_event("hangup", extension="004")
        assert len(set(before)) == 3
        ask(sim, {"cmd": "fault", "kind": "reboot"})  # the PBX numbers its calls from 1 again
        client.wait_event("link", timeout=20, state="down")
        client.wait_event("link", timeout=20, state="up")
        client.wait_event("snapshot", timeout=20)
        ask(sim, {"cmd": "ring", "extension": "004", "caller": "13800138000"})
        ring = client.wait_event("ring", extension="004")
        assert ring["call_id"] not in before and ring["caller"] == "13800138000"
        # Parking in the first free slot finds the slot by the hub's id of the call.
        assert client.request("answer")["ok"]
        parked = client.request("park")
        assert parked["ok"] and parked["call_id"] == ring["call_id"], parked
        slot = client.wait_event("park_slot", slot=parked["slot"], occupied=True)
        assert slot["call_id"] == ring["call_id"]
    with AgentClient(hub.address) as other:
        assert other.login("dawn", extension="006", device="headset")["ok"]
        snapshot = other.wait_event("snapshot")
        call = next(c for c in snapshot["calls"] if c["call_id"] == ring["call_id"])
        assert (call["kind"], call["state"], call["ringing"]) == ("incoming", "parked", [])


def test_hello_says_the_password_setting_that_applies_now(
        small: tuple[Simulator, AgentHub]) -> None:
    _, hub = small

    def hello_required() -> bool:
        with AgentClient(hub.address) as client:
            return bool(client.hello["password_required"])

    assert hello_required() is True
    hub.call(lambda: None)  # the hub is up; change the setting in the store, as the CLI does
    set_setting("agent.password_required", "false", "test")
    wait_until(lambda: hello_required() is False, 10, "the hello follows the setting")
    set_setting("agent.password_required", "true", "test")
    wait_until(lambda: hello_required() is True, 10, "and back")
