"""The PBX parameter schema and its catalogue (FEATURES.md S-3..S-34)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.common.schema import (
    GROUP_LABELS,
    Group,
    Parameter,
    ParameterError,
    RowIndex,
    Schema,
    Scope,
    Table,
    build_schema,
    catalog,
)
from callcenter.common.schema.kinds import (
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
    Text,
)

SIZES = [(24, 8), (208, 32), (8, 0), (8, 1), (1, 0)]
CJK = re.compile(r"[\u4e00-\u9fff]")


def all_params(extensions: int = 24, trunks: int = 8) -> list[Parameter]:
    return catalog.all_parameters(trunks, extensions)


# --- declarations ------------------------------------------------------------------------------


def test_every_parameter_has_both_labels_and_a_feature() -> None:
    for p in all_params():
        assert p.name == p.name.lower() and re.fullmatch(r"[a-z][a-z0-9_]*", p.name), p.name
        assert p.label_zh.strip() and p.label_en.strip(), p.name
        assert p.label_en.isascii(), p.name
        assert CJK.search(p.label_zh) or p.label_zh.isupper() or "DID" in p.label_zh, p.name
        assert re.fullmatch(r"S-\d+", p.feature), p.name
        assert bool(p.help_zh) == bool(p.help_en), p.name
    for t in catalog.tables():
        assert CJK.search(t.label_zh) and t.label_en.isascii() and t.label_en, t.name


def test_features_s3_to_s34_are_all_covered() -> None:
    features = {p.feature for p in all_params()}
    expected = {f"S-{n}" for n in range(3, 35)} - {"S-31"}  # S-31 sets the clock: an action
    assert expected <= features


def test_each_setting_declared_once() -> None:
    seen = Counter((p.scope, p.table, p.name) for p in all_params())
    assert [k for k, n in seen.items() if n > 1] == []


def test_table_parameters_belong_to_a_declared_table_in_its_group() -> None:
    tables = {t.name: t for t in catalog.tables()}
    for p in all_params():
        if p.scope == Scope.TABLE:
            assert p.table in tables, p.name
            assert p.group == tables[p.table].group, (p.table, p.name)
        else:
            assert p.table == "", p.name
    assert all(any(p.table == t for p in all_params()) for t in tables)


def test_choice_codes_are_lower_case_and_distinct() -> None:
    for p in all_params():
        if isinstance(p.kind, Choice):
            codes = [c for c, _, _ in p.kind.options]
            assert all(c == c.lower() and " " not in c for c in codes), p.name
            assert len(set(codes)) == len(codes), p.name
            for code, zh, en in p.kind.options:
                assert p.kind.parse(code) == code
                assert p.kind.parse(zh) == code
                assert p.kind.parse(en) == code
                assert p.kind.label(code, "zh") == zh and p.kind.label(code, "en") == en


def test_group_labels() -> None:
    assert GROUP_LABELS[Group.EXTENSION][0] == "分机参数"
    assert GROUP_LABELS[Group.TRUNK][0] == "外线参数"
    assert GROUP_LABELS[Group.SWITCHES][0] == "开关参数"
    assert GROUP_LABELS[Group.OTHER][0] == "其它参数"


# --- contract keys ---------------------------------------------------------------------------

EXTENSION_CONTRACT = [
    "number", "day_class", "night_class", "over_limit_class", "over_limit", "caller_id_display",
    "alarm1",
    "alarm2", "alarm_mode", "duration_warning", "offhook_mode", "day_trunk_access",
    "night_trunk_access", "day_ring_assignment", "night_ring_assignment", "delayed_ring",
    "dnd_mode", "forced_ip_route", "answer_mode", "may_be_paged", "preferred_route",
    "restrict_internal", "groups", "did_number",
]
TRUNK_CONTRACT = [
    "billing_mode", "cid_min_digits", "cid_mode", "route", "pbx_line", "skip_prefix",
    "ring_mode", "gain", "e1_channel", "route_group", "chain_number", "disa",
]
SYSTEM_CONTRACT = [
    "cid_delay", "duration_warning_outgoing_only", "delayed_ring_count", "auto_attendant",
    "auto_attendant_validity", "multiple_routes", "route_access_digits", "smart_routing",
    "ip_routing", "pbx_outgoing_code", "trunk_chaining", "chaining_forward_command",
    "chaining_cancel_command", "chaining_published_position", "chaining_method",
    "chaining_speed", "chaining_timing", "operator_day1", "operator_day2", "operator_night",
    "day_night_mode", "day_start", "night_start", "system_password", "transfer_password",
    "pri_enable", "pri_slot", "pilot_number", "did_prefix", "night",
]
TABLE_CONTRACT = [
    "restriction_code.01.code", "abbreviated_code.00.number", "abbreviated_code.99.number",
    "personal_password.01.password", "personal_password.50.class",
    "personal_password.01.trunk_access", "personal_password.01.over_limit_class",
    "ip_route.00.code", "ip_route.19.code", "smart_route.01.area_code",
    "smart_route.32.route_group", "group.01.one_key_call", "group.12.ring_mode",
    "group.08.round_robin_start", "group.08.priority",
    "disa_password.01.password", "disa_password.10.class", "disa_password.01.trunk_access",
    "disa_password.01.over_limit_class", "disa_password.10.over_limit",
]


def test_contract_keys_exist() -> None:
    s = build_schema(24, 8)
    for name in EXTENSION_CONTRACT:
        assert f"extension.001.{name}" in s and f"extension.024.{name}" in s, name
    for name in TRUNK_CONTRACT:
        assert f"trunk.01.{name}" in s and f"trunk.08.{name}" in s, name
    for name in SYSTEM_CONTRACT:
        assert f"system.{name}" in s, name
    for key in TABLE_CONTRACT:
        assert key in s, key
    assert "extension.025.number" not in s and "trunk.09.route" not in s
    assert "disa_password.11.password" not in s and "disa_password.00.password" not in s


@pytest.mark.parametrize(("key", "default"), [
    ("extension.001.number", "8001"), ("extension.002.number", "8002"),
    ("extension.024.number", "8024"), ("extension.001.day_class", "11"),
    ("extension.005.night_class", "11"), ("extension.001.over_limit_class", "61"),
    ("extension.001.caller_id_display", "off"), ("extension.001.alarm1", ""),
    ("extension.001.duration_warning", "none"), ("extension.001.day_trunk_access", "all"),
    ("extension.001.night_ring_assignment", "all"), ("extension.001.delayed_ring", "none"),
    ("extension.001.dnd_mode", "none"), ("extension.001.preferred_route", "1"),
    ("extension.001.groups", "none"), ("extension.001.restrict_internal", "off"),
    ("trunk.01.billing_mode", "delay"), ("trunk.01.cid_mode", "fsk_dtmf"),
    ("trunk.01.cid_min_digits", "7"), ("trunk.01.route", "1"), ("trunk.01.gain", "0db"),
    ("trunk.01.skip_prefix", "off"), ("trunk.01.ring_mode", "normal"),
    ("system.cid_delay", "0.0"), ("system.auto_attendant", "off"),
    ("system.multiple_routes", "off"), ("system.smart_routing", "off"),
    ("system.ip_routing", "off"), ("system.trunk_chaining", "off"),
    ("system.chaining_forward_command", "*57*"), ("system.chaining_cancel_command", "#57#"),
    ("system.chaining_method", "round_robin"), ("system.chaining_speed", "fast"),
    ("system.operator_day1", "001"), ("system.operator_night", "001"),
    ("system.night", "off"), ("system.pri_enable", "off"),
    ("restriction_code.01.code", "00"), ("restriction_code.02.code", "0"),
    ("restriction_code.03.code", "168"), ("restriction_code.04.code", "968"),
    ("restriction_code.05.code", "969"), ("restriction_code.11.code", "110"),
    ("restriction_code.12.code", "112"), ("restriction_code.13.code", "119"),
    ("restriction_code.20.code", ""), ("group.08.priority", "none"),
    ("group.01.ring_mode", "simultaneous"),
    ("trunk.01.disa", "off"), ("trunk.08.disa", "off"),
    ("disa_password.01.password", ""), ("disa_password.10.class", "11"),
    ("disa_password.01.trunk_access", "all"), ("disa_password.01.over_limit_class", "61"),
    ("disa_password.01.over_limit", "off"),
])
def test_contract_defaults(key: str, default: str) -> None:
    assert build_schema(24, 8).default(key) == default


def test_system_password_default_is_seven_digits() -> None:
    assert re.fullmatch(r"\d{7}", build_schema().default("system.system_password"))


# --- defaults and sizes ------------------------------------------------------------------------


@pytest.mark.parametrize(("extensions", "trunks"), SIZES)
def test_defaults_validate_to_themselves(extensions: int, trunks: int) -> None:
    s = build_schema(extensions, trunks)
    for key, value in s.defaults().items():
        assert s.validate(key, value) == value, key


@pytest.mark.parametrize(("extensions", "trunks"), SIZES)
def test_defaults_are_consistent(extensions: int, trunks: int) -> None:
    s = build_schema(extensions, trunks)
    assert s.check_consistency(s.defaults()) == []


@pytest.mark.parametrize(("extensions", "trunks"), SIZES)
def test_schema_builds_for_size(extensions: int, trunks: int) -> None:
    s = build_schema(extensions, trunks)
    keys = s.keys()
    n_ext = sum(1 for p in all_params(extensions, trunks) if p.scope == Scope.EXTENSION)
    n_trunk = sum(1 for p in all_params(extensions, trunks) if p.scope == Scope.TRUNK)
    assert sum(k.startswith("extension.") for k in keys) == n_ext * extensions
    assert sum(k.startswith("trunk.") for k in keys) == n_trunk * trunks
    assert f"extension.{extensions:03d}.number" in s
    assert f"extension.{extensions + 1:03d}.number" not in s
    assert (f"trunk.{trunks:02d}.route" in s) == (trunks > 0)
    # size-dependent ranges follow the PBX
    last_port = f"{extensions:03d}"
    assert s.validate("system.operator_night", str(extensions)) == last_port
    with pytest.raises(ParameterError):
        s.validate("system.operator_night", str(extensions + 1))
    if trunks:
        assert s.validate("extension.001.day_trunk_access", str(trunks)) in (
            f"{trunks:02d}", "all")
    with pytest.raises(ParameterError):
        s.validate("extension.001.day_trunk_access", str(trunks + 1))


def test_large_pbx_numbers_distinct() -> None:
    s = build_schema(208, 32)
    numbers = [s.default(f"extension.{p:03d}.number") for p in range(1, 209)]
    assert numbers[0] == "8001" and numbers[-1] == "8208" and len(set(numbers)) == 208


def test_bad_sizes_rejected() -> None:
    with pytest.raises(ValueError, match="extensions"):
        build_schema(0, 8)
    with pytest.raises(ValueError, match="extensions"):
        build_schema(24, 100)


def test_duplicate_declaration_rejected() -> None:
    p = catalog.extension_parameters(8)[0]
    with pytest.raises(ValueError, match="declared twice"):
        Schema([p, p], [], 2, 0)
    orphan = Parameter("x", "x", "x", Scope.TABLE, Digits(), "1", Group.OTHER, table="nope")
    with pytest.raises(ValueError, match="nope"):
        Schema([orphan], [Table("t", "表", "t", 1, Group.OTHER)], 2, 0)


# --- rows and wire order -------------------------------------------------------------------


@pytest.mark.parametrize(("extensions", "trunks"), SIZES)
def test_group_rows_cover_all_keys_once(extensions: int, trunks: int) -> None:
    s = build_schema(extensions, trunks)
    row_keys = [k for g in Group for row in s.group_rows(g) for k in row.keys]
    assert len(row_keys) == len(set(row_keys))
    assert set(row_keys) == set(s.keys()) == set(s.defaults())
    for g in Group:
        for row in s.group_rows(g):
            assert row.keys
            for key in row.keys:
                assert key.startswith(row.prefix + ".") and key.count(".") == row.prefix.count(
                    ".") + 1, key
                assert s.group_of(key) == g, key


WIRE_EXTENSION = [
    "number", "day_class", "night_class", "over_limit_class", "over_limit", "caller_id_display",
    "alarm1",
    "alarm2", "alarm_mode", "duration_warning", "offhook_mode", "day_trunk_access",
    "night_trunk_access", "day_ring_assignment", "night_ring_assignment", "delayed_ring",
    "dnd_mode", "forced_ip_route", "answer_mode", "may_be_paged", "preferred_route",
    "restrict_internal", "groups", "did_number",
]
WIRE_TRUNK = ["cid_min_digits", "cid_mode", "route", "billing_mode", "pbx_line", "skip_prefix",
              "ring_mode", "gain", "e1_channel", "route_group", "disa"]
WIRE_SWITCHES = [
    "duration_warning_outgoing_only", "delayed_ring_count", "auto_attendant",
    "auto_attendant_validity", "multiple_routes", "pbx_outgoing_code", "trunk_chaining",
    "chaining_timing", "day_night_mode", "night", "pri_enable", "pri_slot", "smart_routing",
    "ip_routing",
]
WIRE_OTHER_SYSTEM = [
    "cid_delay", "route_access_digits", "chaining_forward_command", "chaining_cancel_command",
    "chaining_published_position", "chaining_method", "chaining_speed", "operator_day1",
    "operator_day2", "operator_night", "day_start", "night_start", "system_password",
    "transfer_password", "pilot_number", "did_prefix",
]


def _names(keys: tuple[str, ...]) -> list[str]:
    return [k.rsplit(".", 1)[1] for k in keys]


def test_wire_order_is_pinned() -> None:
    """Changing this order changes the wire protocol: append new settings at the end."""
    s = build_schema(24, 8)
    ext_rows = s.group_rows(Group.EXTENSION)
    assert [r.prefix for r in ext_rows] == (
        [f"extension.{p:03d}" for p in range(1, 25)] + [f"group.{g:02d}" for g in range(1, 13)])
    assert _names(ext_rows[0].keys) == WIRE_EXTENSION
    assert _names(ext_rows[-1].keys) == ["one_key_call", "ring_mode", "round_robin_start",
                                         "priority"]
    trunk_rows = s.group_rows(Group.TRUNK)
    assert [r.prefix for r in trunk_rows] == [f"trunk.{t:02d}" for t in range(1, 9)]
    assert _names(trunk_rows[0].keys) == WIRE_TRUNK
    switch_rows = s.group_rows(Group.SWITCHES)
    assert [r.prefix for r in switch_rows] == ["system"]
    assert _names(switch_rows[0].keys) == WIRE_SWITCHES
    other = s.group_rows(Group.OTHER)
    prefixes = [r.prefix for r in other]
    assert prefixes[:9] == [f"trunk.{t:02d}" for t in range(1, 9)] + ["system"]
    assert _names(other[0].keys) == ["chain_number"]
    assert _names(other[8].keys) == WIRE_OTHER_SYSTEM
    tables_in_order = [p.split(".")[0] for p in prefixes[9:]]
    assert list(dict.fromkeys(tables_in_order)) == [
        "restriction_code", "abbreviated_code", "personal_password", "ip_route", "smart_route",
        "disa_password"]
    assert Counter(tables_in_order) == {"restriction_code": 20, "abbreviated_code": 100,
                                        "personal_password": 50, "ip_route": 20,
                                        "smart_route": 32, "disa_password": 10}
    assert "abbreviated_code.00" in prefixes and "ip_route.00" in prefixes
    row = next(r for r in other if r.prefix == "personal_password.01")
    assert _names(row.keys) == ["password", "class", "trunk_access", "over_limit_class",
                              "over_limit"]
    row = next(r for r in other if r.prefix == "disa_password.10")
    assert _names(row.keys) == ["password", "class", "trunk_access", "over_limit_class",
                              "over_limit"]
    assert prefixes[-1] == "disa_password.10"
    row = next(r for r in other if r.prefix == "smart_route.01")
    assert _names(row.keys) == ["area_code", "route_group"]


def test_wire_order_is_stable_across_builds() -> None:
    a = Schema(catalog.all_parameters(8, 24), catalog.tables(), 24, 8, catalog.rules())
    b = build_schema(24, 8)
    for g in Group:
        assert a.group_rows(g) == b.group_rows(g)
    assert a.keys() == b.keys()


# --- validation messages -------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("extension.001.number", "80a1", "2-8 digits"),
    ("extension.001.number", "123456789", "2-8 digits"),
    ("extension.001.day_class", "71", "outgoing 1-6"),
    ("extension.001.night_class", "15", "incoming 1-4"),
    ("extension.001.over_limit_class", "1", "two digits"),
    ("extension.001.caller_id_display", "maybe", "off, on"),
    ("extension.001.alarm1", "2460", "HHMM"),
    ("extension.001.duration_warning", "5", "none, 3, 6, 9"),
    ("extension.001.day_trunk_access", "09", "ports 1-8"),
    ("extension.001.delayed_ring", "1,x", "ports 1-8"),
    ("extension.001.dnd_mode", "some", "none, external, all"),
    ("extension.001.preferred_route", "9", "1-8"),
    ("extension.001.groups", "13", "groups 1-12"),
    ("extension.001.did_number", "12a", "digits"),
    ("trunk.01.cid_mode", "fsk+", "none, fsk, fsk_dtmf, dtmf"),
    ("trunk.01.cid_min_digits", "5", "7, 3"),
    ("trunk.01.route", "0", "1-8"),
    ("trunk.01.e1_channel", "31", "0-30"),
    ("system.cid_delay", "10.0", "0.0-9.9"),
    ("system.cid_delay", "1.25", "0.0-9.9"),
    ("system.delayed_ring_count", "5", "1-4"),
    ("system.route_access_digits", "939", "distinct digits"),
    ("system.system_password", "123456", "7 digits"),
    ("system.operator_day1", "025", "1-24"),
    ("system.day_start", "8", "HHMM"),
    ("system.chaining_forward_command", "*57a", "digits and * #"),
    ("smart_route.01.area_code", "0755", "not starting with 0"),
    ("group.08.priority", "001,002,001", "distinct ports 1-24"),
    ("group.01.priority", "025", "distinct ports 1-24"),
    ("restriction_code.01.code", "16x", "digits"),
    ("personal_password.01.class", "00", "outgoing 1-6"),
    ("trunk.01.disa", "yes please", "off, on"),
    ("disa_password.01.password", "123", "4-8 digits"),
    ("disa_password.01.password", "12a4", "4-8 digits"),
    ("disa_password.01.class", "71", "outgoing 1-6"),
    ("disa_password.01.trunk_access", "09", "ports 1-8"),
    ("disa_password.01.over_limit_class", "00", "outgoing 1-6"),
    ("disa_password.01.over_limit", "maybe", "off, on"),
])
def test_bad_values_name_key_and_what_is_allowed(key: str, value: str, allowed: str) -> None:
    s = build_schema(24, 8)
    with pytest.raises(ParameterError) as info:
        s.validate(key, value)
    assert info.value.key == key
    assert str(info.value).startswith(key + ": ")
    assert "allowed: " in str(info.value) and allowed in str(info.value)


def test_unknown_key() -> None:
    with pytest.raises(ParameterError) as info:
        build_schema().validate("extension.999.number", "8001")
    assert info.value.key == "extension.999.number"


@pytest.mark.parametrize(("key", "value", "canonical"), [
    ("extension.001.day_trunk_access", "3, 1", "01,03"),
    ("extension.001.day_trunk_access", "1,2,3,4,5,6,7,8", "all"),
    ("extension.001.day_trunk_access", "全取消", "none"),
    ("extension.001.groups", "3,1,3", "1,3"),
    ("extension.001.groups", "all", "1,2,3,4,5,6,7,8,9,10,11,12"),
    ("extension.001.alarm1", "13:00", "1300"),
    ("extension.001.alarm1", "9:05", "0905"),
    ("extension.001.alarm1", "", ""),
    ("extension.001.caller_id_display", "有显示", "on"),
    ("extension.001.offhook_mode", "direct trunk", "direct_trunk"),
    ("extension.001.preferred_route", "03", "3"),
    ("extension.001.day_class", "２１", "21"),
    ("trunk.01.cid_mode", "FSK/DTMF", "fsk_dtmf"),
    ("trunk.01.gain", "3dB", "3db"),
    ("system.cid_delay", "2", "2.0"),
    ("system.cid_delay", " 0.5 ", "0.5"),
    ("system.operator_day2", "5", "005"),
    ("system.chaining_published_position", "3", "03"),
    ("group.08.priority", "3,1,2", "003,001,002"),
    ("ip_route.00.code", "000017909", "000017909"),
    ("trunk.02.disa", "开", "on"),
    ("trunk.02.disa", "off", "off"),
    ("disa_password.03.password", " 24680 ", "24680"),
    ("disa_password.03.password", "", ""),
    ("disa_password.03.trunk_access", "2, 1", "01,02"),
    ("disa_password.03.over_limit", "超额", "on"),
])
def test_values_canonicalised(key: str, value: str, canonical: str) -> None:
    assert build_schema(24, 8).validate(key, value) == canonical


# --- consistency rules -------------------------------------------------------------------


def _state(**changes: str) -> dict[str, str]:
    state = build_schema(24, 8).defaults()
    state.update({k.replace("__", "."): v for k, v in changes.items()})
    return state


def _problems(state: dict[str, str]) -> list[str]:
    return build_schema(24, 8).check_consistency(state)


def test_rule_smart_routing_excludes_multiple_routes() -> None:
    assert _problems(_state(system__smart_routing="on")) == []
    assert _problems(_state(system__multiple_routes="on")) == []
    problems = _problems(_state(system__smart_routing="on", system__multiple_routes="on"))
    assert len(problems) == 1 and "smart routing" in problems[0]


def test_rule_priority_ports_exist() -> None:
    state = _state(group__08__priority="003,001")
    assert _problems(state) == []
    # a list written for a bigger PBX (e.g. restored from its backup)
    state["group.08.priority"] = "003,030"
    problems = _problems(state)
    assert len(problems) == 1 and "030" in problems[0]


def test_rule_operator_ports_exist() -> None:
    state = _state(system__operator_day2="030")
    assert any("operator_day2" in p for p in _problems(state))


def test_rule_extension_numbers_distinct() -> None:
    problems = _problems(_state(extension__002__number="8001"))
    assert len(problems) == 1 and "8001" in problems[0]
    problems = _problems(_state(extension__002__number="80"))
    assert len(problems) == 1 and "80" in problems[0]
    assert _problems(_state(extension__002__number="3002")) == []


def test_rule_group_settings() -> None:
    assert _problems(_state(group__08__one_key_call="on")) == []
    assert "groups 1-8" in _problems(_state(group__09__one_key_call="on"))[0]
    assert _problems(_state(group__08__round_robin_start="priority")) == []
    assert "group 8" in _problems(_state(group__03__round_robin_start="priority"))[0]


def test_rule_day_night_times() -> None:
    assert _problems(_state(system__night_start="0800")) == []  # manual mode
    assert _problems(_state(system__day_night_mode="auto")) == []
    assert len(_problems(_state(system__day_night_mode="auto", system__night_start="0800"))) == 1


def test_rule_unique_passwords_and_area_codes() -> None:
    assert _problems(_state(personal_password__01__password="1234",
                            personal_password__02__password="5678")) == []
    assert len(_problems(_state(personal_password__01__password="1234",
                                personal_password__07__password="1234"))) == 1
    assert len(_problems(_state(smart_route__01__area_code="755",
                                smart_route__02__area_code="755"))) == 1


def test_rule_unique_disa_passwords() -> None:
    assert _problems(_state(disa_password__01__password="1234",
                            disa_password__02__password="5678")) == []
    assert _problems(_state(disa_password__01__password="", disa_password__02__password="")) == []
    problems = _problems(_state(disa_password__03__password="2468",
                                disa_password__10__password="2468"))
    assert problems == ["DISA密码重复 / DISA password used twice: rows 03/10=2468"]
    # unique among themselves: a personal password may be the same digits
    assert _problems(_state(disa_password__01__password="1234",
                            personal_password__01__password="1234")) == []


def test_rule_ip_route_group_first_code() -> None:
    assert _problems(_state(ip_route__00__code="000017909")) == []
    assert _problems(_state(ip_route__01__code="0755")) == []
    assert "rows 05" in _problems(_state(ip_route__05__code="1790"))[0]


def test_rules_ignore_partial_states() -> None:
    s = build_schema(24, 8)
    assert s.check_consistency({}) == []
    assert s.check_consistency({"group.08.priority": "005"}) == []


_RULE_CHANGES = [("extension.002.number", "8001"), ("extension.002.number", "80"),
                 ("group.08.priority", "003,030"), ("group.09.one_key_call", "on"),
                 ("group.03.round_robin_start", "priority"),
                 ("personal_password.07.password", "1234"),
                 ("disa_password.10.password", "2468"), ("smart_route.02.area_code", "755"),
                 ("ip_route.05.code", "1790"), ("system.multiple_routes", "on"),
                 ("system.operator_day2", "030"), ("extension.001.number", "8009")]


@given(st.lists(st.sampled_from(_RULE_CHANGES), max_size=6))
@settings(max_examples=60, deadline=None)
def test_an_indexed_image_judges_as_the_plain_one(changes: list[tuple[str, str]]) -> None:
    """check_consistency indexes the image once (RowIndex) and a batch derives each trial
    from the last (``changed``): the same problems as every rule on the plain image."""
    schema = build_schema(24, 8)
    plain = _state(personal_password__01__password="1234", disa_password__03__password="2468",
                   smart_route__01__area_code="755", system__smart_routing="on")
    indexed = RowIndex(dict(plain))
    for key, value in changes:
        plain = {**plain, key: value}
        indexed = indexed.changed(key, value)
        expected = [msg for rule in catalog.rules() if (msg := rule(plain))]
        assert schema.check_consistency(indexed) == expected
        assert schema.check_consistency(plain) == expected
        assert dict(indexed) == plain


def test_every_rule_documented() -> None:
    for rule in catalog.rules():
        assert rule.__doc__ and rule.__doc__.strip()


# --- service classes and restriction codes (manual 1-3-03) -------------------------------


@pytest.mark.parametrize(("number", "allowed_levels"), [
    ("87654321", {1, 2, 3, 4}),  # local
    ("01087654321", {1, 2}),  # national long distance
    ("0085212345678", {1}),  # international
    ("1681234", {1}),  # information line
    ("9691234", {1}),
    ("110", {1, 2, 3, 4, 5}),  # emergency
    ("119", {1, 2, 3, 4, 5}),
])
def test_service_class_meanings_with_factory_restriction_codes(
        number: str, allowed_levels: set[int]) -> None:
    defaults = build_schema().defaults()
    got = {level for level in range(1, 7) if catalog.outgoing_permitted(level, number, defaults)}
    assert got == allowed_levels


def test_level3_may_dial_opened_area_codes() -> None:
    state = _state(restriction_code__16__code="0755")
    assert catalog.outgoing_permitted(3, "075512345678", state)
    assert not catalog.outgoing_permitted(3, "01012345678", state)
    assert not catalog.outgoing_permitted(4, "075512345678", state)


def test_restriction_row_help() -> None:
    assert "international" in catalog.restriction_row_help("01")[1]
    assert "bank A" in catalog.restriction_row_help("10")[1]
    assert "emergency" in catalog.restriction_row_help("15")[1]
    assert "level 3" in catalog.restriction_row_help("20")[1]


# --- kinds: any text either fails cleanly or gives canonical text -----------------------------

KINDS = [
    Digits(), Digits(2, 8), Digits(1, 8, extra="*#"), Digits(4, 8, allow_empty=True),
    IntRange(1, 8), IntRange(0, 30), IntRange(1, 24, width=3), ServiceClass(), PortSet(8),
    PortSet(0), PortSet(24, width=3), PortList(24), GroupSet(12), RouteDigits(8), AreaCode(),
    ClockTime(), ClockTime(False), Tenths(), Text(), Choice((("off", "关", "off"),
                                                             ("on", "开", "on"))),
]
CATALOG_KINDS = list({id(p.kind): p.kind for p in all_params()}.values())

INTERESTING = st.text(alphabet="0123456789,.: *#-aefllnonOAL全使用取消０１２：，\t٣²", max_size=14)
SAMPLES = st.sampled_from(["all", "none", "", "1,3", "01,03", "0905", "9:05", "13:00", "2.5",
                           "11", "61", "936", "0755", "*57*", "003,001", "fsk/dtmf", "有显示"])
TEXTS = st.one_of(st.text(max_size=20), INTERESTING, SAMPLES)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS + CATALOG_KINDS), text=TEXTS)
def test_any_text_fails_cleanly_or_round_trips(kind: object, text: str) -> None:
    try:
        canonical = kind.parse(text)  # type: ignore[attr-defined]
    except ValueError as exc:
        assert str(exc)
        return
    assert isinstance(canonical, str)
    assert kind.parse(canonical) == canonical  # type: ignore[attr-defined]
    if not isinstance(kind, Text):
        assert canonical.isascii() and canonical == canonical.strip()


@settings(max_examples=200, deadline=None)
@given(text=TEXTS, data=st.data())
def test_schema_validate_fails_with_parameter_error_or_is_idempotent(
        text: str, data: st.DataObject) -> None:
    s = build_schema(24, 8)
    key = data.draw(st.sampled_from(s.keys()[:: 7]))
    try:
        canonical = s.validate(key, text)
    except ParameterError as exc:
        assert exc.key == key and "allowed:" in exc.message
        return
    assert s.validate(key, canonical) == canonical


@given(st.lists(st.integers(1, 8), unique=True))
def test_portset_members(ports: list[int]) -> None:
    kind = PortSet(8)
    canonical = kind.parse(",".join(map(str, ports)))
    assert kind.members(canonical) == set(ports)


@given(st.lists(st.integers(1, 24), unique=True))
def test_portlist_keeps_order(ports: list[int]) -> None:
    kind = PortList(24)
    canonical = kind.parse(",".join(map(str, ports)))
    assert kind.members(canonical) == ports


def test_every_kind_describes_itself() -> None:
    kinds: list[Any] = [*KINDS, *CATALOG_KINDS]
    for kind in kinds:
        assert kind.describe() and kind.describe().isascii()


def test_schema_doc_is_up_to_date() -> None:
    """docs/schema-defaults.md is the output of scripts/gen_schema_doc.py."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("gen_schema_doc",
                                                  root / "scripts" / "gen_schema_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (root / "docs" / "schema-defaults.md").read_text(encoding="utf-8")
    assert doc == module.render(), "regenerate: scripts/gen_schema_doc.py > docs/schema-defaults.md"
    s = build_schema()
    for p in s.parameters:
        assert f".{p.name}`" in doc and p.label_zh in doc
