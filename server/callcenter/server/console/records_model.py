"""话单查询 (S-38, S-40, B-5) without Tk: the paged list, the live list, the summaries, their
chart, and an export's progress.

``RecordsList`` holds one window of the matching records (at most ``MAX_HELD`` rows, fetched
``PAGE_SIZE`` at a time with ``records_query``'s ``offset``/``limit``), the filters and the
sort.  Every change (a new query, a sort, a page button, a scroll past the end) returns a
``Fetch`` -- the request's parameters and what to do with its answer -- and ``loaded(fetch,
answer)`` takes the answer; an answer to an older query (its ``generation``) is dropped, so
a slow page never overwrites a newer query's rows.  ``LiveRecords`` keeps the last records
the service stored (``record_stored`` events) and fills in their cost from
``records_query`` when the event has none.  ``bar_chart`` lays out a summary as bars.
``ExportProgress`` follows an export: the service writes the file (``records_export``,
progress and cancel), then the console downloads it in chunks (``file_download``).
"""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal

PAGE_SIZE: Final = 100
#: Rows the list holds at most: scrolling past them asks for the next page instead.
MAX_HELD: Final = 500
LIVE_KEPT: Final = 200
CHUNK: Final = 32768


@dataclass(frozen=True)
class Column:
    """A column of the records list: its row field, catalogue key, width and sort key."""

    name: str
    width: int
    sort: str = ""  # the API's sort column ("" : not sortable)
    anchor: Literal["w", "e"] = "w"

    @property
    def text_key(self) -> str:
        return f"records.col.{self.name}"


COLUMNS: Final = (
    Column("seq", 60, "seq", "e"),
    Column("start", 150, "start"),
    Column("port", 50, "port"),
    Column("extension", 60, "extension"),
    Column("trunk", 46, "trunk"),
    Column("number", 120, "number"),
    Column("duration", 70, "duration", "e"),
    Column("cost", 64, "cost", "e"),
    Column("call_type", 50, "call_type"),
    Column("description", 110, "service_type"),
    Column("account", 56, "account"),
    Column("source", 70),
)
LIVE_COLUMNS: Final = ("start", "port", "extension", "trunk", "number", "duration", "cost",
                       "call_type")
SUMMARY_BY: Final = ("extension", "port", "trunk", "day", "hour", "month", "call_type",
                     "service_type", "account")


