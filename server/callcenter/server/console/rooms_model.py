"""话务管理 (S-39, manual 1-7), the model: the room table, its edits and their outcome.

Pure (no Tk): the page (``pages/rooms.py``) shows what this holds and sends what it
decides.  A room is one extension port of the PBX as ``rooms_list`` gives it.  A double
click on a class, alarm or over-limit cell edits it: ``edit_request`` checks the text and
says which admin action carries it (``rooms_set`` -> parameter writes to the PBX); a double
click on 预设话费 takes an amount that *adds* to the balance (``rooms_topup``), and an
empty field clears it (``rooms_clear``), as the manual describes.  Results and the
service's events (``parameter_changed``, ``record_stored``) update the rows; each edited
cell keeps its outcome (``written`` -> green, ``refused`` -> yellow with the reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from callcenter.server.console.times import local_time

#: The table's columns in the manual's order (序号 端口号 分机号 ...), catalogue keys
#: ``rooms.col.<name>``.
COLUMNS: Final = ("index", "port", "number", "day_class", "night_class", "alarm", "alarm2",
                  "alarm_mode", "over_limit_class", "prepaid", "balance")
#: Columns a double click edits through ``rooms_set`` (its parameter names).
SET_COLUMNS: Final = ("day_class", "night_class", "alarm", "alarm2", "alarm_mode",
                      "over_limit_class")
#: rooms_set parameter -> the extension parameter written (``extension.NNN.<name>``).
PARAMETER_OF: Final = {"day_class": "day_class", "night_class": "night_class",
                       "alarm": "alarm1", "alarm2": "alarm2", "alarm_mode": "alarm_mode",
                       "over_limit_class": "over_limit_class"}
COLUMN_OF: Final = {v: k for k, v in PARAMETER_OF.items()}
EDITABLE: Final = (*SET_COLUMNS, "prepaid")
ALARM_MODES: Final = ("once", "daily")
MAX_AMOUNT: Final = Decimal("100000")

_KEY = re.compile(r"^extension\.(\d{3})\.(\w+)$")
_CLASS = re.compile(r"^[1-6][1-4]$")
_HHMM = re.compile(r"^([01]\d|2[0-3])[0-5]\d$")


@dataclass(frozen=True)
class Edit:
    """What one cell edit asks of the service: ``action`` with ``params``."""

    port: str
    column: str
    action: str
    params: dict[str, Any]


@dataclass
class Room:
    port: str
    values: dict[str, str]
    prepaid: bool = False
    over_limit: bool = False


@dataclass
class CellOutcome:
    state: str  # "pending", "written", "refused"
    reason: str = ""


def parse_amount(text: str, *, signed: bool = False) -> Decimal | str:
    """The amount in yuan, or the catalogue key of what is wrong with it."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return "rooms.bad_amount"
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01")):
        return "rooms.bad_amount"
    if amount == 0 if signed else amount <= 0:
        return "rooms.bad_amount"
    return amount


def check_value(column: str, text: str) -> str | None:
    """The catalogue key of what is wrong with ``text`` for ``column``; None when fine.
    (The service checks again against the PBX's schema; this only answers at once.)"""
    if column in ("day_class", "night_class", "over_limit_class"):
        return None if _CLASS.match(text) else "rooms.bad_class"
    if column in ("alarm", "alarm2"):
        return None if text == "" or _HHMM.match(text) else "rooms.bad_alarm"
    if column == "alarm_mode":
        return None if text in ALARM_MODES else "rooms.bad_mode"
    return None


