"""Admin API (protocol 1.1): call records (query, summaries, export, verify, archives), the
tariff, rooms (the 话务管理 table and every rooms action), accounts, settings, the audit log and
alerts.

See ``admin_core`` for how admin actions are declared and run.  Reading is for operators,
changing for admins, except the rooms (operators do 话务管理, the manual says) and alerts
(module ``""``: every operator sees and resolves them, whatever modules it may use).
"""

from __future__ import annotations

from typing import Any, Final

from callcenter.common.agent.admin_backup import FILE_NAME_PATTERN
from callcenter.common.agent.spec import (
    PORT_PATTERN,
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

MONEY: Final = r"-?[0-9]+\.[0-9]{2}"  # Decimal yuan with two places, "12.50"
DAY_PATTERN: Final = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # a day, YYYY-MM-DD
MAX_PAGE: Final = 500  # rows of one page of records, audit entries or alerts

#: The filters of ``records list`` (docs/records.md), as text typed by people.
FILTER_FIELDS: Final = (
    _s("from", "calls starting at or after: YYYY-MM-DD[ HH:MM[:SS]] or ISO 8601 with offset "
               "(without one: in the server's timezone setting)", required=False, maximum=40),
    _s("to", "calls starting before (a date alone: up to the end of that day)",
       required=False, maximum=40),
    _s("month", "calls of one month, YYYY-MM (instead of from/to)", required=False,
       maximum=7),
    _s("port", "extension port", required=False, maximum=8),
    _s("extension", "extension number at the time of the call", required=False, maximum=32),
    _s("trunk", "trunk (outside line)", required=False, maximum=8),
    _s("number", "dialled/calling number, digits 0-9 * #: exact, 138* prefix, *888* contains",
       required=False, maximum=34),
    _s("number_prefix", "number starting with these digits", required=False, maximum=32),
    _s("number_contains", "number containing these digits", required=False, maximum=32),
    _s("duration_min", "at least this many seconds", required=False, maximum=8),
    _s("duration_max", "at most this many seconds", required=False, maximum=8),
    _s("cost_min", "costing at least, yuan (\"0.44\")", required=False, maximum=16),
    _s("cost_max", "costing at most, yuan", required=False, maximum=16),
    _s("service_type", "tariff service type code (业务类型)", required=False, maximum=2),
    _s("call_type", "OUT, IN or INT", required=False, maximum=3),
    _s("account", "personal / DISA password account", required=False, maximum=8),
    _s("unknown", "yes: only calls to numbers without a tariff row; no: only with one",
       required=False, choices=("yes", "no")),
    _s("pbx", "one PBX of several", required=False, maximum=64),
)
FILTER_NAMES: Final = tuple(f.name for f in FILTER_FIELDS)

SORTS: Final = ("seq", "start", "port", "extension", "trunk", "number", "duration", "cost",
                "call_type", "caller", "account", "service_type", "unknown", "pbx", "id")
GROUPS: Final = ("extension", "port", "trunk", "day", "hour", "month", "service_type",
                 "call_type", "account", "pbx")

RECORD_FIELDS: Final = (
    _i("id", "the record's id in the store", minimum=1),
    _s("pbx", "the PBX that sent it"),
    _i("seq", "the PBX's sequence number", minimum=0),
    _time("start", "start, in the PBX's own offset"),
    _s("port", "extension port"),
    _s("extension", "extension number at the time of the call"),
    _s("trunk", "trunk, \"\" for an internal call"),
    _s("number", "dialled or calling number"),
    _i("duration", "seconds", minimum=0),
    _s("cost", "cost in yuan", pattern=MONEY),
    _s("call_type", "OUT, IN or INT"),
    _s("caller", "caller ID"),
    _s("account", "personal / DISA password account, \"\" when none"),
    FieldSpec("service_type", "integer", "tariff service type; absent when no row matched",
              required=False),
    _s("description", "the tariff row's description"),
    _b("unknown", "no tariff row matched the number"),
    _s("source", "\"live\" or the archived month"),
    _s("tariff_version", "version of the tariff that rated it"),
    _s("receipt", "how the cost was reached"),
)

SUMMARY_FIELDS: Final = (
    _s("key", "the group (\"\" for the total)"),
    _s("label", "what to show (\"3-市话费\" for a service type, \"total\")"),
    _i("count", "calls", minimum=0),
    _i("duration", "seconds in all", minimum=0),
    _s("cost", "yuan in all", pattern=MONEY),
)

EXPORT_RESULT: Final = (
    _s("area", "the file area: exports", choices=("exports",)),
    _s("name", "the file's name in that area (download it with file_download)"),
    _i("size", "bytes", minimum=0),
)

ROOM_FIELDS: Final = (
    _port("port", "extension port"),
    _s("number", "the extension's number"),
    _s("day_class", "day service class (日间等级)"),
    _s("night_class", "night service class (夜间等级)"),
    _s("alarm", "wake-up alarm 1 (闹钟), \"\" when off"),
    _s("alarm2", "wake-up alarm 2, \"\" when off"),
    _s("alarm_mode", "once or daily"),
    _s("over_limit_class", "the class the room drops to when over its limit (超限等级)"),
    _s("over_limit", "the PBX's over-limit switch: on or off"),
    _b("prepaid", "under prepaid control"),
    _s("balance", "prepaid balance, yuan (\"0.00\" when never topped up)", pattern=MONEY),
)

ACCOUNT_KINDS: Final = ("room", "password", "disa")
ROOM_TARGET: Final = (
    _s("account", "room (default): an extension port; password: a personal-password row "
                  "01-50; disa: a DISA-password row 01-10", choices=ACCOUNT_KINDS,
       required=False),
    _s("port", "the extension port (room), or the password row", minimum=1, maximum=3),
)
ROOM_STATE: Final = (
    _s("account", "room, password or disa", choices=ACCOUNT_KINDS),
    _s("port", "the port or row"),
    _s("balance", "the balance now, yuan", pattern=MONEY),
    _b("prepaid", "under prepaid control"),
    _b("over_limit", "restricted: under control and below zero"),
)
NOTE: Final = _s("note", "a note kept with the ledger entry", required=False, maximum=200)

LEDGER_FIELDS: Final = (
    _i("id", "entry id", minimum=1),
    _time("at", "when"),
    _s("kind", "topup, charge, clear or adjustment"),
    _s("amount", "yuan, signed", pattern=MONEY),
    _s("balance", "the balance after it, yuan", pattern=MONEY),
    _s("who", "who made it (\"intake\" for call charges)"),
    FieldSpec("record_id", "integer", "the charged call's record id; absent otherwise",
              required=False),
    _s("note", "note"),
)

WRITE_RESULT_FIELDS: Final = (
    _s("key", "parameter key"),
    _s("value", "the value asked for"),
    _s("old", "the value before"),
    _s("status", "written (and read back), refused (by the PBX), invalid (not sent), "
                 "not_sent, unchanged",
       choices=("written", "refused", "invalid", "not_sent", "unchanged")),
    _s("reason", "why, when not written"),
)

ACCOUNT_FIELDS: Final = (
    _s("user", "account name"),
    _s("role", "role", choices=ROLES),
    _port("port", "the extension port it is bound to, \"\" for any", optional_empty=True),
    _b("must_change_password", "must change the password at the next login"),
    _b("locked", "locked out now (too many failed logins)"),
)

SETTING_FIELDS: Final = (
    _s("key", "setting key"),
    _s("value", "current value, as text"),
    _s("default", "default value, as text"),
    _s("allowed", "what is allowed, for people"),
    _s("doc", "what it does"),
)

AUDIT_FIELDS: Final = (
    _time("at", "when"),
    _s("who", "who: an account, cli:<OS user>, prepaid, hub ..."),
    _s("what", "pbx, tariff, setting, account add/change/password/remove, room, rerate ..."),
    _s("key", "what was changed (extension.001.number, account.alice ...)"),
    FieldSpec("old", "string", "value before; absent when there was none", required=False),
    FieldSpec("new", "string", "value after; absent when there is none", required=False),
    _s("result", "how it ended (written, refused: ...); \"\" when it simply happened"),
)

ALERT_FIELDS: Final = (
    _i("id", "alert id", minimum=1),
    _s("kind", "sequence_gap, malformed_record, unknown_number, store_unreachable ..."),
    _s("pbx_id", "the PBX concerned, \"\" when none"),
    _s("text", "for people"),
    FieldSpec("detail", "object", "for programs (e.g. {\"first\": 8, \"last\": 9})"),
    _time("created_at", "when"),
    _b("resolved", "resolved"),
    FieldSpec("resolved_at", "string", "when resolved; absent while open", required=False,
              time=True),
)


def _page(default: int) -> tuple[FieldSpec, FieldSpec]:
    return (_i("offset", "skip this many (default 0)", minimum=0, required=False),
            _i("limit", f"at most this many (1-{MAX_PAGE}, default {default})", minimum=1,
               maximum=MAX_PAGE, required=False))


def _a(name: str, doc: str, role: str, module: str, *, params: tuple[FieldSpec, ...] = (),
       result: tuple[FieldSpec, ...] = (), examples: tuple[dict[str, Any], ...] = ({},),
       long: bool = False) -> ActionSpec:
    return ActionSpec(name, doc, role=role, params=params, result=result, module=module,
                      long=long, examples=examples)


_RECORD_FILTER_EXAMPLE: Final = {
    "from": "2024-06-01", "to": "2024-06-30", "port": "998", "extension": "8998",
    "trunk": "07", "number_prefix": "0", "duration_min": "1", "duration_max": "100000",
    "cost_min": "0", "cost_max": "99999", "service_type": "3", "call_type": "OUT",
    "account": "none", "unknown": "no", "pbx": "no-such-pbx"}

RECORDS: Final = (
    _a("records_query", "one page of the matching call records, sorted", "operator",
       "records",
       params=(*FILTER_FIELDS,
               _s("sort", "sort column (default start)", choices=SORTS, required=False),
               _b("desc", "descending (default false)", required=False), *_page(50)),
       result=(_i("total", "matching records in all", minimum=0),
               FieldSpec("rows", "array", "the page", items="object", fields=RECORD_FIELDS)),
       examples=({}, {"month": "2024-06", "limit": 10},
                 {**_RECORD_FILTER_EXAMPLE, "sort": "cost", "desc": True, "offset": 0,
                  "limit": 20})),
    _a("records_summary", "count, duration and cost of the matching records per group",
       "operator", "records",
       params=(*FILTER_FIELDS, _s("by", "group by (default: the total only)", choices=GROUPS,
                                  required=False)),
       result=(FieldSpec("rows", "array", "one per group (none without by)", items="object",
                         fields=SUMMARY_FIELDS),
               FieldSpec("total", "object", "the total", fields=SUMMARY_FIELDS)),
       examples=({}, {**_RECORD_FILTER_EXAMPLE, "by": "extension"})),
    _a("records_export", "every matching record to a CSV, XLSX or PDF file in the exports "
       "area (download it with file_download)", "operator", "records",
       params=(*FILTER_FIELDS,
               _s("format", "csv (default), xlsx or pdf", choices=("csv", "xlsx", "pdf"),
                  required=False),
               _s("title", "XLSX/PDF report title", required=False, maximum=200)),
       result=(*EXPORT_RESULT, _i("records", "records written", minimum=0)),
       examples=({}, {**_RECORD_FILTER_EXAMPLE, "format": "xlsx", "title": "June"}),
       long=True),
    _a("records_verify", "check the hash chain, archives included", "operator", "records",
       params=(_s("pbx", "one PBX only", required=False, maximum=64),),
       result=(_i("checked", "records checked", minimum=0),
               FieldSpec("problems", "array", "what is wrong, for people (at most 1000)",
                         items="string"),
               _i("problem_count", "problems found in all", minimum=0)),
       examples=({}, {"pbx": "no-such-pbx"}), long=True),
    _a("records_archives", "the archived months", "operator", "records",
       result=(FieldSpec("archives", "array", "one per archived month", items="object",
                         fields=(_s("month", "YYYY-MM"), _s("location", "file or table"),
                                 _i("records", "records in it", minimum=0),
                                 _time("updated_at", "last moved"))),)),
)

TARIFF: Final = (
    _a("tariff_get", "the tariff (计费设置): its rows, holiday rows, holidays and service "
       "types, as the tariff file holds them", "operator", "system",
       result=(FieldSpec("tariff", "object", "the tariff file's object (docs/rating.md); "
                                             "money as strings"),
               _s("version", "its version"))),
    _a("tariff_save", "replace the tariff (validated, versioned, audited)", "admin", "system",
       params=(FieldSpec("tariff", "object", "a tariff object as tariff_get gives (format, "
                                             "rows, holiday_rows, holidays, service_types)"),),
       result=(_s("version", "the new version"), _s("old_version", "the version before")),
       examples=({"tariff": {"rows": "not a list"}},)),
    _a("tariff_import", "replace the rows (or the holiday rows) from an uploaded CSV or XLSX "
       "file", "admin", "system",
       params=(_s("area", "the file area: uploads", choices=("uploads",)),
               _s("name", "the uploaded file's name (.csv or .xlsx)", pattern=FILE_NAME_PATTERN),
               _b("holiday", "replace the holiday rows instead (default false)",
                  required=False)),
       result=(_s("version", "the new version"), _s("old_version", "the version before"),
               _i("entries", "rows read", minimum=0)),
       examples=({"area": "uploads", "name": "no-such-file.csv"},
                 {"area": "uploads", "name": "no-such-file.csv", "holiday": True})),
    _a("tariff_export", "the rows (or holiday rows) to a CSV or XLSX file, or the whole "
       "tariff to JSON, in the exports area", "operator", "system",
       params=(_s("format", "csv (default), xlsx or json", choices=("csv", "xlsx", "json"),
                  required=False),
               _b("holiday", "the holiday rows instead (csv/xlsx; default false)",
                  required=False)),
       result=EXPORT_RESULT,
       examples=({}, {"format": "xlsx", "holiday": True})),
    _a("tariff_versions", "the tariff's versions, newest first, as the audit log keeps "
       "them (every save, import and holiday change)", "operator", "system",
       params=_page(100),
       result=(_i("total", "versions in all", minimum=0),
               FieldSpec("versions", "array", "one per change, newest first", items="object",
                         fields=(_s("version", "the version made"),
                                 FieldSpec("old_version", "string", "the version before; "
                                           "absent for the first", required=False),
                                 _s("how", "how it was made: save, import FILE, holidays"),
                                 _time("saved_at", "when"), _s("who", "by whom"))))),
    _a("tariff_rerate", "rate the stored calls of a date range again with the current tariff "
       "(as callcenter-server tariff rerate does; audited, prepaid ledgers adjusted)",
       "admin", "system",
       params=(_s("from", "first day, YYYY-MM-DD", pattern=DAY_PATTERN),
               _s("to", "last day, inclusive (days in the store's timezone setting)",
                  pattern=DAY_PATTERN)),
       result=(_i("rated", "calls of the range rated again (main store)", minimum=0),
               _i("changed", "of them, calls whose cost or tariff version changed",
                  minimum=0),
               _s("cost_delta", "new total minus old total, yuan", pattern=MONEY),
               _i("ledger_adjustments", "prepaid ledger adjustments made", minimum=0),
               _i("archived", "calls of the range in monthly archives (closed periods, "
                              "keep their rating)", minimum=0),
               _s("tariff_version", "the tariff applied")),
       examples=({"from": "1990-01-01", "to": "1990-01-02"},), long=True),
    _a("rate", "rate a call with the tariff, as callcenter-server rate does", "operator",
       "system",
       params=(_s("number", "digits after the access code", minimum=1, maximum=32),
               _i("seconds", "duration", minimum=0, maximum=86400),
               _time("start", "when the call starts (default now; holidays)",
                     required=False)),
       result=(_s("number", "number"), _i("seconds", "seconds", minimum=0),
               _time("start", "start"), _s("cost", "yuan", pattern=MONEY),
               FieldSpec("prefix", "string", "matched prefix; absent when none",
                         required=False),
               FieldSpec("description", "string", "the row's description", required=False),
               FieldSpec("service_type", "integer", "service type", required=False),
               FieldSpec("service_name", "string", "service type, Chinese", required=False),
               FieldSpec("service_name_en", "string", "service type, English",
                         required=False),
               _s("receipt", "how the cost was reached"),
               _b("unknown", "no row matched"), _b("holiday", "holiday rates applied"),
               _s("tariff_version", "tariff version")),
       examples=({"number": "12315888", "seconds": 300},
                 {"number": "12315888", "seconds": 300,
                  "start": "2024-06-01T09:00:00+08:00"})),
)

ROOMS: Final = (
    _a("rooms_list", "the room table (话务管理): every extension port with its classes, "
       "alarm, over-limit class, prepaid state and balance", "operator", "rooms",
       result=(FieldSpec("rooms", "array", "one per extension port", items="object",
                         fields=ROOM_FIELDS),)),
    _a("rooms_topup", "add money to a room (or password) and put it on prepaid", "operator",
       "rooms", params=(*ROOM_TARGET, _s("amount", "yuan > 0, at most 2 places"), NOTE),
       result=ROOM_STATE,
       examples=({"port": "099", "amount": "5"},
                 {"account": "room", "port": "099", "amount": "5.50", "note": "deposit"})),
    _a("rooms_clear", "set a prepaid balance to zero", "operator", "rooms",
       params=(*ROOM_TARGET, NOTE), result=ROOM_STATE,
       examples=({"port": "099"}, {"account": "room", "port": "099", "note": "checkout"})),
    _a("rooms_adjust", "a signed correction of a prepaid balance", "operator", "rooms",
       params=(*ROOM_TARGET, _s("amount", "signed yuan, not 0"), NOTE), result=ROOM_STATE,
       examples=({"port": "099", "amount": "-3.20"},
                 {"account": "room", "port": "099", "amount": "3.20", "note": "refund"})),
    _a("rooms_release", "take a room (or password) off prepaid; the ledger stays",
       "operator", "rooms", params=ROOM_TARGET, result=ROOM_STATE,
       examples=({"port": "099"}, {"account": "room", "port": "099"})),
    _a("rooms_ledger", "every ledger entry of a room (or password) with the running balance",
       "operator", "rooms", params=(*ROOM_TARGET, *_page(100)),
       result=(_i("total", "entries in all", minimum=0),
               FieldSpec("entries", "array", "oldest first", items="object",
                         fields=LEDGER_FIELDS)),
       examples=({"port": "099"}, {"account": "room", "port": "099", "offset": 0,
                                   "limit": 50})),
    _a("rooms_set", "change a room's classes or alarm: parameter writes to the PBX, one "
       "result per key", "operator", "rooms",
       params=(_port("port", "extension port"),
               _s("day_class", "day service class", required=False, maximum=8),
               _s("night_class", "night service class", required=False, maximum=8),
               _s("alarm", "wake-up alarm 1, HHMM, \"\" for off", required=False, maximum=8),
               _s("alarm2", "wake-up alarm 2, HHMM, \"\" for off", required=False,
                  maximum=8),
               _s("alarm_mode", "once or daily", required=False, maximum=8),
               _s("over_limit_class", "over-limit class", required=False, maximum=8)),
       result=(FieldSpec("results", "array", "one per key given", items="object",
                         fields=WRITE_RESULT_FIELDS),),
       examples=({"port": "999", "day_class": "11"},
                 {"port": "999", "day_class": "11", "night_class": "11", "alarm": "0700",
                  "alarm2": "", "alarm_mode": "once", "over_limit_class": "61"}),
       long=True),
)

ACCOUNTS: Final = (
    _a("accounts_list", "every account of the hub and the console", "admin", "system",
       result=(FieldSpec("accounts", "array", "by name", items="object",
                         fields=ACCOUNT_FIELDS),)),
    _a("account_add", "create an account (audited)", "admin", "system",
       params=(_s("user", "account name, 1-64 characters, no spaces", minimum=1, maximum=64),
               _s("role", "role", choices=ROLES),
               _s("password", "password (the server's password rules)", maximum=256),
               _s("port", "bind to this extension port; \"\" for any", pattern=PORT_PATTERN,
                  optional_empty=True, required=False),
               _b("must_change_password", "must change it at the first login (default true)",
                  required=False)),
       result=ACCOUNT_FIELDS,
       examples=({"user": "x", "role": "agent", "password": ""},
                 {"user": "x", "role": "agent", "password": "", "port": "001",
                  "must_change_password": True})),
    _a("account_change", "change an account's role, bound port or password (audited)",
       "admin", "system",
       params=(_s("user", "account name", minimum=1, maximum=64),
               _s("role", "new role", choices=ROLES, required=False),
               _s("port", "bind to this extension port; \"\" for any", pattern=PORT_PATTERN,
                  optional_empty=True, required=False),
               _s("password", "new password (also lifts a lock-out)", maximum=256,
                  required=False),
               _b("must_change_password", "with password: must change it at the next login "
                                          "(default false)", required=False)),
       result=ACCOUNT_FIELDS,
       examples=({"user": "no-such-user"},
                 {"user": "no-such-user", "role": "agent", "port": "", "password": "x",
                  "must_change_password": True})),
    _a("account_remove", "delete an account (not the last admin; audited)", "admin", "system",
       params=(_s("user", "account name", minimum=1, maximum=64),),
       result=(_s("user", "the account removed"),),
       examples=({"user": "no-such-user"},)),
)

SETTINGS: Final = (
    _a("settings_get", "server settings with their defaults and what is allowed", "operator",
       "system", params=(_s("key", "one setting only", required=False, maximum=100),),
       result=(FieldSpec("settings", "array", "in registry order", items="object",
                         fields=SETTING_FIELDS),),
       examples=({}, {"key": "timezone"})),
    _a("settings_set", "change a setting (validated, audited)", "admin", "system",
       params=(_s("key", "setting key", maximum=100), _s("value", "new value, as text",
                                                         maximum=2000)),
       result=(_s("key", "key"), _s("value", "the value now, as text")),
       examples=({"key": "no.such.setting", "value": "1"},)),
)

AUDIT: Final = (
    _a("audit_list", "the audit log, newest first, filtered", "admin", "system",
       params=(_time("from", "entries at or after", required=False),
               _time("to", "entries before", required=False),
               _s("who", "exactly this who", required=False, maximum=100),
               _s("key", "exactly this key", required=False, maximum=200),
               _s("what", "this kind (account: every account ...)", required=False,
                  maximum=50), *_page(100)),
       result=(_i("total", "matching entries in all", minimum=0),
               FieldSpec("entries", "array", "the page", items="object",
                         fields=AUDIT_FIELDS)),
       examples=({}, {"from": "2024-06-01T00:00:00+08:00", "to": "2024-07-01T00:00:00+08:00",
                      "who": "admin", "key": "timezone", "what": "setting", "offset": 0,
                      "limit": 20})),
)

ALERTS: Final = (
    _a("alerts_list", "alerts for the console, newest first", "operator", "",
       params=(_b("unresolved_only", "only open ones (default false)", required=False),
               *_page(100)),
       result=(_i("total", "matching alerts in all", minimum=0),
               FieldSpec("alerts", "array", "the page", items="object",
                         fields=ALERT_FIELDS)),
       examples=({}, {"unresolved_only": True, "offset": 0, "limit": 20})),
    _a("alert_resolve", "mark an alert resolved", "operator", "",
       params=(_i("alert", "the alert's id (as alerts_list gives it)", minimum=1),),
       result=(_i("alert", "the alert's id", minimum=1), _b("resolved", "true"),
               _time("resolved_at", "when")),
       examples=({"alert": 999999999},)),
)

ACTIONS: Final[tuple[ActionSpec, ...]] = (*RECORDS, *TARIFF, *ROOMS, *ACCOUNTS, *SETTINGS,
                                          *AUDIT, *ALERTS)

EVENTS: Final[tuple[EventSpec, ...]] = (
    EventSpec("record_stored", "a call record was committed to the store", (
        _i("sequence", "the PBX's sequence number", minimum=0),
        _s("pbx_id", "the PBX that sent it; \"\" when the event does not know it"),
        _time("start", "start, in the PBX's own offset"),
        _s("port", "extension port, \"\" for a DISA call"),
        _s("extension", "the extension's number at the time of the call"),
        _s("trunk", "trunk, \"\" for internal"),
        _s("number", "dialled or calling number"),
        _i("duration", "seconds", minimum=0),
        _s("call_type", "OUT, IN or INT"),
        _s("cost", "cost in yuan (\"0.44\"); \"\" when the event does not carry it (ask "
                   "records_query)"),
    ), role="operator",
        example={"sequence": 1042, "pbx_id": "1", "start": "2024-06-01T09:31:02+08:00",
                 "port": "001",
                 "extension": "8001", "trunk": "01", "number": "12315888", "duration": 300,
                 "call_type": "OUT", "cost": ""}),
    EventSpec("alert", "a new alert (see alerts_list)", (
        _i("id", "alert id", minimum=1),
        _s("kind", "its kind"),
        _s("text", "for people"),
    ), role="operator",
        example={"id": 17, "kind": "sequence_gap", "text": "PBX 1: records 8-9 are missing"}),
)
