"""Messages of agent protocol v1: JSON objects <-> typed values, both directions.

Theory of operation
-------------------
``codec.py`` turns bytes into JSON objects; this module says what those objects
mean.  Every message has a ``type``:

========== =========== ==============================================================
type       sent by     fields besides ``type``
========== =========== ==============================================================
hello      server      ``catalog.HELLO_FIELDS``, once, first thing on a connection
login      client      ``id`` + ``catalog.LOGIN_FIELDS``
request    client      ``id``, ``action`` + the action's parameters, all at top level
response   server      ``id``, ``ok``, the result fields at top level, or ``error``
event      server      ``event``, ``seq``, ``time`` + the event's fields at top level
========== =========== ==============================================================

The validators are pure functions that return the typed value or a
``ProtocolError`` (they do not raise it), so that the hub can answer the error with
``error.response()`` and carry on.  Fields nobody declared are ignored (forward
compatibility).  Role checks need the session's state, so they are separate:
``check_access``.  The builders (``response_ok``, ``response_error``, ``event``,
``hello``) make the dicts that ``codec.encode`` turns into lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from callcenter.common.agent.catalog import (
    ACTIONS,
    BEFORE_LOGIN,
    BEFORE_PASSWORD_CHANGE,
    ERROR_FIELDS,
    EVENTS,
    HELLO_FIELDS,
    IDLE_TIMEOUT,
    LOGIN_FIELDS,
    LOGIN_RESULT,
    LOGIN_TIMEOUT,
    PROTOCOL_VERSION,
    ErrorCode,
    check_fields,
    is_time,
    role_allows,
)
from callcenter.common.agent.codec import MAX_LINE, LocalProtocolError

RequestId = str | int

CLIENT_TYPES: Final = ("login", "request")
SERVER_TYPES: Final = ("hello", "response", "event")
RESPONSE_RESERVED: Final = frozenset({"type", "id", "ok", "error"})
EVENT_RESERVED: Final = frozenset({"type", "event", "seq", "time"})
REQUEST_RESERVED: Final = frozenset({"type", "id", "action"})
MAX_ID_LENGTH: Final = 64


class ProtocolError(Exception):
    """The peer sent a message that breaks the protocol, or may not do what it asked.

    ``request_id`` is the message's id when it could be read, else ``None``; the hub
    answers ``error.response()`` and the session lives on.
    """

    def __init__(self, code: ErrorCode, message: str, request_id: RequestId | None = None
                 ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id

    def response(self) -> dict[str, Any]:
        """The failed response that answers this error."""
        return response_error(self.request_id, self.code, self.message)

    def __repr__(self) -> str:
        return f"ProtocolError({self.code.value!r}, {self.message!r}, {self.request_id!r})"


@dataclass(frozen=True)
class ErrorInfo:
    """Why a request failed: a stable ``code`` (``catalog.ErrorCode``) and a text."""

    code: str
    message: str


@dataclass(frozen=True)
class Hello:
    """The server's greeting, the first line on every connection."""

    protocol: str
    server: str
    time: str
    max_line: int
    login_timeout: int
    idle_timeout: int
    password_required: bool

    @property
    def major(self) -> int:
        return int(self.protocol.split(".", 1)[0])


@dataclass(frozen=True)
class Login:
    """A client's login; ``extension`` is the extension port, such as ``"001"``."""

    id: RequestId
    user: str
    password: str = field(repr=False)
    extension: str = ""  # "" (1.1): a console or command-line session, no phone
    device: str = "normal"
    token: str = field(default="", repr=False)  # 1.1: the local service token


@dataclass(frozen=True)
class Request:
    """A client's request; ``params`` holds only the declared parameters present."""

    id: RequestId
    action: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Response:
    """The server's answer to one login or request."""

    id: RequestId | None
    ok: bool
    result: dict[str, Any] = field(default_factory=dict, hash=False)
    error: ErrorInfo | None = None


@dataclass(frozen=True)
class Event:
    """A server event; ``data`` holds every field besides the envelope."""

    event: str
    seq: int
    time: str
    data: dict[str, Any] = field(default_factory=dict, hash=False)


# --------------------------------------------------------------------------- helpers

def is_compatible(version: str, ours: str = PROTOCOL_VERSION) -> bool:
    """Whether a peer speaking ``version`` can talk to us: same major version."""
    try:
        return int(version.split(".", 1)[0]) == int(ours.split(".", 1)[0])
    except ValueError:
        return False


