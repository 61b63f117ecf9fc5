"""The CRM client's per-PC settings (C-2) and its own optional password protection.

One JSON object in the data folder, ``DIR/settings.json``: the hub's address, TLS, this PC's
extension port and device, the agent's user name, the shared folder of network mode, the
language, display options, and the client's own password protection with its local users.
``CrmSettings`` checks every value when it is built (``SettingsError`` names the field and
what is allowed), so a settings dialog that builds one from its fields gets the message to
show, and a hand-edited file with a bad value is refused with the same message.

The file is written whole to a temporary file (mode 0600) that is then renamed over the old
one, so a crash never leaves half a file.  Keys this version does not know (written by a newer
one) are kept as they were.  No hub password is ever written: the unattended start reads it
from the environment (``CALLCENTER_PASSWORD``).

Password protection (C-2 "使用密码保护" and "权限设置") guards this program on this PC, not the
hub: when it is on, the window asks for a local user before it opens.  The first time it is
turned on the local user ``admin`` with password ``admin`` exists, allowed everything and
marked to change that password.  Passwords are stored as scrypt hashes
(``scrypt$n$r$p$salt$hash``, hex), each local user with the areas (``AREAS``) it may use.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

SETTINGS_FILE: Final = "settings.json"
DEFAULT_PORT: Final = 7600
DEVICES: Final = ("normal", "proprietary", "headset")
#: 外线字冠: what this PC dials before an outside number (回叫, 回拨, 呼叫); "" none.
DEFAULT_OUTSIDE_PREFIX: Final = "9"
OUTSIDE_PREFIX_PATTERN: Final = re.compile(r"[0-9*#]{0,4}")
LANGUAGES: Final = ("zh", "en")

#: What a local user may be allowed to use (权限设置); ``admin`` has them all.
AREAS: Final = (
    "customers",        # 客户资料: look up and edit customers
    "import_export",    # 客户资料 文件: import and export customers and the call log
    "call_log",         # 来电记录区: see the call log
    "clear_calls",      # 来电记录区 清空: clear the call log
    "phonebooks",       # 电话簿
    "messages",         # 内部短信
    "call_control",     # 通话区 / 功能操作区
    "settings",         # 系统设置 (this dialog, and 权限设置)
)

INITIAL_USER: Final = "admin"
INITIAL_PASSWORD: Final = "admin"
_SCRYPT_N: Final = 2 ** 14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_NAME = re.compile(r"[^\s\x00-\x1f]{1,32}")


class SettingsError(ValueError):
    """A setting cannot be used; the text names the field and what is allowed."""


def default_data_dir() -> Path:
    """%APPDATA%\\callcenter-crm on Windows, else $XDG_DATA_HOME/callcenter-crm or
    ~/.local/share/callcenter-crm (as the server picks its own folder)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "callcenter-crm"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callcenter-crm"


# ---------------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    """An scrypt hash of ``password`` with a new salt: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the ``hash_password`` value ``stored`` (False when it is
    malformed)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _valid_hash(stored: str) -> bool:
    parts = stored.split("$")
    return (len(parts) == 6 and parts[0] == "scrypt" and all(p.isdigit() for p in parts[1:4])
            and all(re.fullmatch(r"[0-9a-f]{2,256}", p) for p in parts[4:]))


@dataclass(frozen=True)
class LocalUser:
    """A user of this program's own password protection: name, scrypt hash, allowed areas."""

    name: str
    password_hash: str
    areas: frozenset[str] = frozenset(AREAS)
    must_change: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise SettingsError(f"field 'local_users.name': 1-32 characters without spaces; "
                                f"got {self.name!r}")
        if not isinstance(self.password_hash, str) or not _valid_hash(self.password_hash):
            raise SettingsError(f"field 'local_users.password_hash' of {self.name!r}: not an "
                                "scrypt hash (scrypt$n$r$p$salt$hash)")
        areas = frozenset(self.areas)
        unknown = sorted(areas - set(AREAS))
        if unknown:
            raise SettingsError(f"field 'local_users.areas' of {self.name!r}: unknown "
                                f"{', '.join(unknown)}; allowed {', '.join(AREAS)}")
        object.__setattr__(self, "areas", areas)

    def may(self, area: str) -> bool:
        """Whether this user may use ``area`` (one of AREAS)."""
        return area in self.areas

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "password_hash": self.password_hash,
                "areas": [a for a in AREAS if a in self.areas], "must_change": self.must_change}


