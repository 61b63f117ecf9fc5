"""The catalogue: every programmable PBX setting of FEATURES.md S-3..S-34, declared once.

Labels are the manual's terms (``reference/manual.zh.md`` 1-3-02..1-3-35).  Each setting sits
in the parameter group where the manual places it (分机参数 / 外线参数 / 开关参数 / 其它参数);
a per-trunk setting that the manual edits on an 其它参数 page (the trunk's chaining number)
belongs to that group.  ``docs/schema-defaults.md`` is generated from this module by
``scripts/gen_schema_doc.py``.

Wire order: the order of the lists below is the order of values in a wire row of a group
(``Schema.group_rows``).  Append new settings at the end of their list; never reorder.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

from .core import ConsistencyRule, Group, Parameter, RowIndex, Scope, Table
from .kinds import (
    AreaCode,
    Choice,
    ClockTime,
    Digits,
    GroupSet,
    IntRange,
    PortList,
    PortSet,
    RouteDigits,
    ServiceClass,
    Tenths,
)

E, T, SYS, TAB = Scope.EXTENSION, Scope.TRUNK, Scope.SYSTEM, Scope.TABLE

ROUTES = 8  # outgoing routes (局向) 1-8
GROUPS = 12  # extension groups (分机组) 1-12; groups 1-8 are the one-key group-call digits
ONE_KEY_GROUPS = 8
DISA_PASSWORDS = 10  # DISA password rows 01-10 (S-26)
PRIORITY_START_GROUP = "08"  # the only group whose round-robin may start at a priority port

ON_OFF = Choice((("off", "关", "off"), ("on", "开", "on")))


def _on_off(off_zh: str, on_zh: str, off_en: str = "off", on_en: str = "on") -> Choice:
    return Choice((("off", off_zh, off_en), ("on", on_zh, on_en)))


# --- restriction codes (限制代码) and what the service classes do with them ---------------
#
# Two banks of ten codes.  Bank A (rows 01-10) holds barred prefixes, bank B (rows 11-20)
# permitted numbers.  With the factory defaults the outgoing levels mean what manual 1-3-03
# says: 2 = national long distance but no international and no info lines (168/968/969),
# 3 = local only (plus the long-distance codes of rows 16-20) and no info lines, 4 = local
# only and no info lines, 5 = emergency numbers only, 6 = internal calls only.

RESTRICTION_BANK_A = tuple(f"{i:02d}" for i in range(1, 11))
RESTRICTION_BANK_B = tuple(f"{i:02d}" for i in range(11, 21))
RESTRICTION_INTERNATIONAL = ("01",)  # barred from level 2 down
RESTRICTION_LONG_DISTANCE = ("02",)  # barred from level 3 down
RESTRICTION_BARRED = tuple(f"{i:02d}" for i in range(3, 11))  # barred for levels 2-4
RESTRICTION_EMERGENCY = tuple(f"{i:02d}" for i in range(11, 16))  # levels 1-5 may dial
RESTRICTION_LEVEL3_ALLOWED = tuple(f"{i:02d}" for i in range(16, 21))  # long distance, level 3

RESTRICTION_DEFAULTS: dict[str, str] = {
    "01": "00",  # international prefix
    "02": "0",  # long-distance prefix
    "03": "168",  # information lines (信息台)
    "04": "968",
    "05": "969",
    "11": "110",  # police
    "12": "112",  # emergency
    "13": "119",  # fire
}

_RESTRICTION_HELP: dict[str, tuple[str, str]] = {
    "01": ("国际长途字头，2-4级禁拨", "international prefix, barred for outgoing levels 2-4"),
    "02": ("国内长途字头，3-4级禁拨", "long-distance prefix, barred for outgoing levels 3-4"),
    "03": ("限制代码A：2-4级禁拨的字头（信息台等）",
           "bank A: prefixes barred for outgoing levels 2-4 (information lines ...)"),
    "11": ("限制代码B：紧急号码，1-5级可拨（5级只能拨这些）",
           "bank B: emergency numbers, allowed for levels 1-5 (level 5 may dial only these)"),
    "16": ("限制代码B：3级可拨的长途字头（开通某地区长途）",
           "bank B: long-distance codes that level 3 may still dial (e.g. 0755)"),
}


def restriction_row_help(row: str) -> tuple[str, str]:
    """(中文, English) meaning of restriction-code row ``row`` ("01".."20")."""
    n = int(row)
    start = "01" if n == 1 else "02" if n == 2 else "03" if n <= 10 else "11" if n <= 15 else "16"
    return _RESTRICTION_HELP[start]


def outgoing_permitted(level: int, dialled: str, params: Mapping[str, str]) -> bool:
    """Whether outgoing service level ``level`` (1-6) may dial the external number ``dialled``.

    ``dialled`` is the number after the trunk access code.  The restriction codes are read
    from ``params`` (``restriction_code.NN.code``; a missing key counts as its factory
    default).  Level 7 (restrict internal calls, S-16) is a separate extension switch.
    """

    def codes(rows: tuple[str, ...]) -> list[str]:
        found = (params.get(f"restriction_code.{r}.code", RESTRICTION_DEFAULTS.get(r, ""))
                 for r in rows)
        return [c for c in found if c]

    def starts(rows: tuple[str, ...]) -> bool:
        return any(dialled.startswith(c) for c in codes(rows))

    if level <= 1:
        return True
    if level >= 6:
        return False
    if starts(RESTRICTION_EMERGENCY):
        return True
    if level == 5:
        return False
    if starts(RESTRICTION_BARRED) or starts(RESTRICTION_INTERNATIONAL):
        return False
    if level == 2 or not starts(RESTRICTION_LONG_DISTANCE):
        return True
    return level == 3 and starts(RESTRICTION_LEVEL3_ALLOWED)


# --- per extension (分机参数) ----------------------------------------------------------------


def extension_parameters(trunks: int, extensions: int = 999) -> list[Parameter]:
    """Per-extension settings (分机参数), in grid and wire order."""
    g, trunk_set = Group.EXTENSION, PortSet(trunks)
    return [
        Parameter("number", "分机号", "Extension number", E, Digits(2, 8),
                  lambda i: str(8001 + i), g, "S-3"),
        Parameter("day_class", "白天服务等级", "Day service class", E, ServiceClass(),
                  "11", g, "S-4"),
        Parameter("night_class", "夜间服务等级", "Night service class", E, ServiceClass(),
                  "11", g, "S-4"),
        Parameter("over_limit_class", "超额等级", "Over-limit class", E, ServiceClass(),
                  "61", g, "S-39",
                  help_zh="预付余额不足时交换机改用的服务等级",
                  help_en="service class the PBX switches to when the prepaid balance is "
                          "below zero"),
        Parameter("over_limit", "超额状态", "Over limit", E,
                  _on_off("正常", "超额", "normal", "over limit"), "off", g, "S-39",
                  help_zh="开：余额不足，交换机改用超额等级；充值后恢复",
                  help_en="on: the prepaid balance is below zero and the over-limit class "
                          "applies; a top-up turns it off"),
        Parameter("caller_id_display", "来电显示", "Caller ID display", E,
                  _on_off("不显示", "有显示", "hidden", "shown"), "off", g, "S-5"),
        Parameter("alarm1", "闹钟1", "Alarm clock 1", E, ClockTime(), "", g, "S-6",
                  help_zh="24小时制，如1300；空为不用；专用话机无闹铃",
                  help_en="24 h, e.g. 1300; empty = off; not for proprietary phones"),
        Parameter("alarm2", "闹钟2", "Alarm clock 2", E, ClockTime(), "", g, "S-6"),
        Parameter("alarm_mode", "闹铃模式", "Alarm mode", E,
                  Choice((("once", "单次", "once"), ("daily", "每天", "daily"))),
                  "once", g, "S-6"),
        Parameter("duration_warning", "告警", "Call-duration warning", E,
                  Choice((("none", "无告警", "none"), ("3", "3分钟", "3 min"),
                          ("6", "6分钟", "6 min"), ("9", "9分钟", "9 min"))),
                  "none", g, "S-7"),
        Parameter("offhook_mode", "提机方式", "Off-hook mode", E,
                  Choice((("internal", "内线音", "internal dial tone"),
                          ("direct_trunk", "外线音", "direct trunk"))),
                  "internal", g, "S-8"),
        Parameter("day_trunk_access", "白天打出设置", "Day outgoing trunks", E, trunk_set,
                  "all", g, "S-9"),
        Parameter("night_trunk_access", "夜间打出设置", "Night outgoing trunks", E, trunk_set,
                  "all", g, "S-9"),
        Parameter("day_ring_assignment", "白天打入设置", "Day incoming ringing", E, trunk_set,
                  "all", g, "S-10"),
        Parameter("night_ring_assignment", "夜间打入设置", "Night incoming ringing", E,
                  trunk_set, "all", g, "S-10"),
        Parameter("delayed_ring", "延时振铃", "Delayed ringing", E, trunk_set, "none", g,
                  "S-11", help_zh="这些外线打入时延时振铃（次数见开关参数）",
                  help_en="calls on these trunks ring here only after the delay count "
                          "(switch parameters)"),
        Parameter("dnd_mode", "免打扰设置", "Do-not-disturb mode", E,
                  Choice((("none", "无免打扰", "none"), ("external", "外线免打扰", "external"),
                          ("all", "内外线免打扰", "internal and external"))),
                  "none", g, "S-12"),
        Parameter("forced_ip_route", "强制使用IP经济路由", "Forced IP economic routing", E,
                  _on_off("不强制", "强制", "not forced", "forced"), "off", g, "S-13"),
        Parameter("answer_mode", "内线应答模式", "Internal answer mode", E,
                  Choice((("ring", "振铃应答", "ring"), ("voice", "语音应答", "voice"))),
                  "ring", g, "S-14", help_zh="仅专用话机", help_en="proprietary phones only"),
        Parameter("may_be_paged", "被传呼允许", "May be paged", E,
                  _on_off("不允许", "允许", "not allowed", "allowed"), "on", g, "S-14"),
        Parameter("preferred_route", "优先出局向", "Preferred outgoing route", E,
                  IntRange(1, ROUTES), "1", g, "S-15"),
        Parameter("restrict_internal", "限制内线呼叫", "Restrict internal calls", E,
                  _on_off("不限制", "限制", "no", "yes"), "off", g, "S-16",
                  help_zh="第7等级：只能拨打总台", help_en="class 7: may only call the operator"),
        Parameter("groups", "分机组", "Extension groups", E, GroupSet(GROUPS), "none", g,
                  "S-17", help_zh="所属分机组1-12；1-8组对应单键群呼数字1-8",
                  help_en="member of groups 1-12; groups 1-8 are one-key group-call digits"),
        Parameter("did_number", "DID号码", "DID number", E, Digits(1, 8, allow_empty=True),
                  "", g, "S-32", help_zh="空为不用", help_en="empty = no DID"),
    ]


# --- per trunk (外线参数) ----------------------------------------------------------------------


def trunk_parameters(trunks: int, extensions: int = 999) -> list[Parameter]:
    """Per-trunk settings (外线参数; the chaining number is on an 其它参数 page)."""
    g = Group.TRUNK
    return [
        Parameter("cid_min_digits", "检测来电显示位数", "Caller ID minimum digits", T,
                  Choice((("7", "最少7位", "at least 7"), ("3", "最少3位", "at least 3"))),
                  "7", g, "S-5"),
        Parameter("cid_mode", "来电检测方式", "Caller ID detection", T,
                  Choice((("none", "不检测来电", "no detection"), ("fsk", "检测FSK来电", "FSK"),
                          ("fsk_dtmf", "检测FSK/DTMF来电", "FSK/DTMF"),
                          ("dtmf", "检测DTMF来电", "DTMF"))),
                  "fsk_dtmf", g, "S-5"),
        Parameter("route", "局向", "Route", T, IntRange(1, ROUTES), "1", g, "S-20",
                  help_zh="多局向：本外线所属出局向1-8",
                  help_en="multiple routes: the outgoing route 1-8 of this trunk"),
        Parameter("billing_mode", "计费方式", "Billing mode", T,
                  Choice((("delay", "延时计费", "delay timing"),
                          ("polarity", "反极计费", "polarity reversal"))),
                  "delay", g, "S-21"),
        Parameter("pbx_line", "PBX线设置", "PBX line", T,
                  _on_off("非PBX线", "PBX线", "non-PBX line", "PBX line"), "off", g, "S-22"),
        Parameter("skip_prefix", "汇线通免拨字头", "Prefix skipping", T,
                  Choice((("off", "不使用", "off"), ("skip9", "免拨9", "skip 9"),
                          ("skip0", "免拨0", "skip 0"))),
                  "off", g, "S-22"),
        Parameter("ring_mode", "打入响铃模式", "Incoming ring mode", T,
                  Choice((("normal", "普通响铃", "normal"), ("queue", "排队响铃", "queue"))),
                  "normal", g, "S-23",
                  help_zh="外线电脑话务员无效时才生效",
                  help_en="effective only while the auto attendant is off"),
        Parameter("gain", "外线增益控制", "Trunk gain", T,
                  Choice((("0db", "0dB", "0 dB"), ("3db", "3dB", "+3 dB"))), "0db", g, "S-23"),
        Parameter("e1_channel", "E1通道", "E1 channel", T, IntRange(0, 30), "0", g, "S-32",
                  help_zh="0为不用E1", help_en="0 = not an E1 channel"),
        Parameter("route_group", "智能路由局向分组", "Smart-routing route group", T,
                  IntRange(1, ROUTES), "1", g, "S-33"),
        Parameter("chain_number", "外线端口号码", "Trunk number (chaining)", T,
                  Digits(3, 16, allow_empty=True), "", Group.OTHER, "S-24",
                  help_zh="中继联号：接在本外线端口的电话号码",
                  help_en="trunk chaining: the telephone number of this trunk port"),
        Parameter("disa", "DISA", "DISA", T, ON_OFF, "off", g, "S-26",
                  help_zh="开：本外线打入由交换机应答（DISA），主叫输入DISA密码和#后经出局码拨外线",
                  help_en="on: calls in on this trunk are answered by the PBX (DISA); the caller "
                          "keys a DISA password and # and dials out through the access code"),
    ]


# --- single settings (开关参数, 其它参数) ------------------------------------------------------


def system_parameters(trunks: int, extensions: int = 999) -> list[Parameter]:
    """Single settings (开关参数 and 其它参数)."""
    sw, other = Group.SWITCHES, Group.OTHER
    port = IntRange(1, extensions, width=3)
    return [
        # 开关参数
        Parameter("duration_warning_outgoing_only", "只打出告警", "Warn on outgoing calls only",
                  SYS, ON_OFF, "off", sw, "S-7",
                  help_zh="关：打出打入都告警", help_en="off: warn on outgoing and incoming"),
        Parameter("delayed_ring_count", "外线延时振铃次数", "Delayed ring count", SYS,
                  IntRange(1, 4), "2", sw, "S-11"),
        Parameter("auto_attendant", "电脑话务员", "Auto attendant", SYS,
                  Choice((("off", "不使用", "off"),
                          ("dial_extension", "直拨分机", "dial an extension"),
                          ("dial_or_operator", "直拨分机或转总台",
                           "dial an extension or the operator"),
                          ("operator", "转总台", "to the operator"))),
                  "off", sw, "S-19"),
        Parameter("auto_attendant_validity", "电脑话务员有效时间", "Auto attendant validity",
                  SYS, Choice((("day", "白天有效", "day"), ("night", "夜间有效", "night"),
                               ("both", "全天有效", "day and night"))),
                  "both", sw, "S-19"),
        Parameter("multiple_routes", "多局向", "Multiple routes", SYS, ON_OFF, "off", sw,
                  "S-20", help_zh="与智能路由不能同时开", help_en="exclusive with smart routing"),
        Parameter("pbx_outgoing_code", "PBX出局代码", "PBX outgoing code", SYS,
                  Digits(1, 2, allow_empty=True), "", sw, "S-22",
                  help_zh="PBX线出局时先拨的代码", help_en="dialled first on a PBX line"),
        Parameter("trunk_chaining", "中继联号启用", "Trunk chaining", SYS, ON_OFF, "off", sw,
                  "S-24"),
        Parameter("chaining_timing", "快选时间", "Chaining fast-select time", SYS, Tenths(),
                  "2.0", sw, "S-24", help_zh="秒", help_en="seconds"),
        Parameter("day_night_mode", "昼夜格式转换方式", "Day/night switching", SYS,
                  Choice((("manual", "手动", "manual"), ("auto", "自动", "automatic"))),
                  "manual", sw, "S-28"),
        Parameter("night", "夜间状态", "Night service (manual)", SYS,
                  _on_off("白天", "夜间", "day", "night"), "off", sw, "S-28",
                  help_zh="手动转换时的当前昼夜状态",
                  help_en="current day/night state when switching manually"),
        Parameter("pri_enable", "PRI功能", "PRI enabled", SYS, ON_OFF, "off", sw, "S-32"),
        Parameter("pri_slot", "PRI板位置", "PRI board slot", SYS, IntRange(1, 8), "1", sw,
                  "S-32"),
        Parameter("smart_routing", "智能路由", "Smart routing", SYS, ON_OFF, "off", sw, "S-33",
                  help_zh="与多局向不能同时开", help_en="exclusive with multiple routes"),
        Parameter("ip_routing", "IP经济路由", "IP economic routing", SYS, ON_OFF, "off", sw,
                  "S-34"),
        # 其它参数
        Parameter("cid_delay", "来电延时时间", "Caller ID delay", SYS, Tenths(), "0.0", other,
                  "S-5", help_zh="秒", help_en="seconds"),
        Parameter("route_access_digits", "局向出局字头", "Route access digits", SYS,
                  RouteDigits(ROUTES), "9", other, "S-20",
                  help_zh="第n位为第n局向的出局字头，如936",
                  help_en="digit n is dialled for route n, e.g. 936"),
        Parameter("chaining_forward_command", "转移指令", "Chaining forward command", SYS,
                  Digits(1, 8, extra="*#"), "*57*", other, "S-24"),
        Parameter("chaining_cancel_command", "取消转移指令", "Chaining cancel command", SYS,
                  Digits(1, 8, extra="*#"), "#57#", other, "S-24"),
        Parameter("chaining_published_position", "对外公布号码的位置",
                  "Published-number trunk", SYS, IntRange(1, max(trunks, 1), width=2), "01",
                  other, "S-24"),
        Parameter("chaining_method", "转移方法", "Chaining method", SYS,
                  Choice((("round_robin", "循环方式", "round robin"),
                          ("sequential", "顺序方式", "sequential"))),
                  "round_robin", other, "S-24"),
        Parameter("chaining_speed", "中继联号快慢选", "Chaining speed", SYS,
                  Choice((("fast", "快选", "fast"), ("slow", "慢选", "slow"))), "fast", other,
                  "S-24"),
        Parameter("operator_day1", "白天第1总台", "Day operator 1", SYS, port, "001", other,
                  "S-27"),
        Parameter("operator_day2", "白天第2总台", "Day operator 2", SYS, port, "001", other,
                  "S-27"),
        Parameter("operator_night", "夜间总台", "Night operator", SYS, port, "001", other,
                  "S-27"),
        Parameter("day_start", "白天开始时间", "Day starts at", SYS, ClockTime(False), "0800",
                  other, "S-28", help_zh="昼夜切换时段", help_en="automatic switching time"),
        Parameter("night_start", "夜间开始时间", "Night starts at", SYS, ClockTime(False),
                  "1800", other, "S-28"),
        Parameter("system_password", "交换机系统密码", "PBX system password", SYS,
                  Digits(7, 7), "1234567", other, "S-29"),
        Parameter("transfer_password", "外线转外密码", "External-transfer password", SYS,
                  Digits(4, 8, allow_empty=True), "", other, "S-30",
                  help_zh="空为不开外转外", help_en="empty = external-to-external transfer off"),
        Parameter("pilot_number", "引示号码", "Pilot number", SYS,
                  Digits(1, 16, allow_empty=True), "", other, "S-32"),
        Parameter("did_prefix", "DID公共前缀", "DID common prefix", SYS,
                  Digits(1, 12, allow_empty=True), "", other, "S-32"),
    ]


# --- tables ------------------------------------------------------------------------------------


def tables() -> list[Table]:
    return [
        Table("restriction_code", "限制代码", "Restriction codes", 20, Group.OTHER),
        Table("abbreviated_code", "缩位代码", "Abbreviated dialling codes", 100, Group.OTHER,
              first_row=0),
        Table("personal_password", "随身密码", "Personal passwords", 50, Group.OTHER),
        Table("ip_route", "IP经济路由", "IP economic routing codes", 20, Group.OTHER,
              first_row=0),
        Table("smart_route", "智能路由的局向设置", "Smart-routing rules", 32, Group.OTHER),
        Table("group", "分机组其它参数", "Extension group settings", GROUPS, Group.EXTENSION),
        Table("disa_password", "DISA密码", "DISA passwords", DISA_PASSWORDS, Group.OTHER),
    ]


def table_parameters(trunks: int, extensions: int = 999) -> list[Parameter]:
    other = Group.OTHER
    return [
        Parameter("code", "限制代码", "Restriction code", TAB, Digits(1, 8, allow_empty=True),
                  lambda i: RESTRICTION_DEFAULTS.get(f"{i + 1:02d}", ""), other, "S-4",
                  table="restriction_code",
                  help_zh="01国际字头，02长途字头，03-10禁拨字头(A)，11-15紧急号码(B)，"
                          "16-20三级可拨长途字头(B)",
                  help_en="01 international prefix, 02 long-distance prefix, 03-10 barred "
                          "prefixes (bank A), 11-15 emergency numbers (bank B), 16-20 "
                          "long-distance codes level 3 may dial (bank B)"),
        Parameter("number", "号码", "Number", TAB, Digits(1, 24, extra="*#", allow_empty=True),
                  "", other, "S-25", table="abbreviated_code",
                  help_zh="9+号码；多局向时为局向字头+号码",
                  help_en="9 + number; with multiple routes the route digit + number"),
        Parameter("password", "随身密码", "Password", TAB, Digits(4, 8, allow_empty=True), "",
                  other, "S-26", table="personal_password", help_zh="空为不用",
                  help_en="empty = unused"),
        Parameter("class", "随身等级", "Class", TAB, ServiceClass(), "11", other, "S-26",
                  table="personal_password"),
        Parameter("trunk_access", "外线权", "Trunk access", TAB, PortSet(trunks), "all", other,
                  "S-26", table="personal_password"),
        Parameter("over_limit_class", "超额等级", "Over-limit class", TAB, ServiceClass(), "61",
                  other, "S-26", table="personal_password"),
        Parameter("over_limit", "超额状态", "Over limit", TAB,
                  _on_off("正常", "超额", "normal", "over limit"), "off", other, "S-26",
                  table="personal_password",
                  help_zh="开：预付余额不足，改用超额等级；充值后恢复",
                  help_en="on: the password's prepaid balance is below zero and its over-limit "
                          "class applies; a top-up turns it off"),
        Parameter("code", "代码", "Code", TAB, Digits(1, 16, allow_empty=True), "", other,
                  "S-34", table="ip_route",
                  help_zh="每五项为一组；组首项为4位IP属性+IP字头，如000017909",
                  help_en="groups of five; a group's first code is 4 attribute digits + the "
                          "IP prefix, e.g. 000017909"),
        Parameter("area_code", "区号", "Area code", TAB, AreaCode(), "", other, "S-33",
                  table="smart_route",
                  help_zh="不输入0或00，只输入区号后缀", help_en="without the 0 / 00 prefix"),
        Parameter("route_group", "局向分组", "Route group", TAB, IntRange(1, ROUTES), "1",
                  other, "S-33", table="smart_route"),
        Parameter("one_key_call", "单键群呼设置", "One-key group call", TAB,
                  _on_off("不允许", "允许", "not allowed", "allowed"), "off", Group.EXTENSION,
                  "S-18", table="group", help_zh="仅1-8组", help_en="groups 1-8 only"),
        Parameter("ring_mode", "单键群呼模式", "Group ring mode", TAB,
                  Choice((("simultaneous", "一起响铃", "simultaneous"),
                          ("round_robin", "循环响铃", "round robin"))),
                  "simultaneous", Group.EXTENSION, "S-18", table="group"),
        Parameter("round_robin_start", "循环响铃模式", "Round-robin start", TAB,
                  Choice((("after_first_ring", "从第一次响铃后开始响铃", "after first ring"),
                          ("priority", "最优先响铃分机", "priority extension"))),
                  "after_first_ring", Group.EXTENSION, "S-18", table="group",
                  help_zh="仅第8分机组有效", help_en="group 8 only"),
        Parameter("priority", "最高优先权分机", "Priority order", TAB, PortList(extensions),
                  "none", Group.EXTENSION, "S-18", table="group",
                  help_zh="分机响铃顺序", help_en="ports in ringing order"),
        Parameter("password", "DISA密码", "Password", TAB, Digits(4, 8, allow_empty=True), "",
                  other, "S-26", table="disa_password",
                  help_zh="空为不用；外线打入DISA后输入密码和#",
                  help_en="empty = unused; keyed with # after a DISA trunk answers"),
        Parameter("class", "DISA等级", "Class", TAB, ServiceClass(), "11", other, "S-26",
                  table="disa_password"),
        Parameter("trunk_access", "外线权", "Trunk access", TAB, PortSet(trunks), "all", other,
                  "S-26", table="disa_password"),
        Parameter("over_limit_class", "超额等级", "Over-limit class", TAB, ServiceClass(), "61",
                  other, "S-26", table="disa_password"),
        Parameter("over_limit", "超额状态", "Over limit", TAB,
                  _on_off("正常", "超额", "normal", "over limit"), "off", other, "S-26",
                  table="disa_password",
                  help_zh="开：预付余额不足，改用超额等级；充值后恢复",
                  help_en="on: the DISA password's prepaid balance is below zero and its "
                          "over-limit class applies; a top-up turns it off"),
    ]


def all_parameters(trunks: int, extensions: int = 999) -> list[Parameter]:
    return (extension_parameters(trunks, extensions) + trunk_parameters(trunks, extensions)
            + system_parameters(trunks, extensions) + table_parameters(trunks, extensions))


# --- consistency rules ----------------------------------------------------------------------


def _rows(params: Mapping[str, str], prefix: str, field: str) -> dict[str, str]:
    """``{row: value}`` of ``<prefix>.<row>.<field>`` keys present in ``params``."""
    if isinstance(params, RowIndex):  # check_consistency's: indexed once for every rule
        return params.column(prefix, field)
    # A rule called on a plain image scans it: compare the ends, split nothing.
    head, tail = prefix + ".", "." + field
    shortest = len(head) + len(tail)
    found: dict[str, str] = {}
    for key, value in params.items():
        if len(key) >= shortest and key.startswith(head) and key.endswith(tail):
            row = key[len(head):len(key) - len(tail)]
            if "." not in row:
                found[row] = value
    return found


def _ports(params: Mapping[str, str]) -> set[int] | None:
    """Existing extension ports (from the ``extension.NNN.number`` keys), None if unknown."""
    ports = {int(row) for row in _rows(params, "extension", "number") if row.isdigit()}
    return ports or None


def rule_routing_exclusive(params: Mapping[str, str]) -> str | None:
    """Smart routing (S-33) and multiple routes (S-20) may not both be on."""
    if params.get("system.smart_routing") == "on" and params.get("system.multiple_routes") == "on":
        return "智能路由与多局向不能同时开 / smart routing and multiple routes cannot both be on"
    return None


def rule_unique_extension_numbers(params: Mapping[str, str]) -> str | None:
    """Extension numbers are distinct and none is the beginning of another."""
    numbers = sorted((n, row) for row, n in _rows(params, "extension", "number").items() if n)
    clashes = [f"{a_row}={a} / {b_row}={b}"
               for (a, a_row), (b, b_row) in pairwise(numbers) if b.startswith(a)]
    if clashes:
        return ("分机号重复或冲突 / extension numbers clash (equal, or one begins another): "
                + ", ".join(clashes[:5]) + (" ..." if len(clashes) > 5 else ""))
    return None


def rule_ports_exist(params: Mapping[str, str]) -> str | None:
    """Group priority lists and operator consoles name only ports that exist."""
    ports = _ports(params)
    if ports is None:
        return None
    bad: list[str] = []
    for row, value in sorted(_rows(params, "group", "priority").items()):
        if value != "none":
            bad += [f"group.{row}.priority: {p}" for p in value.split(",")
                    if not p.isdigit() or int(p) not in ports]
    for name in ("operator_day1", "operator_day2", "operator_night"):
        value = params.get(f"system.{name}", "")
        if value and (not value.isdigit() or int(value) not in ports):
            bad.append(f"system.{name}: {value}")
    if bad:
        return "分机端口不存在 / no such extension port: " + ", ".join(bad)
    return None


def rule_one_key_groups(params: Mapping[str, str]) -> str | None:
    """One-key group call exists only for groups 1-8."""
    bad = [row for row, v in sorted(_rows(params, "group", "one_key_call").items())
           if v == "on" and row.isdigit() and int(row) > ONE_KEY_GROUPS]
    if bad:
        return ("单键群呼仅1-8组 / one-key group call is for groups 1-8 only, not "
                + ", ".join(bad))
    return None


def rule_priority_start_group8(params: Mapping[str, str]) -> str | None:
    """Round-robin start at the priority extension is possible in group 8 only."""
    bad = [row for row, v in sorted(_rows(params, "group", "round_robin_start").items())
           if v == "priority" and row != PRIORITY_START_GROUP]
    if bad:
        return ("最优先响铃分机仅第8分机组有效 / round-robin start at the priority extension "
                "is for group 8 only, not " + ", ".join(bad))
    return None


def rule_day_night_times(params: Mapping[str, str]) -> str | None:
    """Automatic day/night switching needs different day and night start times."""
    if (params.get("system.day_night_mode") == "auto"
            and params.get("system.day_start") == params.get("system.night_start")):
        return ("自动昼夜转换的白天和夜间开始时间不能相同 / automatic day/night switching "
                "needs different day and night start times")
    return None


def _duplicates(values: Mapping[str, str]) -> list[str]:
    seen: dict[str, str] = {}
    dups: list[str] = []
    for row, value in sorted(values.items()):
        if value and value in seen:
            dups.append(f"{seen[value]}/{row}={value}")
        seen.setdefault(value, row)
    return dups


def rule_unique_personal_passwords(params: Mapping[str, str]) -> str | None:
    """Personal (roaming) passwords are distinct."""
    dups = _duplicates(_rows(params, "personal_password", "password"))
    if dups:
        return "随身密码重复 / personal password used twice: rows " + ", ".join(dups)
    return None


def rule_unique_disa_passwords(params: Mapping[str, str]) -> str | None:
    """DISA passwords are distinct."""
    dups = _duplicates(_rows(params, "disa_password", "password"))
    if dups:
        return "DISA密码重复 / DISA password used twice: rows " + ", ".join(dups)
    return None


def rule_unique_area_codes(params: Mapping[str, str]) -> str | None:
    """A smart-routing area code appears in one rule only."""
    dups = _duplicates(_rows(params, "smart_route", "area_code"))
    if dups:
        return "智能路由区号重复 / smart-routing area code used twice: rows " + ", ".join(dups)
    return None


def rule_ip_route_attributes(params: Mapping[str, str]) -> str | None:
    """The first code of each group of five IP codes is 4 attribute digits + the IP prefix."""
    bad = [row for row, v in sorted(_rows(params, "ip_route", "code").items())
           if row.isdigit() and int(row) % 5 == 0 and v and len(v) < 5]
    if bad:
        return ("IP经济路由组首项须为4位属性+IP字头 / the first IP code of a group needs 4 "
                "attribute digits and the prefix (e.g. 000017909): rows " + ", ".join(bad))
    return None


def rules() -> list[ConsistencyRule]:
    """Rules between settings; the PBX refuses a write that would break one."""
    return [
        rule_routing_exclusive,
        rule_unique_extension_numbers,
        rule_ports_exist,
        rule_one_key_groups,
        rule_priority_start_group8,
        rule_day_night_times,
        rule_unique_personal_passwords,
        rule_unique_area_codes,
        rule_unique_disa_passwords,
        rule_ip_route_attributes,
    ]
