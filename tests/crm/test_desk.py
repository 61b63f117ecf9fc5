"""The desk (phone-state model) from event dicts only: snapshot in parts, this port's call
through ring/answer/hold/hangup, park slots, agents, forward/dnd, link, connection, and the
changes reported so that a view redraws only what changed."""

from __future__ import annotations

from typing import Any

from callcenter.crm_client.desk import ALL, Desk, DeskChange, MyCall


def ev(event: str, seq: int = 2, **fields: Any) -> dict[str, Any]:
    return {"type": "event", "event": event, "seq": seq, "time": "2026-12-03T09:30:00.000+08:00",
            **fields}


def ext(port: str, state: str = "idle", peer: str = "", call_id: int = 0, trunk: str = "",
        *, name: str = "") -> dict[str, Any]:
    return {"port": port, "number": f"8{port}", "name": name, "state": state, "peer": peer,
            "trunk": trunk, "call_id": call_id, "forward": "", "dnd": False}


def mine(desk: Desk) -> MyCall | None:
    """This port's call (a function, so that type checkers do not narrow it for good)."""
    return desk.my_call


def synced(desk: Desk) -> bool:
    return desk.synced


def snapshot(part: int = 1, parts: int = 1, **arrays: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"extensions": [], "trunks": [], "park_slots": [], "calls": [],
                            "agents": [], "link": "up", "part": part, "parts": parts}
    return ev("snapshot", seq=part, **{**base, **arrays})


def test_snapshot_in_parts_replaces_everything_at_the_last_part() -> None:
    desk = Desk("002")
    assert desk.apply(snapshot(1, 2, extensions=[ext("001", name="前台"), ext("002")],
                               trunks=[{"trunk": "01", "state": "idle", "number": "",
                                        "port": "", "call_id": 0}])) == []
    assert not synced(desk) and desk.extensions == {}
    changes = desk.apply(snapshot(2, 2, extensions=[ext("003")],
                                  park_slots=[{"slot": 2, "occupied": True,
                                               "number": "13800138000", "port": "001",
                                               "call_id": 9}],
                                  agents=[{"user": "bob", "extension": "001",
                                           "device": "normal", "since": "x"}]))
    assert changes == [ALL] and synced(desk)
    assert sorted(desk.extensions) == ["001", "002", "003"]
    assert desk.name_of("001") == "前台" and desk.port_of_number("8003") == "003"
    assert len(desk.park_slots) == 6
    assert desk.park_slots[2].occupied and not desk.park_slots[1].occupied
    assert [a.user for a in desk.agents] == ["bob"]
    assert desk.pbx_link == "up" and desk.trunks["01"].state == "idle"
    # a later snapshot replaces, it does not add
    desk.apply(snapshot(extensions=[ext("001")]))
    assert sorted(desk.extensions) == ["001"] and not desk.park_slots[2].occupied


def test_my_incoming_call_ring_answer_hold_hangup() -> None:
    desk = Desk("002")
    desk.apply(snapshot(extensions=[ext("001"), ext("002")]))
    assert desk.apply(ev("extension_state", **ext("002", "ringing", "013800138000", 22, "01"))
                      ) == [DeskChange("extension", "002"), DeskChange("my_call")]
    assert desk.apply(ev("ring", call_id=22, caller="013800138000", trunk="01",
                         extension="002", number="8002")) == []  # nothing new to draw
    assert mine(desk) == MyCall(22, "ringing", "013800138000", "01", "in", "013800138000")
    desk.apply(ev("extension_state", **ext("002", "talking", "013800138000", 22, "01")))
    desk.apply(ev("answer", call_id=22, extension="002", peer="013800138000", trunk="01"))
    call = mine(desk)
    assert call is not None and call.state == "talking" and call.answered
    desk.apply(ev("extension_state", **ext("002", "held", "013800138000", 22, "01")))
    call = mine(desk)
    assert call is not None and call.state == "held"
    # another port's change does not touch my call
    assert desk.apply(ev("extension_state", **ext("001", "offhook"))) == [
        DeskChange("extension", "001")]
    changes = desk.apply(ev("extension_state", **ext("002")))
    assert DeskChange("my_call") in changes and mine(desk) is None
    assert desk.apply(ev("hangup", call_id=22, extension="002", peer="x", trunk="01",
                         answered=True)) == []