def format_time(moment: datetime) -> str:
    """An aware datetime as ISO 8601 with its UTC offset, to the millisecond."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise LocalProtocolError("protocol times carry a UTC offset: pass an aware datetime")
    return moment.isoformat(timespec="milliseconds")


def _time_text(moment: datetime | str) -> str:
    if isinstance(moment, datetime):
        return format_time(moment)
    if not is_time(moment):
        raise LocalProtocolError(f"{moment!r} is not an ISO 8601 time with offset")
    return moment


def _read_id(obj: Mapping[str, Any]) -> RequestId | ProtocolError:
    if "id" not in obj:
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'id' is required")
    value = obj["id"]
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'id' must be a string or an integer")
    if isinstance(value, str) and not 1 <= len(value) <= MAX_ID_LENGTH:
        return ProtocolError(ErrorCode.BAD_REQUEST,
                             f"field 'id' must be 1-{MAX_ID_LENGTH} characters")
    return value


def _read_type(obj: Mapping[str, Any], allowed: tuple[str, ...]) -> str | ProtocolError:
    request_id = obj.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, str | int):
        request_id = None
    value = obj.get("type")
    if not isinstance(value, str):
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'type' must be a string",
                             request_id)
    if value not in allowed:
        return ProtocolError(ErrorCode.UNKNOWN_TYPE,
                             f"unknown type {value[:40]!r}; expected {' or '.join(allowed)}",
                             request_id)
    return value


# --------------------------------------------------------------------------- client -> server

def validate_client_message(obj: Mapping[str, Any]) -> Login | Request | ProtocolError:
    """What the hub calls for every decoded line."""
    kind = _read_type(obj, CLIENT_TYPES)
    if isinstance(kind, ProtocolError):
        return kind
    return validate_login(obj) if kind == "login" else validate_request(obj)


def validate_login(obj: Mapping[str, Any]) -> Login | ProtocolError:
    """Check a ``login`` message (its ``type`` is not looked at)."""
    request_id = _read_id(obj)
    if isinstance(request_id, ProtocolError):
        return request_id
    problem = check_fields(LOGIN_FIELDS, obj)
    if problem:
        return ProtocolError(ErrorCode.BAD_REQUEST, problem, request_id)
    return Login(request_id, obj["user"], obj["password"], obj.get("extension", ""),
                 obj.get("device", "normal"), obj.get("token", ""))


def validate_request(obj: Mapping[str, Any]) -> Request | ProtocolError:
    """Check a ``request`` against the action catalogue (its ``type`` is not looked at)."""
    request_id = _read_id(obj)
    if isinstance(request_id, ProtocolError):
        return request_id
    action = obj.get("action")
    if not isinstance(action, str):
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'action' must be a string",
                             request_id)
    spec = ACTIONS.get(action)
    if spec is None:
        return ProtocolError(ErrorCode.UNKNOWN_ACTION, f"unknown action {action[:40]!r}",
                             request_id)
    problem = check_fields(spec.params, obj)
    if not problem and action == "forward" and obj["on"] and "number" not in obj:
        problem = "field 'number' is required when 'on' is true"
    if not problem and action == "change_password" and obj["old"] == obj["new"]:
        problem = "field 'new' must differ from 'old'"
    if problem:
        return ProtocolError(ErrorCode.BAD_REQUEST, problem, request_id)
    params = {p.name: obj[p.name] for p in spec.params if p.name in obj}
    return Request(request_id, action, params)


def check_access(request: Request, role: str | None, *,
                 must_change_password: bool = False) -> ProtocolError | None:
    """May a session do ``request``?  ``role`` is ``None`` before login."""
    spec = ACTIONS[request.action]
    if role is None:
        if request.action in BEFORE_LOGIN:
            return None
        return ProtocolError(ErrorCode.NOT_LOGGED_IN,
                             f"log in before using {request.action!r}", request.id)
    if must_change_password and request.action not in BEFORE_PASSWORD_CHANGE:
        return ProtocolError(ErrorCode.PASSWORD_CHANGE_REQUIRED,
                             "change the password (change_password) first", request.id)
    if not role_allows(role, spec.role):
        return ProtocolError(ErrorCode.FORBIDDEN,
                             f"action {request.action!r} needs role {spec.role}", request.id)
    return None


# --------------------------------------------------------------------------- server -> client

def validate_server_message(obj: Mapping[str, Any]) -> Hello | Response | Event | ProtocolError:
    """What a client calls for every decoded line."""
    kind = _read_type(obj, SERVER_TYPES)
    if isinstance(kind, ProtocolError):
        return kind
    if kind == "hello":
        return validate_hello(obj)
    return validate_response(obj) if kind == "response" else validate_event(obj)


def validate_hello(obj: Mapping[str, Any]) -> Hello | ProtocolError:
    problem = check_fields(HELLO_FIELDS, obj)
    if problem:
        return ProtocolError(ErrorCode.BAD_REQUEST, problem)
    return Hello(*(obj[f.name] for f in HELLO_FIELDS))


def validate_response(obj: Mapping[str, Any]) -> Response | ProtocolError:
    """Check a response's envelope; ``validate_result`` checks an action's result."""
    request_id = obj.get("id")
    if request_id is not None:
        request_id = _read_id(obj)
        if isinstance(request_id, ProtocolError):
            return request_id
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'ok' must be true or false",
                             request_id)
    error = None
    if not ok:
        if not isinstance(obj.get("error"), dict):
            return ProtocolError(ErrorCode.BAD_REQUEST, "field 'error' must be an object",
                                 request_id)
        problem = check_fields(ERROR_FIELDS, obj["error"], "error.")
        if problem:
            return ProtocolError(ErrorCode.BAD_REQUEST, problem, request_id)
        error = ErrorInfo(obj["error"]["code"], obj["error"]["message"])
    result = {k: v for k, v in obj.items() if k not in RESPONSE_RESERVED}
    return Response(request_id, ok, result, error)


def validate_result(action: str, result: Mapping[str, Any]) -> ProtocolError | None:
    """Check the result fields of a successful response to ``action`` (or login)."""
    specs = LOGIN_RESULT if action == "login" else ACTIONS[action].result
    problem = check_fields(specs, result)
    return ProtocolError(ErrorCode.BAD_REQUEST, problem) if problem else None


def validate_event(obj: Mapping[str, Any]) -> Event | ProtocolError:
    """Check an event; fields of events this version does not know are not checked."""
    name, seq, time = obj.get("event"), obj.get("seq"), obj.get("time")
    if not isinstance(name, str) or not name:
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'event' must be a string")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return ProtocolError(ErrorCode.BAD_REQUEST, "field 'seq' must be an integer >= 1")
    if not isinstance(time, str) or not is_time(time):
        return ProtocolError(ErrorCode.BAD_REQUEST,
                             "field 'time' must be an ISO 8601 time with offset")
    spec = EVENTS.get(name)
    if spec is not None:
        problem = check_fields(spec.fields, obj)
        if problem:
            return ProtocolError(ErrorCode.BAD_REQUEST, f"event {name}: {problem}")
    return Event(name, seq, time, {k: v for k, v in obj.items() if k not in EVENT_RESERVED})


# --------------------------------------------------------------------------- builders

def hello(server: str, time: datetime | str, *, password_required: bool = True,
          max_line: int = MAX_LINE, login_timeout: int = LOGIN_TIMEOUT,
          idle_timeout: int = IDLE_TIMEOUT) -> dict[str, Any]:
    """The greeting the hub sends first on every connection."""
    return {"type": "hello", "protocol": PROTOCOL_VERSION, "server": server,
            "time": _time_text(time), "max_line": max_line, "login_timeout": login_timeout,
            "idle_timeout": idle_timeout, "password_required": password_required}


def response_ok(request_id: RequestId, /, **result: Any) -> dict[str, Any]:
    """A successful response; ``result`` fields go at the top level."""
    clash = RESPONSE_RESERVED.intersection(result)
    if clash:
        raise LocalProtocolError(f"result field {sorted(clash)[0]!r} is reserved")
    return {"type": "response", "id": request_id, "ok": True, **result}


def response_error(request_id: RequestId | None, code: ErrorCode | str, message: str, /
                   ) -> dict[str, Any]:
    """A failed response; ``request_id`` is ``None`` when the request's id was unreadable."""
    return {"type": "response", "id": request_id, "ok": False,
            "error": {"code": str(code), "message": message}}


def event(name: str, seq: int, time: datetime | str, /, **data: Any) -> dict[str, Any]:
    """An event; use ``**{"from": ...}`` for the message event's ``from`` field."""
    clash = EVENT_RESERVED.intersection(data)
    if clash:
        raise LocalProtocolError(f"event field {sorted(clash)[0]!r} is reserved")
    if seq < 1:
        raise LocalProtocolError(f"event seq starts at 1, not {seq}")
    return {"type": "event", "event": name, "seq": seq, "time": _time_text(time), **data}