class RoomsModel:
    """The room table (see the module docstring)."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}
        self.order: list[str] = []
        self.outcomes: dict[tuple[str, str], CellOutcome] = {}
        self.loaded = False

    # ------------------------------------------------------------------ from the service
    def load(self, rooms: list[dict[str, Any]]) -> None:
        """Take ``rooms_list``'s rows (outcomes of cells still shown are kept)."""
        self.rooms = {}
        self.order = []
        for item in rooms:
            port = str(item.get("port", ""))
            values = {name: str(item.get(name, "")) for name in
                      ("number", *SET_COLUMNS, "balance")}
            self.rooms[port] = Room(port, values, bool(item.get("prepaid")),
                                    item.get("over_limit") == "on")
            self.order.append(port)
        self.loaded = True

    def row(self, port: str) -> tuple[str, ...]:
        """The cells of ``port``'s row, in ``COLUMNS`` order (texts as shown)."""
        room = self.rooms[port]
        cells: list[str] = []
        for column in COLUMNS:
            if column == "index":
                cells.append(str(self.order.index(port) + 1))
            elif column == "port":
                cells.append(port)
            elif column == "prepaid":
                cells.append("✓" if room.prepaid else "")
            elif column in ("alarm", "alarm2"):
                cells.append(room.values.get(column) or "---")
            else:
                cells.append(room.values.get(column, ""))
        return tuple(cells)

    def row_state(self, port: str) -> str:
        """``refused``, ``pending``, ``written`` or ``""``: the worst outcome of its cells."""
        states = {o.state for (p, _c), o in self.outcomes.items() if p == port}
        for state in ("refused", "pending", "written"):
            if state in states:
                return state
        return ""

    def reasons(self, port: str) -> list[str]:
        return [f"{column}: {o.reason}" for (p, column), o in self.outcomes.items()
                if p == port and o.state == "refused"]

    # ------------------------------------------------------------------ edits
    def edit_text(self, port: str, column: str) -> str:
        """What the editor of a cell starts with (预设话费 starts empty: an amount to add)."""
        if column == "prepaid":
            return ""
        return self.rooms[port].values.get(column, "")

    def edit_request(self, port: str, column: str, text: str) -> Edit | str:
        """The request a cell edit makes, or the catalogue key of why it cannot."""
        text = text.strip()
        if column not in EDITABLE or port not in self.rooms:
            return "rooms.not_editable"
        if column == "prepaid":
            if text == "":
                if not self.rooms[port].prepaid and \
                        Decimal(self.rooms[port].values["balance"] or "0") == 0:
                    return "rooms.nothing_to_clear"
                return Edit(port, column, "rooms_clear", {"port": port})
            amount = parse_amount(text)
            if isinstance(amount, str):
                return amount
            return Edit(port, column, "rooms_topup", {"port": port, "amount": f"{amount:.2f}"})
        problem = check_value(column, text)
        if problem is not None:
            return problem
        self.outcomes[(port, column)] = CellOutcome("pending")
        return Edit(port, column, "rooms_set", {"port": port, column: text})

    def money_request(self, port: str, action: str, amount_text: str = "",
                      note: str = "") -> Edit | str:
        """A button's money request: ``rooms_topup``/``rooms_adjust`` with an amount,
        ``rooms_clear``/``rooms_release`` without."""
        params: dict[str, Any] = {"port": port}
        if note:
            params["note"] = note
        if action in ("rooms_topup", "rooms_adjust"):
            amount = parse_amount(amount_text, signed=action == "rooms_adjust")
            if isinstance(amount, str):
                return amount
            params["amount"] = f"{amount:.2f}"
        return Edit(port, "prepaid", action, params)

    def apply_set_results(self, port: str, results: list[dict[str, Any]]) -> None:
        """``rooms_set``'s results: values written, cells green or yellow."""
        for result in results:
            match = _KEY.match(str(result.get("key", "")))
            if match is None or match.group(2) not in COLUMN_OF:
                continue
            column = COLUMN_OF[match.group(2)]
            status = str(result.get("status", ""))
            room = self.rooms.get(port)
            if status in ("written", "unchanged"):
                if room is not None:
                    room.values[column] = str(result.get("value", ""))
                self.outcomes[(port, column)] = CellOutcome("written")
            else:
                self.outcomes[(port, column)] = CellOutcome(
                    "refused", str(result.get("reason") or status))

    def set_failed(self, port: str, column: str, reason: str) -> None:
        self.outcomes[(port, column)] = CellOutcome("refused", reason)

    def apply_money(self, result: dict[str, Any]) -> str:
        """A money action's result (balance, prepaid); the port it concerned."""
        port = str(result.get("port", ""))
        room = self.rooms.get(port)
        if room is not None and result.get("account", "room") == "room":
            room.values["balance"] = str(result.get("balance", room.values["balance"]))
            room.prepaid = bool(result.get("prepaid"))
            room.over_limit = bool(result.get("over_limit"))
            self.outcomes[(port, "prepaid")] = CellOutcome("written")
        return port

    def apply_event(self, event: dict[str, Any]) -> tuple[set[str], bool]:
        """An event of the service: (ports whose row changed, whether the balances must be
        asked for again)."""
        kind = event.get("event")
        if kind == "record_stored":
            return set(), True
        if kind == "parameter_changed":
            match = _KEY.match(str(event.get("key", "")))
            if match is None:
                return set(), False
            port, name = match.groups()
            room = self.rooms.get(port)
            if room is None:
                return set(), False
            column = COLUMN_OF.get(name) or (name if name == "number" else "")
            if column:
                room.values[column] = str(event.get("new", ""))
                return {port}, False
            if name == "over_limit":
                room.over_limit = event.get("new") == "on"
                return {port}, False
        return set(), False


def ledger_rows(entries: list[dict[str, Any]], timezone: str) -> list[tuple[str, ...]]:
    """The ledger dialog's rows: time (in the site's zone), kind, amount, balance, who,
    note."""
    return [(local_time(str(e.get("at", "")), timezone), str(e.get("kind", "")),
             str(e.get("amount", "")), str(e.get("balance", "")), str(e.get("who", "")),
             str(e.get("note", ""))) for e in entries]