def test_ring_before_the_state_and_a_ring_of_another_port() -> None:
    desk = Desk("002")
    desk.apply(snapshot(extensions=[ext("002"), ext("003")]))
    assert desk.apply(ev("ring", call_id=5, caller="8003", trunk="", extension="002",
                         number="8002")) == [DeskChange("my_call")]
    assert mine(desk) == MyCall(5, "ringing", "8003", "", "internal", "8003")
    assert desk.apply(ev("ring", call_id=6, caller="1", trunk="01", extension="003",
                         number="8003")) == []


def test_an_outgoing_call_dialled_on_the_phone() -> None:
    desk = Desk("004")
    desk.apply(snapshot(extensions=[ext("004"), ext("005")]))
    desk.apply(ev("extension_state", **ext("004", "offhook")))
    assert mine(desk) is None
    desk.apply(ev("extension_state", **ext("004", "dialing", "0138", 31)))
    call = mine(desk)
    assert call is not None and call.direction == "out"
    desk.apply(ev("extension_state", **ext("004", "talking", "013800138000", 31, "02")))
    assert mine(desk) == MyCall(31, "talking", "013800138000", "02", "out", "", True)


def test_a_snapshot_with_my_call_in_progress_keeps_its_kind() -> None:
    desk = Desk("002")
    desk.apply(snapshot(extensions=[ext("002", "talking", "13900001111", 40, "01")],
                        calls=[{"call_id": 40, "kind": "incoming", "state": "talking",
                                "trunk": "01", "number": "13900001111", "ports": ["002"],
                                "ringing": []}]))
    assert mine(desk) == MyCall(40, "talking", "13900001111", "01", "in", "", True)
    assert desk.call_directions() == {40: "in"}


def test_park_forward_dnd_agents_link_and_connection() -> None:
    desk = Desk("002")
    desk.apply(snapshot(extensions=[ext("002")]))
    assert desk.apply(ev("park_slot", slot=3, occupied=True, number="139", port="002",
                         call_id=7)) == [DeskChange("park_slot", "3")]
    assert desk.park_slots[3].occupied and desk.park_slots[3].number == "139"
    assert desk.apply(ev("park_slot", slot=9, occupied=True)) == []  # no such slot
    assert desk.apply(ev("forward", port="002", on=True, number="8003")) == [
        DeskChange("extension", "002")]
    assert desk.extensions["002"].forward == "8003"
    desk.apply(ev("forward", port="002", on=False, number=""))
    assert desk.extensions["002"].forward == ""
    desk.apply(ev("dnd", port="002", on=True))
    assert desk.extensions["002"].dnd
    desk.apply(ev("agent_joined", user="carol", extension="004", device="headset", since="t"))
    desk.apply(ev("agent_joined", user="carol", extension="004", device="headset", since="u"))
    assert desk.apply(ev("agent_left", user="carol", extension="004")) == [
        DeskChange("agents")]
    assert [a.since for a in desk.agents] == ["u"]  # one session of two left
    assert desk.apply(ev("link", state="down", reason="x")) == [DeskChange("link")]
    assert desk.apply(ev("link", state="down", reason="x")) == []
    assert desk.connection_changed("online") == [DeskChange("connection")]
    assert synced(desk)
    assert desk.connection_changed("retrying") == [DeskChange("connection")]
    assert not synced(desk)  # stale until the next snapshot


def test_unknown_events_fields_and_states_are_tolerated() -> None:
    desk = Desk("002")
    assert desk.apply(ev("weather", sun=True)) == []
    assert desk.apply({"no": "event"}) == []
    desk.apply(snapshot(extensions=[{**ext("002"), "colour": "red"}]))
    desk.apply(ev("extension_state", **ext("002", "levitating", "", 3)))
    assert desk.extensions["002"].state == "levitating" and mine(desk) is None
    desk.apply(ev("extension_state", port="", state="idle"))
    assert "" not in desk.extensions


def test_a_long_day_without_a_snapshot_keeps_the_desk_bounded() -> None:
    desk = Desk("002")
    desk.apply(snapshot(extensions=[ext("002")]))
    for call_id in range(1, 2001):
        desk.apply(ev("ring", call_id=call_id, caller="13800138000", trunk="01",
                      extension="002", number="8002"))
        desk.apply(ev("extension_state", **ext("002")))
    assert len(desk.call_directions()) <= 256 and mine(desk) is None
    assert desk.call_directions()[2000] == "in"
