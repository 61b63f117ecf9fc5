"""Admin API (protocol 1.1): the PBX link (state, port and line settings, serial ports, clock)
and the parameters (schema, image with each key's state, batch writes with progress and
cancel, renumbering, verification).

See ``admin_core`` for how admin actions are declared and run.
"""

from __future__ import annotations

from typing import Final

from callcenter.common.agent.spec import (
    ActionSpec,
    EventSpec,
    FieldSpec,
    _b,
    _i,
    _s,
)

#: Keys of the schema or the image per response, at most (a response may hold fewer, to
#: stay within one line; the client asks again from ``offset`` + what it got).
MAX_PAGE: Final = 2000
#: Keys of one ``parameters_write`` (ports of one ``extensions_renumber``), at most: the
#: per-key results must fit one line.
MAX_BATCH: Final = 400
WRITE_STATUSES: Final = ("written", "refused", "invalid", "not_sent", "unchanged",
                         "unconfirmed")
KEY_STATES: Final = ("verified", "written", "refused")
VERIFICATION_STATES: Final = ("never", "running", "done", "failed")
GROUPS: Final = ("extension", "trunk", "switches", "other")
PARITIES: Final = ("N", "E", "O")

_LINE_FIELDS: Final = (
    _s("url", "the PBX port: COM3, /dev/ttyUSB0, socket://HOST:PORT ..."),
    _i("baud", "line speed", minimum=1200, maximum=115200),
    _i("bytesize", "data bits, 7 or 8", minimum=7, maximum=8),
    _s("parity", "parity", choices=PARITIES),
    _i("stopbits", "stop bits, 1 or 2", minimum=1, maximum=2),
)

_PAGE_PARAMS: Final = (
    _i("offset", "first key of the page (0 = the first; default 0)", minimum=0,
       required=False),
    _i("limit", f"keys per page, 1-{MAX_PAGE} (default {MAX_PAGE}); a response may hold "
                "fewer to stay within one line", minimum=1, maximum=MAX_PAGE, required=False),
)

RESULT_FIELDS: Final = (
    _s("key", "parameter key"),
    _s("value", "the value asked for (canonical when valid)"),
    _s("old", "the value held before, \"\" when not known"),
    _s("status", "written (and read back), refused (by the PBX, or read back otherwise), "
                 "invalid (not sent: the schema refuses it), not_sent (link down, cancelled, "
                 "or the batch stopped), unchanged (already held; nothing sent), "
                 "unconfirmed (sent, but no answer or read-back came)",
       choices=WRITE_STATUSES),
    _s("reason", "why, for people; \"\" when written or unchanged"),
)

CHOICE_FIELDS: Final = (
    _s("code", "the value (canonical text)"),
    _s("label_zh", "Chinese label"),
    _s("label_en", "English label"),
)

PARAMETER_FIELDS: Final = (
    _s("id", "the setting: the keys' prefix and name, e.g. extension.day_class (keys "
             "extension.001.day_class ...), trunk.route, system.night, "
             "restriction_code.code"),
    _s("scope", "extension (one key per extension port), trunk (per trunk), system (one "
                "key), table (one key per row of a table)",
       choices=("extension", "trunk", "system", "table")),
    _s("label_zh", "Chinese label (the manual's term)"),
    _s("label_en", "English label"),
    _s("kind", "value kind: digits, number, choice, service_class, port_set, port_list, "
               "group_set, route_digits, area_code, clock_time, tenths, text"),
    _s("allowed", "what is allowed, in English"),
    FieldSpec("choices", "array", "the options of a choice", items="object",
              fields=CHOICE_FIELDS, required=False),
    _i("minimum", "lowest value of a number, shortest length of digits", required=False),
    _i("maximum", "highest value of a number, longest length of digits", required=False),
    _s("default", "the factory default (of the first row, for keys whose default "
                  "differs per row)"),
    _s("group", "parameter group of backup and restore", choices=GROUPS),
    _s("help", "what the setting means, for people (absent when the label says it all; "
               "for service classes see class_levels)", required=False),
    _s("help_zh", "the same in Chinese", required=False),
)

