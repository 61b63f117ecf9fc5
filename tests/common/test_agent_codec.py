"""Agent protocol v1: JSON Lines framing, message validation, the catalogue and its document."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.common.agent import (
    ACTIONS,
    EVENTS,
    MAX_LINE,
    NEED_DATA,
    PROTOCOL_VERSION,
    EndOfStream,
    ErrorCode,
    Hello,
    InvalidLine,
    LineDecoder,
    LineTooLong,
    LocalProtocolError,
    Login,
    ObjectLine,
    ProtocolError,
    Request,
    check_access,
    encode,
    event,
    format_time,
    hello,
    response_error,
    response_ok,
    validate_client_message,
    validate_event,
    validate_login,
    validate_request,
    validate_response,
    validate_result,
    validate_server_message,
)
from callcenter.common.agent.catalog import (
    AGENT_ACTIONS,
    ERROR_MEANINGS,
    LOGIN_RESULT,
    ROLES,
    FieldSpec,
    check_fields,
    is_time,
)
from callcenter.common.agent.messages import Event, Response, is_compatible

DOC = Path(__file__).resolve().parents[2] / "docs" / "agent-protocol.md"
T0 = "2024-06-01T09:30:15.000+08:00"


def drain(dec: LineDecoder, limit: int = 100_000) -> list[Any]:
    """Every event up to NEED_DATA or EndOfStream (inclusive); fails instead of hanging."""
    out: list[Any] = []
    for _ in range(limit):
        ev = dec.next_event()
        if ev is NEED_DATA:
            return out
        out.append(ev)
        if isinstance(ev, EndOfStream):
            return out
    raise AssertionError("decoder did not run dry")


def decode_all(data: bytes, chunk: int | None = None, *, close: bool = True,
               max_line: int = MAX_LINE) -> list[Any]:
    dec = LineDecoder(max_line=max_line)
    out: list[Any] = []
    step = chunk or max(len(data), 1)
    for i in range(0, len(data), step):
        dec.receive_data(data[i:i + step])
        assert dec.buffered <= max_line
        out += drain(dec)
    if close:
        dec.receive_data(b"")
        out += drain(dec)
    return out


def objects(events: list[Any]) -> list[Any]:
    """Events with ObjectLine unwrapped and InvalidLine reduced to its class, for comparing."""
    out: list[Any] = []
    for ev in events:
        if isinstance(ev, ObjectLine):
            out.append(ev.data)
        elif isinstance(ev, InvalidLine):
            out.append(InvalidLine)
        else:
            out.append(ev)
    return out


# --------------------------------------------------------------------------- framing vectors

# (wire bytes, what the decoder hands out before end of stream)
VECTORS: list[tuple[bytes, list[Any]]] = [
    (b'{"type":"hello","protocol":"1.0.0"}\n', [{"type": "hello", "protocol": "1.0.0"}]),
    (b'{}\n', [{}]),
    (b'{"a":1}\n{"b":[1,2,{"c":null}]}\n', [{"a": 1}, {"b": [1, 2, {"c": None}]}]),
    ('{"text":"张三 | 销售 \\n 😀"}\n'.encode(), [{"text": "张三 | 销售 \n 😀"}]),
    (b'{"s":"\\ud83d\\ude00"}\n', [{"s": "😀"}]),
    (b'{"a":1}\r\n', [{"a": 1}]),
    (b'\n   \n\r\n{"a":1}\n\t\n', [{"a": 1}]),
    (b'  {"a" : 1 }  \n', [{"a": 1}]),
    (b'{"a":1,"a":2}\n', [{"a": 2}]),  # duplicate names: the last wins
    (b'not json\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),
    (b'[1,2]\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),
    (b'"text"\n42\nnull\ntrue\n{"ok":1}\n',
     [InvalidLine, InvalidLine, InvalidLine, InvalidLine, {"ok": 1}]),
    (b'{"a":1}{"b":2}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),
    (b'{"a":\xff}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),
    (b'{"a":"\xe5\xbc"}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),  # cut UTF-8 sequence
    (b'\xef\xbb\xbf{"a":1}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),  # BOM
    (b'{"a":NaN}\n{"a":Infinity}\n{"a":-Infinity}\n{"ok":1}\n',
     [InvalidLine, InvalidLine, InvalidLine, {"ok": 1}]),
    (b'{"a":"\\ud800"}\n{"\\udfff":1}\n{"ok":1}\n', [InvalidLine, InvalidLine, {"ok": 1}]),
    (b'{"a":' + b"9" * 5000 + b'}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),
    (b'{"a":' + b"[" * 30_000 + b"]" * 30_000 + b'}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),
    (b'{"a":"\x00"}\n{"ok":1}\n', [InvalidLine, {"ok": 1}]),  # raw control character
]


@pytest.mark.parametrize(("wire", "expected"), VECTORS)
@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_vectors_whole_bytewise_and_chunked(wire: bytes, expected: list[Any],
                                            chunk: int | None) -> None:
    if chunk == 1 and len(wire) > 2000:
        chunk = 997  # byte by byte is proven on the short vectors; keep the run quick
    assert objects(decode_all(wire, chunk)) == [*expected, EndOfStream()]


@pytest.mark.parametrize(("wire", "expected"), VECTORS)
def test_vectors_followed_by_a_partial_line(wire: bytes, expected: list[Any]) -> None:
    dec = LineDecoder()
    dec.receive_data(wire + b'{"partial":')
    assert objects(drain(dec)) == expected
    assert dec.buffered == len(b'{"partial":')
    dec.receive_data(b'true}\n')
    assert objects(drain(dec)) == [{"partial": True}]


def test_partial_line_at_end_of_stream_is_reported() -> None:
    events = decode_all(b'{"a":1}\n{"b":')
    assert isinstance(events[1], InvalidLine)
    assert "end of stream" in events[1].reason
    assert events[1].code == "bad_json"
    assert events[2] == EndOfStream()
    # Blank bytes at the end are no line at all.
    assert decode_all(b'{"a":1}\n  \r') == [ObjectLine({"a": 1}), EndOfStream()]


def test_end_of_stream_is_sticky_and_data_after_it_is_our_bug() -> None:
    dec = LineDecoder()
    dec.receive_data(b'{"a":1}\n')
    dec.receive_data(b"")
    assert dec.next_event() == ObjectLine({"a": 1})
    assert dec.next_event() == EndOfStream()
    assert dec.next_event() == EndOfStream()
    dec.receive_data(b"")
    with pytest.raises(LocalProtocolError):
        dec.receive_data(b"x")


def test_need_data_until_newline() -> None:
    dec = LineDecoder()
    assert dec.next_event() is NEED_DATA
    dec.receive_data(b'{"a":')
    assert dec.next_event() is NEED_DATA
    dec.receive_data(bytearray(b"1}"))
    assert dec.next_event() is NEED_DATA
    dec.receive_data(memoryview(b"\n"))
    assert dec.next_event() == ObjectLine({"a": 1})
    assert dec.next_event() is NEED_DATA


# --------------------------------------------------------------------------- line length

def line_of(size: int) -> bytes:
    """A JSON object line of exactly ``size`` bytes including its newline."""
    head = b'{"p":"'
    tail = b'"}\n'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_line_of_exactly_max_line_is_accepted() -> None:
    wire = line_of(MAX_LINE)
    assert len(wire) == MAX_LINE
    for chunk in (None, 1000, 4096):
        events = decode_all(wire, chunk)
        assert len(events) == 2
        assert isinstance(events[0], ObjectLine)


@pytest.mark.parametrize("chunk", [None, 1, 1000, MAX_LINE, MAX_LINE + 1])
def test_over_long_line_then_a_good_line(chunk: int | None) -> None:
    wire = line_of(MAX_LINE + 1) + b'{"ok":1}\n' + line_of(3 * MAX_LINE) + b'{"ok":2}\n'
    events = decode_all(wire, chunk)
    assert events == [LineTooLong(MAX_LINE), ObjectLine({"ok": 1}), LineTooLong(MAX_LINE),
                      ObjectLine({"ok": 2}), EndOfStream()]
    assert events[0].code == "line_too_long"


def test_over_long_line_is_reported_before_its_newline_and_not_buffered() -> None:
    dec = LineDecoder()
    for _ in range(3 * MAX_LINE // 4096):
        dec.receive_data(b"y" * 4096)
        assert dec.buffered < MAX_LINE
    assert drain(dec) == [LineTooLong(MAX_LINE)]  # once, not once per chunk
    assert dec.buffered == 0
    dec.receive_data(b'tail of the long line\n{"ok":1}\n')
    assert drain(dec) == [ObjectLine({"ok": 1})]
    assert dec.lines_too_long == 1


def test_small_limit_counts_the_newline() -> None:
    assert decode_all(b'{"a":1}\n', max_line=8) == [ObjectLine({"a": 1}), EndOfStream()]
    assert decode_all(b'{"a":12}\n{}\n', max_line=8) == [
        LineTooLong(8), ObjectLine({}), EndOfStream()]


# --------------------------------------------------------------------------- encoding

def test_encode_is_compact_utf8_and_newline_terminated() -> None:
    wire = encode({"type": "event", "text": "张三\n", "n": [1, 2.5, None, True]})
    assert wire == '{"type":"event","text":"张三\\n","n":[1,2.5,null,true]}\n'.encode()
    assert wire.count(b"\n") == 1


@pytest.mark.parametrize("bad", [
    [1, 2], "text", {"a": float("nan")}, {"a": float("inf")}, {"a": {1, 2}}, {"a": b"x"},
    {"a": "\ud800"}, {"a": "x" * MAX_LINE},
])
def test_encode_refuses_what_the_wire_cannot_carry(bad: Any) -> None:
    with pytest.raises(LocalProtocolError):
        encode(bad)


def test_encode_limit_is_the_line_including_newline() -> None:
    obj = json.loads(line_of(MAX_LINE))
    assert len(encode(obj)) == MAX_LINE
    with pytest.raises(LocalProtocolError):
        encode({"p": obj["p"] + "x"})


TEXT_CHARS = st.characters(exclude_categories=["Cs"])  # JSON text has no lone surrogates
JSON_SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63)
                | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(TEXT_CHARS))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(TEXT_CHARS, max_size=8), inner,
                      max_size=5),
    max_leaves=30,
)
JSON_OBJECTS = st.dictionaries(st.text(TEXT_CHARS, max_size=8),
                               JSON_VALUES, max_size=6)


@settings(max_examples=120, deadline=None)
@given(st.lists(JSON_OBJECTS, min_size=1, max_size=5), st.integers(1, 50))
def test_round_trip_encode_decode(objs: list[dict[str, Any]], chunk: int) -> None:
    wire = b"".join(encode(o) for o in objs)
    assert decode_all(wire, chunk) == [*(ObjectLine(o) for o in objs), EndOfStream()]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(1, 80), min_size=1, max_size=20))
def test_fuzz_arbitrary_bytes_never_raise_or_hang(data: bytes, cuts: list[int]) -> None:
    dec = LineDecoder(max_line=64)
    pos, i = 0, 0
    while pos < len(data):
        size = cuts[i % len(cuts)]
        dec.receive_data(data[pos:pos + size])
        assert dec.buffered <= 64
        for ev in drain(dec):
            assert isinstance(ev, ObjectLine | InvalidLine | LineTooLong)
        pos, i = pos + size, i + 1
    # Whatever came before, the decoder resynchronises on the next line.
    dec.receive_data(b'\n{"ok":1}\n')
    assert drain(dec)[-1] == ObjectLine({"ok": 1})
    dec.receive_data(b"")
    assert drain(dec)[-1] == EndOfStream()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"{", b"}", b"[", b"]", b'"', b"\\", b"u", b"d8", b"00",
                                 b":", b",", b"1", b"e", b"\n", b"\xff", b"\xe5", b"null",
                                 b"\r", b" "]), max_size=200))
def test_fuzz_json_like_tokens(tokens: list[bytes]) -> None:
    for ev in decode_all(b"".join(tokens), 3):
        if isinstance(ev, ObjectLine):
            encode(ev.data)  # whatever decodes can be sent on unchanged


# --------------------------------------------------------------------------- requests

# Good parameters of every action (besides type, id and action).
GOOD_PARAMS: dict[str, list[dict[str, Any]]] = {
    "ping": [{}],
    "subscribe": [{"events": ["ring"]}, {"events": ["ring", "hangup", "no_such_event"]}],
    "unsubscribe": [{"events": ["trunk_state"]}],
    "change_password": [{"old": "admin", "new": "s3cret-pw"}, {"old": "", "new": "密码密码密码"}],
    "dial": [{"number": "8002"}, {"number": "013800138000"}, {"number": "*51#"}],
    "hangup": [{}],
    "answer": [{}],
    "transfer": [{"target": "002"}],
    "hold": [{}],
    "retrieve": [{}],
    "conference": [{}],
    "page": [{}, {"target": "005"}],
    "redial": [{}],
    "pickup": [{}, {"target": "003"}],
    "park": [{}, {"slot": 1}, {"slot": 6}],
    "unpark": [{"slot": 3}],
    "forward": [{"on": True, "number": "8003"}, {"on": False}, {"on": False, "number": "8003"}],
    "dnd": [{"on": True}, {"on": False}],
    "send_message": [{"to": "alice", "text": "hello"}, {"to": "ALL", "text": "午饭" * 1000}],
    "agents": [{}],
    "clients": [{}],
}

# (action, parameters, a word the error message must contain)
BAD_PARAMS: list[tuple[str, dict[str, Any], str]] = [
    ("subscribe", {}, "events"),
    ("subscribe", {"events": []}, "events"),
    ("subscribe", {"events": "ring"}, "events"),
    ("subscribe", {"events": ["ring", 1]}, "events[1]"),
    ("unsubscribe", {"events": [None]}, "events[0]"),
    ("change_password", {"old": "admin"}, "new"),
    ("change_password", {"old": "admin", "new": "short"}, "new"),
    ("change_password", {"old": "samesame", "new": "samesame"}, "new"),
    ("change_password", {"old": 1234, "new": "long enough"}, "old"),
    ("dial", {}, "number"),
    ("dial", {"number": 8002}, "number"),
    ("dial", {"number": ""}, "number"),
    ("dial", {"number": "80-02"}, "number"),
    ("dial", {"number": "8" * 33}, "number"),
    ("dial", {"number": "٨٠٠٢"}, "number"),  # Arabic-Indic digits are not keys on a phone
    ("transfer", {}, "target"),
    ("transfer", {"target": "2"}, "target"),
    ("transfer", {"target": "000"}, "target"),
    ("transfer", {"target": 2}, "target"),
    ("transfer", {"target": "8002"}, "target"),
    ("page", {"target": "５"}, "target"),
    ("pickup", {"target": None}, "target"),
    ("park", {"slot": 0}, "slot"),
    ("park", {"slot": 7}, "slot"),
    ("park", {"slot": "1"}, "slot"),
    ("park", {"slot": True}, "slot"),
    ("park", {"slot": 1.0}, "slot"),
    ("unpark", {}, "slot"),
    ("forward", {}, "on"),
    ("forward", {"on": True}, "number"),
    ("forward", {"on": 1, "number": "8003"}, "on"),
    ("forward", {"on": "true"}, "on"),
    ("dnd", {}, "on"),
    ("dnd", {"on": 0}, "on"),
    ("send_message", {"to": "alice"}, "text"),
    ("send_message", {"to": "alice", "text": ""}, "text"),
    ("send_message", {"to": "alice", "text": "x" * 2001}, "text"),
    ("send_message", {"to": "", "text": "hi"}, "to"),
    ("send_message", {"to": ["alice"], "text": "hi"}, "to"),
]

WRONG_KIND = {"string": 12, "integer": "12", "boolean": "yes", "array": "x", "object": []}


def request(action: str, **params: Any) -> dict[str, Any]:
    return {"type": "request", "id": 7, "action": action, **params}


# The admin API's actions (1.1) carry their good vectors in the catalogue.
for _spec in ACTIONS.values():
    if _spec.name not in AGENT_ACTIONS:
        assert _spec.examples, f"admin action {_spec.name} needs examples in its ActionSpec"
        GOOD_PARAMS[_spec.name] = [dict(p) for p in _spec.examples]


def test_every_action_has_good_vectors() -> None:
    assert set(GOOD_PARAMS) == set(ACTIONS)


@pytest.mark.parametrize(("action", "params"),
                         [(a, p) for a, ps in GOOD_PARAMS.items() for p in ps])
def test_good_params(action: str, params: dict[str, Any]) -> None:
    parsed = validate_client_message(request(action, **params))
    assert parsed == Request(7, action, params)


@pytest.mark.parametrize(("action", "params", "word"), BAD_PARAMS)
def test_bad_params(action: str, params: dict[str, Any], word: str) -> None:
    err = validate_request(request(action, **params))
    assert isinstance(err, ProtocolError)
    assert err.code is ErrorCode.BAD_REQUEST
    assert f"'{word}'" in err.message
    assert err.request_id == 7
    assert err.response() == {"type": "response", "id": 7, "ok": False,
                              "error": {"code": "bad_request", "message": err.message}}


@pytest.mark.parametrize(("action", "param"),
                         [(a.name, p) for a in ACTIONS.values() for p in a.params])
def test_every_param_refuses_a_wrong_kind(action: str, param: FieldSpec) -> None:
    params = dict(GOOD_PARAMS[action][-1])
    params[param.name] = WRONG_KIND[param.kind]
    err = validate_request(request(action, **params))
    assert isinstance(err, ProtocolError)
    assert err.code is ErrorCode.BAD_REQUEST
    assert repr(param.name) in err.message


@pytest.mark.parametrize(("action", "param"),
                         [(a.name, p) for a in ACTIONS.values() for p in a.params if p.required])
def test_every_required_param_is_required(action: str, param: FieldSpec) -> None:
    params = {k: v for k, v in GOOD_PARAMS[action][-1].items() if k != param.name}
    err = validate_request(request(action, **params))
    assert isinstance(err, ProtocolError)
    assert f"{param.name!r} is required" in err.message


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_unknown_fields_are_ignored(action: str) -> None:
    params = GOOD_PARAMS[action][0]
    parsed = validate_request(request(action, **params, future_field={"x": 1}, priority=3))
    assert parsed == Request(7, action, params)


@pytest.mark.parametrize(("obj", "code", "request_id", "word"), [
    ({"id": 1, "action": "ping"}, ErrorCode.BAD_REQUEST, 1, "type"),
    ({"type": 5, "id": 1, "action": "ping"}, ErrorCode.BAD_REQUEST, 1, "type"),
    ({"type": "response", "id": 1}, ErrorCode.UNKNOWN_TYPE, 1, "response"),
    ({"type": "hello", "id": "a"}, ErrorCode.UNKNOWN_TYPE, "a", "hello"),
    ({"type": "subscribe", "id": True}, ErrorCode.UNKNOWN_TYPE, None, "subscribe"),
    ({"type": "request", "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": None, "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": 1.5, "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": False, "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": [1], "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": "", "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": "x" * 65, "action": "ping"}, ErrorCode.BAD_REQUEST, None, "id"),
    ({"type": "request", "id": 3}, ErrorCode.BAD_REQUEST, 3, "action"),
    ({"type": "request", "id": 3, "action": ["ping"]}, ErrorCode.BAD_REQUEST, 3, "action"),
    ({"type": "request", "id": 3, "action": "reboot"}, ErrorCode.UNKNOWN_ACTION, 3, "reboot"),
    ({"type": "request", "id": 3, "action": "Ping"}, ErrorCode.UNKNOWN_ACTION, 3, "Ping"),
])
def test_bad_envelopes(obj: dict[str, Any], code: ErrorCode, request_id: Any, word: str) -> None:
    err = validate_client_message(obj)
    assert isinstance(err, ProtocolError)
    assert (err.code, err.request_id) == (code, request_id)
    assert word in err.message
    answer = validate_response(err.response())
    assert isinstance(answer, Response)
    assert answer.id == request_id
    assert answer.error is not None
    assert answer.error.code == code


def test_ids_are_strings_or_integers_echoed_verbatim() -> None:
    for request_id in (0, -1, 2**40, "a", "7f3c-可"):
        parsed = validate_request({"type": "request", "id": request_id, "action": "ping"})
        assert isinstance(parsed, Request)
        assert parsed.id == request_id
        assert response_ok(request_id)["id"] == request_id


# --------------------------------------------------------------------------- login

GOOD_LOGIN = {"type": "login", "id": 1, "user": "alice", "password": "pw", "extension": "001",
              "device": "headset"}


def test_login_good() -> None:
    assert validate_client_message(GOOD_LOGIN) == Login(1, "alice", "pw", "001", "headset")
    without_device = {k: v for k, v in GOOD_LOGIN.items() if k != "device"}
    assert validate_login(without_device) == Login(1, "alice", "pw", "001", "normal")
    assert validate_login({**GOOD_LOGIN, "password": "", "client": "crm 2.1"}) == Login(
        1, "alice", "", "001", "headset")
    assert "pw" not in repr(validate_login(GOOD_LOGIN))


@pytest.mark.parametrize(("change", "word"), [
    ({"extension": "1"}, "extension"),
    ({"extension": "01"}, "extension"),
    ({"extension": "0001"}, "extension"),
    ({"extension": "000"}, "extension"),
    ({"extension": "８００"}, "extension"),
    ({"extension": 1}, "extension"),
    ({"extension": "8001"}, "extension"),
    ({"extension": None}, "extension"),
    ({"device": "mobile"}, "device"),
    ({"device": ""}, "device"),
    ({"device": 1}, "device"),
    ({"user": ""}, "user"),
    ({"user": "u" * 65}, "user"),
    ({"user": 5}, "user"),
    ({"password": None}, "password"),
    ({"password": "p" * 257}, "password"),
    ({"id": None}, "id"),
])
def test_login_bad(change: dict[str, Any], word: str) -> None:
    err = validate_client_message({**GOOD_LOGIN, **change})
    assert isinstance(err, ProtocolError)
    assert err.code is ErrorCode.BAD_REQUEST
    assert f"'{word}'" in err.message


@pytest.mark.parametrize("missing", ["id", "user", "password"])
def test_login_missing_field(missing: str) -> None:
    err = validate_login({k: v for k, v in GOOD_LOGIN.items() if k != missing})
    assert isinstance(err, ProtocolError)
    assert f"'{missing}' is required" in err.message


def test_console_login_has_no_extension() -> None:
    """1.1: a console or command-line session logs in without an extension port (the hub
    refuses that for agents), or with the local service token instead of a password."""
    login = validate_login({k: v for k, v in GOOD_LOGIN.items() if k != "extension"})
    assert isinstance(login, Login) and login.extension == ""
    login = validate_login({"id": 1, "user": "cli:root", "password": "", "token": "ab" * 16})
    assert isinstance(login, Login) and login.token == "ab" * 16 and login.extension == ""


# --------------------------------------------------------------------------- access

def req(action: str) -> Request:
    return Request(1, action, {})


def test_before_login_only_ping() -> None:
    for action in ACTIONS:
        err = check_access(req(action), None)
        if action == "ping":
            assert err is None
        else:
            assert isinstance(err, ProtocolError)
            assert err.code is ErrorCode.NOT_LOGGED_IN


def test_password_change_first() -> None:
    for action in ACTIONS:
        err = check_access(req(action), "admin", must_change_password=True)
        if action in ("ping", "change_password"):
            assert err is None
        else:
            assert isinstance(err, ProtocolError)
            assert err.code is ErrorCode.PASSWORD_CHANGE_REQUIRED


ROLE_TABLE = {action: ("admin" if action == "clients" else None if action == "ping"
                       else "agent") for action in AGENT_ACTIONS}
ROLE_TABLE.update({a.name: a.role for a in ACTIONS.values() if a.name not in AGENT_ACTIONS})


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_role_table(action: str, role: str) -> None:
    assert ACTIONS[action].role == ROLE_TABLE[action]
    err = check_access(req(action), role)
    lowest = ROLE_TABLE[action]
    if lowest is not None and ROLES.index(role) < ROLES.index(lowest):
        assert isinstance(err, ProtocolError)
        assert err.code is ErrorCode.FORBIDDEN
    else:
        assert err is None


def test_unknown_role_is_refused() -> None:
    err = check_access(req("dial"), "guest")
    assert isinstance(err, ProtocolError)
    assert err.code is ErrorCode.FORBIDDEN


# --------------------------------------------------------------------------- server messages

AGENT = {"user": "alice", "extension": "001", "device": "normal", "since": T0}
EVENT_EXAMPLES: dict[str, dict[str, Any]] = {
    "snapshot": {
        "extensions": [{"port": "001", "number": "8001", "name": "前台", "state": "talking",
                        "peer": "13800138000", "trunk": "01", "call_id": 12, "forward": "",
                        "dnd": False},
                       {"port": "002", "number": "8002", "name": "", "state": "idle",
                        "peer": "", "trunk": "", "call_id": 0, "forward": "8003",
                        "dnd": True}],
        "trunks": [{"trunk": "01", "state": "talking", "number": "13800138000",
                    "port": "001", "call_id": 12},
                   {"trunk": "02", "state": "idle", "number": "", "port": "", "call_id": 0}],
        "park_slots": [{"slot": s, "occupied": False, "number": "", "port": "", "call_id": 0}
                       for s in range(1, 7)],
        "calls": [{"call_id": 12, "kind": "incoming", "state": "talking", "trunk": "01",
                   "number": "13800138000", "ports": ["001"], "ringing": []}],
        "agents": [AGENT],
        "link": "up", "part": 1, "parts": 1,
    },
    "ring": {"call_id": 13, "caller": "13800138000", "trunk": "01", "extension": "002",
             "number": "8002"},
    "answer": {"call_id": 13, "extension": "002", "peer": "13800138000", "trunk": "01"},
    "hangup": {"call_id": 13, "extension": "002", "peer": "13800138000", "trunk": "01",
               "answered": True},
    "extension_state": {"port": "002", "state": "ringing", "peer": "13800138000",
                        "trunk": "01", "call_id": 13},
    "trunk_state": {"trunk": "01", "state": "incoming", "number": "13800138000", "port": "",
                    "call_id": 13},
    "park_slot": {"slot": 2, "occupied": True, "number": "13800138000", "port": "001",
                  "call_id": 12},
    "message": {"from": "alice", "to": "ALL", "text": "午饭到了", "id": 41,
                "sent": "2024-06-01T09:30:14.800+08:00", "offline": False},
    "forward": {"port": "002", "on": True, "number": "8003"},
    "dnd": {"port": "002", "on": False},
    "link": {"state": "down", "reason": "no answer from the PBX for 10 s"},
    "overflow": {"limit": 1000, "message": "client too slow"},
    "agent_joined": AGENT,
    "agent_left": {"user": "alice", "extension": "001"},
}

# The admin API's events (1.1) carry their example in the catalogue.
for _event in EVENTS.values():
    if _event.example is not None:
        EVENT_EXAMPLES[_event.name] = dict(_event.example)


def test_every_event_has_an_example() -> None:
    assert set(EVENT_EXAMPLES) == set(EVENTS)


@pytest.mark.parametrize("name", sorted(EVENT_EXAMPLES))
def test_event_examples_round_trip(name: str) -> None:
    msg = event(name, 5, T0, **EVENT_EXAMPLES[name])
    wire = encode(msg)
    [line, _] = decode_all(wire)
    parsed = validate_server_message(line.data)
    assert parsed == Event(name, 5, T0, EVENT_EXAMPLES[name])
    # Unknown fields in known events are ignored.
    assert isinstance(validate_event({**msg, "new_in_1_1": [1]}), Event)


@pytest.mark.parametrize(("name", "field_name"),
                         [(n, f.name) for n, e in EVENTS.items() for f in e.fields])
def test_event_missing_field_is_noticed(name: str, field_name: str) -> None:
    data = {k: v for k, v in EVENT_EXAMPLES[name].items() if k != field_name}
    err = validate_event(event(name, 1, T0, **data))
    assert isinstance(err, ProtocolError)
    assert field_name in err.message


def test_nested_snapshot_fields_are_checked() -> None:
    bad = json.loads(json.dumps(EVENT_EXAMPLES["snapshot"]))
    bad["extensions"][1]["state"] = "ringing-ish"
    err = validate_event(event("snapshot", 1, T0, **bad))
    assert isinstance(err, ProtocolError)
    assert "extensions[1].state" in err.message
    bad = json.loads(json.dumps(EVENT_EXAMPLES["snapshot"]))
    bad["calls"][0]["ports"] = ["1"]
    err = validate_event(event("snapshot", 1, T0, **bad))
    assert isinstance(err, ProtocolError)
    assert "calls[0].ports[0]" in err.message


def test_unknown_events_pass_for_forward_compatibility() -> None:
    assert validate_event({"type": "event", "event": "weather", "seq": 3, "time": T0,
                           "sky": "blue"}) == Event("weather", 3, T0, {"sky": "blue"})


@pytest.mark.parametrize("change", [{"seq": 0}, {"seq": "1"}, {"seq": True}, {"time": "09:30"},
                                    {"time": "2024-06-01T09:30:15"}, {"event": ""},
                                    {"event": None}])
def test_bad_event_envelopes(change: dict[str, Any]) -> None:
    msg = {**event("dnd", 1, T0, port="001", on=True), **change}
    assert isinstance(validate_event(msg), ProtocolError)


def test_event_builder() -> None:
    moment = datetime(2024, 6, 1, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=8)))
    assert event("dnd", 1, moment, port="001", on=True) == {
        "type": "event", "event": "dnd", "seq": 1, "time": "2024-06-01T09:30:15.250+08:00",
        "port": "001", "on": True}
    assert event("link", 2, datetime(2024, 1, 1, tzinfo=UTC), state="up", reason="")[
        "time"] == "2024-01-01T00:00:00.000+00:00"
    with pytest.raises(LocalProtocolError):
        event("dnd", 1, datetime(2024, 6, 1), port="001", on=True)  # naive time
    with pytest.raises(LocalProtocolError):
        event("dnd", 1, "yesterday", port="001", on=True)
    with pytest.raises(LocalProtocolError):
        event("dnd", 0, T0, port="001", on=True)
    with pytest.raises(LocalProtocolError):
        event("dnd", 1, T0, seq=3)


def test_response_builders_and_validation() -> None:
    ok = response_ok("r1", call_id=12)
    assert ok == {"type": "response", "id": "r1", "ok": True, "call_id": 12}
    parsed = validate_server_message(ok)
    assert parsed == Response("r1", True, {"call_id": 12}, None)
    assert validate_result("dial", {"call_id": 12}) is None
    assert isinstance(validate_result("dial", {}), ProtocolError)
    assert isinstance(validate_result("park", {"call_id": 1, "slot": 9}), ProtocolError)
    err = response_error(None, ErrorCode.BAD_JSON, "not JSON")
    assert encode(err) == (b'{"type":"response","id":null,"ok":false,'
                           b'"error":{"code":"bad_json","message":"not JSON"}}\n')
    parsed = validate_server_message(err)
    assert isinstance(parsed, Response)
    assert parsed.error is not None
    assert (parsed.id, parsed.ok, parsed.error.code) == (None, False, "bad_json")
    with pytest.raises(LocalProtocolError):
        response_ok(1, ok=False)
    assert isinstance(validate_response({"type": "response", "id": 1, "ok": False}),
                      ProtocolError)
    assert isinstance(validate_response({"type": "response", "id": 1, "ok": "yes"}),
                      ProtocolError)


def test_login_result_and_hello() -> None:
    result = {"user": "admin", "role": "admin", "extension": "001", "number": "8001",
              "device": "normal", "must_change_password": True}
    assert validate_result("login", result) is None
    assert {f.name for f in LOGIN_RESULT} == set(result)
    msg = hello("callcenter-server 0.1.0", T0)
    parsed = validate_server_message(msg)
    assert parsed == Hello(PROTOCOL_VERSION, "callcenter-server 0.1.0", T0, MAX_LINE, 30, 90,
                           True)
    assert isinstance(parsed, Hello)
    assert parsed.major == 1
    assert is_compatible("1.7.2")
    assert not is_compatible("2.0.0")
    assert not is_compatible("x")
    assert isinstance(validate_server_message({**msg, "protocol": "1.0"}), ProtocolError)


def test_every_error_code_has_a_meaning() -> None:
    assert set(ERROR_MEANINGS) == set(ErrorCode)


def test_times() -> None:
    assert is_time("2024-06-01T09:30:15+08:00")
    assert is_time("2024-06-01T01:30:15.123Z")
    assert not is_time("2024-06-01T09:30:15")
    assert not is_time("2024-06-01")
    assert not is_time("2024-06-01 09:30:15+08:00")
    assert format_time(datetime(2024, 6, 1, 9, 30, 15, tzinfo=UTC)).endswith("+00:00")


def test_check_fields_reports_nested_paths() -> None:
    spec = (FieldSpec("a", "object", "", fields=(FieldSpec("b", "integer", "", maximum=3),)),)
    assert check_fields(spec, {"a": {"b": 4}}) == "field 'a.b' must be at most 3"
    assert check_fields(spec, {"a": {}}) == "field 'a.b' is required"


# --------------------------------------------------------------------------- the document

def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def doc_examples() -> list[list[dict[str, Any]]]:
    """Every ```json block of the document, as a list of its lines' objects.

    Lines may start with ``C:`` (client to server) or ``S:`` (server to client).
    """
    blocks = re.findall(r"```json\n(.*?)```", doc_text(), re.S)
    out = []
    for block in blocks:
        lines = []
        for raw in block.splitlines():
            line = re.sub(r"^[CS]:\s*", "", raw.strip())
            if line:
                lines.append(json.loads(line))
        out.append(lines)
    return out


def test_document_examples_are_valid_messages() -> None:
    seen_actions: set[str] = set()
    seen_events: set[str] = set()
    checked_results = 0
    for block in doc_examples():
        asked: dict[Any, str] = {}
        refused: ProtocolError | None = None
        for obj in block:
            assert len(encode(obj)) <= MAX_LINE
            if refused is not None:  # the document's answer to an invalid request
                assert obj == refused.response(), (obj, refused)
                refused = None
                continue
            if obj["type"] in ("login", "request"):
                parsed = validate_client_message(obj)
                if isinstance(parsed, ProtocolError):
                    refused = parsed
                    continue
                asked[parsed.id] = parsed.action if isinstance(parsed, Request) else "login"
                if isinstance(parsed, Request):
                    seen_actions.add(parsed.action)
            else:
                answer = validate_server_message(obj)
                assert not isinstance(answer, ProtocolError), (obj, answer)
                if isinstance(answer, Event):
                    seen_events.add(answer.event)
                if isinstance(answer, Response) and answer.ok and answer.id in asked:
                    assert validate_result(asked[answer.id], answer.result) is None, obj
                    checked_results += 1
                if isinstance(answer, Response) and answer.error:
                    assert answer.error.code in set(ErrorCode)
        assert refused is None, "an invalid request in the document needs its answer"
    assert seen_actions == set(ACTIONS), set(ACTIONS) - seen_actions
    assert seen_events == set(EVENTS), set(EVENTS) - seen_events
    assert checked_results >= len(ACTIONS)


def test_document_names_every_code_field_and_constant() -> None:
    text = doc_text()
    for code in ErrorCode:
        assert f"`{code.value}`" in text, code
    for action in ACTIONS.values():
        assert f"### `{action.name}`" in text, action.name
        for param in action.params:
            assert f"`{param.name}`" in text
    for spec in EVENTS.values():
        assert f"### `{spec.name}`" in text, spec.name
        for fld in spec.fields:
            assert f"`{fld.name}`" in text
    for needle in (PROTOCOL_VERSION, "7600", "65536", "30 s", "90 s"):
        assert needle in text, needle
