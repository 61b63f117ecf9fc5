"""Agent protocol 1.2: what the CRM client (issue 9) added to the hub.

Hook flash, the message history, the list of every account (to address someone offline),
the missed calls the hub keeps per extension port, and the extension names (an admin-API
pair: any operator reads them, an admin sets them, module ``parameters``).
``catalog.ACTIONS`` holds them with the others; the ``message`` event's new fields (``id``,
``sent``, ``offline``) are declared in ``catalog`` with the event.  docs/agent-protocol.md
section 12 describes them.
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import (
    MAX_TEXT,
    PORT_PATTERN,
    ROLES,
    TRUNK_PATTERN,
    ActionSpec,
    FieldSpec,
    _b,
    _i,
    _port,
    _s,
    _time,
)

#: Messages of one ``message_history`` answer, at most (and its default).
MAX_HISTORY: Final = 500
DEFAULT_HISTORY: Final = 100
#: Hours a missed call is kept and listed by ``missed_calls``.
MISSED_HOURS: Final = 24
#: Characters of an extension name, at most.
MAX_NAME: Final = 32

HISTORY_FIELDS: Final = (
    _i("id", "the message's id (increasing: a later message has a larger id)", minimum=1),
    _s("from", "sender's user name"),
    _s("to", "receiver's user name, or ALL"),
    _s("text", "the message", maximum=MAX_TEXT),
    _time("time", "when it was sent"),
)

DIRECTORY_FIELDS: Final = (
    _s("user", "account name"),
    _s("role", "the account's role", choices=ROLES),
    _port("extension", "the extension port the account is bound to, \"\" when any",
          optional_empty=True),
    _b("online", "the account has a logged-in session now"),
)

MISSED_FIELDS: Final = (
    _i("call_id", "the hub's call id (as in ring and hangup)", minimum=1),
    _s("caller", "caller ID as received, or the calling extension's number; \"\" when "
                 "withheld"),
    _s("trunk", "trunk of an outside call, \"\" for internal", pattern=TRUNK_PATTERN,
       optional_empty=True),
    _s("number", "the number the call reached (this port's number then)"),
    _time("time", "when it began ringing at this port"),
    _time("ended", "when it stopped ringing at this port"),
)

NAMES_DOC: Final = (f"extension port -> name (at most {MAX_NAME} characters; \"\" removes "
                    "the name)")

ACTIONS: Final = (
    ActionSpec("flash", "hook flash (闪断/接答) at the agent's extension: holds the call in "
               "progress, takes back a held call, or picks up a call ringing in the port's "
               "groups", result=(_i("call_id", "the call the flash concerned", minimum=0),),
               needs_handset=True, pbx=True, examples=({},)),
    ActionSpec("message_history", "the session user's internal messages (sent by, sent to, "
               "or to ALL), oldest first",
               params=(_i("limit", f"how many of the newest, 1-{MAX_HISTORY} (default "
                                   f"{DEFAULT_HISTORY})", minimum=1, maximum=MAX_HISTORY,
                          required=False),
                       _i("before", "only messages whose id is below this one (to page back)",
                          minimum=1, required=False)),
               result=(FieldSpec("messages", "array", "the messages, oldest first",
                                 items="object", fields=HISTORY_FIELDS),),
               examples=({}, {"limit": 50, "before": 1200})),
    ActionSpec("directory", "every account, logged in or not (to address a message to "
                            "someone offline)",
               result=(FieldSpec("accounts", "array", "every account, by user name",
                                 items="object", fields=DIRECTORY_FIELDS),),
               examples=({},)),
    ActionSpec("missed_calls", f"the missed calls of the session's extension port in the "
                               f"last {MISSED_HOURS} h, newest first: calls that rang the "
                               "port and that the port never answered (a group ring "
                               "answered at another port counts for the ports that did "
                               "not answer); kept by the hub, so a client that was off "
                               "sees them",
               result=(FieldSpec("calls", "array", "the missed calls, newest first",
                                 items="object", fields=MISSED_FIELDS),),
               examples=({},)),
    ActionSpec("extension_names", "the names given to extension ports (every session has "
                                  "them in the snapshot's name too)",
               role="operator",
               result=(FieldSpec("names", "object", "extension port -> name, only the ports "
                                 "that have one"),),
               examples=({},)),
    ActionSpec("extension_names_set", "give extension ports names, or remove them (\"\"); "
                                      "every session then gets a new snapshot",
               role="admin", module="parameters",
               params=(FieldSpec("names", "object", NAMES_DOC, minimum=1),),
               result=(FieldSpec("names", "object", "every name now, extension port -> "
                                 "name"),),
               examples=({"names": {"001": "前台", "002": ""}},)),
)

#: The extension names' keys: extension ports.
NAME_PORT_PATTERN: Final = PORT_PATTERN

__all__ = ["ACTIONS", "DEFAULT_HISTORY", "DIRECTORY_FIELDS", "HISTORY_FIELDS", "MAX_HISTORY",
           "MAX_NAME", "MISSED_FIELDS", "MISSED_HOURS", "NAME_PORT_PATTERN"]
