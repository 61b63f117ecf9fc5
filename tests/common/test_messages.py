"""Application messages of PBX serial protocol v1: round trips, vectors, malformed fields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.common.pbx.frame import FrameDecoder, encode_frame
from callcenter.common.pbx.messages import (
    CALL_ACTIONS,
    CALL_TYPES,
    EXTENSION_STATES,
    GROUP_CODES,
    MESSAGE_TYPES,
    TRUNK_STATES,
    CallControl,
    CallControlResult,
    CallRecord,
    ClockSet,
    ClockSetResult,
    ExtensionState,
    Heartbeat,
    IdentifyRequest,
    Identity,
    Message,
    MessageFormatError,
    ParameterBlock,
    ParameterChanged,
    ParameterRead,
    ParameterWrite,
    ParameterWriteResult,
    ParkSlotState,
    RecordAck,
    StateRequest,
    StateSnapshot,
    TrunkState,
    message_from_fields,
)

U32 = st.integers(0, 2**32 - 1)
text = st.text(max_size=30)  # any Unicode: Chinese names, '|', '%', ',', ';', control chars
digits = st.from_regex(r"[0-9]{1,12}", fullmatch=True)
port = st.from_regex(r"[0-9]{3}", fullmatch=True)
groups = st.sampled_from(sorted(GROUP_CODES))
utc_offset = st.integers(-1440, 1440)
minute = st.from_regex(r"[0-9]{12}", fullmatch=True)
second = st.from_regex(r"[0-9]{14}", fullmatch=True)
row_name = st.from_regex(r"[a-z_]{1,10}(\.[0-9a-z_]{1,5}){0,2}", fullmatch=True)
cdr_extra_key = st.from_regex(r"[A-Za-z0-9_.]{1,32}", fullmatch=True).filter(
    lambda k: k not in {"q", "t", "z", "d", "p", "x", "k", "n", "y", "c", "a", "g"})

extension_states = st.builds(ExtensionState, port=text, state=st.sampled_from(EXTENSION_STATES),
                             peer=text, trunk=text, call_id=U32, forward=text, dnd=st.booleans())
trunk_states = st.builds(TrunkState, trunk=text, state=st.sampled_from(TRUNK_STATES),
                         number=text, port=text, call_id=U32)
park_states = st.builds(ParkSlotState, slot=st.integers(1, 6), occupied=st.booleans(),
                        number=text, port=text, call_id=U32)

STRATEGIES: dict[type[Message], st.SearchStrategy[Message]] = {
    Heartbeat: st.just(Heartbeat()),
    IdentifyRequest: st.builds(IdentifyRequest, request_id=U32),
    ParameterRead: st.builds(ParameterRead, request_id=U32, group=groups,
                             offset=st.integers(0, 65535), count=st.integers(1, 256)),
    ParameterWrite: st.builds(ParameterWrite, request_id=U32, key=text, value=text),
    ClockSet: st.builds(ClockSet, request_id=U32, local_time=minute,
                        utc_offset_minutes=utc_offset),
    StateRequest: st.builds(StateRequest, request_id=U32),
    CallControl: st.builds(CallControl, request_id=U32, action=st.sampled_from(CALL_ACTIONS),
                           port=text, number=text, target=text, slot=st.integers(0, 6),
                           on=st.booleans()),
    RecordAck: st.tuples(U32, U32).map(sorted).map(lambda p: RecordAck(p[0], p[1])),
    Identity: st.builds(Identity, request_id=U32, model=text, firmware=text,
                        extensions=st.integers(1, 999), trunks=st.integers(0, 99),
                        checksums=st.lists(st.tuples(groups, text), max_size=4).map(tuple),
                        pbx_time=text, next_record=U32, protocol=text),
    ParameterBlock: st.builds(
        ParameterBlock, request_id=U32, group=groups, offset=st.integers(0, 65535),
        total=st.integers(0, 65535),
        rows=st.lists(st.tuples(row_name, st.lists(text, min_size=1, max_size=6).map(tuple)),
                      max_size=6).map(tuple)),
    ParameterWriteResult: st.builds(ParameterWriteResult, request_id=U32, key=text,
                                    ok=st.booleans(), value=text, error=text),
    ClockSetResult: st.builds(ClockSetResult, request_id=U32, ok=st.booleans(), effective=text,
                              error=text),
    ExtensionState: extension_states,
    TrunkState: trunk_states,
    ParkSlotState: park_states,
    StateSnapshot: st.builds(StateSnapshot, request_id=U32,
                             extensions=st.lists(extension_states, max_size=4).map(tuple),
                             trunks=st.lists(trunk_states, max_size=4).map(tuple),
                             park_slots=st.lists(park_states, max_size=6).map(tuple),
                             night=st.booleans()),
    CallControlResult: st.builds(CallControlResult, request_id=U32, ok=st.booleans(),
                                 error=text, call_id=U32),
    CallRecord: st.builds(CallRecord, sequence=U32, start=second,
                          duration=st.integers(0, 10**7), port=text, extension=text,
                          trunk=text, number=text, call_type=st.sampled_from(CALL_TYPES),
                          caller=text, account=text, ring_seconds=st.integers(0, 10**6),
                          utc_offset_minutes=utc_offset,
                          extra=st.lists(st.tuples(cdr_extra_key, text), max_size=3).map(tuple)),
    ParameterChanged: st.builds(ParameterChanged, key=text, value=text),
}


def test_every_message_type_has_a_strategy_and_a_unique_type() -> None:
    assert set(STRATEGIES) == set(MESSAGE_TYPES)
    codes = [cls.TYPE for cls in MESSAGE_TYPES]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 3 and c.isupper() for c in codes)
    assert not {"ACK", "NAK", "RST"} & set(codes)  # reserved for the link layer


def through_the_wire(message: Message, seq: int = 0) -> Message:
    wire = encode_frame(seq, message.TYPE, message.to_fields())
    assert all(b < 0x80 for b in wire)
    dec = FrameDecoder()
    dec.receive_data(wire)
    [frame] = dec.events()
    assert frame.type == message.TYPE  # type: ignore[union-attr]
    return message_from_fields(frame.type, list(frame.fields))  # type: ignore[union-attr]


@pytest.mark.parametrize("cls", MESSAGE_TYPES, ids=lambda c: c.TYPE)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip_every_message_type(cls: type[Message], data: st.DataObject) -> None:
    message = data.draw(STRATEGIES[cls])
    assert message_from_fields(message.TYPE, message.to_fields()) == message
    assert through_the_wire(message) == message


# ---------------------------------------------------------------------------- fixed vectors

@pytest.mark.parametrize(("message", "fields"), [
    (Heartbeat(), []),
    (IdentifyRequest(1), [("r", "1")]),
    (ParameterRead(2, "extension", 0, 8), [("r", "2"), ("g", "E"), ("o", "0"), ("c", "8")]),
    (ParameterWrite(3, "extension.001.night_class", "12"),
     [("r", "3"), ("k", "extension.001.night_class"), ("v", "12")]),
    (ClockSet(4, "202406010930"), [("r", "4"), ("t", "202406010930"), ("z", "1920")]),
    (ClockSet(4, "202406010930", -300), [("r", "4"), ("t", "202406010930"), ("z", "1140")]),
    (StateRequest(5), [("r", "5")]),
    (CallControl(6, "dial", "001", number="13800138000"),
     [("r", "6"), ("a", "dial"), ("p", "001"), ("n", "13800138000"), ("m", "1")]),
    (CallControl(7, "park", "002", slot=3), [("r", "7"), ("a", "park"), ("p", "002"),
                                            ("s", "3"), ("m", "1")]),
    (CallControl(8, "dnd", "003", on=False), [("r", "8"), ("a", "dnd"), ("p", "003"),
                                             ("m", "0")]),
    (CallControl(9, "transfer", "001", target="005"),
     [("r", "9"), ("a", "transfer"), ("p", "001"), ("x", "005"), ("m", "1")]),
    (RecordAck(100, 107), [("q", "100"), ("l", "107")]),
    (Identity(1, "CC-832", "2.1", 24, 8, (("extension", "3FA2"),), "20240601093015", 12346),
     [("r", "1"), ("m", "CC-832"), ("f", "2.1"), ("e", "24"), ("k", "8"),
      ("t", "20240601093015"), ("q", "12346"), ("v", "1.0"), ("cE", "3FA2")]),
    (ParameterBlock(2, "extension", 0, 24, (("extension.001", ("8001", "11", "a;b")),)),
     [("r", "2"), ("g", "E"), ("o", "0"), ("n", "24"), ("w", "extension.001=8001;11;a%3Bb")]),
    (ParameterWriteResult(3, "extension.001.night_class", False, "11", "out of range"),
     [("r", "3"), ("k", "extension.001.night_class"), ("ok", "0"), ("v", "11"),
      ("e", "out of range")]),
    (ClockSetResult(4, True, "202406010931"), [("r", "4"), ("ok", "1"), ("t", "202406010931")]),
    (ExtensionState("001", "ringing", "13800138000", "01", 77),
     [("p", "001"), ("s", "ringing"), ("n", "13800138000"), ("k", "01"), ("i", "77"),
      ("fw", ""), ("d", "0")]),
    (TrunkState("01", "incoming", "13800138000", "001", 77),
     [("k", "01"), ("s", "incoming"), ("n", "13800138000"), ("p", "001"), ("i", "77")]),
    (ParkSlotState(2, True, "13800138000", "001", 77),
     [("s", "2"), ("o", "1"), ("n", "13800138000"), ("p", "001"), ("i", "77")]),
    (StateSnapshot(5, (ExtensionState("001", "idle"),), (TrunkState("01", "idle"),),
                   (ParkSlotState(1, False),), night=True),
     [("r", "5"), ("nt", "1"), ("E", "001,idle,,,0,,0"), ("T", "01,idle,,,0"),
      ("P", "1,0,,,0")]),
    (CallControlResult(6, False, "extension busy"), [("r", "6"), ("ok", "0"), ("i", "0"),
                                                    ("e", "extension busy")]),
    (CallRecord(12345, "20240601093015", 95, "001", "8001", "01", "13800138000", "OUT"),
     [("q", "12345"), ("t", "20240601093015"), ("z", "1920"), ("d", "95"), ("p", "001"),
      ("x", "8001"), ("k", "01"), ("n", "13800138000"), ("y", "OUT"), ("c", ""), ("a", ""),
      ("g", "0")]),
    (ParameterChanged("system.night", "1"), [("k", "system.night"), ("v", "1")]),
])
def test_message_field_vectors(message: Message, fields: list[tuple[str, str]]) -> None:
    assert message.to_fields() == fields
    assert message_from_fields(message.TYPE, fields) == message


def test_optional_fields_take_defaults() -> None:
    assert message_from_fields("RAK", [("q", "9")]) == RecordAck(9, 9)
    assert message_from_fields("CKQ", [("r", "1"), ("t", "202406010930")]) == \
        ClockSet(1, "202406010930", 480)
    assert message_from_fields("CCQ", [("r", "1"), ("a", "answer"), ("p", "001")]) == \
        CallControl(1, "answer", "001")
    assert message_from_fields("EXS", [("p", "001"), ("s", "idle")]) == \
        ExtensionState("001", "idle")
    assert message_from_fields("CDR", [("q", "1"), ("t", "20240601093015"), ("d", "0"),
                                       ("p", "001"), ("x", "8001"), ("y", "IN")]) == \
        CallRecord(1, "20240601093015", 0, "001", "8001", "", "", "IN")


def test_unknown_cdr_fields_are_kept_in_order() -> None:
    fields = CallRecord(1, "20240601093015", 5, "001", "8001", "01", "110", "OUT",
                        extra=(("cost", "0.20"), ("memo", "测试"))).to_fields()
    decoded = message_from_fields("CDR", fields)
    assert isinstance(decoded, CallRecord)
    assert decoded.extra == (("cost", "0.20"), ("memo", "测试"))


def test_a_disa_record_without_extension_round_trips_on_the_wire() -> None:
    """A DISA call (S-26) has no extension: ``p`` and ``x`` are sent, empty."""
    record = CallRecord(12346, "20240601094000", 65, "", "", "02", "13812345678", "OUT",
                        "02087654321", "D03")
    wire = encode_frame(0x14, "CDR", record.to_fields())
    assert wire == (b"\x0214CDR|q=12346|t=20240601094000|z=1920|d=65|p=|x=|k=02|n=13812345678"
                    b"|y=OUT|c=02087654321|a=D03|g=0\x030E25")  # as in docs/pbx-protocol.md
    decoder = FrameDecoder()
    decoder.receive_data(wire)
    frame = decoder.next_event()
    assert message_from_fields("CDR", list(frame.fields)) == record  # type: ignore[union-attr]


def test_identity_checksum_lookup() -> None:
    ident = Identity(1, "m", "f", 24, 8, (("extension", "A1"), ("other", "B2")), "t", 0)
    assert ident.checksum("extension") == "A1"
    assert ident.checksum("trunk") == ""


# ---------------------------------------------------------------------------- malformed

@pytest.mark.parametrize(("type_code", "fields", "named"), [
    ("XYZ", [], "XYZ"),
    ("IDQ", [], "'r'"),
    ("IDQ", [("r", "")], "'r'"),
    ("IDQ", [("r", "-1")], "'r'"),
    ("IDQ", [("r", "1.5")], "'r'"),
    ("IDQ", [("r", "12345678901")], "'r'"),
    ("IDQ", [("r", "4294967296")], "'r'"),
    ("IDQ", [("r", "²")], "'r'"),          # a Unicode digit that int() refuses
    ("IDQ", [("r", "١٢")], "'r'"),         # Arabic-Indic digits are not decimal on the wire
    ("PRQ", [("r", "1"), ("g", "X"), ("o", "0"), ("c", "1")], "'g'"),
    ("PRQ", [("r", "1"), ("g", "E"), ("o", "0"), ("c", "0")], "'c'"),
    ("PRQ", [("r", "1"), ("g", "E"), ("o", "0"), ("c", "257")], "'c'"),
    ("PRQ", [("r", "1"), ("g", "E"), ("o", "65536"), ("c", "1")], "'o'"),
    ("PWQ", [("r", "1"), ("v", "1")], "'k'"),
    ("PWQ", [("r", "1"), ("k", "a")], "'v'"),
    ("CKQ", [("r", "1"), ("t", "2024060109")], "'t'"),
    ("CKQ", [("r", "1"), ("t", "２０２４０６０１０９３０")], "'t'"),
    ("CKQ", [("r", "1"), ("t", "202406010930"), ("z", "2881")], "'z'"),
    ("CCQ", [("r", "1"), ("a", "explode"), ("p", "001")], "'a'"),
    ("CCQ", [("r", "1"), ("a", "park"), ("p", "001"), ("s", "7")], "'s'"),
    ("CCQ", [("r", "1"), ("a", "dial")], "'p'"),
    ("RAK", [("l", "5")], "'q'"),
    ("RAK", [("q", "5"), ("l", "4")], "'l'"),
    ("IDR", [("r", "1"), ("m", "x"), ("f", "1"), ("e", "0"), ("k", "8"), ("t", "t"),
             ("q", "0"), ("v", "1.0")], "'e'"),
    ("IDR", [("r", "1"), ("m", "x"), ("f", "1"), ("e", "24"), ("k", "100"), ("t", "t"),
             ("q", "0"), ("v", "1.0")], "'k'"),
    ("PRR", [("r", "1"), ("g", "E"), ("o", "0"), ("n", "1"), ("w", "novalues")], "'w'"),
    ("PRR", [("r", "1"), ("g", "E"), ("o", "0"), ("n", "1"), ("w", "=1;2")], "'w'"),
    ("PWR", [("r", "1"), ("k", "a"), ("ok", "yes")], "'ok'"),
    ("CKR", [("r", "1")], "'ok'"),
    ("EXS", [("p", "001"), ("s", "sleeping")], "'s'"),
    ("EXS", [("p", "001"), ("s", "idle"), ("i", "x")], "'i'"),
    ("TKS", [("k", "01"), ("s", "ringing")], "'s'"),
    ("PKS", [("s", "0"), ("o", "1")], "'s'"),
    ("PKS", [("s", "1"), ("o", "2")], "'o'"),
    ("STR", [("r", "1"), ("E", "001,idle")], "extension"),
    ("STR", [("r", "1"), ("T", "01,idle,,,0,extra")], "trunk"),
    ("STR", [("r", "1"), ("P", "9,0,,,0")], "'s'"),
    ("STR", [("r", "1"), ("E", "001,bogus,,,0,,0")], "'s'"),
    ("CCR", [("r", "1"), ("ok", "1"), ("i", "-3")], "'i'"),
    ("CDR", [("q", "1"), ("t", "2024"), ("d", "1"), ("p", "1"), ("x", "1"), ("y", "OUT")], "'t'"),
    ("CDR", [("q", "1"), ("t", "20240601093015"), ("d", "1"), ("p", "1"), ("x", "1"),
             ("y", "LOCAL")], "'y'"),
    ("CDR", [("q", "1"), ("t", "20240601093015"), ("d", "10000001"), ("p", "1"), ("x", "1"),
             ("y", "OUT")], "'d'"),
    ("CDR", [("t", "20240601093015"), ("d", "1"), ("p", "1"), ("x", "1"), ("y", "OUT")], "'q'"),
    ("PCH", [("v", "1")], "'k'"),
])
def test_malformed_fields_raise_message_format_error_naming_the_field(
        type_code: str, fields: list[tuple[str, str]], named: str) -> None:
    with pytest.raises(MessageFormatError) as info:
        message_from_fields(type_code, fields)
    assert named in str(info.value)


field_keys = st.sampled_from(["r", "g", "o", "c", "k", "v", "t", "z", "a", "p", "n", "x", "s",
                              "m", "q", "l", "f", "e", "cE", "w", "ok", "i", "fw", "d", "y",
                              "E", "T", "P", "nt", "zz"])
field_values = st.one_of(st.text(max_size=12), digits, st.sampled_from(
    ["0", "1", "E", "OUT", "idle", "dial", "20240601093015", "202406010930", "a=1;2",
     "001,idle,,,0,,0", "²", "4294967296"]))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([c.TYPE for c in MESSAGE_TYPES]),
       st.lists(st.tuples(field_keys, field_values), max_size=12))
def test_arbitrary_fields_give_a_message_or_message_format_error(
        type_code: str, fields: list[tuple[str, str]]) -> None:
    try:
        message = message_from_fields(type_code, fields)
    except MessageFormatError:
        return
    assert type_code == message.TYPE
    # Whatever was accepted encodes again (the PC may log or forward it).
    encode_frame(0, message.TYPE, message.to_fields())
