"""Server settings: one registry of keys, validated, stored in the ``setting`` table, audited.

Each ``SettingSpec`` declares a key, its default, what is allowed (as text for messages) and a
parser from text to value that raises ``ValueError`` with the reason. ``set_setting`` validates
before it touches the store, so a bad value changes nothing; a good one is written together with
an ``AuditEntry`` in one transaction. Values are kept as JSON; keys never set read as their
default. ``callcenter-server settings get|set`` is ``add_settings_parser`` + ``run_settings``.
"""

from __future__ import annotations

import codecs
import functools
import getpass
import importlib
import json
import logging
import os
import pkgutil
import re
import string
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import serial

from callcenter.common.agent.spec import MODULES
from callcenter.common.pbx.line import BAUD_RATES, LineSettings, LineSettingsError
from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.models import AuditEntry, Setting, utc_now

log = logging.getLogger(__name__)


class SettingError(ValueError):
    """An unknown key or a value that is not allowed; the text names the key and what is."""


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    allowed: str
    description: str
    parse: Callable[[str], Any]
    #: Checked only when a value is set (not when a stored one is read back), e.g. that a
    #: file exists now: a stored value whose file went away must not read as the default.
    check_new: Callable[[Any], None] | None = None

    def validate(self, text: str) -> Any:
        """The value ``text`` stands for, or SettingError naming the key and what is allowed."""
        try:
            return self.parse(text.strip())
        except (ValueError, LookupError) as exc:
            raise self._error(text, exc) from None

    def validate_new(self, text: str) -> Any:
        """``validate``, and the checks of a value about to be set (``check_new``)."""
        value = self.validate(text)
        if self.check_new is not None:
            try:
                self.check_new(value)
            except ValueError as exc:
                raise self._error(text, exc) from None
        return value

    def _error(self, text: str, exc: Exception) -> SettingError:
        reason = f" ({exc})" if str(exc) else ""
        return SettingError(f"{self.key}: {text!r} is not allowed{reason}; "
                            f"allowed: {self.allowed}")


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.lstrip("-").isdigit():
            raise ValueError("not a whole number")
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError(f"out of range {lo}-{hi}")
        return value
    return parse


def _float_in(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not lo <= value <= hi:  # also false for nan
            raise ValueError(f"out of range {lo:g}-{hi:g}")
        return value
    return parse


_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("")


def _any_text(text: str) -> str:
    if not text.isprintable():
        raise ValueError("contains control characters")
    return text


@functools.cache
def _url_handler(scheme: str) -> bool:
    """Whether ``serial.serial_for_url`` has a handler for ``scheme://`` (found as it finds
    one: a module ``protocol_<scheme>`` in ``serial.protocol_handler_packages``)."""
    if not re.fullmatch(r"[a-z0-9_]+", scheme):
        return False
    for package in serial.protocol_handler_packages:
        try:
            importlib.import_module(f".protocol_{scheme}", package)
        except ImportError:
            continue
        return True
    return False


def url_schemes() -> list[str]:
    """The ``scheme://`` URLs this pyserial opens (socket, rfc2217, loop, spy, alt, hwgrep)."""
    found = set()
    for package in serial.protocol_handler_packages:
        try:
            path = importlib.import_module(package).__path__
        except (ImportError, AttributeError):
            continue
        found |= {m.name.removeprefix("protocol_") for m in pkgutil.iter_modules(path)
                  if m.name.startswith("protocol_")}
    return sorted(s for s in found if _url_handler(s))


def _port_url(text: str) -> str:
    """"" (none) or what ``serial.serial_for_url`` opens: COM3, /dev/ttyUSB0, socket://h:p ..."""
    if text and (not text.isprintable() or any(c.isspace() for c in text)):
        raise ValueError("must not contain spaces or control characters")
    if "://" not in text:
        return text  # a serial port name or path (COM3, /dev/ttyUSB0, a pty)
    scheme = text.split("://", 1)[0].lower()
    if not _url_handler(scheme):
        raise ValueError(f"pyserial cannot open {scheme}:// URLs (it opens "
                         f"{', '.join(s + '://' for s in url_schemes())})")
    if scheme in ("socket", "rfc2217"):
        parts = urlsplit(text)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ValueError(f"write {scheme}://HOST:PORT with a port number 0-65535")
    return text


def _pbx_id(text: str) -> str:
    if not (1 <= len(text) <= 32 and all(c.isascii() and (c.isalnum() or c in "-_")
                                         for c in text)):
        raise ValueError(f"{text!r} is not 1-32 letters, digits, - or _")
    return text


#: What a hotel bill line holds besides Chinese type names: it must encode byte for byte.
_ASCII_SAMPLE: Final = string.printable


def _codec(text: str) -> str:
    """A text encoding that writes ASCII as ASCII (the bill's columns are counted in bytes;
    see docs/hotel-link.md): gbk, gb18030, utf-8 ...; not utf-16, not base64 or zlib."""
    if not text:
        raise ValueError("empty")
    info = codecs.lookup(text)  # LookupError for an unknown name
    if not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"{info.name} is not a text encoding")
    try:
        same = _ASCII_SAMPLE.encode(info.name) == _ASCII_SAMPLE.encode("ascii")
    except (UnicodeError, LookupError):
        same = False
    if not same:
        raise ValueError(f"{info.name} does not write digits, letters and spaces as one byte "
                         "each, which the hotel bill's fixed columns need")
    return text.lower()


