"""The building blocks of the agent protocol's catalogue: constants, error codes, roles,
``FieldSpec`` with its checker, ``ActionSpec`` and ``EventSpec``.

``catalog`` declares the agent actions and events with them, the ``admin_*`` modules the
admin API's (protocol 1.1); ``catalog.ACTIONS`` and ``catalog.EVENTS`` hold them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

PROTOCOL_VERSION: Final = "1.2.0"
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
    CANCELLED = "cancelled"
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
    ErrorCode.CANCELLED: "the request was cancelled (cancel) before it finished; what was "
                         "done before is reported in the message",
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
#: The server console's modules (manual chapter 1), as the admin API names them: an admin
#: allows operators some of them (setting ``console.operator_modules``, S-41).
MODULES: Final = ("system", "parameters", "monitor", "records", "rooms", "backup")
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
    #: Admin API (1.1): the console module an operator needs to be allowed (``MODULES``);
    #: "" for actions every operator may use.  Admins may use every module.
    module: str = ""
    #: Runs as a task (answered out of order, may send ``progress`` events, ``cancel``-able).
    long: bool = False
    #: Valid parameter sets, the last one with every parameter (checked by the tests).
    examples: tuple[Mapping[str, Any], ...] = ()



def role_allows(role: str, minimum: str | None) -> bool:
    """Whether ``role`` may use something whose lowest allowed role is ``minimum``."""
    if minimum is None:
        return True
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)



@dataclass(frozen=True)
class EventSpec:
    """A server event: its data fields (besides type, event, seq and time)."""

    name: str
    doc: str
    fields: tuple[FieldSpec, ...]
    unsubscribable: bool = True
    #: The lowest role that receives it (admin-API events go to operators and admins).
    role: str = "agent"
    #: Example data (checked by the tests); the agent events' examples are in the tests.
    example: Mapping[str, Any] | None = None

