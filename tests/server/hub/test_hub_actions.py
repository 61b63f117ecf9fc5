"""Every action and event of the agent hub against the real simulator: the client acts, the
simulator's control port shows the effect (docs/agent-protocol.md sections 6 and 8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.common.agent.messages import validate_event, validate_result
from callcenter.pbxsim.app import Simulator
from callcenter.server.hub import AgentHub
from callcenter.server.pbx.service import PbxService
from callcenter.server.store.account_models import AgentMessage
from tests.server.hub.agent_client import PASSWORD, AgentClient
from tests.server.hub.hub_support import TEST_OPTIONS
from tests.server.pbxlink_support import FAST, ask, make_intake, wait_until

Agent = Callable[..., AgentClient]


def ext(sim: Simulator, port: str) -> dict[str, Any]:
    state = ask(sim, {"cmd": "state"})
    return next(e for e in state["extensions"] if e["port"] == port)


def slots(sim: Simulator) -> list[dict[str, Any]]:
    return list(ask(sim, {"cmd": "state"})["park_slots"])


@pytest.fixture(autouse=True)
def hang_up_everything(sim: Simulator) -> Iterator[None]:
    """The module shares one simulator: leave every port idle for the next test."""
    yield
    for e in ask(sim, {"cmd": "state"})["extensions"]:
        if e["state"] != "idle" or e["call_id"]:
            ask(sim, {"cmd": "hangup", "extension": e["port"]})


def checked(event: dict[str, Any]) -> dict[str, Any]:
    problem = validate_event(event)
    assert not isinstance(problem, Exception), problem
    return event


def ok(answer: dict[str, Any], action: str) -> dict[str, Any]:
    assert answer["ok"], answer
    assert validate_result(action, answer) is None
    return answer


def test_ring_reaches_the_agent_of_the_ringing_extension(sim: Simulator, agent: Agent
                                                         ) -> None:
    alice = agent("ring-alice", "002")
    bob = agent("ring-bob", "003")
    # caller_id_display of 002 is "off" (the factory default): the agent still sees the caller.
    rung = ask(sim, {"cmd": "ring", "extension": "002", "caller": "13800138000"})
    ring = checked(alice.wait_event("ring"))
    assert ring["call_id"] == rung["call_id"]
    assert (ring["caller"], ring["extension"], ring["number"]) == ("13800138000", "002", "8002")
    assert ring["trunk"] == ext(sim, "002")["trunk"] != ""
    state = checked(bob.wait_event("extension_state", port="002"))
    assert state["state"] == "ringing"
    assert not [e for e in bob.drain_events() if e["event"] == "ring"]  # not bob's port

    answered = ok(alice.request("answer"), "answer")
    assert answered["call_id"] == ring["call_id"]
    assert ext(sim, "002")["state"] == "talking"
    answer_event = checked(alice.wait_event("answer", extension="002"))
    assert answer_event["peer"] == "13800138000"

    hung = ok(alice.request("hangup"), "hangup")
    assert hung["call_id"] == ring["call_id"]
    assert ext(sim, "002")["state"] == "idle"
    hangup_event = checked(alice.wait_event("hangup", extension="002"))
    assert hangup_event["answered"] is True


def test_missed_call_hangup_says_not_answered(sim: Simulator, agent: Agent) -> None:
    carol = agent("miss-carol", "004")
    ask(sim, {"cmd": "ring", "extension": "004", "caller": "02087654321"})
    carol.wait_event("ring")
    ask(sim, {"cmd": "hangup", "extension": "004"})
    assert carol.wait_event("hangup", extension="004")["answered"] is False


def test_dial_and_redial(sim: Simulator, agent: Agent) -> None:
    dave = agent("dial-dave", "005")
    assert dave.request("redial")["error"]["code"] == "pbx_refused"
    dialled = ok(dave.request("dial", number="8006"), "dial")
    assert ext(sim, "006")["state"] == "ringing"
    assert ext(sim, "005")["call_id"] == dialled["call_id"]
    dave.wait_event("extension_state", port="006", state="ringing")
    ok(dave.request("hangup"), "hangup")
    wait_until(lambda: ext(sim, "006")["state"] == "idle", 5, "006 idle")
    again = ok(dave.request("redial"), "redial")
    assert again["call_id"] != dialled["call_id"]
    assert ext(sim, "006")["state"] == "ringing"


def test_normal_phone_needs_the_handset_lifted(sim: Simulator, agent: Agent) -> None:
    erin = agent("normal-erin", "007", device="normal")
    refused = erin.request("dial", number="8008")
    assert refused["error"] == {"code": "needs_offhook",
                                "message": "extension 007 is a normal phone: lift the handset "
                                           "first"}
    assert ext(sim, "008")["state"] == "idle"
    ask(sim, {"cmd": "offhook", "extension": "007"})
    erin.wait_event("extension_state", port="007", state="offhook")
    ok(erin.request("dial", number="8008"), "dial")
    assert ext(sim, "008")["state"] == "ringing"


def test_pbx_refusal_carries_the_reason(agent: Agent) -> None:
    frank = agent("refuse-frank", "009")
    answer = frank.request("answer")
    assert answer["error"] == {"code": "pbx_refused", "message": "extension 009 is not ringing"}


def _outside_call_answered(sim: Simulator, client: AgentClient, port: str) -> int:
    ask(sim, {"cmd": "ring", "extension": port, "caller": "13900001111"})
    client.wait_event("ring", extension=port)
    return int(ok(client.request("answer"), "answer")["call_id"])


def test_transfer(sim: Simulator, agent: Agent) -> None:
    gina = agent("xfer-gina", "010")
    call_id = _outside_call_answered(sim, gina, "010")
    assert ok(gina.request("transfer", target="011"), "transfer")["call_id"] == call_id
    assert ext(sim, "011")["state"] == "ringing" and ext(sim, "011")["call_id"] == call_id
    assert ext(sim, "010")["state"] == "idle"
    assert gina.request("transfer", target="099")["error"]["code"] == "not_found"


def test_hold_retrieve_and_conference(sim: Simulator, agent: Agent) -> None:
    hank = agent("conf-hank", "012")
    call_id = _outside_call_answered(sim, hank, "012")
    ok(hank.request("hold"), "hold")
    assert ext(sim, "012")["state"] == "held"
    hank.wait_event("extension_state", port="012", state="held")
    assert ok(hank.request("retrieve"), "retrieve")["call_id"] == call_id
    assert ext(sim, "012")["state"] == "talking"

    ok(hank.request("hold"), "hold")
    ok(hank.request("dial", number="8013"), "dial")
    ask(sim, {"cmd": "answer", "extension": "013"})
    joined = ok(hank.request("conference"), "conference")
    conf = joined["call_id"]
    assert ext(sim, "012")["call_id"] == ext(sim, "013")["call_id"] == conf
    assert ext(sim, "013")["state"] == "talking"
    trunks = ask(sim, {"cmd": "state"})["trunks"]
    assert any(t["call_id"] == conf for t in trunks)  # the outside party is in it too


def test_page(sim: Simulator, agent: Agent) -> None:
    ivan = agent("page-ivan", "014")
    paged = ok(ivan.request("page", target="015"), "page")
    assert ext(sim, "015")["call_id"] == ext(sim, "014")["call_id"] == paged["call_id"]
    assert ext(sim, "015")["state"] == "talking"


def test_pickup(sim: Simulator, agent: Agent) -> None:
    judy = agent("pickup-judy", "016")
    rung = ask(sim, {"cmd": "ring", "extension": "017", "caller": "13700001234"})
    judy.wait_event("extension_state", port="017", state="ringing")
    picked = ok(judy.request("pickup", target="017"), "pickup")
    assert picked["call_id"] == rung["call_id"]
    assert ext(sim, "016")["state"] == "talking"
    assert ext(sim, "017")["state"] == "idle"


def test_park_and_unpark(sim: Simulator, agent: Agent) -> None:
    kate = agent("park-kate", "018")
    leo = agent("park-leo", "019")
    call_id = _outside_call_answered(sim, kate, "018")
    parked = ok(kate.request("park"), "park")
    slot = parked["slot"]
    assert parked["call_id"] == call_id
    assert slots(sim)[slot - 1]["occupied"] is True
    event = checked(leo.wait_event("park_slot", slot=slot, occupied=True))
    assert (event["call_id"], event["port"]) == (call_id, "018")
    assert ext(sim, "018")["state"] == "idle"
    ok(leo.request("unpark", slot=slot), "unpark")
    assert slots(sim)[slot - 1]["occupied"] is False
    assert ext(sim, "019")["state"] == "talking" and ext(sim, "019")["call_id"] == call_id
    checked(kate.wait_event("park_slot", slot=slot, occupied=False))
    assert kate.request("unpark", slot=slot)["error"]["code"] == "pbx_refused"


def test_forward_set_and_clear(sim: Simulator, agent: Agent) -> None:
    mia = agent("fwd-mia", "020")
    answer = ok(mia.request("forward", on=True, number="8021"), "forward")
    assert set(answer) == {"type", "id", "ok"}  # no result fields
    assert ext(sim, "020")["forward"] == "8021"
    event = checked(mia.wait_event("forward", port="020"))
    assert (event["on"], event["number"]) == (True, "8021")
    ok(mia.request("forward", on=False), "forward")
    assert ext(sim, "020")["forward"] == ""
    assert mia.wait_event("forward", port="020")["on"] is False


def test_dnd_on_and_off(sim: Simulator, service: PbxService, agent: Agent) -> None:
    nina = agent("dnd-nina", "021")
    refused = nina.request("dnd", on=True)  # dnd_mode "none" (the factory default)
    assert refused["error"]["code"] == "pbx_refused"
    assert "dnd_mode" in refused["error"]["message"]
    service.write_parameter("extension.021.dnd_mode", "all")
    ok(nina.request("dnd", on=True), "dnd")
    assert ext(sim, "021")["dnd"] is True
    assert checked(nina.wait_event("dnd", port="021"))["on"] is True
    ok(nina.request("dnd", on=False), "dnd")
    assert ext(sim, "021")["dnd"] is False
    assert nina.wait_event("dnd", port="021")["on"] is False


def test_send_message_to_one_and_to_all(agent: Agent, connect: Callable[..., AgentClient]
                                        ) -> None:
    olga = agent("msg-olga", "001")
    pete = agent("msg-pete", "002")
    olga_too = connect()
    assert olga_too.login("msg-olga", extension="001")["ok"]
    olga_too.wait_event("snapshot")
    quinn = agent("msg-quinn", "003")

    sent = ok(olga.request("send_message", to="msg-pete", text="客户张先生回电了吗？"),
              "send_message")
    assert sent["delivered"] == 1
    got = checked(pete.wait_event("message"))
    assert (got["from"], got["to"], got["text"]) == ("msg-olga", "msg-pete", "客户张先生回电了吗？")
    assert olga_too.wait_event("message")["to"] == "msg-pete"  # the sender's other connection
    assert not [e for e in quinn.drain_events() if e["event"] == "message"]
    assert not [e for e in olga.drain_events() if e["event"] == "message"]

    everyone = ok(pete.request("send_message", to="ALL", text="午饭到了"), "send_message")
    assert everyone["delivered"] == 3
    for client in (olga, olga_too, quinn):
        assert client.wait_event("message")["to"] == "ALL"
    assert olga.request("send_message", to="nobody", text="hi")["error"] == {
        "code": "not_found", "message": "no account 'nobody'"}
    texts = [m.text for m in AgentMessage.select().order_by(AgentMessage.id)]
    assert texts[-2:] == ["客户张先生回电了吗？", "午饭到了"]


def test_agents_and_clients(agent: Agent, connect: Callable[..., AgentClient]) -> None:
    rose = agent("list-rose", "004", device="proprietary")
    sam = agent("list-sam", "005", role="admin")
    stranger = connect()
    agents = ok(rose.request("agents"), "agents")["agents"]
    assert [(a["user"], a["extension"], a["device"]) for a in agents] == [
        ("list-rose", "004", "proprietary"), ("list-sam", "005", "headset")]
    joined = checked(rose.wait_event("agent_joined", user="list-sam"))
    assert joined["extension"] == "005"
    assert rose.request("clients")["error"]["code"] == "forbidden"
    clients = ok(sam.request("clients"), "clients")["clients"]
    assert [(c["address"], c["user"], c["extension"]) for c in clients] == [
        ("127.0.0.1", "list-rose", "004"), ("127.0.0.1", "list-sam", "005"),
        ("127.0.0.1", "", "")]
    assert clients[2]["remote_port"] == stranger.sock.getsockname()[1]
    sam.close()
    left = checked(rose.wait_event("agent_left"))
    assert (left["user"], left["extension"]) == ("list-sam", "005")


def test_subscribe_and_unsubscribe(sim: Simulator, agent: Agent) -> None:
    tom = agent("sub-tom", "006")
    answer = ok(tom.request("unsubscribe", events=["extension_state", "snapshot", "x"]),
                "unsubscribe")
    assert "extension_state" not in answer["events"] and "snapshot" in answer["events"]
    assert answer["unknown"] == ["x"]
    ask(sim, {"cmd": "ring", "extension": "006", "caller": "13800000006"})
    ring = tom.wait_event("ring")
    first = tom.drain_events()
    assert not [e for e in first if e["event"] == "extension_state"]
    ok(tom.request("subscribe", events=["extension_state"]), "subscribe")
    ask(sim, {"cmd": "hangup", "extension": "006"})
    state = tom.wait_event("extension_state", port="006")
    events = [ring, *first, *tom.drain_events(), state]
    # unsubscribed events used no seq numbers: no gap
    assert sorted(e["seq"] for e in events) == list(range(2, 2 + len(events)))


def test_reconnect_resyncs_from_the_snapshot(sim: Simulator, hub: AgentHub,
                                             account: Callable[..., str]) -> None:
    account("resync-uma")
    first = AgentClient(hub.address)
    assert first.login("resync-uma", extension="022")["ok"]
    assert first.wait_event("snapshot")["seq"] == 1
    first.close()
    rung = ask(sim, {"cmd": "ring", "extension": "022", "caller": "13811112222"})
    with AgentClient(hub.address) as again:
        assert again.login("resync-uma", extension="022")["ok"]
        snapshot = checked(again.wait_event("snapshot"))
        assert snapshot["seq"] == 1
        row = next(e for e in snapshot["extensions"] if e["port"] == "022")
        assert (row["state"], row["call_id"], row["peer"]) == ("ringing", rung["call_id"],
                                                               "13811112222")
        call = next(c for c in snapshot["calls"] if c["call_id"] == rung["call_id"])
        assert (call["kind"], call["state"], call["ringing"], call["number"]) == (
            "incoming", "ringing", ["022"], "13811112222")


def test_logins_are_served_while_the_pbx_is_down(tmp_path: Path) -> None:
    from callcenter.server.accounts import add_account

    with PbxService("socket://127.0.0.1:9", tmp_path, sink=make_intake(tmp_path),
                    link_options=FAST) as down, \
            AgentHub(down, host="127.0.0.1", port=0, options=TEST_OPTIONS) as hub:
        add_account("down-vic", "agent", PASSWORD)
        with AgentClient(hub.address) as client:
            assert client.login("down-vic", extension="001")["ok"]
            snapshot = checked(client.wait_event("snapshot"))
            assert snapshot["link"] == "down"
            answer = client.request("dial", number="8002")
            assert answer["error"]["code"] == "pbx_unavailable"
            assert "down" in answer["error"]["message"]


def test_link_down_and_up_events_then_a_new_snapshot(sim: Simulator, service: PbxService,
                                                     agent: Agent) -> None:
    wendy = agent("link-wendy", "023")
    ask(sim, {"cmd": "fault", "kind": "disconnect"})
    down = checked(wendy.wait_event("link", timeout=10, state="down"))
    assert down["reason"]
    up = checked(wendy.wait_event("link", timeout=15, state="up"))
    snapshot = checked(wendy.wait_event("snapshot", timeout=15))
    assert snapshot["seq"] > up["seq"] > down["seq"]
    assert snapshot["link"] == "up"
    service.wait_ready(15)