SCHEMA_KEY_FIELDS: Final = (
    _s("key", "parameter key, e.g. extension.001.day_class"),
    _s("parameter", "the id of its setting in parameters"),
    _s("default", "this key's factory default when it differs from its setting's (e.g. "
                  "extension numbers 8001, 8002 ...)", required=False),
)

CLASS_LEVEL_FIELDS: Final = (
    _s("direction", "outgoing (the first digit of a class) or incoming (the second)",
       choices=("outgoing", "incoming")),
    _i("level", "the level, 1-6 outgoing, 1-4 incoming", minimum=1, maximum=6),
    _s("label_zh", "what the level allows (the manual's words)"),
    _s("label_en", "what the level allows, in English"),
)

IMAGE_FIELDS: Final = (
    _s("key", "parameter key"),
    _s("value", "the value the PBX holds (as far as known)"),
    _s("state", "verified (read from the PBX), written (accepted by the PBX but not read "
                "back), refused (the last write of this key was refused)",
       choices=KEY_STATES),
    _s("reason", "why written or refused; \"\" when verified"),
)

ACTIONS: Final[tuple[ActionSpec, ...]] = (
    ActionSpec("link_state", "the PBX link: port, line settings, up or down, the PBX's "
                             "model and size, the last data verification",
               role="operator", module="system",
               result=(*_LINE_FIELDS,
                       _b("up", "the PBX answers"),
                       _s("model", "the PBX's model, \"\" while never connected"),
                       _s("firmware", "the PBX's firmware version"),
                       _i("extensions", "extension ports (0 while never connected)",
                          minimum=0),
                       _i("trunks", "trunks", minimum=0),
                       _s("last_error", "why the link is down (or last went down), \"\""),
                       FieldSpec("verification", "object", "the last data verification",
                                 fields=(_s("state", "never, running, done or failed",
                                            choices=VERIFICATION_STATES),
                                         _i("done", "rows read", minimum=0),
                                         _i("total", "rows to read", minimum=0),
                                         _s("at", "when it started (running) or ended, "
                                                  "ISO 8601; \"\" when never"),
                                         _s("error", "why it failed, \"\""))),),
               examples=({},)),
    ActionSpec("link_configure", "change the PBX port or its line settings, save them "
                                 "(settings pbx.url, pbx.baud ...) and reconnect",
               role="admin", module="system",
               params=tuple(FieldSpec(f.name, f.kind, f.doc + "; default: unchanged",
                                      required=False, choices=f.choices, minimum=f.minimum,
                                      maximum=f.maximum) for f in _LINE_FIELDS),
               result=_LINE_FIELDS,
               examples=({"baud": 9600},
                         {"url": "bogus://no-such-port", "baud": 9600, "bytesize": 8,
                          "parity": "N", "stopbits": 1})),
    ActionSpec("serial_ports", "the serial ports of the server's computer",
               role="operator", module="system",
               result=(FieldSpec("ports", "array", "serial ports", items="object",
                                 fields=(_s("device", "what to give as url (COM3, "
                                                      "/dev/ttyUSB0)"),
                                         _s("description", "for people"),
                                         _s("hwid", "hardware id (USB VID:PID ...)"))),),
               examples=({},)),
    ActionSpec("clock_set", "set the PBX clock to the server's time now",
               role="admin", module="system", pbx=True,
               result=(_s("effective", "when the new time takes effect at the PBX "
                                       "(YYYYMMDDhhmm, the site's time)"),),
               examples=({},)),
    ActionSpec("parameter_schema", "every parameter key of this PBX and its setting's labels, "
                                   "kind, allowed values, default, group and help, paged",
               role="operator", module="parameters", params=_PAGE_PARAMS,
               result=(_i("extensions", "extension ports of the PBX", minimum=1),
                       _i("trunks", "trunks of the PBX", minimum=0),
                       _i("total", "keys in all", minimum=0),
                       _i("offset", "the first key of this page", minimum=0),
                       FieldSpec("keys", "array", "this page's keys", items="object",
                                 fields=SCHEMA_KEY_FIELDS),
                       FieldSpec("parameters", "array", "the settings of this page's keys",
                                 items="object", fields=PARAMETER_FIELDS),
                       FieldSpec("class_levels", "array", "what each level of a service "
                                 "class (kind service_class) means", items="object",
                                 fields=CLASS_LEVEL_FIELDS)),
               examples=({}, {"offset": 0, "limit": 20})),
    ActionSpec("parameter_image", "the PBX's parameter values as the server knows them, with "
                                  "each key's state, paged",
               role="operator", module="parameters",
               params=(*_PAGE_PARAMS,
                       _s("group", "only this parameter group", choices=GROUPS,
                          required=False),
                       _s("prefix", "only keys that begin with this (e.g. extension.001.)",
                          maximum=64, required=False)),
               result=(_s("source", "pbx: follows the PBX now; saved: the link is down and "
                                    "this is the last image known", choices=("pbx", "saved")),
                       _i("total", "keys matching", minimum=0),
                       _i("offset", "the first key of this page", minimum=0),
                       FieldSpec("params", "array", "this page's keys", items="object",
                                 fields=IMAGE_FIELDS)),
               examples=({}, {"offset": 0, "limit": 50, "group": "extension",
                              "prefix": "extension.001."})),
    ActionSpec("parameters_write", "write parameters (key -> value), each read back; one "
                                   "result per key",
               role="admin", module="parameters", long=True, pbx=True,
               params=(FieldSpec("values", "object", f"key -> value text, 1-{MAX_BATCH} keys"),
                       _b("all_or_nothing", "true: when any value is not allowed, nothing is "
                                            "sent (the others are not_sent); default false",
                          required=False)),
               result=(FieldSpec("results", "array", "one per key, in the order given",
                                 items="object", fields=RESULT_FIELDS),),
               examples=({"values": {"extension.099.day_class": "21"}},
                         {"values": {"extension.099.day_class": "21"},
                          "all_or_nothing": True})),
    ActionSpec("extensions_renumber", "give extension ports new numbers that may shift or swap "
                                      "the numbers held now",
               role="admin", module="parameters", long=True, pbx=True,
               params=(FieldSpec("numbers", "object", f"extension port -> new number, "
                                                      f"1-{MAX_BATCH} ports"),),
               result=(FieldSpec("results", "array", "one per port, in the order given "
                                                     "(key extension.<port>.number)",
                                 items="object", fields=RESULT_FIELDS),),
               examples=({"numbers": {"099": "8099"}},)),
    ActionSpec("verify", "data verification (数据校验) now: read the groups whose checksum "
                         "changed, or every group with force",
               role="admin", module="parameters", long=True, pbx=True,
               params=(_b("force", "read every group (default false)", required=False),),
               result=(FieldSpec("groups_read", "array", "groups read", items="string",
                                 choices=GROUPS),
                       FieldSpec("groups_skipped", "array", "groups unchanged (not read)",
                                 items="string", choices=GROUPS),
                       _i("rows_read", "parameter rows read", minimum=0)),
               examples=({}, {"force": False})),
)

