"""Admin API (protocol 1.1), the core: who am I, cancelling a long request, connections.

The admin API is the part of the agent protocol that the server console and the
``callcenter-server`` commands use while the service runs (``docs/agent-protocol.md``,
section 11).  Its actions are declared like the agent actions, in four modules by subject:
this one, ``admin_pbx`` (link and parameters), ``admin_backup`` (backup, restore, files)
and ``admin_store`` (records, tariff, rooms, accounts, settings, audit, alerts).
``catalog.ACTIONS`` and ``catalog.EVENTS`` hold them all.

Long actions (``ActionSpec.long``) run as tasks: the session answers other requests
meanwhile, sends ``progress`` events naming the request's id as ``job``, and ``cancel``
stops them between two steps (the response then has the error code ``cancelled``).
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import (
    DEVICES,
    MODULES,
    PROTOCOL_VERSION,
    ROLES,
    ActionSpec,
    EventSpec,
    FieldSpec,
    _b,
    _i,
    _port,
    _s,
    _time,
)

JOB_FIELD: Final = _s("job", "the id of the long request, as a string (a request id 7 is "
                             "job \"7\")", minimum=1, maximum=64)

CONNECTION_FIELDS: Final = (
    _s("address", "client IP address"),
    _i("remote_port", "client TCP port", minimum=0, maximum=65535),
    _s("user", "account name, \"\" before login"),
    _s("role", "the session's role, \"\" before login", choices=("", *ROLES)),
    _port("extension", "extension port, \"\" before login or for a console session",
          optional_empty=True),
    _s("device", "the session's device, \"\" before login or for a console",
       choices=("", *DEVICES)),
    _time("since", "connection time"),
)

_CONNECTION_EXAMPLE: Final = {"address": "192.168.1.40", "remote_port": 61022, "user": "",
                              "role": "", "extension": "", "device": "",
                              "since": "2024-06-01T09:31:02.500+08:00"}

ACTIONS: Final = (
    ActionSpec("whoami", "the session's account, role and the console modules it may use",
               role="agent",
               result=(_s("user", "account name"),
                       _s("role", "role", choices=ROLES),
                       _port("extension", "extension port, \"\" for a console session",
                             optional_empty=True),
                       FieldSpec("modules", "array", "console modules this session may "
                                 "use (every one for admins; for operators the ones "
                                 "console.operator_modules allows; none for agents)",
                                 items="string", choices=MODULES),
                       _s("protocol", "the hub's protocol version"),
                       _s("data_dir", "the service's data folder (on the server's disk)")),
               examples=({},)),
    ActionSpec("cancel", "stop a long request of this session between two steps",
               role="operator", params=(JOB_FIELD,),
               result=(_b("cancelled", "true: the job was running and will stop; false: "
                                       "no such job running (already finished)"),),
               examples=({"job": "17"},)),
)

EVENTS: Final = (
    EventSpec("progress", "how far a long request of this session is (only its own "
                          "session gets it)", (
        JOB_FIELD,
        _i("done", "steps done", minimum=0),
        _i("total", "steps in all (0 when not known yet)", minimum=0),
        _s("text", "what is being done, for people"),
    ), role="operator",
        example={"job": "17", "done": 12, "total": 48, "text": "extension.012.number"}),
    EventSpec("client_connected", "a connection to the hub was opened or logged in (S-44)",
              CONNECTION_FIELDS, role="operator", example=_CONNECTION_EXAMPLE),
    EventSpec("client_disconnected", "a connection to the hub was closed (S-44)",
              CONNECTION_FIELDS, role="operator", example=_CONNECTION_EXAMPLE),
)

__all__ = ["ACTIONS", "CONNECTION_FIELDS", "EVENTS", "JOB_FIELD", "PROTOCOL_VERSION"]
