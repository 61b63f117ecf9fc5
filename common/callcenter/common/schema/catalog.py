"""The catalogue: every programmable PBX setting of FEATURES.md S-3..S-34, declared once.

Factory defaults follow the manual's tables (docs/simulator.md lists them all).
"""

from __future__ import annotations

from .core import ConsistencyRule, Group, Parameter, Scope, Table
from .kinds import Choice, Digits, PortSet, ServiceClass

E, T, SYS, TAB = Scope.EXTENSION, Scope.TRUNK, Scope.SYSTEM, Scope.TABLE

ON_OFF = Choice((("off", "关", "off"), ("on", "开", "on")))


def extension_parameters(trunks: int) -> list[Parameter]:
    """Per-extension settings (分机参数), in grid and wire order."""
    return [
        Parameter("number", "分机号", "Extension number", E, Digits(2, 8),
                  lambda i: str(8001 + i), Group.EXTENSION, "S-3"),
        Parameter("day_class", "白天服务等级", "Day service class", E, ServiceClass(),
                  "11", Group.EXTENSION, "S-4"),
        Parameter("night_class", "夜间服务等级", "Night service class", E, ServiceClass(),
                  "11", Group.EXTENSION, "S-4"),
        Parameter("over_limit_class", "超额等级", "Over-limit class", E, ServiceClass(),
                  "61", Group.EXTENSION, "S-39"),
        Parameter("day_trunk_access", "白天打出设置", "Day outgoing trunks", E, PortSet(trunks),
                  "all", Group.EXTENSION, "S-9"),
    ]


def trunk_parameters(trunks: int) -> list[Parameter]:
    """Per-trunk settings (外线参数)."""
    return [
        Parameter("billing_mode", "计费方式", "Billing mode", T,
                  Choice((("delay", "延时计费", "delay timing"),
                          ("polarity", "反极计费", "polarity reversal"))),
                  "delay", Group.TRUNK, "S-21"),
    ]


def system_parameters(trunks: int) -> list[Parameter]:
    """Single settings (开关参数 and 其它参数)."""
    return [
        Parameter("multiple_routes", "多局向", "Multiple routes", SYS, ON_OFF, "off",
                  Group.SWITCHES, "S-20"),
    ]


def tables() -> list[Table]:
    return [
        Table("restriction_code", "限制代码", "Restriction codes", 20, Group.OTHER),
    ]


def table_parameters(trunks: int) -> list[Parameter]:
    return [
        Parameter("code", "限制代码", "Restriction code", TAB, Digits(1, 8, allow_empty=True),
                  "", Group.OTHER, "S-4", table="restriction_code"),
    ]


def all_parameters(trunks: int) -> list[Parameter]:
    return (extension_parameters(trunks) + trunk_parameters(trunks) + system_parameters(trunks)
            + table_parameters(trunks))


def rules() -> list[ConsistencyRule]:
    """Rules between settings; the PBX refuses a write that would break one."""
    return []
