"""参数设置's words for people: what a setting allows, in Chinese when the console speaks it,
and set values (外线权 部分使用, 分机组) as the manual names them.

The schema sends what is allowed in English only (``allowed``, made by the schema's value
kinds) and its choices with Chinese labels.  ``allowed_text`` says the same in Chinese: it
takes the numbers out of the English text and puts them into the sentence of the setting's
kind (an unknown sentence stays English).  ``show_set`` writes a trunk set as the manual does
(全使用 / 全取消, 部分使用 by the trunks' numbers: 外线1,3-8), a group set as 全部组 / 不入组 /
组1,2.  Pure: no Tk.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from callcenter.server.console.parameters_model import Setting

_RANGE: Final = re.compile(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)")


def _range(text: str) -> str:
    found = _RANGE.findall(text)
    return f"{found[-1][0]}-{found[-1][1]}" if found else ""


def _digits_zh(allowed: str) -> str | None:
    found = re.match(r"(\d+(?:-\d+)?) digits( and \* #)?(, or empty)?$", allowed)
    if found is None:
        return None
    length, star, empty = found.groups()
    return (f"{length} 位数字" + ("及 * #" if star else "") + ("，或空" if empty else ""))


def _zh(setting: Setting) -> str | None:
    """The Chinese of ``setting.allowed``, or None when its sentence is not known here."""
    allowed, kind = setting.allowed.strip(), setting.kind
    if setting.choices:
        return "以下之一：" + "、".join(c.label_zh for c in setting.choices)
    if kind == "digits":
        return _digits_zh(allowed)
    if kind == "number" and allowed.startswith("a whole number"):
        return f"整数 {_range(allowed)}"
    if kind == "tenths":
        return f"一位小数 {_range(allowed)}"
    if kind == "clock_time":
        return "时间 HHMM，0000-2359" + ("，或空（关闭）" if "empty" in allowed else "")
    if kind == "service_class":
        return "两位数字：先呼出等级 1-6，再呼入等级 1-4（11 = 不限制）"
    if kind == "port_set":
        return f"all（全使用）、none（全取消），或逗号分隔的外线号 {_range(allowed)}（部分使用）"
    if kind == "group_set":
        return f"none（不入组）、all（全部组），或逗号分隔的组号 {_range(allowed)}"
    if kind == "port_list":
        return f"none（无），或逗号分隔、不重复的端口号 {_range(allowed)}，按先后顺序"
    if kind == "route_digits":
        return "1-8 个不同的数字，每个路由一个（如 936）"
    if kind == "area_code":
        return "1-6 位数字，不以 0 开头（区号不带 0/00），或空"
    return None


def allowed_text(setting: Setting, language: str) -> str:
    """What ``setting`` allows, in ``language`` (zh or en)."""
    if language == "zh":
        chinese = _zh(setting)
        if chinese is not None:
            return chinese
    if setting.choices:
        return " / ".join(c.label(language) for c in setting.choices)
    return setting.allowed


def invalid_text(setting: Setting, text: str, language: str, message: str) -> str:
    """Why ``text`` was not sent: ``message`` (the schema's English) or its Chinese."""
    if language != "zh":
        return message
    return f"“{text}” 不允许（允许：{allowed_text(setting, language)}）"


def _members(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def show_set(setting: Setting, value: str, language: str) -> str | None:
    """A trunk or group set as the manual writes it; None for other settings."""
    if setting.kind not in ("port_set", "group_set"):
        return None
    code = value.strip().lower()
    trunks = setting.kind == "port_set"
    if code == "all":
        return ("全使用" if trunks else "全部组") if language == "zh" else \
            ("all trunks" if trunks else "every group")
    if code in ("none", ""):
        return ("全取消" if trunks else "不入组") if language == "zh" else \
            ("no trunk" if trunks else "no group")
    numbers = _ranges(_members(code))
    if trunks:
        return f"外线{numbers}" if language == "zh" else f"trunks {numbers}"
    return f"组{numbers}" if language == "zh" else f"groups {numbers}"


def _ranges(members: list[str]) -> str:
    """``01,03,04,05`` -> ``1,3-5`` (the numbers, runs of three or more as a range)."""
    numbers = sorted({int(m) for m in members if m.isdigit()})
    parts: list[str] = []
    start = 0
    for index in range(1, len(numbers) + 1):
        if index == len(numbers) or numbers[index] != numbers[index - 1] + 1:
            run = numbers[start:index]
            parts.append(f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(map(str, run)))
            start = index
    return ",".join(parts)


def member_label(setting: Setting, member: str, language: str) -> str:
    """A check box of the set picker: 外线01 (a trunk), or the group's number."""
    if setting.kind == "port_set":
        return f"外线{member.zfill(2)}" if language == "zh" else f"Trunk {member.zfill(2)}"
    return member


def key_name(setting: Setting, key: str, language: str) -> str:
    """A parameter key as people name it: the setting's label after its row (分机001,
    外线01, a table's row number); ``system.*`` keys by their label alone."""
    parts = key.split(".")
    label = setting.label(language)
    if len(parts) != 3:
        return label
    row = parts[1]
    if parts[0] == "extension":
        row = f"分机{row}" if language == "zh" else f"Ext. {row}"
    elif parts[0] == "trunk":
        row = f"外线{row}" if language == "zh" else f"Trunk {row}"
    return f"{row} {label}"