def initial_user() -> LocalUser:
    """admin/admin, allowed everything, to be changed at first use."""
    return LocalUser(INITIAL_USER, hash_password(INITIAL_PASSWORD), frozenset(AREAS), True)


# ---------------------------------------------------------------------- settings
@dataclass(frozen=True)
class CrmSettings:
    """This PC's settings (see the module docstring); every value checked when built."""

    server_host: str = ""             # "" not set yet (first run)
    server_port: int = DEFAULT_PORT
    tls: bool = False
    trust: str = ""                   # a certificate (PEM) to trust, "" the system's
    extension: str = ""               # this PC's extension port, "001"; "" not set
    device: str = "normal"            # normal | proprietary | headset
    outside_prefix: str = DEFAULT_OUTSIDE_PREFIX  # 外线字冠: dialled before an outside number
    user: str = ""                    # the agent's account on the hub
    shared_folder: str = ""           # network mode's shared folder; "" standalone
    language: str = "zh"
    show_detail_on_pop: bool = False  # the pop opens on 详细信息 (default: 基本信息, manual 2-6 a)
    pop_on_ring: bool = True          # a ring opens the pop window
    pop_on_top: bool = True           # the pop window stays above the others
    password_protection: bool = False
    local_users: tuple[LocalUser, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check_text("server_host", self.server_host, 253)
        if self.server_host and not re.fullmatch(r"[0-9A-Za-z.:\-\[\]_%]+", self.server_host):
            raise SettingsError(f"field 'server_host': a host name or IP address; got "
                                f"{self.server_host!r}")
        if (not isinstance(self.server_port, int) or isinstance(self.server_port, bool)
                or not 0 < self.server_port <= 65535):
            raise SettingsError(f"field 'server_port': a number 1-65535; got "
                                f"{self.server_port!r}")
        for name in ("tls", "show_detail_on_pop", "pop_on_ring", "pop_on_top",
                     "password_protection"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"field {name!r}: true or false; got "
                                    f"{getattr(self, name)!r}")
        _check_text("trust", self.trust, 4096)
        _check_text("extension", self.extension, 3)
        if self.extension and (not re.fullmatch(r"[0-9]{3}", self.extension)
                               or self.extension == "000"):
            raise SettingsError(f"field 'extension': an extension port of three digits, "
                                f"001-999 (as 001); got {self.extension!r}")
        if self.device not in DEVICES:
            raise SettingsError(f"field 'device': one of {', '.join(DEVICES)}; got "
                                f"{self.device!r}")
        if not isinstance(self.outside_prefix, str) or not OUTSIDE_PREFIX_PATTERN.fullmatch(
                self.outside_prefix):
            raise SettingsError(f"field 'outside_prefix' (外线字冠): at most 4 of the keys 0-9, "
                                f"* and #, or empty; got {self.outside_prefix!r}")
        _check_text("user", self.user, 64)
        _check_text("shared_folder", self.shared_folder, 4096)
        if self.language not in LANGUAGES:
            raise SettingsError(f"field 'language': one of {', '.join(LANGUAGES)}; got "
                                f"{self.language!r}")
        users = tuple(self.local_users)
        if not all(isinstance(u, LocalUser) for u in users):
            raise SettingsError("field 'local_users': a list of local users")
        names = [u.name for u in users]
        if len(set(names)) != len(names):
            raise SettingsError("field 'local_users': a user name appears twice")
        object.__setattr__(self, "local_users", users)
        if self.password_protection and not any(u.may("settings") for u in users):
            raise SettingsError("field 'local_users': with password protection on, at least "
                                "one local user must be allowed 'settings'")

    # -------------------------------------------------------------- derived
    @property
    def configured(self) -> bool:
        """Whether the hub's address and this PC's extension port are set (else first run)."""
        return bool(self.server_host and self.extension)

    @property
    def network_mode(self) -> bool:
        return bool(self.shared_folder)

    def local_user(self, name: str) -> LocalUser | None:
        return next((u for u in self.local_users if u.name == name), None)

    def with_password_protection(self, on: bool) -> CrmSettings:
        """Protection on (adding admin/admin when there is no local user yet) or off (the
        local users are kept for the next time)."""
        users = self.local_users or ((initial_user(),) if on else ())
        return replace(self, password_protection=on, local_users=users)

    def with_local_user(self, name: str, password: str | None = None,
                        areas: Iterable[str] | None = None,
                        must_change: bool = False) -> CrmSettings:
        """Add or change a local user: a new ``password`` (hashed here; None keeps the old
        one; a new user needs one) and its ``areas`` (None keeps them; a new user gets all)."""
        old = self.local_user(name)
        if password is not None and not 1 <= len(password) <= 128:
            raise SettingsError("field 'password': 1-128 characters")
        if password is not None:
            hashed = hash_password(password)
        elif old is not None:
            hashed = old.password_hash
        else:
            raise SettingsError(f"field 'password': a new local user {name!r} needs one")
        user = LocalUser(
            name, hashed,
            frozenset(areas) if areas is not None else (old.areas if old else frozenset(AREAS)),
            must_change)
        users = [u for u in self.local_users if u.name != name]
        index = next((i for i, u in enumerate(self.local_users) if u.name == name), len(users))
        users.insert(index, user)
        return replace(self, local_users=tuple(users))

    def without_local_user(self, name: str) -> CrmSettings:
        return replace(self, local_users=tuple(u for u in self.local_users if u.name != name))

    def authenticate(self, name: str, password: str) -> LocalUser | None:
        """The local user when ``name``/``password`` match, else None (same time either way
        for an unknown name: a hash is computed anyway)."""
        user = self.local_user(name)
        if user is None:
            check_password(password, initial_user().password_hash)
            return None
        return user if check_password(password, user.password_hash) else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            data[f.name] = [u.to_dict() for u in value] if f.name == "local_users" else value
        return data


def _check_text(name: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise SettingsError(f"field {name!r}: text of at most {limit} characters; got "
                            f"{value!r}")


def settings_from_dict(data: Mapping[str, Any]) -> CrmSettings:
    """CrmSettings from a JSON object; unknown keys kept in ``extra``; SettingsError names a
    bad field."""
    known = {f.name for f in fields(CrmSettings)} - {"extra"}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    users = values.get("local_users", [])
    if not isinstance(users, list):
        raise SettingsError("field 'local_users': a list of local users")
    parsed = []
    for item in users:
        if not isinstance(item, dict):
            raise SettingsError("field 'local_users': each user is an object with name, "
                                "password_hash, areas")
        areas = item.get("areas", list(AREAS))
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            raise SettingsError("field 'local_users.areas': a list of area names")
        must = item.get("must_change", False)
        if not isinstance(must, bool):
            raise SettingsError("field 'local_users.must_change': true or false")
        parsed.append(LocalUser(item.get("name", ""), item.get("password_hash", ""),
                                frozenset(areas), must))
    values["local_users"] = tuple(parsed)
    extra = {k: v for k, v in data.items() if k not in known}
    return CrmSettings(**values, extra=extra)


def settings_path(data_dir: Path) -> Path:
    return data_dir / SETTINGS_FILE


def load_settings(data_dir: Path) -> CrmSettings:
    """The saved settings of ``data_dir`` (defaults when there is no file); SettingsError
    naming the file and the field when it cannot be used."""
    path = settings_path(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CrmSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: must hold one JSON object")
    try:
        return settings_from_dict(data)
    except TypeError as exc:  # e.g. a key the dataclass refuses
        raise SettingsError(f"{path}: {exc}") from None
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def save_settings(data_dir: Path, settings: CrmSettings) -> Path:
    """Write ``settings`` to ``DIR/settings.json`` whole (temporary file, mode 0600, renamed
    over the old one); the folder is made (0700) if missing.  Returns the file's path."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = settings_path(data_dir)
    text = json.dumps(settings.to_dict(), ensure_ascii=False, indent=2) + "\n"
    write_private(path, text.encode("utf-8"))
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: a 0600 temporary file beside it, flushed to
    disk, renamed over it."""
    fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(temp, 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
