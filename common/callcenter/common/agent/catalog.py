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

from collections.abc import Mapping
from typing import Final

from callcenter.common.agent import admin_backup, admin_core, admin_pbx, admin_store, crm
from callcenter.common.agent.spec import (
    CALL_KINDS,
    CALL_STATES,
    DEFAULT_PORT,
    DEVICES,
    DIAL_PATTERN,
    ERROR_MEANINGS,
    EXTENSION_STATES,
    IDLE_TIMEOUT,
    KINDS,
    LINK_STATES,
    LOGIN_TIMEOUT,
    MAX_FAILURE_DELAY,
    MAX_LOGIN_FAILURES,
    MAX_TEXT,
    MODULES,
    PARK_SLOTS,
    PORT_PATTERN,
    PROTOCOL_VERSION,
    ROLES,
    TRUNK_PATTERN,
    TRUNK_STATES,
    ActionSpec,
    ErrorCode,
    EventSpec,
    FieldSpec,
    _b,
    _i,
    _port,
    _s,
    _time,
    check_fields,
    check_value,
    is_time,
    role_allows,
)

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
                       "number dialled to reach it; required for agents, left out by a "
                       "console or command-line session (operator or admin, 1.1)",
          required=False),
    _s("device", "the agent's device: normal phone, proprietary (key) phone or headset; "
                 "default normal", choices=DEVICES, required=False),
    _s("token", "1.1: the local service token (DIR/service.json) instead of a password: "
                "a command on the service's own computer logs in as admin with it",
       maximum=256, required=False),
)

LOGIN_RESULT: Final = (
    _s("user", "account name"),
    _s("role", "the account's role", choices=ROLES),
    _port("extension", "extension port of this session, \"\" for a console session",
          optional_empty=True),
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
    _port("extension", "extension port, \"\" before login or for a console session",
          optional_empty=True),
    _time("since", "connection time"),
    _s("role", "1.1: the session's role, \"\" before login", required=False),
    _s("device", "1.1: the session's device, \"\" before login or for a console",
       required=False),
)

_EVENTS_PARAM_DOC: Final = "event names; unknown names are ignored and listed in the result"

AGENT_ACTIONS: Final[Mapping[str, ActionSpec]] = {a.name: a for a in (
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
               result=(_i("delivered", "connections the message reached", minimum=0),
                       _b("kept", "1.2: true: the receiver was offline; the message is "
                                  "delivered at its next login"))),
    ActionSpec("agents", "who is logged in",
               result=(FieldSpec("agents", "array", "logged-in agents", items="object",
                                 fields=AGENT_FIELDS),)),
    ActionSpec("clients", "every connection to the hub (S-44)", role="admin",
               result=(FieldSpec("clients", "array", "connections", items="object",
                                 fields=CLIENT_FIELDS),)),
)}

#: Every action: the agent actions above, the admin API's (protocol 1.1) and the CRM's
#: additions (1.2, ``crm``).
ACTIONS: Final[Mapping[str, ActionSpec]] = {
    **AGENT_ACTIONS,
    **{a.name: a for a in (*admin_core.ACTIONS, *admin_pbx.ACTIONS, *admin_backup.ACTIONS,
                           *admin_store.ACTIONS, *crm.ACTIONS)},
}

#: Allowed before login (besides the login message itself).
BEFORE_LOGIN: Final = frozenset(a.name for a in ACTIONS.values() if a.role is None)
#: Allowed while the account must change its password.
BEFORE_PASSWORD_CHANGE: Final = frozenset({"ping", "change_password"})



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



AGENT_EVENTS: Final[Mapping[str, EventSpec]] = {e.name: e for e in (
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
                         "when it was delivered, sent when it was sent", (
        _s("from", "sender's user name"),
        _s("to", "receiver's user name, or ALL"),
        _s("text", "the message", maximum=MAX_TEXT),
        _i("id", "1.2: the message's id (as message_history lists it)", minimum=1),
        _time("sent", "1.2: when it was sent (a kept message arrives later)"),
        _b("offline", "1.2: true: it was kept while the receiver was offline and comes "
                      "right after the snapshot of its next login"),
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

#: Every event: the agent events above and the admin API's (protocol 1.1).
EVENTS: Final[Mapping[str, EventSpec]] = {
    **AGENT_EVENTS,
    **{e.name: e for e in (*admin_core.EVENTS, *admin_pbx.EVENTS, *admin_backup.EVENTS,
                           *admin_store.EVENTS)},
}

#: Re-exported from ``spec`` (older code imports them from here).
__all__ = [
    "ACTIONS",
    "AGENT_FIELDS",
    "BEFORE_LOGIN",
    "BEFORE_PASSWORD_CHANGE",
    "CALL_FIELDS",
    "CALL_ID_RESULT",
    "CALL_KINDS",
    "CALL_STATES",
    "CLIENT_FIELDS",
    "DEFAULT_PORT",
    "DEVICES",
    "DIAL_PATTERN",
    "ERROR_FIELDS",
    "ERROR_MEANINGS",
    "EVENTS",
    "EXTENSION_FIELDS",
    "EXTENSION_STATES",
    "HELLO_FIELDS",
    "IDLE_TIMEOUT",
    "ID_DOC",
    "KINDS",
    "LINK_STATES",
    "LOGIN_FIELDS",
    "LOGIN_RESULT",
    "LOGIN_TIMEOUT",
    "MAX_FAILURE_DELAY",
    "MAX_LOGIN_FAILURES",
    "MAX_TEXT",
    "MODULES",
    "PARK_SLOTS",
    "PARK_SLOT_FIELDS",
    "PORT_PATTERN",
    "PROTOCOL_VERSION",
    "ROLES",
    "TRUNK_FIELDS",
    "TRUNK_PATTERN",
    "TRUNK_STATES",
    "ActionSpec",
    "ErrorCode",
    "EventSpec",
    "FieldSpec",
    "check_fields",
    "check_value",
    "is_time",
    "role_allows",
]
