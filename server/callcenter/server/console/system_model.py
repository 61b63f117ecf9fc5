"""系统设置, the models of its tabs: pure (no Tk), tested without a display.

- the server settings grouped as the original's dialogs group them (数据设置 with the hotel
  bill file, 串口转发, the agent hub with TLS and the time zone), each a typed field;
- the operator rights (口令设置, manual 1-7-02): ``console.operator_modules`` as a set of
  module names;
- the PBX port form (串口设置, shared with the first-start dialog): checked into the
  parameters of ``link_configure``;
- the connected clients (S-44), live from ``client_connected``/``client_disconnected``;
- the tariff (计费设置, S-35) as an editable table of rows;
- the audit log's filter (B-4) as ``audit_list`` parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from callcenter.server.console.times import local_time, site_zone

#: The settings tabs (catalogue ``system.tab.<name>``) and the settings each shows.
SETTING_TABS: Final = {
    "data": ("retention_days", "hotel_bill.enabled", "hotel_bill.path", "hotel_bill.encoding"),
    "forward": ("hotel_forward.enabled", "hotel_forward.url", "hotel_forward.baud"),
    "hub": ("timezone", "agent.password_required", "agent.lockout_minutes", "agent.tls_cert",
            "agent.tls_key", "agent.admin_only_actions", "pbx.id", "pbx.ack_timeout",
            "pbx.retries"),
}
#: The console modules an administrator may give operators, in the main window's order.
OPERATOR_MODULES: Final = ("system", "parameters", "monitor", "records", "rooms", "backup")
BAUDS: Final = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
PARITIES: Final = ("N", "E", "O")
BYTESIZES: Final = (7, 8)
STOPBITS: Final = (1, 2)
ROLES: Final = ("operator", "admin", "agent")
#: The tariff table's columns (the manual's 计费设置, 1-3-36).
TARIFF_COLUMNS: Final = ("prefix", "description", "initial_seconds", "initial_charge",
                         "interval_seconds", "interval_charge", "service_type")

_URL_SCHEMES = ("socket://", "rfc2217://", "loop://", "spy://", "alt://", "hwgrep://")
_PORT_NAME = re.compile(r"^(COM\d{1,3}|/dev/\S+)$", re.IGNORECASE)
_DIGITS = re.compile(r"^[0-9*#]{1,20}$")


@dataclass(frozen=True)
class Setting:
    key: str
    value: str
    default: str
    allowed: str
    doc: str

    @property
    def boolean(self) -> bool:
        return self.allowed.startswith("true or false")


def settings_from(answer: dict[str, Any]) -> dict[str, Setting]:
    """``settings_get``'s answer by key."""
    return {str(s["key"]): Setting(str(s["key"]), str(s.get("value", "")),
                                   str(s.get("default", "")), str(s.get("allowed", "")),
                                   str(s.get("doc", "")))
            for s in answer.get("settings") or ()}


def bool_text(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "on", "1")


def modules_of(value: str) -> set[str]:
    """``console.operator_modules`` as a set of module names."""
    return {name.strip() for name in value.split(",") if name.strip()}


def modules_value(modules: set[str]) -> str:
    """The setting's text for a set of modules, in the main window's order."""
    return ",".join(name for name in OPERATOR_MODULES if name in modules)


# ---------------------------------------------------------------------- the PBX port
def port_problem(url: str) -> str | None:
    """The catalogue key of what is wrong with a port or URL; None when it may be tried.
    (The service checks it again with pyserial, and says why it refuses.)"""
    url = url.strip()
    if not url:
        return "link.need_port"
    if url.startswith(_URL_SCHEMES):
        if url.startswith(("socket://", "rfc2217://")):
            rest = url.split("://", 1)[1]
            host, _, port = rest.partition(":")
            if not host or not port.split("?")[0].isdigit():
                return "link.bad_url"
        return None
    if "://" in url:
        return "link.bad_url"
    return None if _PORT_NAME.match(url) or url.startswith("/") else "link.bad_url"


def link_params(url: str, baud: str, bytesize: str, parity: str,
                stopbits: str) -> dict[str, Any] | str:
    """``link_configure``'s parameters from the form's texts, or the catalogue key of the
    first problem."""
    problem = port_problem(url)
    if problem is not None:
        return problem
    try:
        values = {"baud": int(baud), "bytesize": int(bytesize), "stopbits": int(stopbits)}
    except ValueError:
        return "link.bad_line"
    if values["baud"] not in BAUDS or values["bytesize"] not in BYTESIZES \
            or values["stopbits"] not in STOPBITS or parity not in PARITIES:
        return "link.bad_line"
    return {"url": url.strip(), **values, "parity": parity}


