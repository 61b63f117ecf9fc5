"""DISA (S-26): calls in on a DISA trunk answered by the PBX, dialling out on a DISA password.

The engine directly (time passed in), then the real simulator over TCP: the control port's
``disa`` command and the live ``incoming`` / ``dial`` / ``hangup`` by trunk, with the record
read by a PC over the serial protocol.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from callcenter.common.pbx import messages as m
from callcenter.common.schema import build_schema
from callcenter.pbxsim.app import Simulator
from callcenter.pbxsim.control import ControlClient
from callcenter.pbxsim.engine import CallEngine, EngineError, PendingRecord
from callcenter.pbxsim.memory import ParameterMemory
from tests.pbxsim.pcclient import PcClient

TZ = timezone(timedelta(hours=8))
T0 = datetime(2024, 5, 6, 10, 0, 0, tzinfo=TZ)
CALLER = "02087654321"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def memory() -> ParameterMemory:
    memory = ParameterMemory(build_schema(24, 8))
    memory.write("trunk.01.disa", "on")
    memory.write("disa_password.03.password", "2468")
    return memory


@pytest.fixture
def engine(memory: ParameterMemory) -> CallEngine:
    return CallEngine(memory, rng=random.Random(7), answer_delay=0)


def trunk_states(engine: CallEngine) -> dict[str, str]:
    return {t.trunk: t.state for t in engine.trunk_states()}


# ------------------------------------------------------------------ the completed DISA call

def test_completed_disa_call_makes_exactly_one_out_record_on_another_trunk(engine):
    record = engine.disa_call("01", CALLER, "2468", "13812345678", 65, at(100))
    assert record == PendingRecord(at(35), 65, "", "", "02", "13812345678", "OUT", CALLER,
                                   "D03")
    assert engine.take_records() == [record]
    assert engine.take_events() == []  # like completed_call: no monitor events


@pytest.mark.parametrize(("setup", "call", "error"), [
    ({}, ("02", "2468", "13812345678"),
     "trunk 02 does not answer DISA calls (trunk.02.disa is off)"),
    ({}, ("01", "1357", "13812345678"), "wrong DISA password"),
    ({}, ("01", "", "13812345678"), "wrong DISA password"),  # empty rows are unused
    ({"personal_password.01.password": "1357"}, ("01", "1357", "13812345678"),
     "wrong DISA password"),  # a personal password is no DISA password
    ({"disa_password.03.class": "41"}, ("01", "2468", "02088886666"),
     "DISA password 03 service class 41 may not dial long distance 02088886666"),
    ({"disa_password.03.class": "21"}, ("01", "2468", "1681234"),
     "DISA password 03 service class 21 may not dial information line 1681234"),
    ({"disa_password.03.class": "51"}, ("01", "2468", "88886666"),
     "DISA password 03 service class 51 may not dial outside numbers other than emergency"),
    ({"disa_password.03.class": "61"}, ("01", "2468", "88886666"),
     "DISA password 03 service class 61 may not dial outside numbers (internal only)"),
    ({"disa_password.03.trunk_access": "none"}, ("01", "2468", "88886666"),
     "DISA password 03 may not use these trunks (disa_password.03.trunk_access is none)"),
    ({"disa_password.03.trunk_access": "01"}, ("01", "2468", "88886666"),
     "DISA password 03 may use only trunk 01, the trunk the call came in on "
     "(disa_password.03.trunk_access is 01)"),
    ({"disa_password.03.over_limit_class": "41", "disa_password.03.over_limit": "on"},
     ("01", "2468", "02088886666"),
     "DISA password 03 service class 41 may not dial long distance"),
    ({}, ("09", "2468", "88886666"), "no trunk '09'"),
])
def test_refused_disa_calls_make_no_record(engine, memory, setup, call, error):
    for key, value in setup.items():
        memory.write(key, value)
    trunk, password, number = call
    with pytest.raises(EngineError) as info:
        engine.disa_call(trunk, CALLER, password, number, 30, T0)
    assert str(info.value).startswith(error), str(info.value)
    assert engine.take_records() == []


def test_the_disa_rows_own_rights_apply(engine, memory):
    # class: level 3 may dial long distance only to the opened area codes (bank B 16-20)
    memory.write("disa_password.03.class", "31")
    memory.write("restriction_code.16.code", "0755")
    assert engine.disa_call("01", CALLER, "2468", "075512345678", 5, T0).account == "D03"
    with pytest.raises(EngineError, match="long distance"):
        engine.disa_call("01", CALLER, "2468", "02012345678", 5, T0)
    # trunk access: only the allowed trunks are seized, never the incoming one
    memory.write("disa_password.03.trunk_access", "01,05")
    assert engine.disa_call("01", CALLER, "2468", "88886666", 5, T0).trunk == "05"
    memory.write("trunk.05.disa", "on")
    memory.write("disa_password.03.trunk_access", "all")
    assert engine.disa_call("05", CALLER, "2468", "88886666", 5, T0).trunk == "01"
    # another row, another account; the extensions' settings play no part
    memory.write("disa_password.10.password", "97531")
    for port in ("001", "002"):
        memory.write(f"extension.{port}.day_class", "61")
    assert engine.disa_call("01", CALLER, "97531", "88886666", 5, T0).account == "D10"
    # over limit: the over-limit class applies while the switch is on, as for passwords
    memory.write("disa_password.10.over_limit", "on")
    with pytest.raises(EngineError, match="DISA password 10 service class 61"):
        engine.disa_call("01", CALLER, "97531", "88886666", 5, T0)
    memory.write("disa_password.10.over_limit", "off")
    assert engine.disa_call("01", CALLER, "97531", "88886666", 5, T0).account == "D10"


def test_disa_passwords_are_unique(memory):
    memory.write("disa_password.04.password", "1111")
    with pytest.raises(ValueError, match="DISA password used twice: rows 04/07=1111"):
        memory.write("disa_password.07.password", "1111")
    assert memory.get("disa_password.07.password") == ""


# ------------------------------------------------------------------ the live DISA call

def test_a_call_in_on_a_disa_trunk_is_answered_by_the_pbx_and_dials_out(engine):
    call_id = engine.incoming_call(CALLER, T0, trunk="01")
    assert trunk_states(engine)["01"] == "talking"  # answered: the caller hears dial tone
    assert {s.state for s in engine.extension_states()} == {"idle"}  # nobody rings
    engine.tick(at(120))  # no ring steps, no operator fallback, no giving up
    assert trunk_states(engine)["01"] == "talking"
    with pytest.raises(EngineError, match="wrong DISA password"):
        engine.disa_dial("01", "1111#902088886666", at(121))
    with pytest.raises(EngineError, match="only outside numbers"):
        engine.disa_dial("01", "2468#8002", at(122))
    assert engine.disa_dial("01", "2468#902088886666", at(125)) == call_id
    [out] = [t for t in engine.trunk_states() if t.trunk == "02"]
    assert (out.state, out.number, out.port, out.call_id) == ("talking", "02088886666", "",
                                                              call_id)
    with pytest.raises(EngineError, match="dialled already"):
        engine.disa_dial("01", "2468#988886666", at(126))
    assert engine.take_records() == []
    assert engine.trunk_hangup("01", at(185)) == call_id  # the DISA caller hangs up
    assert engine.take_records() == [PendingRecord(at(125), 60, "", "", "02", "02088886666",
                                                   "OUT", CALLER, "D03")]
    assert set(trunk_states(engine).values()) == {"idle"}


def test_live_disa_refusals_and_the_far_end_hanging_up(memory):
    engine = CallEngine(memory, rng=random.Random(7), answer_delay=3)
    memory.write("disa_password.03.class", "41")
    engine.incoming_call(CALLER, T0, trunk="01", ring_port="005")
    assert {s.state for s in engine.extension_states()} == {"idle"}  # DISA, not port 005
    with pytest.raises(EngineError, match="service class 41 may not dial long distance"):
        engine.disa_dial("01", "2468#902088886666", at(1))
    engine.disa_dial("01", "2468#988886666", at(2))
    assert trunk_states(engine)["02"] == "outgoing"
    engine.tick(at(5))  # the far end answers after 3 s
    assert trunk_states(engine)["02"] == "talking"
    engine.trunk_hangup("02", at(50))  # the far end hangs up: the DISA call ends
    [record] = engine.take_records()
    assert (record.port, record.extension, record.trunk, record.number, record.duration,
            record.ring_seconds, record.caller, record.account) == (
        "", "", "02", "88886666", 45, 3, CALLER, "D03")
    assert set(trunk_states(engine).values()) == {"idle"}
    engine.incoming_call(CALLER, at(60), trunk="01")
    engine.trunk_hangup("01", at(70))  # hung up before dialling: no record
    assert engine.take_records() == []
    with pytest.raises(EngineError, match="no DISA call"):
        engine.disa_dial("01", "2468#988886666", at(71))


def test_without_a_trunk_an_outside_call_avoids_disa_trunks(engine, memory):
    engine.incoming_call(CALLER, T0)
    assert trunk_states(engine)["01"] == "idle"
    assert trunk_states(engine)["02"] == "incoming"  # rings the extensions as usual
    for trunk in ("03", "04", "05", "06", "07", "08"):
        memory.write(f"trunk.{trunk}.disa", "on")
    with pytest.raises(EngineError, match="every trunk without DISA is busy"):
        engine.incoming_call("13900001111", at(1))


def test_an_outside_party_hanging_up_ends_an_ordinary_call(engine):
    engine.incoming_call(CALLER, T0, trunk="02", ring_port="004")
    engine.answer("004", at(5))
    engine.trunk_hangup("02", at(35))
    [record] = engine.take_records()
    assert (record.port, record.call_type, record.duration) == ("004", "IN", 30)
    states = {s.port: s.state for s in engine.extension_states()}
    assert states["004"] == "busy" and trunk_states(engine)["02"] == "idle"
    with pytest.raises(EngineError, match="trunk 02 is idle"):
        engine.trunk_hangup("02", at(36))


# ------------------------------------------------------------------ the real simulator

def _set(control: ControlClient, key: str, value: str) -> None:
    answer = control.request({"cmd": "set", "key": key, "value": value})
    assert answer["ok"], answer


def test_disa_command_over_the_control_port_and_the_record_on_the_line(
        sim: Simulator, control: ControlClient) -> None:
    _set(control, "disa_password.03.password", "2468")
    disa = {"cmd": "disa", "trunk": "01", "caller": CALLER, "password": "2468",
            "number": "13812345678", "duration": 65}
    refused = control.request(disa)
    assert refused == {"ok": False,
                       "error": "trunk 01 does not answer DISA calls (trunk.01.disa is off)"}
    _set(control, "trunk.01.disa", "on")
    for changes, error in (({"password": "9999"}, "wrong DISA password"),
                           ({"trunk": None}, "field 'trunk' is required"),
                           ({"caller": None}, "field 'caller' is required"),
                           ({"duration": -1}, "field 'duration'")):
        answer = control.request({**disa, **changes})
        assert answer["ok"] is False and error in answer["error"], answer
    _set(control, "disa_password.03.class", "41")
    answer = control.request({**disa, "number": "02088886666"})
    assert answer == {"ok": False, "error": "DISA password 03 service class 41 may not dial "
                                            "long distance 02088886666"}
    assert control.request({"cmd": "counters"})["records_issued"] == 0
    answer = control.request(disa)
    assert answer == {"ok": True, "queued": True, "waiting": 0, "trunk": "02",
                      "account": "D03"}
    with PcClient(sim.url) as pc:
        pc.identify()
        pc.until(lambda: len(pc.records) == 1, what="the DISA record")
    [record] = pc.records.values()
    assert (record.port, record.extension, record.trunk, record.number, record.call_type,
            record.duration, record.caller, record.account) == (
        "", "", "02", "13812345678", "OUT", 65, CALLER, "D03")
    assert isinstance(record, m.CallRecord)


def test_live_disa_call_through_the_control_port(control: ControlClient) -> None:
    _set(control, "trunk.03.disa", "on")
    _set(control, "disa_password.01.password", "13579")
    _set(control, "disa_password.01.trunk_access", "03,04")
    call = control.request({"cmd": "incoming", "caller": CALLER, "trunk": "03"})
    assert call["ok"] and call["call_id"] > 0
    state = control.request({"cmd": "state"})
    assert {e["state"] for e in state["extensions"]} == {"idle"}
    assert state["trunks"][2] == {"trunk": "03", "state": "talking", "number": CALLER,
                                  "port": "", "call_id": call["call_id"]}
    both = control.request({"cmd": "dial", "trunk": "03", "extension": "001",
                            "digits": "13579#988886666"})
    assert both["ok"] is False and "not both" in both["error"]
    wrong = control.request({"cmd": "dial", "trunk": "03", "digits": "2468#988886666"})
    assert wrong == {"ok": False, "error": "wrong DISA password"}
    dial = control.request({"cmd": "dial", "trunk": "03", "digits": "13579#988886666"})
    assert dial == {"ok": True, "call_id": call["call_id"]}
    trunks = control.request({"cmd": "state"})["trunks"]
    assert trunks[3]["number"] == "88886666" and trunks[3]["state"] in ("outgoing", "talking")
    assert control.request({"cmd": "hangup", "trunk": "03"}) == {"ok": True,
                                                                "call_id": call["call_id"]}
    trunks = control.request({"cmd": "state"})["trunks"]
    assert {t["state"] for t in trunks} == {"idle"}
    # the far end had not answered yet (2-5 s): an unanswered call makes no record
    assert control.request({"cmd": "counters"})["records_issued"] == 0
    ring = control.request({"cmd": "ring", "extension": "002", "caller": CALLER,
                            "trunk": "03"})
    assert ring["ok"]  # a ring on a DISA trunk is answered by the PBX too
    assert {e["state"] for e in control.request({"cmd": "state"})["extensions"]} == {"idle"}
    assert control.request({"cmd": "hangup", "trunk": "03"})["ok"]
    assert control.request({"cmd": "hangup", "trunk": "03"}) == {"ok": False,
                                                                "error": "trunk 03 is idle"}
