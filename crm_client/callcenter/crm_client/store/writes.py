"""The writes to the shared tables, each a function of a plain JSON-able payload, so the same
write runs now or later from the outbox, and runs harmlessly twice.

Every function here runs inside the caller's write transaction (``Gateway.run(write=True)``) and
is idempotent by its keys:

- a new customer or phonebook entry carries a uuid made on the PC that typed it: a second run
  finds the row and returns it instead of inserting another;
- a customer update carries a write id, stored in the row: a second run sees it and returns
  the row as it is; an update whose expected version is no longer current (another PC saved
  first) raises ``VersionConflict``; a delete of a row already gone is done;
- a call-log entry is keyed: a second entry with the key merges into the first (answered if
  either was, the longer duration, texts filled in) and reports that it was not new.

Also the conversions between rows and the record dataclasses, and the index rows (normalised
numbers, search text) of a customer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from operator import attrgetter
from typing import Any, Final

from callcenter.crm_client.phone import normalise_number
from callcenter.crm_client.store.models import SharedModels
from callcenter.crm_client.store.records import (
    CallEntry,
    Customer,
    PhonebookEntry,
    StoreError,
    VersionConflict,
    customer_digits,
)

__all__ = [
    "CUSTOMER_DATA",
    "apply_write",
    "call_from_row",
    "call_payload",
    "customer_fields",
    "customer_from_row",
    "customer_from_tuple",
    "customer_values",
    "format_utc",
    "index_rows",
    "parse_time",
    "phonebook_from_row",
    "write_index",
]

#: The stored columns of a customer's data, in the dataclass's order.
CUSTOMER_DATA: Final = tuple(f.name for f in fields(Customer) if f.name not in ("id", "version"))
_PHONES: Final = CUSTOMER_DATA.index("phones")
_FLAGS: Final = (CUSTOMER_DATA.index("vip"), CUSTOMER_DATA.index("blacklist"))
_DATA_OF: Final = attrgetter(*CUSTOMER_DATA)


_JSON: Final = json.JSONEncoder(ensure_ascii=False)


def format_utc(t: datetime) -> str:
    """A sortable UTC text of an aware time (fixed width, microseconds)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_time(utc_text: str, offset_minutes: int) -> datetime:
    """The aware time stored as ``format_utc`` text, at its recorded UTC offset."""
    t = datetime.strptime(utc_text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    return t.astimezone(timezone(timedelta(minutes=offset_minutes)))


def offset_minutes(t: datetime) -> int:
    offset = t.utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def now_utc() -> str:
    return format_utc(datetime.now(UTC))


def customer_fields(c: Customer) -> dict[str, Any]:
    """The stored columns of a customer's data (no id, version or bookkeeping)."""
    return dict(zip(CUSTOMER_DATA, customer_values(c), strict=True))


def customer_values(c: Customer) -> list[Any]:
    """The stored columns of a customer's data in ``CUSTOMER_DATA`` order."""
    values = list(_DATA_OF(c))
    values[_PHONES] = _JSON.encode(list(c.phones))
    return values


def customer_from_row(row: Any) -> Customer:
    values = {name: getattr(row, name) for name in CUSTOMER_DATA}
    values["phones"] = tuple(json.loads(row.phones))
    values["vip"], values["blacklist"] = bool(row.vip), bool(row.blacklist)
    return Customer(id=row.id, version=row.version, **values)


def customer_from_tuple(row: tuple[Any, ...]) -> Customer:
    """A customer from a raw row: id, version, then ``CUSTOMER_DATA`` in order."""
    values = list(row[2:])
    values[_PHONES] = tuple(json.loads(values[_PHONES]))
    for i in _FLAGS:
        values[i] = bool(values[i])
    return Customer(id=row[0], version=row[1], **dict(zip(CUSTOMER_DATA, values, strict=True)))


def search_text(c: Customer, digits: list[str]) -> str:
    """What a customer search looks in: name, company, customer number (lower case) and the
    numbers' index digits, each followed by a character nobody types (so every two characters
    of a field begin one of the text's trigrams)."""
    return "".join(part + "\x1f" for part in (c.name.lower(), c.company.lower(),
                                              c.customer_no.lower(), *digits))


@dataclass(frozen=True)
class IndexRows:
    """The rows of a customer in the number and search indexes."""

    phones: list[tuple[int, str, str]]  # customer_phone (customer_id, digits, rdigits)
    search: tuple[int, str, str]  # customer_search (customer_id, name_key, text)


def index_rows(c: Customer, customer_id: int, digits: list[str] | None = None) -> IndexRows:
    """The index rows of a customer (``digits``: its number keys, when already computed)."""
    if digits is None:
        digits = customer_digits(c)
    return IndexRows([(customer_id, d, d[::-1]) for d in digits],
                     (customer_id, c.name.lower(), search_text(c, digits)))


def write_index(db: Any, rows: list[IndexRows]) -> None:
    """Insert index rows (the DB-API cursor: the bulk path uses this too)."""
    cursor = db.cursor()
    phones = sorted((p for r in rows for p in r.phones), key=lambda p: p[1])  # index order
    cursor.executemany("INSERT INTO customer_phone (customer_id, digits, rdigits) "
                       "VALUES (?, ?, ?)", phones)
    cursor.executemany("INSERT INTO customer_search (customer_id, name_key, text) "
                       "VALUES (?, ?, ?)", [r.search for r in rows])
    cursor.executemany("INSERT INTO customer_fts (rowid, text) VALUES (?, ?)",
                       [(r.search[0], r.search[2]) for r in rows])


def _write_index(m: SharedModels, c: Customer, customer_id: int) -> None:
    write_index(m.customer._meta.database, [index_rows(c, customer_id)])


def _drop_index(m: SharedModels, row: Any) -> None:
    cursor = m.customer._meta.database.cursor()
    cursor.execute("DELETE FROM customer_phone WHERE customer_id = ?", (row.id,))
    old = cursor.execute("SELECT text FROM customer_search WHERE customer_id = ?",
                         (row.id,)).fetchone()
    if old is not None:  # an external-content index is told the text it had
        cursor.execute("INSERT INTO customer_fts (customer_fts, rowid, text) "
                       "VALUES ('delete', ?, ?)", (row.id, old[0]))
    cursor.execute("DELETE FROM customer_search WHERE customer_id = ?", (row.id,))


def _current(m: SharedModels, customer_id: int) -> Customer | None:
    row = m.customer.get_or_none(m.customer.id == customer_id)
    return None if row is None else customer_from_row(row)


def _save_customer(m: SharedModels, p: dict[str, Any]) -> Customer:
    c = Customer(**{**p["customer"], "phones": tuple(p["customer"]["phones"])})
    data = customer_fields(c)
    if not c.id:
        row = m.customer.get_or_none(m.customer.uuid == p["uuid"])
        if row is None:
            new_id = m.customer.insert(uuid=p["uuid"], version=1, last_write=p["write"],
                                       updated_at=now_utc(), **data).execute()
            _write_index(m, c, new_id)
            row = m.customer.get_by_id(new_id)
        return customer_from_row(row)
    row = m.customer.get_or_none(m.customer.id == c.id)
    if row is None:
        raise VersionConflict(f"customer {c.id} ({c.name}) was deleted by another PC", None)
    if row.last_write == p["write"]:
        return customer_from_row(row)
    if row.version != c.version:
        raise VersionConflict(
            f"customer {c.id} ({row.name}) was changed by another PC (version {row.version}, "
            f"this edit started from {c.version}): reload it and edit again",
            customer_from_row(row))
    _drop_index(m, row)
    m.customer.update(version=row.version + 1, last_write=p["write"], updated_at=now_utc(),
                      **data).where(m.customer.id == c.id).execute()
    _write_index(m, c, c.id)
    return customer_from_row(m.customer.get_by_id(c.id))


def _delete_customer(m: SharedModels, p: dict[str, Any]) -> None:
    row = m.customer.get_or_none(m.customer.id == p["id"])
    if row is None:
        return
    if row.version != p["version"]:
        raise VersionConflict(
            f"customer {row.id} ({row.name}) was changed by another PC (version {row.version}, "
            f"the delete named {p['version']}): reload it first", customer_from_row(row))
    _drop_index(m, row)
    m.customer.delete().where(m.customer.id == row.id).execute()


def call_payload(e: CallEntry) -> dict[str, Any]:
    data = asdict(e)
    data["time"] = format_utc(e.time)
    data["utc_offset"] = offset_minutes(e.time)
    return data


def call_from_row(row: Any) -> CallEntry:
    return CallEntry(key=row.key, time=parse_time(row.time_utc, row.utc_offset),
                     number=row.number, name=row.name, direction=row.direction,
                     answered=bool(row.answered), duration=row.duration,
                     extension=row.extension, user=row.user, description=row.description)


def _log_call(m: SharedModels, p: dict[str, Any]) -> bool:
    row = m.call.get_or_none(m.call.key == p["key"])
    if row is None:
        m.call.insert(key=p["key"], time_utc=p["time"], utc_offset=p["utc_offset"],
                      number=p["number"], digits=normalise_number(p["number"]), name=p["name"],
                      direction=p["direction"], answered=p["answered"],
                      duration=p["duration"], extension=p["extension"], user=p["user"],
                      description=p["description"]).execute()
        return True
    merged = {
        "answered": bool(row.answered) or p["answered"],
        "duration": max(row.duration, p["duration"]),
        **{name: p[name] or getattr(row, name)
           for name in ("name", "extension", "user", "description")},
    }
    if any(merged[k] != getattr(row, k) for k in merged):
        m.call.update(**merged).where(m.call.id == row.id).execute()
    return False


def _clear_calls(m: SharedModels, p: dict[str, Any]) -> int:
    return int(m.call.delete().where(m.call.time_utc <= p["before"]).execute())


def phonebook_from_row(row: Any) -> PhonebookEntry:
    return PhonebookEntry(id=row.id, book=row.book, name=row.name, number=row.number,
                          company=row.company, notes=row.notes)


def _save_phonebook(m: SharedModels, p: dict[str, Any]) -> PhonebookEntry:
    e = PhonebookEntry(**p["entry"])
    data = {"book": e.book, "name": e.name, "number": e.number,
            "digits": normalise_number(e.number), "company": e.company, "notes": e.notes}
    if not e.id:
        row = m.phonebook.get_or_none(m.phonebook.uuid == p["uuid"])
        if row is None:
            new_id = m.phonebook.insert(uuid=p["uuid"], **data).execute()
            row = m.phonebook.get_by_id(new_id)
        return phonebook_from_row(row)
    if not m.phonebook.update(**data).where(m.phonebook.id == e.id).execute():
        raise StoreError(f"phonebook entry {e.id} ({e.name}) was deleted by another PC")
    return phonebook_from_row(m.phonebook.get_by_id(e.id))


def _delete_phonebook(m: SharedModels, p: dict[str, Any]) -> None:
    m.phonebook.delete().where(m.phonebook.id == p["id"]).execute()


_WRITES: Final = {
    "save_customer": _save_customer,
    "delete_customer": _delete_customer,
    "log_call": _log_call,
    "clear_calls": _clear_calls,
    "save_phonebook": _save_phonebook,
    "delete_phonebook": _delete_phonebook,
}


def apply_write(m: SharedModels, op: str, payload: dict[str, Any]) -> Any:
    """Run the write ``op`` with ``payload`` (inside the caller's transaction)."""
    try:
        write = _WRITES[op]
    except KeyError:
        raise StoreError(f"unknown write {op!r} (known: {', '.join(_WRITES)})") from None
    return write(m, payload)
