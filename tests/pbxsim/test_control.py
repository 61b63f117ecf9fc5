"""The JSON-lines control port: commands, their effects, and bad requests."""

from __future__ import annotations

import json

import pytest

from callcenter.pbxsim.control import MAX_LINE, ControlClient
from tests.pbxsim.pcclient import wait_until


def _states(control: ControlClient) -> dict[str, str]:
    return {e["port"]: e["state"] for e in control.request({"cmd": "state"})["extensions"]}


@pytest.mark.parametrize("line, error", [
    (b"not json", "JSON"),
    (b"[1, 2]", "object"),
    (b'{"cmd": "fly"}', "unknown cmd"),
    (b'{"no": "cmd"}', "unknown cmd"),
    (b'{"cmd": "ring", "caller": "13800000000"}', "extension"),
    (b'{"cmd": "ring", "extension": "999", "caller": "1"}', "no port"),
    (b'{"cmd": "call", "extension": "001", "number": "12ab", "duration": 5}', "digits"),
    (b'{"cmd": "call", "extension": "001", "number": "88001234", "duration": -1}', "duration"),
    (b'{"cmd": "burst", "count": 0}', "count"),
    (b'{"cmd": "burst", "count": "many"}', "count"),
    (b'{"cmd": "fault", "kind": "meteor"}', "kind"),
    (b'{"cmd": "get", "key": "no.such.key"}', "no parameter"),
    (b'{"cmd": "set", "key": "extension.001.number", "value": "x"}', "extension.001.number"),
    (b'\xff\xfe', "JSON"),
])
def test_bad_requests_get_an_error_and_the_connection_lives_on(
        control: ControlClient, line: bytes, error: str) -> None:
    control.send_raw(line + b"\n")
    answer = control.read_answer()
    assert answer["ok"] is False
    assert error in answer["error"]
    assert control.request({"cmd": "ping"}) == {"ok": True}


def test_over_long_line_gets_one_error(control: ControlClient) -> None:
    control.send_raw(b'{"cmd": "ping", "pad": "' + b"x" * (MAX_LINE + 10) + b'"}\n')
    answer = control.read_answer()
    assert answer["ok"] is False and "longer" in answer["error"]
    assert control.request({"cmd": "ping"}) == {"ok": True}  # no second answer in between


def test_several_requests_in_one_write_get_answers_in_order(control: ControlClient) -> None:
    control.send_raw(b'{"cmd":"ping"}\n\n{"cmd":"clock"}\n{"cmd":"counters"}\n')
    assert control.read_answer() == {"ok": True}
    assert len(control.read_answer()["pbx_time"]) == 14
    assert "records_issued" in control.read_answer()


def test_counters(control: ControlClient) -> None:
    counters = control.request({"cmd": "counters"})
    for key in ("records_issued", "records_acked", "retransmissions", "buffered",
                "bad_frames", "connections"):
        assert counters[key] == 0, key


def test_ring_answer_hangup(control: ControlClient) -> None:
    ring = control.request({"cmd": "ring", "extension": "005", "caller": "13912345678"})
    assert ring["ok"] and ring["call_id"] > 0
    assert _states(control)["005"] == "ringing"
    assert control.request({"cmd": "answer", "extension": "005"})["call_id"] == ring["call_id"]
    assert _states(control)["005"] == "talking"
    assert control.request({"cmd": "hangup", "extension": "005"})["ok"]
    assert _states(control)["005"] == "idle"
    counters = control.request({"cmd": "counters"})
    assert counters["records_issued"] == 1  # an answered incoming call is recorded


def test_offhook_dial_onhook_incoming(control: ControlClient) -> None:
    assert control.request({"cmd": "offhook", "extension": "010"})["ok"]
    assert _states(control)["010"] != "idle"
    dial = control.request({"cmd": "dial", "extension": "010", "digits": "8011"})
    assert dial["ok"] and dial["call_id"] > 0
    assert _states(control)["011"] == "ringing"
    assert control.request({"cmd": "onhook", "extension": "010"})["ok"]
    assert _states(control)["010"] == _states(control)["011"] == "idle"
    incoming = control.request({"cmd": "incoming", "caller": "02087654321"})
    assert incoming["ok"] and incoming["call_id"] > 0
    assert "ringing" in _states(control).values()


def test_call_refused_by_the_pbx_is_an_error_and_no_record(control: ControlClient) -> None:
    assert control.request({"cmd": "set", "key": "extension.001.day_class",
                            "value": "41"})["ok"]
    assert control.request({"cmd": "set", "key": "extension.001.night_class",
                            "value": "41"})["ok"]
    answer = control.request({"cmd": "call", "extension": "001", "number": "01012345678",
                              "duration": 30})
    assert answer["ok"] is False and answer["error"]
    assert control.request({"cmd": "counters"})["records_issued"] == 0


def test_parameters(control: ControlClient) -> None:
    assert control.request({"cmd": "get", "key": "extension.001.number"})["value"] == "8001"
    assert control.request({"cmd": "set", "key": "extension.001.number",
                            "value": "8101"})["value"] == "8101"
    params = control.request({"cmd": "params"})["params"]
    assert params["extension.001.number"] == "8101"
    assert len(params) > 24


def test_traffic_rate_makes_calls(control: ControlClient) -> None:
    assert control.request({"cmd": "traffic", "rate": 600})["rate"] == 600
    wait_until(lambda: set(_states(control).values()) != {"idle"}, what="a generated call")
    control.request({"cmd": "traffic", "rate": 0})


def test_answer_is_one_json_line(control: ControlClient) -> None:
    control.send_raw(json.dumps({"cmd": "state"}).encode() + b"\n")
    answer = control.read_answer()
    assert answer["ok"] and len(answer["park_slots"]) == 6
