"""The agent protocol v1 catalogue, as data: error codes, roles, actions, events.

Theory of operation
-------------------
Every field the protocol carries is declared once here as a ``FieldSpec`` (JSON kind,
required or not, allowed values, length or range).  ``check_fields`` checks a JSON
object against a tuple of specs and names the first offending field; ``messages.py``
builds the validators of logins, requests, responses and events on it, and
``docs/agent-protocol.md`` describes the same tables in prose (the tests compare them).

Forward compatibility: ``check_fields`` ignores fields it does not know, so a 1.1
client may send a field a 1.0 hub has never heard of, and a 1.0 client may read
events of a 1.1 hub that carry more fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

PROTOCOL_VERSION: Final = "1.0.0"
DEFAULT_PORT: Final = 7600
LOGIN_TIMEOUT: Final = 30  # seconds an unauthenticated connection may stay
IDLE_TIMEOUT: Final = 90  # seconds of silence from a client before the hub drops it
MAX_TEXT: Final = 2000  # characters of an internal message
PARK_SLOTS: Final = 6
MAX_LOGIN_FAILURES: Final = 5
MAX_FAILURE_DELAY: Final = 3.0  # seconds before a wrong-password answer, at most


class ErrorCode(StrEnum):
    """Stable error codes of failed responses (``error.code``); clients switch on these."""

    BAD_JSON = "bad_json"
    LINE_TOO_LONG = "line_too_long"
    BAD_REQUEST = "bad_request"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_ACTION = "unknown_action"
    NOT_LOGGED_IN = "not_logged_in"
    ALREADY_LOGGED_IN = "already_logged_in"
    AUTH_FAILED = "auth_failed"
    LOCKED_OUT = "locked_out"
    PASSWORD_CHANGE_REQUIRED = "password_change_required"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    PBX_UNAVAILABLE = "pbx_unavailable"
    PBX_REFUSED = "pbx_refused"
    NEEDS_OFFHOOK = "needs_offhook"
    RATE_LIMITED = "rate_limited"
    OVERFLOW = "overflow"
    INTERNAL = "internal"


#: What each code means, for the document's table and for log messages.
ERROR_MEANINGS: Final[Mapping[ErrorCode, str]] = {
    ErrorCode.BAD_JSON: "a line was not UTF-8 JSON, or not a JSON object (id is null)",
    ErrorCode.LINE_TOO_LONG: "a line exceeded 65,536 bytes; the hub may close the connection",
    ErrorCode.BAD_REQUEST: "a field is missing, of the wrong JSON type, or out of range; "
                           "the message names the field",
    ErrorCode.UNKNOWN_TYPE: "the message's type is not login or request",
    ErrorCode.UNKNOWN_ACTION: "the request's action is not in the catalogue",
    ErrorCode.NOT_LOGGED_IN: "only login and ping are allowed before a successful login",
    ErrorCode.ALREADY_LOGGED_IN: "a second login on a connection that is logged in",
    ErrorCode.AUTH_FAILED: "wrong user name or password (answered after a delay of up to 3 s)",
    ErrorCode.LOCKED_OUT: "too many failed logins: the account is locked for a while",
    ErrorCode.PASSWORD_CHANGE_REQUIRED: "the account must change its password "
                                        "(change_password) before anything else",
    ErrorCode.FORBIDDEN: "the account's role may not use this action, or the account is "
                         "bound to another extension port",
    ErrorCode.NOT_FOUND: "a named extension port, user or park slot does not exist",
    ErrorCode.PBX_UNAVAILABLE: "the PBX link is down or did not answer in time",
    ErrorCode.PBX_REFUSED: "the PBX refused the call-control command (the message says why)",
    ErrorCode.NEEDS_OFFHOOK: "device normal: lift the handset first, then repeat the action",
    ErrorCode.RATE_LIMITED: "too many requests or connections; slow down",
    ErrorCode.OVERFLOW: "the client read too slowly; its queue overflowed (see overflow event)",
    ErrorCode.INTERNAL: "a bug or failure inside the hub; the session lives on",
}

#: Account roles, lowest first; a role may do everything a lower one may.
ROLES: Final = ("agent", "operator", "admin")
DEVICES: Final = ("normal", "proprietary", "headset")
EXTENSION_STATES: Final = ("idle", "offhook", "ringing", "talking", "busy", "held", "dialing")
TRUNK_STATES: Final = ("idle", "incoming", "outgoing", "talking")
CALL_KINDS: Final = ("incoming", "outgoing", "internal")
CALL_STATES: Final = ("ringing", "talking", "held", "parked")
LINK_STATES: Final = ("up", "down")

PORT_PATTERN: Final = r"(?!000)[0-9]{3}"  # an extension port, "001".."999"
TRUNK_PATTERN: Final = r"[0-9]{2}"  # a trunk (outside line), "01".."99"
DIAL_PATTERN: Final = r"[0-9*#]{1,32}"  # digits as keyed on a phone
_PATTERNS: dict[str, re.Pattern[str]] = {}

KINDS: Final = ("string", "integer", "boolean", "array", "object")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a JSON object.

    ``minimum``/``maximum`` bound an integer's value, or a string's or array's
    length.  ``pattern`` is matched against the whole string.  ``optional_empty``
    lets a string with a pattern also be ``""`` (for "none").  ``items`` is the kind
    of an array's elements; for ``"object"`` elements (and for an ``object`` field)
    ``fields`` declares their fields.
    """

    name: str
    kind: str
    doc: str
    required: bool = True
    choices: tuple[str, ...] = ()
    pattern: str = ""
    optional_empty: bool = False
    minimum: int | None = None
    maximum: int | None = None
    items: str = ""
    fields: tuple[FieldSpec, ...] = ()
    time: bool = False  # a string holding an ISO 8601 time with a UTC offset

    def __post_init__(self) -> None:
        if self.kind not in KINDS or (self.items and self.items not in KINDS):
            raise ValueError(f"field {self.name}: unknown kind")


