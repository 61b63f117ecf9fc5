"""Scenarios of the simulated PBX's call engine: each modelled setting changes behaviour."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from callcenter.common.pbx.messages import CALL_ACTIONS, ExtensionState, ParkSlotState, TrunkState
from callcenter.common.schema import build_schema
from callcenter.pbxsim.engine import CallEngine, EngineError, PendingRecord
from callcenter.pbxsim.memory import ParameterMemory

TZ = timezone(timedelta(hours=8))
T0 = datetime(2024, 5, 6, 10, 0, 0, tzinfo=TZ)  # a Monday, 10:00 (day)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def memory() -> ParameterMemory:
    return ParameterMemory(build_schema(24, 8))


@pytest.fixture
def engine(memory: ParameterMemory) -> CallEngine:
    return CallEngine(memory, rng=random.Random(7), answer_delay=0)


def states(engine: CallEngine) -> dict[str, str]:
    return {s.port: s.state for s in engine.extension_states()}


def ringing(engine: CallEngine) -> list[str]:
    return [p for p, s in states(engine).items() if s == "ringing"]


def ext_events(engine: CallEngine, port: str) -> list[str]:
    return [e.state for e in engine.take_events()
            if isinstance(e, ExtensionState) and e.port == port]


def set_all(memory: ParameterMemory, name: str, value: str) -> None:
    for i in range(1, 25):
        memory.write(f"extension.{i:03d}.{name}", value)


# ------------------------------------------------------------------ outgoing calls, classes

def test_class_41_refuses_long_distance_without_record(engine, memory):
    memory.write("extension.001.day_class", "41")
    with pytest.raises(EngineError) as info:
        engine.dial("001", "902088886666", T0)
    assert str(info.value) == ("extension 001 service class 41 may not dial long distance "
                               "02088886666")
    assert ext_events(engine, "001") == ["offhook", "busy", "idle"]
    assert states(engine)["001"] == "idle"
    engine.tick(at(100))
    assert engine.take_records() == []
    assert all(t.state == "idle" for t in engine.trunk_states())


def test_class_11_allows_long_distance_and_records_exact_number(engine):
    call_id = engine.dial("001", "902088886666", T0)
    assert states(engine)["001"] == "talking"
    ext = engine.extension_states()[0]
    assert (ext.peer, ext.trunk, ext.call_id) == ("02088886666", "01", call_id)
    engine.hangup("001", at(75))
    [record] = engine.take_records()
    assert record == PendingRecord(T0, 75, "001", "8001", "01", "02088886666", "OUT", "8001")


def test_explicit_offhook_then_refusal_leaves_busy_tone(engine, memory):
    memory.write("extension.001.day_class", "41")
    engine.offhook("001", T0)
    with pytest.raises(EngineError):
        engine.dial("001", "902088886666", T0)
    assert states(engine)["001"] == "busy"
    engine.onhook("001", at(1))
    assert states(engine)["001"] == "idle"


@pytest.mark.parametrize(("service_class", "number", "allowed"), [
    ("21", "02088886666", True),
    ("21", "0085212345678", False),  # international
    ("21", "16812345", False),  # information line
    ("31", "88886666", True),
    ("31", "02088886666", False),
    ("41", "88886666", True),
    ("41", "96812345", False),
    ("51", "110", True),
    ("51", "119", True),
    ("51", "88886666", False),
    ("61", "110", False),
    ("61", "88886666", False),
    ("11", "0085212345678", True),
])
def test_outgoing_levels(engine, memory, service_class, number, allowed):
    memory.write("extension.002.day_class", service_class)
    if allowed:
        engine.dial("002", "9" + number, T0)
        engine.hangup("002", at(10))
        assert [r.number for r in engine.take_records()] == [number]
    else:
        with pytest.raises(EngineError, match=f"service class {service_class}"):
            engine.dial("002", "9" + number, T0)
        assert engine.take_records() == []


def test_level_3_may_dial_long_distance_codes_of_bank_b(engine, memory):
    memory.write("extension.002.day_class", "31")
    with pytest.raises(EngineError):
        engine.completed_call("002", "075512345678", 30, T0)
    memory.write("restriction_code.16.code", "0755")
    record = engine.completed_call("002", "075512345678", 30, T0)
    assert record.number == "075512345678"
    with pytest.raises(EngineError, match="long distance"):
        engine.completed_call("002", "02012345678", 30, T0)


def test_barred_code_of_bank_a(engine, memory):
    memory.write("restriction_code.06.code", "17951")
    memory.write("extension.003.day_class", "21")
    with pytest.raises(EngineError, match="restricted code 17951"):
        engine.dial("003", "91795102012345678", T0)
    engine.dial("004", "91795102012345678", T0)  # class 11 is not restricted


def test_night_class_after_night_start(engine, memory):
    memory.write("system.day_night_mode", "auto")
    memory.write("system.day_start", "0800")
    memory.write("system.night_start", "1800")
    memory.write("extension.001.night_class", "41")
    evening = T0.replace(hour=19)
    assert engine.is_night(evening) and not engine.is_night(T0)
    with pytest.raises(EngineError, match="class 41"):
        engine.completed_call("001", "02088886666", 60, evening)
    assert engine.completed_call("001", "02088886666", 60, T0).number == "02088886666"
    early = T0.replace(hour=7, minute=59)
    assert engine.is_night(early)


def test_manual_night_switch(engine, memory):
    memory.write("extension.001.night_class", "61")
    assert not engine.is_night(T0)
    memory.write("system.night", "on")
    assert engine.is_night(T0)
    with pytest.raises(EngineError, match="class 61"):
        engine.dial("001", "988886666", T0)


def test_over_limit_switch_uses_over_limit_class(engine, memory):
    memory.write("extension.001.over_limit_class", "51")
    engine.completed_call("001", "88886666", 10, T0)
    memory.write("extension.001.over_limit", "on")
    with pytest.raises(EngineError, match="class 51"):
        engine.completed_call("001", "88886666", 10, T0)
    assert engine.completed_call("001", "110", 10, T0).number == "110"


# ------------------------------------------------------------------ trunk access, routes

def test_trunk_access_none_refuses(engine, memory):
    memory.write("extension.001.day_trunk_access", "none")
    with pytest.raises(EngineError, match="may not use trunks"):
        engine.dial("001", "988886666", T0)
    with pytest.raises(EngineError):
        engine.completed_call("001", "88886666", 5, T0)
    assert engine.take_records() == []


def test_trunk_access_partial_picks_an_allowed_trunk(engine, memory):
    memory.write("extension.001.day_trunk_access", "03,05")
    engine.dial("001", "988886666", T0)
    assert {t.trunk: t.state for t in engine.trunk_states()}["03"] == "talking"
    engine.dial("002", "988886667", T0)
    engine.dial("003", "988886668", T0)  # trunk 01
    engine.dial("004", "988886669", T0)  # trunk 02
    engine.hangup("002", at(5))
    with pytest.raises(EngineError, match="may not use trunk 01"):
        engine.completed_call("001", "88886666", 5, T0, trunk="01")
    assert engine.completed_call("001", "88886666", 5, T0, trunk="05").trunk == "05"


def test_no_free_trunk(memory):
    engine = CallEngine(ParameterMemory(build_schema(4, 1)), answer_delay=0)
    engine.dial("001", "988886666", T0)
    with pytest.raises(EngineError, match="no free trunk"):
        engine.dial("002", "988886667", T0)


def test_night_trunk_access(engine, memory):
    memory.write("extension.001.night_trunk_access", "none")
    memory.write("system.night", "on")
    with pytest.raises(EngineError, match="night_trunk_access"):
        engine.dial("001", "988886666", T0)


def test_multiple_routes_access_digits(engine, memory):
    memory.write("system.multiple_routes", "on")
    memory.write("system.route_access_digits", "936")
    memory.write("trunk.05.route", "2")
    memory.write("trunk.06.route", "3")
    engine.dial("001", "388886666", T0)
    engine.dial("002", "688886666", T0)
    engine.dial("003", "988886666", T0)
    trunks = {t.trunk: t.port for t in engine.trunk_states() if t.state != "idle"}
    assert trunks == {"05": "001", "06": "002", "01": "003"}
    with pytest.raises(EngineError, match="trunk access code"):
        engine.dial("004", "788886666", T0)


# ------------------------------------------------------------------ internal calls

def test_internal_call_by_extension_number_makes_no_record(engine, memory):
    memory.write("extension.002.number", "602")
    call_id = engine.dial("001", "602", T0)
    assert states(engine)["001"] == "dialing" and states(engine)["002"] == "ringing"
    assert engine.extension_states()[1].peer == "8001"
    assert engine.answer("002", at(3)) == call_id
    assert states(engine)["001"] == "talking" and states(engine)["002"] == "talking"
    engine.hangup("001", at(30))
    assert states(engine)["002"] == "busy"  # the other side hears busy tone
    engine.onhook("002", at(31))
    assert states(engine)["002"] == "idle"
    assert engine.take_records() == []


def test_unknown_number_refused(engine):
    with pytest.raises(EngineError, match="not an extension number"):
        engine.dial("001", "1234", T0)


def test_internal_call_unanswered_gives_busy_tone(engine):
    engine.dial("001", "8002", T0)
    engine.tick(at(29))
    assert states(engine)["002"] == "ringing"
    engine.tick(at(31))
    assert states(engine)["002"] == "idle" and states(engine)["001"] == "busy"


def test_operator_digit_and_restrict_internal(engine, memory):
    memory.write("system.operator_day1", "005")
    memory.write("extension.001.restrict_internal", "on")
    with pytest.raises(EngineError, match="may only call the operator"):
        engine.dial("001", "8002", T0)
    engine.dial("001", "0", at(1))
    assert ringing(engine) == ["005"]
    engine.dial("002", "988886666", at(2))  # trunk calls are not affected


def test_incoming_class_3_refuses_internal_calls(engine, memory):
    memory.write("extension.002.day_class", "13")
    with pytest.raises(EngineError, match="accepts no internal calls"):
        engine.dial("001", "8002", T0)
    engine.incoming_call("88886666", T0, ring_port="002")  # outside calls still ring


def test_voice_answer_mode_answers_internal_calls(engine, memory):
    memory.write("extension.002.answer_mode", "voice")
    engine.dial("001", "8002", T0)
    assert states(engine)["002"] == "talking"


# ------------------------------------------------------------------ incoming calls

def test_incoming_answered_gives_in_record_with_caller(engine):
    call_id = engine.incoming_call("13800138000", T0, trunk="02")
    assert {t.trunk: t.state for t in engine.trunk_states()}["02"] == "incoming"
    assert engine.answer("007", at(6)) == call_id
    assert set(ringing(engine)) == set()
    engine.hangup("007", at(96))
    [record] = engine.take_records()
    assert record == PendingRecord(at(6), 90, "007", "8007", "02", "13800138000", "IN",
                                   "13800138000", "", 6)


def test_incoming_unanswered_makes_no_record(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.002.day_ring_assignment", "all")
    engine.incoming_call("13800138000", T0)
    engine.tick(at(200))
    assert engine.take_records() == []
    assert all(t.state == "idle" for t in engine.trunk_states())


def test_ring_assignment_partial_rings_only_assigned_ports(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.003.day_ring_assignment", "01,02")
    memory.write("extension.004.day_ring_assignment", "02")
    engine.incoming_call("88886666", T0, trunk="01")
    assert ringing(engine) == ["003"]
    engine.incoming_call("88886667", T0, trunk="02")
    assert ringing(engine) == ["003", "004"]  # 003 is busy ringing for trunk 01


def test_night_ring_assignment(engine, memory):
    set_all(memory, "night_ring_assignment", "none")
    memory.write("extension.009.night_ring_assignment", "all")
    memory.write("system.night", "on")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["009"]


def test_ring_port_rings_exactly_that_port(engine, memory):
    memory.write("extension.010.day_ring_assignment", "none")
    engine.incoming_call("88886666", T0, ring_port="010")
    assert ringing(engine) == ["010"]
    engine.tick(at(31))
    assert ringing(engine) == []  # the caller gave up: no operator fallback


def test_dnd_port_is_skipped(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    for port in ("003", "004"):
        memory.write(f"extension.{port}.day_ring_assignment", "all")
    with pytest.raises(EngineError, match="mode none"):
        engine.call_control("dnd", "003", T0, on=True)
    memory.write("extension.003.dnd_mode", "external")
    engine.call_control("dnd", "003", T0, on=True)
    assert engine.extension_states()[2].dnd is True
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["004"]
    engine.dial("001", "8003", at(1))  # external-only DND: internal calls still ring
    assert "003" in ringing(engine)


def test_dnd_all_refuses_internal_calls_as_busy(engine, memory):
    memory.write("extension.002.dnd_mode", "all")
    engine.call_control("dnd", "002", T0, on=True)
    with pytest.raises(EngineError, match="do-not-disturb"):
        engine.dial("001", "8002", T0)
    engine.call_control("dnd", "002", at(1), on=False)
    engine.dial("001", "8002", at(2))
    assert ringing(engine) == ["002"]


def test_incoming_class_2_skipped_for_outside_calls(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.003.day_ring_assignment", "all")
    memory.write("extension.004.day_ring_assignment", "all")
    memory.write("extension.003.day_class", "12")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["004"]


def test_delayed_ring(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.003.day_ring_assignment", "all")
    memory.write("extension.004.day_ring_assignment", "all")
    memory.write("extension.004.delayed_ring", "01")
    memory.write("system.delayed_ring_count", "2")  # two 5 s ring cadences
    engine.incoming_call("88886666", T0, trunk="01")
    assert ringing(engine) == ["003"]
    engine.tick(at(9))
    assert ringing(engine) == ["003"]
    engine.tick(at(10))
    assert ringing(engine) == ["003", "004"]
    engine.incoming_call("88886667", at(11), trunk="02")  # not delayed on trunk 02
    assert engine.answer("003", at(12))


def test_operator_fallback_when_nobody_can_ring(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("system.operator_day1", "012")
    memory.write("system.operator_day2", "013")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["012", "013"]


def test_operator_fallback_after_ring_timeout_then_caller_gives_up(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.003.day_ring_assignment", "all")
    memory.write("system.operator_day1", "020")
    memory.write("system.operator_day2", "020")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["003"]
    engine.tick(at(30))
    assert ringing(engine) == ["020"]
    engine.tick(at(60))
    assert ringing(engine) == []
    assert engine.trunk_states()[0].state == "idle"


def test_night_operator(engine, memory):
    set_all(memory, "night_ring_assignment", "none")
    memory.write("system.operator_night", "024")
    memory.write("system.night", "on")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["024"]


def test_nobody_to_ring_refuses_incoming_call(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    engine.offhook("001", T0)  # the operator is busy
    with pytest.raises(EngineError, match="nobody can take"):
        engine.incoming_call("88886666", T0)
    assert all(t.state == "idle" for t in engine.trunk_states())


# ------------------------------------------------------------------ groups

def _group(memory: ParameterMemory, ports: list[str], mode: str, group: str = "03") -> None:
    set_all(memory, "day_ring_assignment", "none")
    for port in ports:
        memory.write(f"extension.{port}.groups", str(int(group)))
        memory.write(f"extension.{port}.day_ring_assignment", "all")
    memory.write(f"group.{group}.ring_mode", mode)


def test_group_simultaneous(engine, memory):
    _group(memory, ["005", "006", "007"], "simultaneous")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["005", "006", "007"]


def test_group_round_robin(engine, memory):
    _group(memory, ["005", "006", "007"], "round_robin")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["005"]
    engine.tick(at(15))
    assert ringing(engine) == ["006"]
    engine.tick(at(30))
    assert ringing(engine) == ["007"]
    engine.answer("007", at(31))
    engine.incoming_call("88886667", at(32))  # the next call starts one further on
    assert ringing(engine) == ["006"]


def test_round_robin_priority_order(engine, memory):
    _group(memory, ["005", "006", "007"], "round_robin", group="08")
    memory.write("group.08.priority", "007,005")
    memory.write("group.08.round_robin_start", "priority")
    for n in range(2):
        engine.incoming_call(f"8888666{n}", at(n))
        assert ringing(engine) == ["007"]
        engine.answer("007", at(n))
        engine.hangup("007", at(n))


def test_one_key_group_call(engine, memory):
    _group(memory, ["005", "006"], "simultaneous")
    with pytest.raises(EngineError, match="not an extension number"):
        engine.dial("001", "3", T0)
    memory.write("group.03.one_key_call", "on")
    engine.dial("001", "3", at(1))
    assert ringing(engine) == ["005", "006"]
    engine.answer("006", at(2))
    assert states(engine)["001"] == "talking" and states(engine)["005"] == "idle"


def test_pickup_in_group(engine, memory):
    _group(memory, ["005", "006"], "simultaneous")
    memory.write("extension.005.day_ring_assignment", "none")
    engine.incoming_call("88886666", T0)
    assert ringing(engine) == ["006"]
    call_id = engine.call_control("pickup", "005", at(4))
    assert states(engine)["005"] == "talking" and states(engine)["006"] == "idle"
    engine.hangup("005", at(10))
    [record] = engine.take_records()
    assert (record.port, record.call_type, record.duration) == ("005", "IN", 6)
    assert call_id == 1


# ------------------------------------------------------------------ call control

def test_park_and_unpark_events(engine):
    call_id = engine.incoming_call("13800138000", T0, ring_port="001")
    engine.answer("001", at(2))
    engine.take_events()
    assert engine.call_control("park", "001", at(10), slot=3) == call_id
    events = engine.take_events()
    assert ParkSlotState(3, True, "13800138000", "001", call_id) in events
    assert states(engine)["001"] == "idle"
    assert engine.trunk_states()[0].state == "talking"
    assert [s.occupied for s in engine.park_slots()] == [False, False, True, False, False, False]
    engine.incoming_call("88886666", at(11), ring_port="002")
    engine.answer("002", at(11))
    with pytest.raises(EngineError, match="occupied"):
        engine.call_control("park", "002", at(11), slot=3)
    assert engine.call_control("unpark", "009", at(20), slot=3) == call_id
    assert ParkSlotState(3, False) in engine.take_events()
    assert states(engine)["009"] == "talking"
    engine.hangup("009", at(50))
    records = engine.take_records()
    assert [(r.port, r.duration) for r in records] == [("001", 8), ("009", 30)]
    with pytest.raises(EngineError, match="empty"):
        engine.call_control("unpark", "009", at(51), slot=3)


def test_transfer_moves_the_call(engine):
    engine.incoming_call("13800138000", T0, ring_port="001")
    engine.answer("001", at(5))
    engine.call_control("transfer", "001", at(20), target="004")
    assert states(engine)["001"] == "idle" and states(engine)["004"] == "ringing"
    assert engine.extension_states()[3].peer == "13800138000"
    engine.answer("004", at(25))
    engine.hangup("004", at(85))
    records = engine.take_records()
    assert [(r.port, r.start, r.duration, r.ring_seconds) for r in records] == [
        ("001", at(5), 15, 5), ("004", at(25), 60, 0)]
    assert all(r.number == "13800138000" and r.call_type == "IN" for r in records)


def test_transfer_of_an_outgoing_call_by_extension_number(engine):
    engine.dial("001", "988886666", T0)
    engine.call_control("transfer", "001", at(10), target="8002")
    engine.answer("002", at(12))
    engine.hangup("002", at(40))
    assert [(r.port, r.call_type, r.number) for r in engine.take_records()] == [
        ("001", "OUT", "88886666"), ("002", "OUT", "88886666")]


def test_hold_and_retrieve(engine):
    engine.incoming_call("88886666", T0, ring_port="002")
    call_id = engine.answer("002", at(1))
    engine.take_events()
    assert engine.call_control("hold", "002", at(2)) == call_id
    assert ext_events(engine, "002") == ["held"]
    assert engine.trunk_states()[0].state == "talking"
    assert engine.call_control("retrieve", "002", at(3)) == call_id
    assert states(engine)["002"] == "talking"
    with pytest.raises(EngineError, match="holds no call"):
        engine.call_control("retrieve", "002", at(4))


def test_hold_then_second_call_and_conference(engine):
    engine.incoming_call("88886666", T0, ring_port="002")
    first = engine.answer("002", at(1))
    engine.call_control("hold", "002", at(2))
    second = engine.call_control("dial", "002", at(3), number="8003")
    engine.answer("003", at(4))
    assert states(engine)["002"] == "talking"
    assert engine.call_control("conference", "002", at(5)) == second
    assert states(engine)["003"] == "talking"
    engine.hangup("002", at(10))  # the host leaves: the others talk on
    assert states(engine)["003"] == "talking"
    assert engine.trunk_states()[0].call_id == second != first
    engine.hangup("003", at(20))
    assert [(r.port, r.duration) for r in engine.take_records()] == [("002", 9), ("003", 10)]


def test_flash_holds_and_retrieves(engine):
    engine.dial("001", "8002", T0)
    engine.answer("002", at(1))
    engine.call_control("flash", "001", at(2))
    assert states(engine)["001"] == "held" and states(engine)["002"] == "held"
    engine.call_control("flash", "001", at(3))
    assert states(engine)["001"] == "talking"


def test_forward_to_internal_number(engine):
    engine.call_control("forward", "002", T0, number="8005")
    assert engine.extension_states()[1].forward == "8005"
    engine.dial("001", "8002", at(1))
    assert ringing(engine) == ["005"]
    engine.hangup("001", at(2))
    engine.incoming_call("88886666", at(3), ring_port="002")  # ring_port: exactly that port
    assert ringing(engine) == ["002"]
    engine.call_control("forward", "002", at(4), on=False)
    assert engine.extension_states()[1].forward == ""


def test_forward_to_outside_number(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.002.day_ring_assignment", "01")
    engine.call_control("forward", "002", T0, number="913900139000")
    engine.incoming_call("88886666", at(1), trunk="01")
    assert ringing(engine) == []
    trunks = {t.trunk: (t.state, t.number, t.port) for t in engine.trunk_states()}
    assert trunks["01"] == ("talking", "88886666", "002")
    assert trunks["02"] == ("talking", "13900139000", "002")


def test_forward_to_outside_is_checked_against_the_class(engine, memory):
    memory.write("extension.002.day_class", "41")
    engine.call_control("forward", "002", T0, number="902088886666")
    engine.dial("001", "8002", at(1))
    assert ringing(engine) == ["002"]  # barred forward: the extension itself rings


def test_page(engine, memory):
    memory.write("extension.003.may_be_paged", "off")
    with pytest.raises(EngineError, match="may not be paged"):
        engine.call_control("page", "001", T0, target="003")
    engine.call_control("page", "001", T0)
    paged = [p for p, s in states(engine).items() if s == "talking"]
    assert "003" not in paged and "002" in paged and "001" in paged
    engine.hangup("001", at(5))
    assert set(states(engine).values()) == {"idle"}


def test_personal_password_class_and_account(engine, memory):
    memory.write("extension.001.day_class", "61")
    memory.write("personal_password.04.password", "2468")
    memory.write("personal_password.04.class", "11")
    with pytest.raises(EngineError, match="internal only"):
        engine.dial("001", "902088886666", T0)
    with pytest.raises(EngineError, match="wrong personal password"):
        engine.dial("001", "*1111#902088886666", T0)
    engine.dial("001", "*2468#902088886666", at(1))
    engine.hangup("001", at(31))
    [record] = engine.take_records()
    assert (record.account, record.number, record.duration) == ("04", "02088886666", 30)
    assert engine.completed_call("001", "02088886666", 5, at(40), account="2468").account == "04"


def test_personal_password_class_is_enforced(engine, memory):
    memory.write("personal_password.01.password", "1357")
    memory.write("personal_password.01.class", "41")
    with pytest.raises(EngineError, match="personal password 01 service class 41"):
        engine.dial("001", "*1357#902088886666", T0)


def test_personal_password_over_limit_class(engine, memory):
    memory.write("personal_password.02.password", "8642")
    memory.write("personal_password.02.class", "11")
    memory.write("personal_password.02.over_limit_class", "41")
    memory.write("personal_password.02.over_limit", "on")
    with pytest.raises(EngineError, match="personal password 02 service class 41"):
        engine.completed_call("001", "02088886666", 5, at(1), account="02")
    memory.write("personal_password.02.over_limit", "off")
    assert engine.completed_call("001", "02088886666", 5, at(2), account="02").account == "02"


def test_completed_call_exact_number_and_duration(engine):
    record = engine.completed_call("003", "13912345678", 123, at(500), trunk="04")
    assert record == PendingRecord(at(377), 123, "003", "8003", "04", "13912345678", "OUT",
                                   "8003")
    assert engine.take_records() == [record]
    assert engine.take_events() == []


def test_unanswered_outgoing_call_makes_no_record(memory):
    engine = CallEngine(memory, answer_delay=10)
    engine.dial("001", "988886666", T0)
    assert states(engine)["001"] == "dialing"
    assert engine.trunk_states()[0].state == "outgoing"
    engine.hangup("001", at(8))
    assert engine.take_records() == []


def test_far_end_answers_after_a_random_delay(memory):
    engine = CallEngine(memory, rng=random.Random(3))
    engine.dial("001", "988886666", T0)
    engine.tick(at(1.9))
    assert states(engine)["001"] == "dialing"
    engine.tick(at(5.1))
    assert states(engine)["001"] == "talking"
    engine.hangup("001", at(65))
    [record] = engine.take_records()
    assert 2 <= record.ring_seconds <= 5 and record.start > T0
    assert record.duration == round((at(65) - record.start).total_seconds())


def test_scheduled_hangup(engine):
    engine.dial("001", "988886666", T0)
    engine.schedule_hangup("001", at(42))
    engine.tick(at(50))
    assert states(engine)["001"] == "idle"
    assert [r.duration for r in engine.take_records()] == [42]


def test_alarm_clock_rings(engine, memory):
    memory.write("extension.006.alarm1", "1001")
    engine.tick(T0)
    engine.tick(at(59))
    assert ringing(engine) == []
    engine.tick(at(61))
    assert ringing(engine) == ["006"]
    assert engine.extension_states()[5].peer == "alarm"
    engine.answer("006", at(65))
    assert states(engine)["006"] == "offhook"


def test_call_ids_increase_and_events_are_in_order(engine):
    first = engine.dial("001", "8002", T0)
    second = engine.incoming_call("88886666", T0, ring_port="003")
    assert second == first + 1
    events = engine.take_events()
    assert [type(e) for e in events][-2:] == [ExtensionState, TrunkState]
    assert engine.take_events() == []


def test_every_call_action_is_handled(engine):
    for action in CALL_ACTIONS:
        try:
            engine.call_control(action, "001", T0, number="8002", target="002", slot=1)
        except EngineError as exc:
            assert str(exc)
    with pytest.raises(EngineError, match="unknown call-control action"):
        engine.call_control("teleport", "001", T0)
    with pytest.raises(EngineError, match="no extension port"):
        engine.call_control("hold", "999", T0)


def test_offhook_answers_a_ringing_port(engine):
    engine.incoming_call("88886666", T0, ring_port="002")
    engine.offhook("002", at(2))
    assert states(engine)["002"] == "talking"


def test_rejecting_a_ringing_call_moves_on(engine, memory):
    set_all(memory, "day_ring_assignment", "none")
    memory.write("extension.003.day_ring_assignment", "all")
    memory.write("system.operator_day1", "010")
    memory.write("system.operator_day2", "010")
    engine.incoming_call("88886666", T0)
    engine.hangup("003", at(2))
    assert ringing(engine) == ["010"]


def test_snapshot_shapes(engine):
    assert len(engine.extension_states()) == 24
    assert len(engine.trunk_states()) == 8
    assert [s.slot for s in engine.park_slots()] == [1, 2, 3, 4, 5, 6]
