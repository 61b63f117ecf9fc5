"""The dial plan: what dialled digits mean, and whether a caller may dial them.

Reads the settings from the PBX memory each time (a write takes effect on the next call, as
on the real exchange).  Everything here is a pure function of the memory and the day/night
flag; the call engine owns the live state (who is busy, DND switches, forwards).

Digit analysis, in order (manual 1-3-03, 1-3-15, 1-3-16, 1-3-19, 1-3-27):

1. ``*<password>#`` in front: a personal (随身) password; its class and trunk rights apply
   and the record carries the password's row as account.
2. ``0``: the operator (day operator 1, or the night operator at night).
3. an extension number (``extension.<port>.number``).
4. one digit ``1``..``8``: one-key group call of group 1..8 when ``group.<nn>.one_key_call``.
5. a trunk access code then the outside number: ``9`` (all trunks), or with
   ``system.multiple_routes`` on, the n-th digit of ``system.route_access_digits`` for the
   trunks whose ``trunk.<nn>.route`` is n.

DISA (S-26): a call in on a trunk whose ``trunk.<nn>.disa`` is on is answered by the PBX; the
outside caller keys a DISA password (``disa_password.<row>.password``) and ``#``, then an
access code and an outside number.  The DISA row's class and trunk rights apply, and the
record's account is ``D`` + the row (``D03``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callcenter.common.pbx.messages import DISA_ACCOUNT_PREFIX
from callcenter.common.schema import catalog
from callcenter.common.schema.core import port_ids, trunk_ids

from .memory import ParameterMemory

#: Information lines (信息台): named as such in refusals.
INFO_LINE_PREFIXES = ("168", "968", "969")
OPERATOR_DIGIT = "0"
TRUNK_ACCESS_DIGIT = "9"
ONE_KEY_GROUPS = 8
GROUP_COUNT = 12
ON_WORDS = frozenset({"on", "yes", "1", "true", "enabled", "allow", "allowed", "y"})


class EngineError(Exception):
    """An action the PBX refuses; ``str(e)`` is the reason shown to users."""


def is_on(text: str) -> bool:
    """Whether a switch value means on (``on``; older forms ``yes``/``1`` too)."""
    return text.strip().lower() in ON_WORDS


def members_of(text: str, ids: Sequence[str]) -> list[str]:
    """The ids named by a port-set value: ``all``, ``none`` / empty, or ``01,03`` (any width)."""
    low = text.strip().lower()
    if low in ("all", "全使用"):
        return list(ids)
    if low in ("", "none", "全取消"):
        return []
    by_number = {int(i): i for i in ids}
    out: list[str] = []
    for part in low.replace(" ", "").split(","):
        if part.isdigit() and int(part) in by_number and by_number[int(part)] not in out:
            out.append(by_number[int(part)])
    return out


@dataclass(frozen=True)
class Destination:
    """What the dialled digits (after any personal password) reach."""

    kind: str  # "extension" | "operator" | "group" | "trunk"
    port: str = ""  # extension or operator port
    group: str = ""  # group row id "01".."08"
    number: str = ""  # outside number: the digits after the trunk access code
    trunks: tuple[str, ...] = ()  # trunks of the dialled route


@dataclass(frozen=True)
class Authority:
    """Whose rights an outgoing call uses: the extension's, a personal password's or a DISA
    password's."""

    who: str  # "extension 001" / "personal password 03" / "DISA password 03"
    service_class: str  # two digits, outgoing then incoming level
    trunks: tuple[str, ...]  # the trunks it may seize
    account: str = ""  # the record's account: personal password row "03", DISA "D03"
    restrict_internal: bool = False
    trunk_setting: str = ""  # the setting that gave ``trunks``, for messages