def _timezone(text: str) -> str:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name") from None
    return text


def _line(field: str) -> Callable[[str], Any]:
    """A serial-line field, validated by LineSettings itself."""
    def parse(text: str) -> Any:
        value: Any = text.upper() if field == "parity" else _int_in(0, 10**7)(text)
        try:
            LineSettings(**{field: value})
        except LineSettingsError as exc:
            raise ValueError(str(exc)) from None
        return value
    return parse


def _readable_file(text: str) -> None:
    """"" (none) or the path of a file this process can read now: a TLS file that does not
    exist would only stop the next start."""
    if not text:
        return
    path = os.path.expanduser(text)
    if not os.path.isfile(path):
        raise ValueError("no such file" if not os.path.exists(path) else "not a file")
    if not os.access(path, os.R_OK):
        raise ValueError("the file is not readable")


def _agent_actions(text: str) -> str:
    """Comma-separated agent-protocol actions, normalised to "a,b" in catalogue order."""
    from callcenter.common.agent.catalog import ACTIONS  # noqa: PLC0415 - only this setting

    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(ACTIONS) | names & {"ping", "change_password"})
    if unknown:
        raise ValueError(f"not restrictable: {', '.join(unknown)}")
    return ",".join(name for name in ACTIONS if name in names)


def _modules(text: str) -> str:
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(MODULES))
    if unknown:
        raise ValueError(f"not console modules: {', '.join(unknown)}")
    return ",".join(name for name in MODULES if name in names)


_BOOL: Final = "true or false (also yes/no, on/off, 1/0)"
_BAUDS: Final = ", ".join(map(str, BAUD_RATES))

SETTINGS: Final[tuple[SettingSpec, ...]] = (
    SettingSpec("retention_days", 90, "a whole number of days 1-3650",
                "records older than this move to the monthly archives", _int_in(1, 3650)),
    SettingSpec("timezone", "Asia/Shanghai", "an IANA time zone name such as Asia/Shanghai",
                "the site's time zone, for dates typed by users and printed in reports",
                _timezone),
    SettingSpec("console.operator_modules", "monitor,records,rooms",
                "console module names separated by commas, of: " + ", ".join(MODULES)
                + "; empty for none",
                "the console modules operators may use (the manual's 口令设置, 1-7-02); admins "
                "use every module", _modules),
    SettingSpec("pbx.url", "", "a serial port (COM3, /dev/ttyUSB0) or pyserial URL "
                "(socket://HOST:PORT, rfc2217://HOST:PORT, loop://, spy://, alt://, "
                "hwgrep://); empty for none",
                "where the PBX is connected", _port_url),
    SettingSpec("pbx.id", "main", "a short name of letters, digits, - or _",
                "names this PBX in the call-record store; change it when a new PBX whose "
                "record numbers start again replaces the old one", _pbx_id),
    SettingSpec("pbx.baud", 9600, f"one of {_BAUDS}", "PBX line speed", _line("baud")),
    SettingSpec("pbx.bytesize", 8, "7 or 8", "PBX line data bits", _line("bytesize")),
    SettingSpec("pbx.parity", "N", "N, E or O", "PBX line parity", _line("parity")),
    SettingSpec("pbx.stopbits", 1, "1 or 2", "PBX line stop bits", _line("stopbits")),
    SettingSpec("pbx.ack_timeout", 3.0, "seconds, 0.05-60",
                "how long the link waits for the PBX to acknowledge a frame before it sends "
                "it again", _float_in(0.05, 60.0)),
    SettingSpec("pbx.retries", 3, "a whole number 0-20",
                "how many times a frame is sent again before the link counts as lost",
                _int_in(0, 20)),
    SettingSpec("hotel_bill.enabled", False, _BOOL,
                "append each stored record to the hotel bill file (S-43)", _bool),
    SettingSpec("hotel_bill.path", "", "a file path; empty for DIR/HotelBill.TXT",
                "the hotel bill file", _any_text),
    SettingSpec("hotel_bill.encoding", "gbk", "a Python codec name of an ASCII-compatible text "
                "encoding such as gbk, gb18030, utf-8",
                "text encoding of the hotel bill file", _codec),
    SettingSpec("hotel_forward.enabled", False, _BOOL,
                "send each stored record to the hotel system's serial port (S-43)", _bool),
    SettingSpec("hotel_forward.url", "", "a serial port or pyserial URL; empty for none",
                "the hotel system's serial port", _port_url),
    SettingSpec("hotel_forward.baud", 9600, f"one of {_BAUDS}", "hotel port line speed",
                _line("baud")),
    SettingSpec("agent.password_required", True, _BOOL,
                "agent hub logins need the account's password (S-41, B-6); false: any "
                "password is accepted for an existing account", _bool),
    SettingSpec("agent.lockout_minutes", 5, "a whole number of minutes 1-1440",
                "how long five failed logins lock an account", _int_in(1, 1440)),
    SettingSpec("agent.tls_cert", "", "a PEM certificate file path; empty for no TLS",
                "the agent hub's TLS certificate (with agent.tls_key: TLS on)", _any_text,
                _readable_file),
    SettingSpec("agent.tls_key", "", "a PEM private key file path; empty for no TLS",
                "the agent hub's TLS private key", _any_text, _readable_file),
    SettingSpec("agent.message_retention_days", 90, "a whole number of days 1-3650",
                "internal messages older than this are deleted from the history",
                _int_in(1, 3650)),
    SettingSpec("agent.admin_only_actions", "", "agent-protocol action names separated by "
                "commas (not ping or change_password); empty for none",
                "hub actions only admins may use (the manual's admin-only flags, 1-7-02)",
                _agent_actions),
)