EVENTS: Final[tuple[EventSpec, ...]] = (
    EventSpec("parameter_changed", "a PBX parameter changed: written by a console or command, "
                                   "prepaid control, a restore, or programmed at the PBX", (
        _s("key", "parameter key"),
        _s("old", "the value before, \"\" when not known"),
        _s("new", "the value now"),
        _s("by", "who: the user name of the session (cli:<user> for a command), prepaid, "
                 "pbx (programmed at the PBX), service"),
    ), role="operator",
        example={"key": "extension.001.number", "old": "8001", "new": "3001", "by": "admin"}),
    EventSpec("verification_progress", "data verification: rows read so far", (
        _i("done", "rows read", minimum=0),
        _i("total", "rows to read", minimum=0),
        _s("group", "the group being read", choices=GROUPS),
    ), role="operator", example={"done": 9, "total": 52, "group": "extension"}),
    EventSpec("verification_done", "data verification finished", (
        FieldSpec("groups_read", "array", "groups read", items="string", choices=GROUPS),
        FieldSpec("groups_skipped", "array", "groups unchanged (not read)", items="string",
                  choices=GROUPS),
        _i("rows_read", "rows read", minimum=0),
    ), role="operator", example={"groups_read": ["trunk"],
                                 "groups_skipped": ["extension", "switches", "other"],
                                 "rows_read": 8}),
)

__all__ = ["ACTIONS", "EVENTS", "KEY_STATES", "MAX_BATCH", "MAX_PAGE", "WRITE_STATUSES"]
