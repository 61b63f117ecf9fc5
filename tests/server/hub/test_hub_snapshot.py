"""The snapshot of a large PBX comes in parts, no line over the protocol's 64 KiB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.common.agent.codec import MAX_LINE, encode
from callcenter.common.agent.messages import validate_event
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.accounts import add_account
from callcenter.server.hub import AgentHub, HubOptions
from callcenter.server.hub.snapshot import LISTS, split_snapshot
from callcenter.server.service import PbxService
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST

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
def big_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentHub]:
    with Simulator(SimulatorConfig(seed=2, extensions=PORTS, trunks=32)) as sim, \
            PbxService(sim.url, Path(tmp_path_factory.mktemp("data")),
                       link_options=FAST) as service:
        service.wait_ready(60)
        add_account("night", "agent", PASSWORD)
        hub = AgentHub(service, host="127.0.0.1", port=0, options=HubOptions(
            **TEST_OPTIONS.__dict__))
        hub.start()
        try:
            yield hub
        finally:
            hub.stop()


def test_a_900_port_pbx_snapshot_arrives_in_parts_within_the_line_limit(
        big_hub: AgentHub) -> None:
    with AgentClient(big_hub.address, timeout=20) as client:  # its decoder allows 64 KiB
        assert client.login("night", extension="450", device="headset")["ok"]
        parts = [client.read()]
        while parts[-1]["part"] < parts[-1]["parts"]:
            parts.append(client.read())
    assert [(p["event"], p["seq"], p["part"]) for p in parts] == \
        [("snapshot", n, n) for n in range(1, len(parts) + 1)]
    assert len(parts) >= 2
    for part in parts:
        problem = validate_event(part)
        assert not isinstance(problem, Exception), problem
        assert len(encode(part, max_line=1 << 24)) <= MAX_LINE
    ports = [e["port"] for p in parts for e in p["extensions"]]
    assert ports == [f"{n:03d}" for n in range(1, PORTS + 1)]
    assert len([t for p in parts for t in p["trunks"]]) == 32
    assert [a["user"] for p in parts for a in p["agents"]] == ["night"]