# ---------------------------------------------------------------------- clients (S-44)
CLIENT_FIELDS: Final = ("address", "remote_port", "user", "role", "extension", "device",
                        "since")


class ClientsModel:
    """The connections to the hub, by (address, remote port)."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], dict[str, str]] = {}

    @staticmethod
    def _key(item: dict[str, Any]) -> tuple[str, str]:
        return str(item.get("address", "")), str(item.get("remote_port", ""))

    def load(self, clients: list[dict[str, Any]]) -> None:
        self.clients = {self._key(c): {f: str(c.get(f, "")) for f in CLIENT_FIELDS}
                        for c in clients}

    def apply(self, event: dict[str, Any]) -> bool:
        """A ``client_connected``/``client_disconnected`` event; whether anything changed."""
        kind = event.get("event")
        if kind == "client_connected":
            self.clients[self._key(event)] = {f: str(event.get(f, "")) for f in CLIENT_FIELDS}
            return True
        if kind == "client_disconnected":
            return self.clients.pop(self._key(event), None) is not None
        return False

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(c[f] for f in CLIENT_FIELDS)
                for _k, c in sorted(self.clients.items())]


# ---------------------------------------------------------------------- tariff (S-35)
class TariffModel:
    """The tariff being edited: ``tariff_get``'s object, its rows as texts."""

    def __init__(self) -> None:
        self.tariff: dict[str, Any] = {}
        self.rows: list[dict[str, str]] = []
        self.holidays: list[str] = []  # yyyy-mm-dd, sorted
        self.version = ""
        self.dirty = False

    def load(self, answer: dict[str, Any]) -> None:
        self.tariff = dict(answer.get("tariff") or {})
        self.version = str(answer.get("version", ""))
        self.rows = [{c: str(row.get(c, "")) for c in TARIFF_COLUMNS}
                     for row in self.tariff.get("rows") or ()]
        self.holidays = sorted({str(d) for d in self.tariff.get("holidays") or ()})
        self.dirty = False

    def service_names(self, language: str) -> dict[str, str]:
        key = "name_zh" if language == "zh" else "name_en"
        return {str(t.get("code")): str(t.get(key, "")) for t in
                self.tariff.get("service_types") or ()}

    def set_cell(self, index: int, column: str, text: str) -> str | None:
        """Change one cell; the catalogue key of what is wrong, None when taken."""
        problem = cell_problem(column, text.strip())
        if problem is not None:
            return problem
        self.rows[index][column] = text.strip()
        self.dirty = True
        return None

    def add_row(self) -> int:
        self.rows.append({"prefix": "", "description": "", "initial_seconds": "0",
                          "initial_charge": "0.00", "interval_seconds": "60",
                          "interval_charge": "0.00", "service_type": "0"})
        self.dirty = True
        return len(self.rows) - 1

    def remove_row(self, index: int) -> None:
        del self.rows[index]
        self.dirty = True

    def add_holiday(self, text: str) -> str | None:
        """Add a holiday (yyyy-mm-dd); the catalogue key of what is wrong, None when taken
        (a day already listed is taken and stays once)."""
        day = day_text(text)
        if day is None:
            return "tariff.bad_day"
        if day not in self.holidays:
            self.holidays = sorted([*self.holidays, day])
            self.dirty = True
        return None

    def remove_holiday(self, day: str) -> None:
        if day in self.holidays:
            self.holidays = [d for d in self.holidays if d != day]
            self.dirty = True

    def to_save(self) -> dict[str, Any] | tuple[int, str]:
        """The tariff for ``tariff_save``, or (row index, catalogue key) of a bad row."""
        rows: list[dict[str, Any]] = []
        for index, row in enumerate(self.rows):
            for column in TARIFF_COLUMNS:
                problem = cell_problem(column, row[column])
                if problem is not None:
                    return index, problem
            rows.append({"prefix": row["prefix"], "description": row["description"],
                         "initial_seconds": int(row["initial_seconds"]),
                         "initial_charge": row["initial_charge"],
                         "interval_seconds": int(row["interval_seconds"]),
                         "interval_charge": row["interval_charge"],
                         "service_type": int(row["service_type"])})
        return {**{k: v for k, v in self.tariff.items() if k != "version"}, "rows": rows,
                "holidays": list(self.holidays)}


