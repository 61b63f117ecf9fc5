"""``CrmStore``: the CRM client's data, standalone or on a shared folder (network mode).

Theory of operation
-------------------
Standalone (``CrmStore.open(DIR)``): everything in ``DIR/crm.db``.

Network mode (``CrmStore.open(DIR, shared=FOLDER)``): customers, phonebooks and the call log in
``FOLDER/crm-shared.db``, which several PCs open at once (``engine.Gateway``: rollback journal,
``BEGIN IMMEDIATE``, busy timeout, retries with back-off); the outbox, messages and monitor icons
in ``DIR/crm.db``. Every write to the shared tables is a payload run by ``writes.apply_write``,
idempotent by its keys (see ``writes``). When the share is away the payload goes into the local
outbox and the caller gets ``ShareUnavailable`` (the change is kept, not lost); writes made while
the outbox holds something first replay it, so this PC's changes reach the share in the order
they were made. ``replay_outbox()`` applies what waits, in order, in one shared transaction; an
entry the share refuses now (another PC changed or deleted the customer meanwhile) is set aside
as a conflict (``outbox_conflicts()``), never applied over the other PC's change. Reads while the
share is away raise ``ShareUnavailable``.

Customer search finds a substring of the name, company, customer number (any case) or, for a
text that looks like a phone number, of the numbers' index digits (``phone.search_digits``),
through a trigram index or a scan of narrow texts (``search``). How a text is found is kept
until the next write (ours, or another connection's: ``PRAGMA data_version``), so the count and
the pages of one search cost one lookup.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final, TypeVar

from callcenter.crm_client.phone import normalise_number, search_digits
from callcenter.crm_client.store.bulk import insert_all
from callcenter.crm_client.store.engine import LOCAL_FILE, SHARED_FILE, Gateway
from callcenter.crm_client.store.models import local_models, shared_models
from callcenter.crm_client.store.records import (
    CallEntry,
    Customer,
    MessageEntry,
    MonitorIcon,
    PhonebookEntry,
    ShareUnavailable,
    StoreError,
    check_call,
    check_customer,
    check_phonebook_entry,
)
from callcenter.crm_client.store.search import Match, match
from callcenter.crm_client.store.writes import (
    CUSTOMER_DATA,
    apply_write,
    call_from_row,
    call_payload,
    customer_from_row,
    customer_from_tuple,
    format_utc,
    offset_minutes,
    parse_time,
    phonebook_from_row,
)

__all__ = ["CrmStore", "OutboxConflict"]

T = TypeVar("T")

_CUSTOMER_COLUMNS: Final = ", ".join(("id", "version", *CUSTOMER_DATA))
#: Shortest caller ID looked up by its ending (a local call without its area code).
_SUFFIX_MIN: Final = 7
_NUMBER_CHARS: Final = frozenset("0123456789+-() .*#０１２３４５６７８９＋")


def _looks_like_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text) and all(ch in _NUMBER_CHARS for ch in text)


class OutboxConflict:
    """An outbox entry the share refused at replay (kept aside, not applied)."""

    def __init__(self, id: int, op: str, payload: dict[str, Any], problem: str) -> None:
        self.id, self.op, self.payload, self.problem = id, op, payload, problem

    def __repr__(self) -> str:
        return f"OutboxConflict({self.id}, {self.op!r}, {self.problem!r})"


class CrmStore:
    """The CRM's data (module docstring). Thread-safe: each thread uses its own connections."""

    def __init__(self, data_dir: Path, shared: Path | None) -> None:
        self.data_dir = data_dir
        self.shared_folder = shared
        self.mode = "standalone" if shared is None else "network"
        self._local = Gateway(data_dir / LOCAL_FILE, shared=False, chains=("shared", "local"))
        self._share = (self._local if shared is None
                       else Gateway(shared / SHARED_FILE, shared=True, chains=("shared",)))
        self._m = shared_models(self._share.db)
        self._lm = local_models(self._local.db)
        self._writes = 0  # bumped by each write of ours: invalidates the search cache
        self._cache = threading.local()
        self._replay_lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, shared: Path | None = None) -> CrmStore:
        """Open (creating if needed: the folder 0700, the file 0600 on POSIX) the data
        folder's ``crm.db``; in network mode also the
        shared folder's ``crm-shared.db`` when it can be reached (when not, the store opens
        anyway: reads raise ShareUnavailable and writes wait in the outbox)."""
        data_dir = Path(data_dir)
        try:
            if not data_dir.is_dir():
                data_dir.mkdir(parents=True, mode=0o700)  # customers' data: this user's only
            local = data_dir / LOCAL_FILE
            if not local.exists():
                os.close(os.open(local, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise StoreError(f"data folder {data_dir}: cannot create it: {exc}") from None
        store = cls(data_dir, None if shared is None else Path(shared))
        store._local.run(lambda: None)
        if store._share is not store._local:
            with contextlib.suppress(ShareUnavailable):
                store._share.run(lambda: None)
        return store

    def close(self) -> None:
        """Close this thread's connections."""
        self._local.close()
        self._share.close()

    def check_share(self) -> None:
        """Raise ShareUnavailable unless the shared file can be used now (network mode)."""
        self._share.run(lambda: None)

    @property
    def retries(self) -> int:
        """Lock waits that ran out and were tried again since the store was opened."""
        return self._share.retries + (0 if self._share is self._local else self._local.retries)

    # -- shared writes and the outbox ----------------------------------------------------

    def _write(self, op: str, payload: dict[str, Any]) -> Any:
        if self.mode == "network" and self.pending_writes():
            try:
                self.replay_outbox()
            except ShareUnavailable as exc:
                self._queue(op, payload, exc)
        try:
            result = self._share.run(lambda: apply_write(self._m, op, payload), write=True)
        except ShareUnavailable as exc:
            if self.mode == "standalone":
                raise
            self._queue(op, payload, exc)
        self._writes += 1
        return result

    def _queue(self, op: str, payload: dict[str, Any], why: ShareUnavailable) -> None:
        text = json.dumps(payload, ensure_ascii=False, default=str)
        self._local.run(lambda: self._lm.outbox.insert(
            op=op, payload=text, queued_at=format_utc(datetime.now(UTC))).execute(), write=True)
        waiting = self.pending_writes()
        raise ShareUnavailable(f"{why}; the change is kept on this PC and written to the share "
                               f"when it is back ({waiting} waiting)") from None

    def pending_writes(self) -> int:
        """Writes held in the outbox, waiting for the share."""
        if self.mode == "standalone":
            return 0
        o = self._lm.outbox
        return int(self._local.run(lambda: o.select().where(o.status == "pending").count()))

    def replay_outbox(self) -> int:
        """Apply the outbox's writes to the share, in order; how many were applied now.
        Entries the share refuses (conflicts) are set aside, see ``outbox_conflicts``.
        ShareUnavailable (nothing changed) while the share is still away."""
        if self.mode == "standalone":
            return 0
        with self._replay_lock:
            o = self._lm.outbox
            rows = self._local.run(lambda: list(
                o.select().where(o.status == "pending").order_by(o.id)))
            if not rows:
                return 0

            def apply_all() -> list[tuple[int, str]]:
                done: list[tuple[int, str]] = []
                for row in rows:
                    try:
                        with self._share.db.atomic():  # a savepoint: one entry's failure only
                            apply_write(self._m, row.op, json.loads(row.payload))
                        done.append((row.id, ""))
                    except StoreError as exc:
                        done.append((row.id, str(exc) or type(exc).__name__))
                return done

            done = self._share.run(apply_all, write=True)
            self._writes += 1

            def settle() -> None:
                applied = [i for i, problem in done if not problem]
                if applied:
                    o.delete().where(o.id.in_(applied)).execute()
                for i, problem in done:
                    if problem:
                        o.update(status="conflict", problem=problem).where(o.id == i).execute()

            self._local.run(settle, write=True)
            return sum(1 for _, problem in done if not problem)

    def outbox_conflicts(self) -> list[OutboxConflict]:
        """Outbox entries the share refused at replay (another PC changed the customer first)."""
        if self.mode == "standalone":
            return []
        o = self._lm.outbox
        rows = self._local.run(lambda: list(
            o.select().where(o.status == "conflict").order_by(o.id)))
        return [OutboxConflict(r.id, r.op, json.loads(r.payload), r.problem) for r in rows]

    def discard_outbox_conflict(self, id: int) -> None:
        o = self._lm.outbox
        self._local.run(lambda: o.delete().where((o.id == id) & (o.status == "conflict"))
                        .execute(), write=True)

    def _read(self, fn: Callable[[], T]) -> T:
        return self._share.run(fn)

    # -- customers -----------------------------------------------------------------------

    def customer(self, id: int) -> Customer | None:
        c = self._m.customer
        row = self._read(lambda: c.get_or_none(c.id == id))
        return None if row is None else customer_from_row(row)

    def find_by_number(self, number: str) -> Customer | None:
        """The customer with this number (however written); a caller ID of seven digits or
        more that matches no whole number finds the one customer whose number ends with it
        (a local call without its area code). None when nobody or several match that way."""
        digits = normalise_number(number)
        if not digits:
            return None
        c, p = self._m.customer, self._m.phone

        def look() -> Any:
            row = (c.select().join(p, on=(p.customer_id == c.id)).where(p.digits == digits)
                   .order_by(c.id).first())
            if row is not None or len(digits) < _SUFFIX_MIN:
                return row
            reverse = digits[::-1]
            ids = {r.customer_id for r in p.select(p.customer_id).distinct().where(
                (p.rdigits >= reverse) & (p.rdigits < reverse + "\uffff")).limit(2)}
            return c.get_by_id(ids.pop()) if len(ids) == 1 else None

        row = self._read(look)
        return None if row is None else customer_from_row(row)

    def _match(self, text: str) -> tuple[Match, Any]:
        """How a search text's customers are found (``search.match``), kept until a write
        (ours, or another connection's: ``PRAGMA data_version``); and this thread's database."""
        needle = text.strip()
        if _looks_like_number(needle):
            needle = search_digits(needle)
        needle = needle.lower()
        db: Any = self._share.db

        def find() -> Match:
            version = db.execute_sql("PRAGMA data_version").fetchone()[0]
            cached = getattr(self._cache, "entry", None)
            stamp = (version, self._writes, id(db.connection()))
            if cached is not None and cached[0] == (needle, stamp):
                found: Match = cached[1]
                return found
            found = match(db, needle)
            self._cache.entry = ((needle, stamp), found)
            return found

        return self._read(find), db

    def search_customers(self, text: str = "", limit: int = 200,
                         offset: int = 0) -> list[Customer]:
        """Customers whose name, company or customer number contains ``text`` (any case), or
        one of whose numbers contains it (a text of digits and phone punctuation), in name
        order; one page."""
        _check_page(limit, offset)
        found, db = self._match(text)

        def page() -> list[Customer]:
            ids = found.page(db, limit, offset)
            if not ids:
                return []
            rows = {r[0]: r for r in db.execute_sql(
                f"SELECT {_CUSTOMER_COLUMNS} FROM customer WHERE id IN "
                "(SELECT value FROM json_each(?))", (json.dumps(ids),))}
            return [customer_from_tuple(rows[i]) for i in ids if i in rows]

        return self._read(page)

    def count_customers(self, text: str = "") -> int:
        found, db = self._match(text)
        return self._read(lambda: found.count(db))

    def save_customer(self, c: Customer) -> Customer:
        """Insert (id 0) or update the customer; the saved customer (id, new version).
        VersionConflict when ``c.version`` is not the stored one (another PC saved first) or
        the customer was deleted; StoreError naming a field that cannot be saved;
        ShareUnavailable when the share is away (the save waits in the outbox)."""
        check_customer(c)
        payload = {"customer": asdict(c), "uuid": str(uuid.uuid4()),
                   "write": str(uuid.uuid4())}
        saved: Customer = self._write("save_customer", payload)
        return saved

    def delete_customer(self, id: int, version: int) -> None:
        """Delete the customer read at ``version`` (VersionConflict when changed meanwhile)."""
        self._write("delete_customer", {"id": id, "version": version})

    def insert_customers(self, customers: Iterable[Customer],
                         progress: Callable[[int], None] | None = None,
                         cancelled: Callable[[], bool] | None = None) -> int:
        """Insert many new customers in one transaction (the importer's): all or none (the
        first that cannot be saved raises StoreError). Never queued: ShareUnavailable when the
        share is away (nothing written). ``cancelled()`` returning True rolls everything back
        (StoreError)."""
        return self.insert_checked([(c, check_customer(c)) for c in customers], progress,
                                   cancelled)

    def insert_checked(self, customers: Sequence[tuple[Customer, list[str]]],
                       progress: Callable[[int], None] | None = None,
                       cancelled: Callable[[], bool] | None = None) -> int:
        """``insert_customers`` of customers already checked: each with the index keys
        ``check_customer`` returned for it."""
        marker = str(uuid.uuid4())

        def insert() -> int:
            return insert_all(self._share.db, customers, marker, progress, cancelled)

        count = self._share.run(insert, write=True)
        self._writes += 1
        return count

    # -- call log ------------------------------------------------------------------------

    def log_call(self, entry: CallEntry) -> bool:
        """Log a call; False when its key was already there (then the entry is merged into
        the stored one: answered if either was, the longer duration, empty texts filled)."""
        check_call(entry)
        return bool(self._write("log_call", call_payload(entry)))

    def _call_filter(self, search: str) -> Any:
        k = self._m.call
        text = search.strip()
        if not text:
            return None
        digits = search_digits(text) if _looks_like_number(text) else ""
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cond = (k.number ** like) | (k.name ** like) | (k.description ** like)
        if digits:
            cond = cond | k.digits.contains(digits)
        return cond

    def calls(self, search: str = "", limit: int = 100, offset: int = 0) -> list[CallEntry]:
        """The call log, newest first; ``search`` in the number (typed or digits), name or
        description."""
        _check_page(limit, offset)
        k = self._m.call
        cond = self._call_filter(search)

        def page() -> list[Any]:
            q = k.select()
            if cond is not None:
                q = q.where(cond)
            return list(q.order_by(k.time_utc.desc(), k.id.desc()).limit(limit).offset(offset))

        return [call_from_row(r) for r in self._read(page)]

    def count_calls(self, search: str = "") -> int:
        k = self._m.call
        cond = self._call_filter(search)
        query = k.select() if cond is None else k.select().where(cond)
        return int(self._read(query.count))

    def today_count(self, tz: tzinfo) -> int:
        """Calls logged today in ``tz`` (the 今天来电条数 of the call-record area)."""
        now = datetime.now(tz)
        start = datetime.combine(now.date(), time(0), tz)
        end = start + timedelta(days=1)
        k = self._m.call
        lo, hi = format_utc(start), format_utc(end)
        return int(self._read(lambda: k.select().where(
            (k.time_utc >= lo) & (k.time_utc < hi)).count()))

    def clear_calls(self) -> int:
        """Empty the call log (清除记录区): every call logged up to now; how many went."""
        return int(self._write("clear_calls", {"before": format_utc(datetime.now(UTC))}))

    # -- phonebooks ----------------------------------------------------------------------

    def phonebook(self, book: str, search: str = "") -> list[PhonebookEntry]:
        """One book's entries in name order; ``search`` in the name, company, number (digits)."""
        check_phonebook_entry(PhonebookEntry(book=book, number="0"))
        p = self._m.phonebook
        cond = p.book == book
        text = search.strip()
        if text:
            sub = (p.name.contains(text)) | (p.company.contains(text)) | (p.number.contains(text))
            digits = search_digits(text) if _looks_like_number(text) else ""
            if digits:
                sub = sub | p.digits.contains(digits)
            cond = cond & sub
        rows = self._read(lambda: list(p.select().where(cond).order_by(p.name, p.id)))
        return [phonebook_from_row(r) for r in rows]

    def save_phonebook_entry(self, e: PhonebookEntry) -> PhonebookEntry:
        """Insert (id 0) or update an entry (the last save wins); the saved entry."""
        check_phonebook_entry(e)
        saved: PhonebookEntry = self._write(
            "save_phonebook", {"entry": asdict(e), "uuid": str(uuid.uuid4())})
        return saved

    def delete_phonebook_entry(self, id: int) -> None:
        self._write("delete_phonebook", {"id": id})

    # -- local only ----------------------------------------------------------------------

    def monitor_icons(self) -> list[MonitorIcon]:
        i = self._lm.monitor_icon
        rows = self._local.run(lambda: list(i.select().order_by(i.position, i.port)))
        return [MonitorIcon(port=r.port, label=r.label, x=r.x, y=r.y) for r in rows]

    def save_monitor_icons(self, icons: list[MonitorIcon]) -> None:
        """Replace this PC's monitor icons by ``icons`` (in order)."""
        ports = [icon.port for icon in icons]
        if len(set(ports)) != len(ports) or not all(p.strip() for p in ports):
            raise StoreError("monitor icons: each needs a port, and one icon per port")
        i = self._lm.monitor_icon

        def replace_all() -> None:
            i.delete().execute()
            if icons:
                i.insert_many([{"port": icon.port, "label": icon.label, "x": icon.x,
                                "y": icon.y, "position": n} for n, icon in enumerate(icons)]
                              ).execute()

        self._local.run(replace_all, write=True)

    def log_message(self, m: MessageEntry) -> bool:
        """Keep a message; False when its key was already kept."""
        if not m.key:
            raise StoreError("message key: must not be empty (the hub's message id)")
        if m.time.utcoffset() is None:
            raise StoreError(f"message time: must have a UTC offset (got {m.time!r})")
        t = self._lm.message

        def keep() -> bool:
            if t.select().where(t.key == m.key).exists():
                return False
            t.insert(key=m.key, time_utc=format_utc(m.time), utc_offset=offset_minutes(m.time),
                     sender=m.sender, recipient=m.recipient, text=m.text).execute()
            return True

        return self._local.run(keep, write=True)

    def messages(self, limit: int = 200) -> list[MessageEntry]:
        """The newest ``limit`` messages, oldest first."""
        _check_page(limit, 0)
        t = self._lm.message
        rows = self._local.run(lambda: list(
            t.select().order_by(t.time_utc.desc(), t.id.desc()).limit(limit)))
        return [MessageEntry(key=r.key, time=parse_time(r.time_utc, r.utc_offset),
                             sender=r.sender, recipient=r.recipient, text=r.text)
                for r in reversed(rows)]


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 100_000:
        raise StoreError(f"limit: 1 to 100000 (got {limit})")
    if offset < 0:
        raise StoreError(f"offset: 0 or more (got {offset})")