def duration_text(seconds: object) -> str:
    """Seconds as ``H:MM:SS`` (the list's 时长)."""
    try:
        total = int(str(seconds))
    except ValueError:
        return str(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def start_text(start: object) -> str:
    """``2024-06-01T09:31:02+08:00`` as ``2024-06-01 09:31:02`` (the PBX's own clock)."""
    text = str(start or "")
    return text[:19].replace("T", " ") if len(text) >= 19 else text


def cell_text(row: dict[str, Any], name: str, labels: dict[str, str]) -> str:
    """What a cell of ``name`` shows for ``row`` (a records_query row or a live event)."""
    if name == "start":
        return start_text(row.get("start"))
    if name == "duration":
        return duration_text(row.get("duration", ""))
    if name == "call_type":
        code = str(row.get("call_type", ""))
        return labels.get(code, code)
    if name == "seq":
        return str(row.get("seq", row.get("sequence", "")))
    if name == "description":
        kind = row.get("service_type")
        text = str(row.get("description") or "")
        return f"{kind}-{text}" if kind is not None and text else text
    if name == "source":
        source = str(row.get("source", ""))
        return labels.get(source, source)
    value = row.get(name, "")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Fetch:
    """One ``records_query`` to send, and how its answer fits the list."""

    generation: int
    offset: int
    append: bool
    params: dict[str, Any]


class RecordsList:
    """The paged list's state (see the module docstring)."""

    def __init__(self, page_size: int = PAGE_SIZE, max_held: int = MAX_HELD) -> None:
        self.page_size = page_size
        self.max_held = max_held
        self.filters: dict[str, str] = {}
        self.sort = "start"
        self.desc = True
        self.offset = 0  # the position of rows[0] among all matching records
        self.rows: list[dict[str, Any]] = []
        self.total: int | None = None
        self.generation = 0
        self.pending: Fetch | None = None
        self.error = ""

    # ------------------------------------------------------------------ changes
    def query(self, filters: dict[str, str] | None = None) -> Fetch:
        """A new query (``filters``, or the same ones again: 刷新) from its first row."""
        if filters is not None:
            self.filters = dict(filters)
        return self._restart(0)

    def sort_by(self, column: str) -> Fetch | None:
        """Click on a heading: sort by its column; the same one again turns the order."""
        sort = next((c.sort for c in COLUMNS if c.name == column), "")
        if not sort:
            return None
        if sort == self.sort:
            self.desc = not self.desc
        else:
            self.sort, self.desc = sort, sort in ("start", "seq", "cost", "duration")
        return self._restart(0)

    def page(self, which: str) -> Fetch | None:
        """The page buttons: ``first``, ``previous``, ``next``, ``last``."""
        total = self.total or 0
        last = max(0, (total - 1) // self.page_size * self.page_size)
        target = {"first": 0, "previous": max(0, self.offset - self.page_size),
                  "next": self.offset + self.page_size, "last": last}[which]
        if target >= max(total, 1) and which == "next":
            return None
        if target == self.offset and self.rows and which != "first":
            return None
        return self._restart(target)

    def more(self) -> Fetch | None:
        """The list was scrolled to its end: the next page appended, if there is one and
        the list holds fewer than ``max_held`` rows (beyond, the page buttons go on)."""
        if self.pending is not None or self.total is None:
            return None
        held = len(self.rows)
        if self.offset + held >= self.total or held + self.page_size > self.max_held:
            return None
        self.pending = Fetch(self.generation, self.offset + held, True,
                             self._params(self.offset + held))
        return self.pending

    def _restart(self, offset: int) -> Fetch:
        self.generation += 1
        self.pending = Fetch(self.generation, offset, False, self._params(offset))
        return self.pending

    def _params(self, offset: int) -> dict[str, Any]:
        return {**self.filters, "sort": self.sort, "desc": self.desc, "offset": offset,
                "limit": self.page_size}

    # ------------------------------------------------------------------ answers
    def loaded(self, fetch: Fetch, answer: dict[str, Any]) -> bool:
        """Take the answer to ``fetch``; False when it is stale (a newer query was sent)."""
        if fetch.generation != self.generation:
            return False
        self.pending = None
        self.error = ""
        self.total = int(answer.get("total", 0))
        rows = list(answer.get("rows") or ())
        if fetch.append:
            self.rows.extend(rows)
        else:
            self.offset, self.rows = fetch.offset, rows
        return True

    def failed(self, fetch: Fetch, text: str) -> bool:
        """The query failed: keep the rows, remember the text; False when stale."""
        if fetch.generation != self.generation:
            return False
        self.pending = None
        self.error = text
        return True

    # ------------------------------------------------------------------ what to show
    @property
    def shown_range(self) -> tuple[int, int]:
        """1-based first and last row held (0, 0 when none)."""
        if not self.rows:
            return 0, 0
        return self.offset + 1, self.offset + len(self.rows)

    def can_go(self, which: str) -> bool:
        total = self.total or 0
        if which in ("first", "previous"):
            return self.offset > 0
        return self.offset + max(len(self.rows), self.page_size) < total


def _money(text: object) -> Decimal:
    try:
        return Decimal(str(text))
    except ArithmeticError:
        return Decimal(0)


class LiveRecords:
    """The last records stored, newest first, with their cost once known."""

    def __init__(self, kept: int = LIVE_KEPT) -> None:
        self.rows: deque[dict[str, Any]] = deque(maxlen=kept)
        self.count = 0
        self.cost = Decimal(0)

    def add(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """A ``record_stored`` event (others: None): the row it adds, newest first."""
        if event.get("event") != "record_stored":
            return None
        row = {name: event.get(name, "") for name in
               ("sequence", "pbx_id", "start", "port", "extension", "trunk", "number",
                "duration", "call_type", "cost")}
        row["key"] = f"{row['pbx_id']}:{row['sequence']}:{self.count}"
        self.rows.appendleft(row)
        self.count += 1
        if row["cost"]:
            self.cost += _money(row["cost"])
        return row

    def without_cost(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["cost"] == ""]

    def fill_costs(self, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Costs from ``records_query`` rows (matched by PBX, sequence, port and number);
        the live rows that got theirs."""
        known = {(str(r.get("seq")), str(r.get("port")), str(r.get("number"))):
                 str(r.get("cost", "")) for r in stored}
        filled = []
        for row in self.without_cost():
            cost = known.get((str(row["sequence"]), str(row["port"]), str(row["number"])))
            if cost:
                row["cost"] = cost
                self.cost += _money(cost)
                filled.append(row)
        return filled


@dataclass(frozen=True)
class Bar:
    x0: float
    y0: float
    x1: float
    y1: float
    label: str
    value: str


def every_hour(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summary rows ``by=hour`` for all 24 hours ``00``..``23`` in order: the service gives
    only hours with calls; the others get a row of zeros, so a chart shows the whole day."""
    have = {str(row.get("key", "")): row for row in rows}
    return [have.get(f"{hour:02d}") or {"key": f"{hour:02d}", "label": f"{hour:02d}",
                                        "count": 0, "duration": 0, "cost": "0.00"}
            for hour in range(24)] + [row for key, row in have.items()
                                      if not (len(key) == 2 and key.isdigit() and int(key) < 24)]


def bar_chart(rows: list[dict[str, Any]], measure: str, width: float, height: float,
              most: int = 31) -> list[Bar]:
    """Bars of ``measure`` (``count``, ``cost`` or ``duration``) for summary rows, in a
    ``width`` x ``height`` area (labels below it are the view's), at most ``most`` bars."""
    shown = rows[:most]
    if not shown or width <= 0 or height <= 0:
        return []
    values = [_money(row.get(measure, 0)) for row in shown]
    top = max(values) or Decimal(1)
    step = width / len(shown)
    gap = min(6.0, step * 0.2)
    bars = []
    for index, (row, value) in enumerate(zip(shown, values, strict=True)):
        tall = float(value / top) * height
        bars.append(Bar(index * step + gap / 2, height - tall, (index + 1) * step - gap / 2,
                        height, str(row.get("label", row.get("key", ""))),
                        f"{value:.2f}" if measure == "cost" else str(value)))
    return bars


@dataclass
class ExportProgress:
    """One export: the service writes it, then the console fetches it to ``path``."""

    path: Path
    fmt: str
    phase: str = "exporting"  # exporting, downloading, done, cancelled, failed
    #: ``export`` (a file the person keeps), ``preview`` or ``print`` (a PDF to show or print)
    purpose: str = "export"
    job: str = ""  # the service's job id of the export, once sent
    cancel_asked: bool = False
    done: int = 0
    total: int = 0
    name: str = ""
    size: int = 0
    received: int = 0
    records: int = 0
    error: str = ""
    _file: BinaryIO | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.phase in ("exporting", "downloading")

    @property
    def part_path(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    def fraction(self) -> float:
        if self.phase == "exporting":
            return self.done / self.total if self.total else 0.0
        if self.phase == "downloading":
            return self.received / self.size if self.size else 0.0
        return 1.0 if self.phase == "done" else 0.0

    def exported(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The service wrote the file: the first ``file_download`` request's parameters."""
        self.phase = "downloading"
        self.name, self.size = str(answer["name"]), int(answer.get("size", 0))
        self.records = int(answer.get("records", 0))
        self._file = self.part_path.open("wb")
        return self.next_chunk()

    def next_chunk(self) -> dict[str, Any]:
        return {"area": "exports", "name": self.name, "offset": self.received,
                "length": CHUNK}

    def chunk(self, answer: dict[str, Any]) -> dict[str, Any] | None:
        """A chunk came: written; the next request's parameters, or None at the end (the
        file then renamed into place)."""
        assert self._file is not None
        if self.cancel_asked:
            self.stop("cancelled")
            return None
        data = base64.b64decode(str(answer.get("data", "")))
        self._file.write(data)
        self.received += len(data)
        self.size = int(answer.get("size", self.size))
        if answer.get("eof") or not data:
            self._file.close()
            self._file = None
            self.part_path.replace(self.path)
            self.phase = "done"
            return None
        return self.next_chunk()

    def stop(self, phase: str, error: str = "") -> None:
        """Cancelled or failed: no half file is left."""
        self.phase, self.error = phase, error
        if self._file is not None:
            self._file.close()
            self._file = None
        self.part_path.unlink(missing_ok=True)