def day_text(text: str) -> str | None:
    """``text`` as a day yyyy-mm-dd, or None when it is not one."""
    try:
        return date.fromisoformat(text.strip()).isoformat() if len(text.strip()) == 10 \
            else None
    except ValueError:
        return None


def rerate_params(first: str, last: str) -> dict[str, Any] | str:
    """``tariff_rerate``'s parameters from two picked days, or the catalogue key of what is
    wrong."""
    day_from, day_to = day_text(first), day_text(last)
    if day_from is None or day_to is None:
        return "tariff.bad_day"
    if day_to < day_from:
        return "tariff.bad_range"
    return {"from": day_from, "to": day_to}


#: ``how`` of the versions list's rows that no save recorded: the version in force (a fresh
#: store's built-in tariff, or a tariff file no save recorded), and the version the oldest
#: save replaced.
BUILT_IN_IN_FORCE, IN_FORCE, BUILT_IN, EARLIER = "built_in_in_force", "in_force", "built_in", \
    "earlier"


def version_row(entry: dict[str, Any], timezone: str = "UTC") -> tuple[str, ...]:
    """One line of the versions list: when (in the site's time zone), version, how, who."""
    saved_at = str(entry.get("saved_at", ""))
    return (local_time(saved_at, timezone) if saved_at else "", str(entry.get("version", "")),
            str(entry.get("how", "")), str(entry.get("who", "")))


def version_rows(entries: list[dict[str, Any]], in_force: str, built_in: str,
                 timezone: str, *, complete: bool = True) -> list[tuple[str, ...]]:
    """The versions list: the saved versions (newest first, as ``tariff_versions`` gives
    them), led by the version in force when none of them is it, and -- when ``entries`` are
    all there are (``complete``) -- ended by the version the oldest save replaced."""
    rows = [version_row(entry, timezone) for entry in entries]
    listed = {str(e.get("version", "")) for e in entries}
    if in_force and in_force not in listed:
        rows.insert(0, ("", in_force, BUILT_IN_IN_FORCE if in_force == built_in else IN_FORCE,
                        ""))
        listed.add(in_force)
    first = str(entries[-1].get("old_version") or "") if entries and complete else ""
    if first and first not in listed:
        rows.append(("", first, BUILT_IN if first == built_in else EARLIER, ""))
    return rows


def cell_problem(column: str, text: str) -> str | None:
    if column == "prefix":
        return None if _DIGITS.match(text) else "tariff.bad_prefix"
    if column in ("initial_seconds", "interval_seconds", "service_type"):
        return None if text.isdigit() else "tariff.bad_number"
    if column in ("initial_charge", "interval_charge"):
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return "tariff.bad_money"
        ok = amount.is_finite() and amount >= 0 and amount == amount.quantize(Decimal("0.0001"))
        return None if ok else "tariff.bad_money"
    return None


# ---------------------------------------------------------------------- audit (B-4)
def audit_params(day_from: str, day_to: str, who: str, key: str,
                 timezone: str) -> dict[str, Any] | str:
    """``audit_list`` filters from the form: dates ``YYYY-MM-DD`` in the site's time zone
    (``to`` includes its day), ``who`` and ``key`` exact; or the catalogue key of a bad
    date."""
    zone = site_zone(timezone)
    params: dict[str, Any] = {}
    for name, given, extra in (("from", day_from, 0), ("to", day_to, 1)):
        if not given.strip():
            continue
        try:
            day = date.fromisoformat(given.strip())
        except ValueError:
            return "audit.bad_date"
        params[name] = datetime.combine(day + timedelta(days=extra), time(),
                                        zone).isoformat()
    if who.strip():
        params["who"] = who.strip()
    if key.strip():
        params["key"] = key.strip()
    return params


def audit_row(entry: dict[str, Any], timezone: str = "UTC") -> tuple[str, ...]:
    """One line of the audit list, its time in the site's time zone."""
    return (local_time(str(entry.get("at", "")), timezone), str(entry.get("who", "")),
            str(entry.get("what", "")), str(entry.get("key", "")), str(entry.get("old", "")),
            str(entry.get("new", "")), str(entry.get("result", "")))


def alert_row(alert: dict[str, Any], timezone: str = "UTC") -> tuple[str, ...]:
    """One line of the alerts list, its time in the site's time zone."""
    return (str(alert.get("id", "")), local_time(str(alert.get("created_at", "")), timezone),
            str(alert.get("kind", "")), str(alert.get("text", "")),
            "✓" if alert.get("resolved") else "")
