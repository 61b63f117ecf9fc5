"""The CRM store's values: customers, call-log entries, phonebook entries, monitor icons and
messages as frozen dataclasses (what ``CrmStore`` takes and returns), and the store's errors.

The field names and their manual labels (客户名称, 分机号码, ...) are the contract of
/work/briefs/crm-contract.md; ``CUSTOMER_LABELS`` pairs each field with the manual's label (the
importer's Chinese headers, the exporter's columns). ``check_customer`` is the one validation of
a customer before it is saved or imported: its message names the field and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final

from callcenter.crm_client.phone import normalise_number, numbers_in

__all__ = [
    "BOOKS", "CUSTOMER_LABELS", "DIRECTIONS", "CallEntry", "Customer", "MessageEntry",
    "MonitorIcon", "PhonebookEntry", "ShareUnavailable", "StoreError", "VersionConflict",
    "check_call", "check_customer", "check_phonebook_entry", "customer_digits",
]


class StoreError(Exception):
    """A value the store refuses or a database it cannot use; the message names the field (or
    the file) and what is allowed."""


@dataclass(frozen=True)
class Customer:
    """A customer record (C-4). ``id`` 0: not saved yet. ``version`` is bumped by every save;
    a save must name the version it read (else ``VersionConflict``)."""

    id: int = 0
    name: str = ""
    extension: str = ""
    email: str = ""
    phones: tuple[str, ...] = ()
    mobile: str = ""
    fax: str = ""
    position: str = ""
    kind: str = ""
    customer_no: str = ""
    company: str = ""
    address: str = ""
    handler: str = ""
    department: str = ""
    notes: str = ""
    vip: bool = False
    blacklist: bool = False
    blacklist_reason: str = ""
    version: int = 0

    def numbers(self) -> tuple[str, ...]:
        """The phone numbers and the mobile, as typed (empty ones left out)."""
        return tuple(n for n in (*self.phones, self.mobile) if n.strip())


class VersionConflict(StoreError):
    """Another PC (or window) saved or deleted the customer after it was read. ``current`` is
    the customer as it is now, or None when it was deleted."""

    def __init__(self, message: str, current: Customer | None) -> None:
        super().__init__(message)
        self.current = current


class ShareUnavailable(StoreError):
    """The shared folder of network mode cannot be reached. Raised by reads (nothing to show),
    and by writes after the write was queued in the local outbox (``CrmStore.replay_outbox``
    applies it once the share is back)."""


DIRECTIONS: Final = ("in", "out", "internal")


@dataclass(frozen=True)
class CallEntry:
    """One call in the call log (C-5). ``key`` is unique: the same call logged twice (a retry,
    an outbox replay, the ring and the hang-up) is one entry."""

    key: str
    time: datetime
    number: str
    name: str = ""
    direction: str = "in"
    answered: bool = False
    duration: int = 0
    extension: str = ""
    user: str = ""
    description: str = ""


BOOKS: Final = ("common", "company", "customer")


@dataclass(frozen=True)
class PhonebookEntry:
    """An entry of one of the three phonebooks (C-8): 常用电话 common, 公司电话 company,
    客户电话 customer."""

    id: int = 0
    book: str = "common"
    name: str = ""
    number: str = ""
    company: str = ""
    notes: str = ""


@dataclass(frozen=True)
class MonitorIcon:
    """An extension-monitor icon of this PC (分机监控): the port watched, its label, its place."""

    port: str
    label: str = ""
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class MessageEntry:
    """An internal message (内部短信) kept on this PC; ``key`` unique (the hub's message id)."""

    key: str
    time: datetime
    sender: str
    recipient: str
    text: str


#: Customer field -> the manual's label (客户资料 form), in the form's order.
CUSTOMER_LABELS: Final[dict[str, str]] = {
    "name": "客户名称", "extension": "分机号码", "email": "邮箱", "phones": "电话号码",
    "mobile": "手机", "fax": "传真", "position": "客户职位", "kind": "客户类型",
    "customer_no": "客户编号", "company": "公司名称", "address": "地址", "handler": "受理人",
    "department": "受理部门", "notes": "描述或备注", "vip": "重要客户", "blacklist": "列入黑名单",
    "blacklist_reason": "原因",
}

#: Longest text accepted per field (characters); notes and address are long, the rest short.
_MAX_LENGTH: Final[dict[str, int]] = {"notes": 10_000, "address": 1_000, "blacklist_reason": 1_000}
_DEFAULT_MAX: Final = 200
_TEXT_FIELDS: Final = tuple(f.name for f in fields(Customer)
                            if f.name not in ("id", "version", "phones", "vip", "blacklist"))
_TEXT_LIMITS: Final = tuple((name, _MAX_LENGTH.get(name, _DEFAULT_MAX)) for name in _TEXT_FIELDS)


def _label(field: str) -> str:
    return f"{CUSTOMER_LABELS.get(field, field)} ({field})"


def customer_digits(c: Customer) -> list[str]:
    """The index keys of a customer's numbers (phones and mobile, each field possibly holding
    several numbers), without repeats, in order."""
    keys: list[str] = []
    for typed in c.numbers():
        for number in numbers_in(typed):
            key = normalise_number(number)
            if key and key not in keys:
                keys.append(key)
    return keys


def check_customer(c: Customer) -> list[str]:
    """Raise StoreError naming the first field that cannot be saved and what is allowed; else
    the index keys of its numbers (as ``customer_digits``, computed once here)."""
    for name, limit in _TEXT_LIMITS:
        value = getattr(c, name)
        if value.__class__ is not str and not isinstance(value, str):
            raise StoreError(f"{_label(name)}: must be text, not {type(value).__name__}")
        if len(value) > limit:
            raise StoreError(f"{_label(name)}: at most {limit} characters (got {len(value)})")
    phones = c.phones
    if not isinstance(phones, tuple) or not all(isinstance(p, str) for p in phones):
        raise StoreError(f"{_label('phones')}: must be a tuple of texts")
    if len(phones) > 20 or sum(len(p) for p in phones) > 1_000:
        raise StoreError(f"{_label('phones')}: at most 20 numbers and 1000 characters")
    keys: list[str] = []
    for name, values in (("phones", phones), ("mobile", (c.mobile,)), ("fax", (c.fax,))):
        for typed in values:
            if not typed or typed.isspace():
                continue
            pieces = numbers_in(typed)
            if not pieces:
                raise StoreError(f"{_label(name)}: {typed!r} holds no digits (a phone number, "
                                 "several separated by commas)")
            for number in pieces:
                key = normalise_number(number)
                if not key:
                    raise StoreError(f"{_label(name)}: {number!r} is not a phone number "
                                     "(digits, with spaces, -, (), + allowed)")
                if name != "fax" and key not in keys:
                    keys.append(key)
    if c.email and ("@" not in c.email or c.email.strip() != c.email or " " in c.email):
        raise StoreError(f"{_label('email')}: {c.email!r} is not an e-mail address "
                         "(name@domain, no spaces)")
    if not keys and not c.name.strip():
        raise StoreError(f"{_label('name')}: a customer needs a name or a phone number")
    if c.vip.__class__ is not bool or c.blacklist.__class__ is not bool:
        raise StoreError(f"{_label('vip')}/{_label('blacklist')}: must be true or false")
    return keys


def check_call(e: CallEntry) -> None:
    """Raise StoreError naming the first field of a call-log entry that cannot be saved."""
    if not e.key or len(e.key) > 200:
        raise StoreError("call key: 1 to 200 characters")
    if not isinstance(e.time, datetime) or e.time.utcoffset() is None:
        raise StoreError(f"call time: must be a datetime with a UTC offset (got {e.time!r})")
    if e.direction not in DIRECTIONS:
        raise StoreError(f"call direction: {e.direction!r} is not one of {', '.join(DIRECTIONS)}")
    if isinstance(e.duration, bool) or not isinstance(e.duration, int) or e.duration < 0:
        raise StoreError(f"call duration: seconds, 0 or more (got {e.duration!r})")
    for name in ("number", "name", "extension", "user", "description"):
        if len(getattr(e, name)) > 500:
            raise StoreError(f"call {name}: at most 500 characters")


def check_phonebook_entry(e: PhonebookEntry) -> None:
    """Raise StoreError naming the first field of a phonebook entry that cannot be saved."""
    if e.book not in BOOKS:
        raise StoreError(f"phonebook book: {e.book!r} is not one of {', '.join(BOOKS)} "
                         "(常用电话, 公司电话, 客户电话)")
    if not normalise_number(e.number):
        raise StoreError(f"phonebook number: {e.number!r} is not a phone number")
    for name, limit in (("name", 200), ("number", 200), ("company", 200), ("notes", 10_000)):
        if len(getattr(e, name)) > limit:
            raise StoreError(f"phonebook {name}: at most {limit} characters")
