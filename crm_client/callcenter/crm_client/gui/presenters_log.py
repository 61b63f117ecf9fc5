"""来电记录区 (C-5), the presenter: one page of the call log, its search, today's count, and what
the right-click actions do -- without Tk.

The log can hold hundreds of thousands of calls, so the view shows one page (``PAGE_SIZE``
rows) at a time, newest first, numbered from the newest down as in the manual (序号 021, 020
...).  ``fetch`` runs in a worker (it reads the store); ``apply`` takes its result on the Tk
thread.  A fetch started before a newer one is dropped (``LogPage.generation``), so typing
in the search box never shows a stale page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final, Protocol

from callcenter.crm_client.gui.strings import Catalogue
from callcenter.crm_client.settings import DEFAULT_OUTSIDE_PREFIX

PAGE_SIZE: Final = 50
COLUMNS: Final = ("seq", "number", "name", "description", "seat", "time")
#: The default outside-line prefix (外线字冠) an outside number is called back with (the
#: simulator's and the original PBX's ``9``); each PC sets its own (``outside_prefix``).
OUTSIDE_ACCESS: Final = DEFAULT_OUTSIDE_PREFIX
BOOKS: Final = ("common", "company", "customer")


class CallLogSource(Protocol):
    """What the presenter reads (``CrmStore``'s call-log methods)."""

    def calls(self, search: str = "", limit: int = 100, offset: int = 0) -> list[Any]: ...

    def count_calls(self, search: str = "") -> int: ...

    def today_count(self, tz: tzinfo) -> int: ...


@dataclass(frozen=True)
class LogQuery:
    search: str
    offset: int
    limit: int
    generation: int


@dataclass(frozen=True)
class LogPage:
    """One page read from the store (in a worker)."""

    query: LogQuery
    total: int
    today: int
    entries: list[Any] = field(default_factory=list)  # CallEntry, newest first


def fetch(source: CallLogSource, query: LogQuery, tz: tzinfo) -> LogPage:
    """Read one page (blocking: call it in a worker)."""
    total = source.count_calls(query.search)
    offset = query.offset
    if offset >= total > 0:  # the log shrank (cleared elsewhere): show its last page
        offset = (total - 1) // query.limit * query.limit
        query = LogQuery(query.search, offset, query.limit, query.generation)
    entries = source.calls(query.search, limit=query.limit, offset=offset)
    return LogPage(query, total, source.today_count(tz), list(entries))


class CallLogPresenter:
    """State of the call-record area (see the module docstring)."""

    def __init__(self, catalogue: Catalogue, tz: tzinfo, page_size: int = PAGE_SIZE) -> None:
        self.catalogue = catalogue
        self.tz = tz
        self.page_size = page_size
        self.search = ""
        self.page = 0
        self.total = 0
        self.today = 0
        self.entries: list[Any] = []
        #: The key prefix of this port's call in progress (``"{port}/{call_id}/"``, the call
        #: recorder's keys): its entry is not "missed" while it still rings.
        self.live_prefix = ""
        #: the state of that call at this port (ringing, talking, held): 振铃中 or 通话中
        self.live_state = ""
        self._generation = 0

    # ------------------------------------------------------------------ queries
    def query(self) -> LogQuery:
        """The page to read now (a new generation: older answers are dropped)."""
        self._generation += 1
        return LogQuery(self.search.strip(), self.page * self.page_size, self.page_size,
                        self._generation)

    def set_search(self, text: str) -> LogQuery:
        """A new search starts at the first page."""
        self.search = text
        self.page = 0
        return self.query()

    def apply(self, page: LogPage) -> bool:
        """Take a fetched page; False when a newer query was asked meanwhile (dropped)."""
        if page.query.generation != self._generation:
            return False
        self.total = page.total
        self.today = page.today
        self.page = page.query.offset // self.page_size
        self.entries = list(page.entries)
        return True

    # ------------------------------------------------------------------ pages
    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def has_previous(self) -> bool:
        return self.page > 0

    def has_next(self) -> bool:
        return self.page + 1 < self.pages

    def go(self, page: int) -> LogQuery | None:
        """Move to ``page`` (0-based); None when it does not exist."""
        if not 0 <= page < self.pages or page == self.page:
            return None
        self.page = page
        return self.query()

    # ------------------------------------------------------------------ texts
    def today_text(self) -> str:
        return self.catalogue.text("log.today", count=f"{self.today:02d}")

    def page_text(self) -> str:
        return self.catalogue.text("common.page", page=self.page + 1, pages=self.pages)

    def headings(self) -> list[str]:
        return [self.catalogue.text(f"log.col.{column}") for column in COLUMNS]

    def rows(self) -> list[tuple[str, ...]]:
        """The page's rows as the table shows them (序号 counts down from the newest)."""
        first = self.total - self.page * self.page_size
        return [self.row(entry, first - index) for index, entry in enumerate(self.entries)]

    def row(self, entry: Any, seq: int) -> tuple[str, ...]:
        return (f"{max(seq, 0):03d}", entry.number, entry.name, self.description(entry),
                entry.extension, self.local_time(entry.time))

    def description(self, entry: Any) -> str:
        """The 描述 column: what was done with the call, else missed/outgoing marks."""
        if entry.description:
            return str(entry.description)
        if entry.direction == "in" and not entry.answered:
            if self.live_prefix and str(entry.key).startswith(self.live_prefix):
                talking = self.live_state in ("talking", "held")
                return self.catalogue.text("log.talking" if talking else "log.ringing")
            return self.catalogue.text("log.missed")
        if entry.direction in ("out", "internal"):
            return self.catalogue.text(f"log.direction.{entry.direction}")
        return ""

    def local_time(self, when: datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")


def call_back_number(number: str, internal_numbers: Iterable[str],
                     prefix: str = OUTSIDE_ACCESS) -> str:
    """What to dial to call ``number`` back: an extension number (one of
    ``internal_numbers``, the snapshot's) as it is, an outside number behind ``prefix`` (this
    PC's 外线字冠, the setting ``outside_prefix``; may be empty).  ValueError (a catalogue key)
    for no number."""
    if not number:
        raise ValueError("dial.need_number")
    if number in set(internal_numbers):
        return number
    return prefix + number