REGISTRY: Final[dict[str, SettingSpec]] = {spec.key: spec for spec in SETTINGS}


def spec_for(key: str) -> SettingSpec:
    """The declaration of ``key``, or SettingError listing the known keys."""
    spec = REGISTRY.get(key)
    if spec is None:
        raise SettingError(f"unknown setting {key!r}; known: {', '.join(REGISTRY)}")
    return spec


def format_value(value: Any) -> str:
    """A value as the CLI prints it and ``set_setting`` accepts it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(spec: SettingSpec, stored: str) -> Any:
    try:
        return spec.validate(format_value(json.loads(stored)))
    except (ValueError, TypeError):
        log.warning("setting %s: stored value %r is not valid; using the default",
                    spec.key, stored)
        return spec.default


def get_setting(key: str) -> Any:
    """The current value of ``key`` (its default if never set)."""
    spec = spec_for(key)
    row = Setting.get_or_none(Setting.key == key)
    return spec.default if row is None else _decode(spec, row.value)


def site_zone() -> zoneinfo.ZoneInfo | None:
    """The site's time zone (setting ``timezone``): the one every time is shown in; None
    (then this computer's zone is used) when no store is open or the zone is unknown here.
    The one reader of the setting for the service, the commands and the reports."""
    try:
        return zoneinfo.ZoneInfo(str(get_setting("timezone")))
    except Exception as exc:  # no store open (a report drawn without one), an unknown zone
        log.debug("time zone setting unusable (%s): this computer's zone is used", exc)
        return None


def all_settings() -> dict[str, Any]:
    """Every setting's current value, in registry order."""
    stored = {row.key: row.value for row in Setting.select()}
    return {spec.key: spec.default if spec.key not in stored else _decode(spec, stored[spec.key])
            for spec in SETTINGS}


def set_setting(key: str, text: str, who: str) -> Any:
    """Validate ``text`` for ``key``, store it and audit the change; returns the new value.

    A bad key or value raises SettingError and changes nothing.
    """
    spec = spec_for(key)
    value = spec.validate_new(text)
    new = json.dumps(value)
    now = utc_now()
    with write_transaction(database):
        row = Setting.get_or_none(Setting.key == key)
        old = None if row is None else str(row.value)
        if row is None:
            Setting.insert(key=key, value=new, updated_at=now).execute()
        else:
            Setting.update(value=new, updated_at=now).where(Setting.key == key).execute()
        AuditEntry.insert(who=who, what="setting", key=key, old=old, new=new, at=now).execute()
    log.info("setting %s = %s (by %s)", key, format_value(value), who)
    return value


def cli_user() -> str:
    """``cli:<OS user>``, the ``who`` of changes made from the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"