def _pattern(text: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(text)
    if compiled is None:
        compiled = _PATTERNS[text] = re.compile(text)
    return compiled


def is_time(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 date and time with a UTC offset."""
    if len(text) < 19 or text[10] not in "Tt":
        return False
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return False
    return value.tzinfo is not None


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


_ARTICLE: Final = {"string": "a string", "integer": "an integer", "boolean": "true or false",
                   "array": "an array", "object": "an object"}


def check_value(spec: FieldSpec, value: Any, path: str) -> str | None:
    """Check one present value against its spec; the problem in words, or ``None``."""
    if not _kind_ok(spec.kind, value):
        return f"field {path!r} must be {_ARTICLE[spec.kind]}"
    if spec.kind == "string":
        if spec.choices and value not in spec.choices:
            return f"field {path!r} must be one of {', '.join(spec.choices)}; got {value[:40]!r}"
        if spec.pattern and not (spec.optional_empty and value == "") and not _pattern(
                spec.pattern).fullmatch(value):
            return f"field {path!r} must match {spec.pattern}; got {value[:40]!r}"
        if spec.time and not is_time(value):
            return f"field {path!r} must be an ISO 8601 time with offset; got {value[:40]!r}"
    size = value if spec.kind == "integer" else len(value) if spec.kind in (
        "string", "array") else None
    if size is not None:
        what = "" if spec.kind == "integer" else "the length of "
        if spec.minimum is not None and size < spec.minimum:
            return f"{what}field {path!r} must be at least {spec.minimum}"
        if spec.maximum is not None and size > spec.maximum:
            return f"{what}field {path!r} must be at most {spec.maximum}"
    if spec.kind == "object":
        return check_fields(spec.fields, value, f"{path}.")
    if spec.kind == "array" and spec.items:
        item_spec = FieldSpec(spec.name, spec.items, spec.doc, fields=spec.fields,
                              pattern=spec.pattern if spec.items == "string" else "",
                              choices=spec.choices if spec.items == "string" else ())
        for index, item in enumerate(value):
            problem = check_value(item_spec, item, f"{path}[{index}]")
            if problem:
                return problem
    return None


def check_fields(specs: tuple[FieldSpec, ...], obj: Mapping[str, Any],
                 prefix: str = "") -> str | None:
    """Check ``obj`` against ``specs``; unknown fields are ignored.  A problem or ``None``."""
    for spec in specs:
        if spec.name not in obj:
            if spec.required:
                return f"field {prefix + spec.name!r} is required"
            continue
        problem = check_value(spec, obj[spec.name], prefix + spec.name)
        if problem:
            return problem
    return None


def _s(name: str, doc: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "string", doc, **kw)


def _i(name: str, doc: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "integer", doc, **kw)


def _b(name: str, doc: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "boolean", doc, **kw)


def _port(name: str, doc: str, **kw: Any) -> FieldSpec:
    return _s(name, doc, pattern=PORT_PATTERN, **kw)


def _time(name: str, doc: str, **kw: Any) -> FieldSpec:
    return _s(name, doc, time=True, **kw)


# --------------------------------------------------------------------------- envelope

#: Request ids: a string of 1-64 characters or an integer, echoed in the response.
ID_DOC: Final = "request id chosen by the client: a string of 1-64 characters or an integer"

HELLO_FIELDS: Final = (
    _s("protocol", "agent protocol version, semver MAJOR.MINOR.PATCH",
       pattern=r"[0-9]+\.[0-9]+\.[0-9]+"),
    _s("server", "server program and version, for logs", maximum=200),
    _time("time", "server time"),
    _i("max_line", "longest line accepted, in bytes including the newline", minimum=2),
    _i("login_timeout", "seconds an unauthenticated connection may stay open", minimum=1),
    _i("idle_timeout", "seconds of silence after which the server drops a client",
       minimum=1),
    _b("password_required", "false when the server's password protection (S-41) is off: "
                            "any password is accepted for an existing user"),
)

LOGIN_FIELDS: Final = (
    _s("user", "account name", minimum=1, maximum=64),
    _s("password", "the account's password; may be empty only when the server does not "
                   "require passwords", maximum=256),
    _port("extension", "the agent's extension PORT as in the CRM settings (\"001\"), not the "
                       "number dialled to reach it"),
    _s("device", "the agent's device: normal phone, proprietary (key) phone or headset; "
                 "default normal", choices=DEVICES, required=False),
)

LOGIN_RESULT: Final = (
    _s("user", "account name"),
    _s("role", "the account's role", choices=ROLES),
    _port("extension", "extension port of this session"),
    _s("number", "the number dialled to reach that port, \"\" when not known"),
    _s("device", "device of this session", choices=DEVICES),
    _b("must_change_password", "true: only change_password and ping are allowed until the "
                               "password is changed, and the snapshot follows the change"),
)

ERROR_FIELDS: Final = (
    _s("code", "stable error code", minimum=1),
    _s("message", "human-readable explanation (English), naming the offending field"),
)


# --------------------------------------------------------------------------- actions

@dataclass(frozen=True)
class ActionSpec:
    """A request action: its parameters, its result fields and who may use it.

    ``role`` is the lowest role allowed (``None``: allowed even before login).
    ``needs_handset``: on a ``normal`` phone the hub cannot lift the handset, so the
    action fails with ``needs_offhook`` while the extension is on-hook.
    """

    name: str
    doc: str
    role: str | None = "agent"
    params: tuple[FieldSpec, ...] = ()
    result: tuple[FieldSpec, ...] = ()
    needs_handset: bool = False
    pbx: bool = False  # carried out by the PBX: may fail with pbx_unavailable / pbx_refused


CALL_ID_RESULT: Final = (_i("call_id", "the call the action concerned, 0 when none",
                            minimum=0),)

AGENT_FIELDS: Final = (
    _s("user", "account name"),
    _port("extension", "extension port the agent logged in at"),
    _s("device", "the agent's device", choices=DEVICES),
    _time("since", "login time"),
)

CLIENT_FIELDS: Final = (
    _s("address", "client IP address"),
    _i("remote_port", "client TCP port", minimum=0, maximum=65535),
    _s("user", "account name, \"\" before login"),
    _port("extension", "extension port, \"\" before login", optional_empty=True),
    _time("since", "connection time"),
)

_EVENTS_PARAM_DOC: Final = "event names; unknown names are ignored and listed in the result"

ACTIONS: Final[Mapping[str, ActionSpec]] = {a.name: a for a in (
    ActionSpec("ping", "keep-alive; answers with the server time", role=None,
               result=(_time("time", "server time"),)),
    ActionSpec("subscribe", "receive these events again (every event is subscribed at login)",
               params=(FieldSpec("events", "array", _EVENTS_PARAM_DOC, items="string",
                                 minimum=1, maximum=100),),
               result=(FieldSpec("events", "array", "events now subscribed", items="string"),
                       FieldSpec("unknown", "array", "names that are not events",
                                 items="string"))),
    ActionSpec("unsubscribe", "stop receiving these events (overflow cannot be unsubscribed)",
               params=(FieldSpec("events", "array", _EVENTS_PARAM_DOC, items="string",
                                 minimum=1, maximum=100),),
               result=(FieldSpec("events", "array", "events now subscribed", items="string"),
                       FieldSpec("unknown", "array", "names that are not events",
                                 items="string"))),
    ActionSpec("change_password", "change the logged-in account's own password",
               params=(_s("old", "current password", maximum=256),
                       _s("new", "new password, 6-128 characters, not equal to old",
                          minimum=6, maximum=128))),
    ActionSpec("dial", "dial a number (internal or outside, with access code) from the agent's "
               "extension", params=(_s("number", "digits to dial", pattern=DIAL_PATTERN),),
               result=CALL_ID_RESULT, needs_handset=True, pbx=True),
    ActionSpec("hangup", "hang up the agent's call (or reject the ringing call)",
               result=CALL_ID_RESULT, pbx=True),
    ActionSpec("answer", "answer the call ringing at the agent's extension",
               result=CALL_ID_RESULT, needs_handset=True, pbx=True),
    ActionSpec("transfer", "blind transfer of the agent's call to another extension port",
               params=(_port("target", "extension port to transfer to"),),
               result=CALL_ID_RESULT, pbx=True),
    ActionSpec("hold", "put the agent's call on hold", result=CALL_ID_RESULT, pbx=True),
    ActionSpec("retrieve", "take back the call the agent holds", result=CALL_ID_RESULT,
               pbx=True),
    ActionSpec("conference", "join the held call and the current call into a conference",
               result=CALL_ID_RESULT, pbx=True),
    ActionSpec("page", "page one extension port, or every pageable one when target is absent",
               params=(_port("target", "extension port to page", required=False),),
               result=CALL_ID_RESULT, needs_handset=True, pbx=True),
    ActionSpec("redial", "dial again the last number this agent's extension dialled",
               result=CALL_ID_RESULT, needs_handset=True, pbx=True),
    ActionSpec("pickup", "pick up a call ringing at target, or in the agent's group when "
               "target is absent", params=(_port("target", "ringing extension port",
                                                 required=False),),
               result=CALL_ID_RESULT, needs_handset=True, pbx=True),
    ActionSpec("park", "park the agent's call in a slot (the first free one when absent)",
               params=(_i("slot", "park slot", minimum=1, maximum=PARK_SLOTS,
                          required=False),),
               result=(*CALL_ID_RESULT, _i("slot", "the slot used", minimum=1,
                                           maximum=PARK_SLOTS)),
               pbx=True),
    ActionSpec("unpark", "take the call parked in a slot to the agent's extension",
               params=(_i("slot", "park slot", minimum=1, maximum=PARK_SLOTS),),
               result=CALL_ID_RESULT, needs_handset=True, pbx=True),
    ActionSpec("forward", "set or clear call forwarding of the agent's extension",
               params=(_b("on", "true: set, false: clear"),
                       _s("number", "forward target; required when on is true",
                          pattern=DIAL_PATTERN, required=False)),
               pbx=True),
    ActionSpec("dnd", "set or clear do-not-disturb of the agent's extension",
               params=(_b("on", "true: set, false: clear"),), pbx=True),
    ActionSpec("send_message", "send an internal message to one agent or to everybody",
               params=(_s("to", "user name of the receiver, or ALL", minimum=1, maximum=64),
                       _s("text", "the message, 1-2000 characters", minimum=1,
                          maximum=MAX_TEXT)),
               result=(_i("delivered", "connections the message reached", minimum=0),)),
    ActionSpec("agents", "who is logged in",
               result=(FieldSpec("agents", "array", "logged-in agents", items="object",
                                 fields=AGENT_FIELDS),)),
    ActionSpec("clients", "every connection to the hub (S-44)", role="admin",
               result=(FieldSpec("clients", "array", "connections", items="object",
                                 fields=CLIENT_FIELDS),)),
)}

#: Allowed before login (besides the login message itself).
BEFORE_LOGIN: Final = frozenset(a.name for a in ACTIONS.values() if a.role is None)
#: Allowed while the account must change its password.
BEFORE_PASSWORD_CHANGE: Final = frozenset({"ping", "change_password"})


def role_allows(role: str, minimum: str | None) -> bool:
    """Whether ``role`` may use something whose lowest allowed role is ``minimum``."""
    if minimum is None:
        return True
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


# --------------------------------------------------------------------------- events

EXTENSION_FIELDS: Final = (
    _port("port", "extension port"),
    _s("number", "number dialled to reach the port"),
    _s("name", "name programmed for the extension, may be \"\""),
    _s("state", "line state", choices=EXTENSION_STATES),
    _s("peer", "the other party's number, \"\" when none"),
    _s("trunk", "trunk of an outside call, \"\" when none", pattern=TRUNK_PATTERN,
       optional_empty=True),
    _i("call_id", "call the port is in, 0 when none", minimum=0),
    _s("forward", "call-forward target, \"\" when off"),
    _b("dnd", "do-not-disturb is on"),
)

TRUNK_FIELDS: Final = (
    _s("trunk", "trunk", pattern=TRUNK_PATTERN),
    _s("state", "trunk state", choices=TRUNK_STATES),
    _s("number", "caller ID (incoming) or dialled number (outgoing), \"\" when none"),
    _port("port", "extension port using the trunk, \"\" when none", optional_empty=True),
    _i("call_id", "call on the trunk, 0 when none", minimum=0),
)

PARK_SLOT_FIELDS: Final = (
    _i("slot", "park slot", minimum=1, maximum=PARK_SLOTS),
    _b("occupied", "a call is parked there"),
    _s("number", "the parked party's number, \"\" when free"),
    _port("port", "extension port that parked it, \"\" when free", optional_empty=True),
    _i("call_id", "the parked call, 0 when free", minimum=0),
)

CALL_FIELDS: Final = (
    _i("call_id", "call id, unique while the server runs", minimum=1),
    _s("kind", "direction", choices=CALL_KINDS),
    _s("state", "call state", choices=CALL_STATES),
    _s("trunk", "trunk of an outside call, \"\" for internal", pattern=TRUNK_PATTERN,
       optional_empty=True),
    _s("number", "outside party's number (caller ID or dialled), or the calling extension's "
                 "number for internal calls"),
    FieldSpec("ports", "array", "extension ports in the call", items="string",
              pattern=PORT_PATTERN),
    FieldSpec("ringing", "array", "extension ports ringing for it", items="string",
              pattern=PORT_PATTERN),
)


@dataclass(frozen=True)
class EventSpec:
    """A server event: its data fields (besides type, event, seq and time)."""

    name: str
    doc: str
    fields: tuple[FieldSpec, ...]
    unsubscribable: bool = True


EVENTS: Final[Mapping[str, EventSpec]] = {e.name: e for e in (
    EventSpec("snapshot", "the whole state: the first event after login (seq 1), and again "
                          "after the PBX link comes back up", (
        FieldSpec("extensions", "array", "every extension port", items="object",
                  fields=EXTENSION_FIELDS),
        FieldSpec("trunks", "array", "every trunk", items="object", fields=TRUNK_FIELDS),
        FieldSpec("park_slots", "array", "the six park slots", items="object",
                  fields=PARK_SLOT_FIELDS),
        FieldSpec("calls", "array", "calls in progress", items="object", fields=CALL_FIELDS),
        FieldSpec("agents", "array", "logged-in agents", items="object", fields=AGENT_FIELDS),
        _s("link", "PBX link state", choices=LINK_STATES),
        _i("part", "which part of the snapshot this is (1 ...); the arrays continue in the "
                   "next part", minimum=1),
        _i("parts", "how many parts the snapshot has (1 unless a line would pass 64 KiB)",
           minimum=1),
    ), unsubscribable=False),
    EventSpec("ring", "a call rings an extension port (sent to agents at that port)", (
        _i("call_id", "call id", minimum=1),
        _s("caller", "caller ID from the trunk, or the calling extension's number; \"\" "
                     "when the caller withheld it or the trunk has no caller ID"),
        _s("trunk", "trunk of an outside call, \"\" for internal", pattern=TRUNK_PATTERN,
           optional_empty=True),
        _port("extension", "the ringing extension port"),
        _s("number", "the ringing extension's number (what the caller reached)"),
    )),
    EventSpec("answer", "an extension port answered (or its outgoing call was answered)", (
        _i("call_id", "call id", minimum=1),
        _port("extension", "the extension port that is now talking"),
        _s("peer", "the other party's number"),
        _s("trunk", "trunk of an outside call, \"\" for internal", pattern=TRUNK_PATTERN,
           optional_empty=True),
    )),
    EventSpec("hangup", "an extension port left a call, or a call stopped ringing it", (
        _i("call_id", "call id", minimum=1),
        _port("extension", "the extension port"),
        _s("peer", "the other party's number"),
        _s("trunk", "trunk of an outside call, \"\" for internal", pattern=TRUNK_PATTERN,
           optional_empty=True),
        _b("answered", "false: the call rang this port and was never answered there "
                       "(a missed call)"),
    )),
    EventSpec("extension_state", "an extension port changed state", (
        _port("port", "extension port"),
        _s("state", "new line state", choices=EXTENSION_STATES),
        _s("peer", "the other party's number, \"\" when none"),
        _s("trunk", "trunk, \"\" when none", pattern=TRUNK_PATTERN, optional_empty=True),
        _i("call_id", "call id, 0 when none", minimum=0),
    )),
    EventSpec("trunk_state", "a trunk changed state", TRUNK_FIELDS),
    EventSpec("park_slot", "a park slot was taken or freed", PARK_SLOT_FIELDS),
    EventSpec("message", "an internal message to this agent or to ALL; the envelope time is "
                         "when it was sent", (
        _s("from", "sender's user name"),
        _s("to", "receiver's user name, or ALL"),
        _s("text", "the message", maximum=MAX_TEXT),
    )),
    EventSpec("forward", "call forwarding of a port was set or cleared", (
        _port("port", "extension port"),
        _b("on", "forwarding is on"),
        _s("number", "forward target, \"\" when off"),
    )),
    EventSpec("dnd", "do-not-disturb of a port was set or cleared", (
        _port("port", "extension port"),
        _b("on", "do-not-disturb is on"),
    )),
    EventSpec("link", "the PBX link went down or came back; state events are unreliable "
                      "while it is down, and a snapshot follows when it is back up", (
        _s("state", "link state", choices=LINK_STATES),
        _s("reason", "why, for people"),
    )),
    EventSpec("overflow", "the client read too slowly; the hub closes the connection next", (
        _i("limit", "the queue limit, in lines", minimum=1),
        _s("message", "explanation for people"),
    ), unsubscribable=False),
    EventSpec("agent_joined", "an agent logged in", AGENT_FIELDS),
    EventSpec("agent_left", "an agent logged out or was disconnected", (
        _s("user", "account name"),
        _port("extension", "extension port the agent was logged in at"),
    )),
)}