class DialPlan:
    """Settings of the PBX as the call engine needs them, read from the memory."""

    def __init__(self, memory: ParameterMemory) -> None:
        self.memory = memory
        self.ports = port_ids(memory.schema.extensions)
        self.trunks = trunk_ids(memory.schema.trunks)
        table = memory.schema.tables.get("group")
        self.groups = table.row_ids() if table else [f"{i:02d}" for i in range(1, GROUP_COUNT + 1)]
        pw_table = memory.schema.tables.get("personal_password")
        self.password_rows = pw_table.row_ids() if pw_table else []
        disa_table = memory.schema.tables.get("disa_password")
        self.disa_rows = disa_table.row_ids() if disa_table else []
        rc_table = memory.schema.tables.get("restriction_code")
        self.restriction_rows = rc_table.row_ids() if rc_table else []

    # ------------------------------------------------------------------ per extension

    def ext(self, port: str, name: str, default: str = "") -> str:
        return self.memory.get(f"extension.{port}.{name}", default)

    def number_of(self, port: str) -> str:
        """The extension number of ``port`` (what others dial, what records show)."""
        return self.ext(port, "number", port)

    def port_of_number(self, number: str) -> str | None:
        for port in self.ports:
            if self.number_of(port) == number:
                return port
        return None

    def service_class(self, port: str, night: bool) -> str:
        """The class in force: over-limit class while ``over_limit`` is on, else day/night."""
        if is_on(self.ext(port, "over_limit", "off")):
            return self.ext(port, "over_limit_class", "61")
        return self.ext(port, "night_class" if night else "day_class", "11")

    def incoming_level(self, port: str, night: bool) -> int:
        return int(self.service_class(port, night)[1])

    def trunk_access(self, port: str, night: bool) -> list[str]:
        return members_of(self.ext(port, "night_trunk_access" if night else "day_trunk_access",
                                   "all"), self.trunks)

    def ring_assignment(self, port: str, night: bool) -> list[str]:
        return members_of(self.ext(port, "night_ring_assignment" if night
                                   else "day_ring_assignment", "all"), self.trunks)

    def delayed_trunks(self, port: str) -> list[str]:
        return members_of(self.ext(port, "delayed_ring", "none"), self.trunks)

    def dnd_mode(self, port: str) -> str:
        """``none`` (DND not allowed), ``external`` or ``all``."""
        mode = self.ext(port, "dnd_mode", "none").lower()
        return mode if mode in ("none", "external", "all") else "none"

    def restricts_internal(self, port: str) -> bool:
        return is_on(self.ext(port, "restrict_internal", "off"))

    def may_be_paged(self, port: str) -> bool:
        return is_on(self.ext(port, "may_be_paged", "on"))

    def voice_answer(self, port: str) -> bool:
        return self.ext(port, "answer_mode", "ring").lower() == "voice"

    def groups_of(self, port: str) -> list[str]:
        return members_of(self.ext(port, "groups", "none"), self.groups)

    def alarms(self, port: str) -> list[str]:
        """The port's alarm clock times HHMM (S-6), those that are set."""
        return [t for name in ("alarm1", "alarm2") if (t := self.ext(port, name, ""))]

    # ------------------------------------------------------------------ system

    def system(self, name: str, default: str = "") -> str:
        return self.memory.get(f"system.{name}", default)

    def operator_ports(self, night: bool) -> list[str]:
        """Operator consoles (manual 1-3-28): day operators 1 and 2, or the night operator."""
        names = ("operator_night",) if night else ("operator_day1", "operator_day2")
        out: list[str] = []
        for name in names:
            value = self.system(name, "001" if name != "operator_day2" else "")
            port = self._as_port(value)
            if port and port not in out:
                out.append(port)
        return out

    def _as_port(self, value: str) -> str:
        if value.isdigit() and int(value) and f"{int(value):03d}" in self.ports:
            return f"{int(value):03d}"
        return ""

    def delayed_ring_seconds(self, cadence: float) -> float:
        count = self.system("delayed_ring_count", "1")
        return (int(count) if count.isdigit() else 1) * cadence

    # ------------------------------------------------------------------ groups

    def group(self, group: str, name: str, default: str = "") -> str:
        return self.memory.get(f"group.{group}.{name}", default)

    def group_members(self, group: str) -> list[str]:
        """Members of ``group`` in ring order: the priority list first, then by port."""
        members = [p for p in self.ports if group in self.groups_of(p)]
        priority = [p for v in self.group(group, "priority", "").split(",")
                    if (p := self._as_port(v.strip())) and p in members]
        return priority + [p for p in members if p not in priority]

    def round_robin(self, group: str) -> bool:
        return self.group(group, "ring_mode", "simultaneous").lower() in ("round_robin",
                                                                          "round robin")

    def rotates(self, group: str) -> bool:
        """Round robin continues after the last one to ring, unless it always starts at the
        priority extension (the manual allows that for group 8 only)."""
        start = self.group(group, "round_robin_start", "first_ring").lower()
        return not (start == "priority" and group == f"{ONE_KEY_GROUPS:02d}")

    # ------------------------------------------------------------------ digit analysis

    def split_password(self, digits: str) -> tuple[str, str]:
        """``(password row, rest)`` for ``*<password>#<rest>``; ``("", digits)`` otherwise."""
        if not digits.startswith("*"):
            return "", digits
        password, sep, rest = digits[1:].partition("#")
        if not sep:
            raise EngineError(f"{digits!r}: a personal password is dialled as *password#number")
        row = self.password_row(password)
        if not row:
            raise EngineError("wrong personal password")
        return row, rest

    def password_row(self, text: str) -> str:
        """The personal-password row whose password is ``text`` ("" when none is)."""
        return self._row_of("personal_password", self.password_rows, text)

    def disa_row(self, text: str) -> str:
        """The DISA-password row whose password is ``text`` ("" when none is)."""
        return self._row_of("disa_password", self.disa_rows, text)

    def _row_of(self, table: str, rows: Sequence[str], password: str) -> str:
        if not password:
            return ""
        return next((row for row in rows
                     if self.memory.get(f"{table}.{row}.password") == password), "")

    def disa_on(self, trunk: str) -> bool:
        """Whether calls in on ``trunk`` are answered by the PBX (DISA)."""
        return is_on(self.memory.get(f"trunk.{trunk}.disa", "off"))

    def split_disa(self, digits: str) -> tuple[str, str]:
        """``(DISA row, rest)`` for the DISA caller's ``<password>#<rest>``; EngineError when
        the password is missing or wrong."""
        password, sep, rest = digits.partition("#")
        if not sep:
            raise EngineError(f"{digits!r}: a DISA caller keys password#access code+number")
        row = self.disa_row(password)
        if not row:
            raise EngineError("wrong DISA password")
        return row, rest

    def analyse(self, digits: str) -> Destination:
        """What ``digits`` reach; EngineError when nothing on this PBX answers to them."""
        if not digits or any(c not in "0123456789*#" for c in digits):
            raise EngineError(f"{digits!r} is not a number to dial")
        if digits == OPERATOR_DIGIT:
            return Destination("operator")
        port = self.port_of_number(digits)
        if port:
            return Destination("extension", port=port)
        if len(digits) == 1 and digits.isdigit() and 1 <= int(digits) <= ONE_KEY_GROUPS:
            group = f"{int(digits):02d}"
            if is_on(self.group(group, "one_key_call", "off")):
                return Destination("group", group=group)
        route = self._route_of(digits[0])
        if route is not None and len(digits) > 1:
            return Destination("trunk", number=digits[1:], trunks=tuple(route))
        raise EngineError(f"{digits} is not an extension number, the operator (0), a group call "
                          f"digit or a trunk access code ({self.access_codes()})")

    def access_codes(self) -> str:
        if self.multiple_routes():
            return ", ".join(self.system("route_access_digits"))
        return TRUNK_ACCESS_DIGIT

    def multiple_routes(self) -> bool:
        return (is_on(self.system("multiple_routes", "off"))
                and bool(self.system("route_access_digits")))

    def _route_of(self, digit: str) -> list[str] | None:
        """The trunks reached by access digit ``digit``, or None if it is no access code."""
        if not self.multiple_routes():
            return list(self.trunks) if digit == TRUNK_ACCESS_DIGIT else None
        codes = self.system("route_access_digits")
        if digit not in codes:
            return None
        route = codes.index(digit) + 1
        return [t for t in self.trunks
                if (r := self.memory.get(f"trunk.{t}.route", "1")).isdigit() and int(r) == route]

    # ------------------------------------------------------------------ rights

    def authority(self, port: str, night: bool, password_row: str = "") -> Authority:
        """The rights of a call from ``port``, or of the personal password of ``password_row``."""
        if password_row:
            return self._password_authority("personal_password", password_row,
                                            f"personal password {password_row}", password_row)
        setting = "night_trunk_access" if night else "day_trunk_access"
        return Authority(f"extension {port}", self.service_class(port, night),
                         tuple(self.trunk_access(port, night)),
                         restrict_internal=self.restricts_internal(port),
                         trunk_setting=f"extension.{port}.{setting}")

    def disa_authority(self, row: str) -> Authority:
        """The rights of a DISA call made with the DISA password of ``row``."""
        return self._password_authority("disa_password", row, f"DISA password {row}",
                                        DISA_ACCOUNT_PREFIX + row)

    def _password_authority(self, table: str, row: str, who: str, account: str) -> Authority:
        """A password row's rights: its class (its over-limit class while ``over_limit`` is
        on) and its trunk access."""
        key = f"{table}.{row}"
        setting = f"{key}.trunk_access"
        over = is_on(self.memory.get(f"{key}.over_limit", "off"))
        return Authority(who,
                         self.memory.get(f"{key}.over_limit_class" if over else f"{key}.class",
                                         "61" if over else "11"),
                         tuple(members_of(self.memory.get(setting, "all"), self.trunks)),
                         account=account, restrict_internal=False, trunk_setting=setting)

    def restriction_codes(self) -> dict[str, str]:
        """The restriction-code table as ``{key: code}`` (missing rows: factory default)."""
        return {key: self.memory[key] for row in self.restriction_rows
                if (key := f"restriction_code.{row}.code") in self.memory}

    def check_outgoing(self, authority: Authority, number: str) -> None:
        """Raise EngineError when the outgoing level of ``authority`` bars ``number``."""
        reason = self.outgoing_refusal(int(authority.service_class[0]), number)
        if reason:
            raise EngineError(f"{authority.who} service class {authority.service_class} "
                              f"may not dial {reason}")

    def outgoing_refusal(self, level: int, number: str) -> str:
        """Why outgoing level ``level`` bars ``number`` ("" if it may dial it).

        The rule itself is the catalogue's ``outgoing_permitted`` (banks A and B of the
        restriction codes); this only names the reason.
        """
        codes = self.restriction_codes()
        if catalog.outgoing_permitted(level, number, codes):
            return ""
        if level >= 6:
            return f"outside numbers (internal only) {number}"
        if level == 5:
            return f"outside numbers other than emergency services {number}"

        def starts(rows: Sequence[str]) -> str:
            for row in rows:
                code = codes.get(f"restriction_code.{row}.code",
                                 catalog.RESTRICTION_DEFAULTS.get(row, ""))
                if code and number.startswith(code):
                    return code
            return ""

        barred = starts(catalog.RESTRICTION_BARRED)
        if barred:
            info = barred in INFO_LINE_PREFIXES
            return f"{'information line' if info else f'restricted code {barred}:'} {number}"
        if starts(catalog.RESTRICTION_INTERNATIONAL):
            return f"international {number}"
        return f"long distance {number}"
