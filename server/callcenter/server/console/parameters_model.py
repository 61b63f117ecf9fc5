"""参数设置 (S-3..S-34), the model: the schema and image of the PBX's parameters, without Tk.

Theory of operation
-------------------
The service describes every parameter key of this PBX (``parameter_schema``, in pages) and
gives their values with a state (``parameter_image``: ``verified``, ``written``,
``refused``).  ``ParameterSchema`` holds the settings (one per column or form line) and the
keys; ``GridLayout`` arranges the keys of one page as rows and columns (extension ports x
extension settings, trunks x trunk settings, a table's rows x its fields, or a form: one
line per setting); ``ParameterValues`` holds each key's ``Cell`` (value, state, reason)
and follows the image, every write's results and the ``parameter_changed`` events.

Values are checked here before anything is sent, with the same schema the service checks
(``callcenter.common.schema``): an invalid value never leaves the console, and the cell
says what is allowed.  The batches of the right-click menu (renumber from a start number,
a column for many rows, groups all in or out, caller ID on or off) are planned here as
plain ``{key: value}`` or ``{port: number}`` requests, in chunks the service takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from callcenter.common.schema import build_schema
from callcenter.common.schema.core import Schema
from callcenter.server.console.parameter_texts import allowed_text, show_set

#: Keys per write request: the service takes up to 400; smaller chunks let a cancel stop
#: sooner (between two requests) and keep the progress moving.
WRITE_CHUNK: Final = 50

#: Cell states: the image's three, and what the console knows on top of them.
VERIFIED, WRITTEN, REFUSED = "verified", "written", "refused"
INVALID, PENDING, NOT_SENT, UNCONFIRMED = "invalid", "pending", "not_sent", "unconfirmed"

#: Background colour of a cell by its state (white: as read from the PBX).
STATE_FILLS: Final[dict[str, str]] = {
    VERIFIED: "#ffffff",
    WRITTEN: "#b9e6b0",      # green: written and read back
    REFUSED: "#fff09a",      # yellow: refused by the PBX
    INVALID: "#fff09a",      # yellow: refused before sending
    PENDING: "#d7e3f7",      # pale blue: being written
    NOT_SENT: "#ffd49a",     # orange: not sent (link down, cancelled)
    UNCONFIRMED: "#ffd49a",  # orange: sent, not confirmed
}

#: The tabs of 其它参数: table name -> catalogue key (labels in the page's texts).
TABLE_TABS: Final[tuple[str, ...]] = (
    "restriction_code", "abbreviated_code", "personal_password", "disa_password",
    "group", "smart_route", "ip_route")

#: System settings of the group ``other``, by tab (the manual's 其它参数 pages).
SYSTEM_TABS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("operator", ("operator_day1", "operator_day2", "operator_night")),
    ("day_night", ("day_start", "night_start")),
    ("passwords", ("system_password", "transfer_password")),
    ("chaining", ("chaining_forward_command", "chaining_cancel_command",
                  "chaining_published_position", "chaining_method", "chaining_speed")),
    ("misc", ()),  # every other system setting of the group other
)


@dataclass(frozen=True)
class Choice:
    code: str
    label_zh: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en


@dataclass(frozen=True)
class Setting:
    """One setting of the schema (``parameters`` of ``parameter_schema``): a grid column
    or a form line."""

    id: str
    scope: str
    label_zh: str
    label_en: str
    kind: str
    allowed: str
    group: str
    default: str = ""
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    help_en: str = ""
    help_zh: str = ""

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Setting:
        return cls(id=str(data["id"]), scope=str(data.get("scope", "")),
                   label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])),
                   kind=str(data.get("kind", "text")), allowed=str(data.get("allowed", "")),
                   group=str(data.get("group", "")), default=str(data.get("default", "")),
                   choices=tuple(Choice(str(c["code"]), str(c.get("label_zh", c["code"])),
                                        str(c.get("label_en", c["code"])))
                                 for c in data.get("choices") or ()),
                   minimum=data.get("minimum"), maximum=data.get("maximum"),
                   help_en=str(data.get("help", "")), help_zh=str(data.get("help_zh", "")))

    @property
    def prefix(self) -> str:
        """``extension``, ``trunk``, ``system`` or the table's name."""
        return self.id.partition(".")[0]

    @property
    def name(self) -> str:
        return self.id.rpartition(".")[2]

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en

    def show(self, value: str, language: str) -> str:
        """A value as a person reads it (a choice's label, a trunk or group set as the
        manual writes it; the code otherwise)."""
        for choice in self.choices:
            if choice.code == value:
                return choice.label(language)
        as_set = show_set(self, value, language)
        return value if as_set is None else as_set

    def choice_labels(self, language: str) -> list[str]:
        return [c.label(language) for c in self.choices]


@dataclass
class Cell:
    value: str = ""
    state: str = VERIFIED
    reason: str = ""


class ParameterSchema:
    """The settings and keys of this PBX, put together from the pages of
    ``parameter_schema``."""

    def __init__(self, pages: Iterable[Mapping[str, Any]]) -> None:
        self.settings: dict[str, Setting] = {}
        self.keys: list[str] = []
        self.setting_of: dict[str, str] = {}
        self.defaults: dict[str, str] = {}
        self.class_levels: list[dict[str, Any]] = []
        self.extensions = self.trunks = 0
        for page in pages:
            self.extensions = int(page.get("extensions", 0))
            self.trunks = int(page.get("trunks", 0))
            self.class_levels = list(page.get("class_levels") or self.class_levels)
            for data in page.get("parameters") or ():
                setting = Setting.from_wire(data)
                self.settings[setting.id] = setting
            for entry in page.get("keys") or ():
                key = str(entry["key"])
                self.keys.append(key)
                self.setting_of[key] = str(entry["parameter"])
                if "default" in entry:
                    self.defaults[key] = str(entry["default"])
        self._checker: Schema | None = None
        if self.extensions:
            try:
                self._checker = build_schema(self.extensions, self.trunks)
            except ValueError:  # port counts this console's schema cannot take
                self._checker = None

    def setting(self, key: str) -> Setting:
        return self.settings[self.setting_of[key]]

    def validate(self, key: str, text: str) -> str:
        """The canonical value of ``text`` at ``key``, or ``ParameterError`` naming what is
        allowed (the service checks again, with the same schema)."""
        setting = self.setting(key)
        for choice in setting.choices:  # the labels the combobox shows, in either language
            if text in (choice.label_zh, choice.label_en):
                return choice.code
        if self._checker is None or key not in self._checker:
            return text.strip()
        return self._checker.validate(key, text)

    def help_text(self, setting: Setting, language: str) -> str:
        """What a setting means and allows, for the help line: the schema's help, the
        allowed values, and for a service class what each level allows (11, 41 ...)."""
        parts = [setting.label(language)]
        helper = setting.help_zh if language == "zh" else setting.help_en
        if helper:
            parts.append(helper)
        parts.append(("允许：" if language == "zh" else "allowed: ")
                     + allowed_text(setting, language))
        text = "；".join(parts) if language == "zh" else "; ".join(parts)
        if setting.kind == "service_class" and self.class_levels:
            text += "\n" + self.class_level_text(language)
        return text

    def class_level_text(self, language: str) -> str:
        out: list[str] = []
        for direction, title in (("outgoing", ("呼出", "out")), ("incoming", ("呼入", "in"))):
            levels = [level for level in self.class_levels
                      if level.get("direction") == direction]
            label = title[0] if language == "zh" else title[1]
            out.append(label + " " + "  ".join(
                f"{lv['level']}={lv['label_zh'] if language == 'zh' else lv['label_en']}"
                for lv in levels))
        return "\n".join(out)

    def prefixes(self, scope: str) -> list[str]:
        """The prefixes of ``scope`` in schema order (the table names for ``table``)."""
        seen: dict[str, None] = {}
        for setting in self.settings.values():
            if setting.scope == scope:
                seen.setdefault(setting.prefix)
        return list(seen)


# ---------------------------------------------------------------------- grid layout
@dataclass
class GridLayout:
    """What one grid page shows: rows (ports, trunks, table rows, or settings for a form)
    and columns (settings, or one value column for a form)."""

    rows: list[str]
    row_labels: list[str]
    columns: list[Setting]
    #: (row index, column index) -> key; a cell without a key is empty.
    cell_keys: dict[tuple[int, int], str] = field(default_factory=dict)
    #: A form: one line per setting (``form_settings``), its value in the one column.
    form: bool = False
    form_settings: list[Setting] = field(default_factory=list)
    positions: dict[str, tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.positions = {key: rc for rc, key in self.cell_keys.items()}

    def key(self, row: int, column: int) -> str | None:
        return self.cell_keys.get((row, column))

    def position(self, key: str) -> tuple[int, int] | None:
        return self.positions.get(key)

    def short_help(self, row: int, language: str) -> str:
        """A form line's help in one line: the schema's help, else what is allowed."""
        setting = self.form_settings[row]
        helper = setting.help_zh if language == "zh" else setting.help_en
        allowed = allowed_text(setting, language)
        return f"{helper}（{allowed}）" if helper and language == "zh" else \
            f"{helper} ({allowed})" if helper else allowed

    def setting_at(self, row: int, column: int) -> Setting:
        return self.form_settings[row] if self.form else self.columns[column]

    def column_keys(self, column: int, rows: Iterable[int] | None = None) -> list[str]:
        wanted = range(len(self.rows)) if rows is None else rows
        return [k for r in wanted if (k := self.key(r, column)) is not None]

    def column_of(self, setting_id: str) -> int | None:
        for index, setting in enumerate(self.columns):
            if setting.id == setting_id:
                return index
        return None


def grid_layout(schema: ParameterSchema, prefix: str) -> GridLayout:
    """Rows x columns of the keys of ``prefix`` (``extension``, ``trunk``, a table)."""
    columns: list[Setting] = []
    rows: list[str] = []
    cells: dict[tuple[int, int], str] = {}
    column_index: dict[str, int] = {}
    row_index: dict[str, int] = {}
    for key in schema.keys:
        head, _, rest = key.partition(".")
        if head != prefix:
            continue
        row, _, _name = rest.partition(".")
        setting = schema.setting(key)
        if setting.id not in column_index:
            column_index[setting.id] = len(columns)
            columns.append(setting)
        if row not in row_index:
            row_index[row] = len(rows)
            rows.append(row)
        cells[(row_index[row], column_index[setting.id])] = key
    return GridLayout(rows, list(rows), columns, cells)


def form_layout(schema: ParameterSchema, keys: Iterable[str],
                language: str = "zh") -> GridLayout:
    """One line per key (system settings): the label as the row, the value in one column."""
    settings = [schema.setting(k) for k in keys]
    value_column = Setting(id="value", scope="system", label_zh="设置值", label_en="Value",
                           kind="text", allowed="", group="")
    about_column = Setting(id="about", scope="system", label_zh="说明", label_en="About",
                           kind="text", allowed="", group="")
    cells = {(i, 0): k for i, k in enumerate(keys)}
    return GridLayout([s.id for s in settings], [s.label(language) for s in settings],
                      [value_column, about_column], cells, form=True,
                      form_settings=settings)


def system_keys(schema: ParameterSchema, group: str) -> list[str]:
    return [k for k in schema.keys
            if k.startswith("system.") and schema.setting(k).group == group]


def other_system_tabs(schema: ParameterSchema) -> list[tuple[str, list[str]]]:
    """The system settings of 其它参数 by tab (``SYSTEM_TABS``), tabs without keys left out."""
    keys = system_keys(schema, "other")
    placed: set[str] = set()
    tabs: list[tuple[str, list[str]]] = []
    for tab, names in SYSTEM_TABS:
        if names:
            mine = [k for k in keys if k.partition(".")[2] in names]
        else:
            mine = [k for k in keys if k not in placed]
        placed.update(mine)
        if mine:
            tabs.append((tab, mine))
    return tabs


# ---------------------------------------------------------------------- the values
class ParameterValues:
    """Every key's value and state, following the image, the writes and the events."""

    def __init__(self) -> None:
        self.cells: dict[str, Cell] = {}
        self.source = ""

    def cell(self, key: str) -> Cell:
        return self.cells.get(key) or Cell(state=VERIFIED)

    def apply_image(self, page: Mapping[str, Any]) -> set[str]:
        """A page of ``parameter_image``; the keys it set."""
        self.source = str(page.get("source", self.source))
        changed: set[str] = set()
        for entry in page.get("params") or ():
            key = str(entry["key"])
            old = self.cells.get(key)
            if old is not None and old.state == PENDING:
                continue  # a write of ours is under way: its results say more
            self.cells[key] = Cell(str(entry.get("value", "")), str(entry.get("state",
                                                                             VERIFIED)),
                                   str(entry.get("reason", "")))
            changed.add(key)
        return changed

    def apply_event(self, event: Mapping[str, Any]) -> set[str]:
        """A ``parameter_changed`` event; the key when it is one of ours."""
        if event.get("event") != "parameter_changed":
            return set()
        key = str(event.get("key", ""))
        cell = self.cells.get(key)
        if cell is None:
            return set()
        new = str(event.get("new", ""))
        if cell.state == PENDING or (cell.state == WRITTEN and cell.value == new):
            cell.value = new  # our own write: its result colours it
        else:
            self.cells[key] = Cell(new, VERIFIED, "")
        return {key}

    def mark_pending(self, keys: Iterable[str]) -> set[str]:
        changed = set()
        for key in keys:
            cell = self.cells.setdefault(key, Cell())
            cell.state, cell.reason = PENDING, ""
            changed.add(key)
        return changed

    def mark_invalid(self, key: str, reason: str) -> None:
        cell = self.cells.setdefault(key, Cell())
        cell.state, cell.reason = INVALID, reason

    def apply_results(self, results: Iterable[Mapping[str, Any]]) -> set[str]:
        """The ``results`` of ``parameters_write`` or ``extensions_renumber``."""
        changed: set[str] = set()
        for result in results:
            key = str(result.get("key", ""))
            status = str(result.get("status", ""))
            reason = str(result.get("reason", ""))
            cell = self.cells.setdefault(key, Cell())
            if status == "written":
                cell.value, cell.state, cell.reason = str(result.get("value", "")), WRITTEN, ""
            elif status == "unchanged":
                cell.value, cell.state, cell.reason = str(result.get("value", "")), VERIFIED, ""
            elif status == "unconfirmed":
                cell.value, cell.state = str(result.get("value", "")), UNCONFIRMED
                cell.reason = reason
            elif status in (REFUSED, INVALID, NOT_SENT):
                old = result.get("old")
                if old not in (None, "") and cell.state == PENDING:
                    cell.value = str(old)
                cell.state, cell.reason = status, reason
            else:
                continue
            changed.add(key)
        return changed

    def release_pending(self, keys: Iterable[str], reason: str) -> set[str]:
        """Keys still pending after a failed or cancelled job: not sent."""
        changed = set()
        for key in keys:
            cell = self.cells.get(key)
            if cell is not None and cell.state == PENDING:
                cell.state, cell.reason = NOT_SENT, reason
                changed.add(key)
        return changed


# ---------------------------------------------------------------------- batches
class PlanError(ValueError):
    """A batch that cannot be planned (its text says why, for the status line)."""


def chunks(values: Mapping[str, str], size: int = WRITE_CHUNK) -> Iterator[dict[str, str]]:
    items = list(values.items())
    for start in range(0, len(items), size):
        yield dict(items[start:start + size])


def renumber_plan(ports: list[str], start: str) -> dict[str, str]:
    """Numbers from ``start`` for ``ports`` in order: 3001, 3002 ... (width kept)."""
    start = start.strip()
    if not start.isdigit() or not 2 <= len(start) <= 8:
        raise PlanError(start)
    first = int(start)
    numbers = {port: str(first + i).zfill(len(start)) for i, port in enumerate(ports)}
    if any(len(n) > len(start) for n in numbers.values()):
        raise PlanError(start)
    return numbers


def swap_plan(numbers: Mapping[str, str], first: str, second: str) -> dict[str, str]:
    """The two ports' numbers exchanged (the service orders the writes of a swap)."""
    return {first: numbers[second], second: numbers[first]}


def column_plan(schema: ParameterSchema, keys: Iterable[str], text: str) -> dict[str, str]:
    """``text`` for every key (all of one setting), checked first: ``ParameterError``
    names what is allowed."""
    keys = list(keys)
    if not keys:
        return {}
    value = schema.validate(keys[0], text)
    return {key: value for key in keys}


def port_of(key: str) -> str:
    """``extension.001.number`` -> ``001``."""
    return key.split(".")[1]


# ---------------------------------------------------------------------- editors
def editor_kind(setting: Setting) -> str:
    """``choice`` (a drop-down of the choices), ``set`` (a picker of trunks or groups: 部分使用),
    ``clock`` (HHMM), ``digits`` or ``text``."""
    if setting.choices:
        return "choice"
    if set_members(setting):
        return "set"
    if setting.kind == "clock_time":
        return "clock"
    if setting.kind in ("digits", "number", "service_class", "tenths"):
        return "digits"
    return "text"


def set_members(setting: Setting) -> list[str]:
    """The members a set value (``port_set``, ``group_set``, ``port_list``) picks from:
    the last ``a-b`` range its allowed text names (trunks 1-8, groups 1-12 ...)."""
    ranges = re.findall(r"(\d+)-(\d+)", setting.allowed)
    if setting.kind not in ("port_set", "group_set") or not ranges:
        return []
    low, high = (int(n) for n in ranges[-1])
    return [str(n) for n in range(low, high + 1)] if 0 < high - low < 100 else []


def parse_set(value: str, members: list[str]) -> set[str]:
    """``all`` / ``none`` / ``1,3,5`` -> the members chosen."""
    value = value.strip().lower()
    if value == "all":
        return set(members)
    if value in ("none", ""):
        return set()
    return {part.strip().lstrip("0") or "0" for part in value.split(",")} & set(members)


def format_set(chosen: set[str], members: list[str]) -> str:
    """The members chosen as the value text: ``all``, ``none`` or ``1,3,5``."""
    if members and chosen >= set(members):
        return "all"
    if not chosen:
        return "none"
    return ",".join(m for m in members if m in chosen)


def accepts_keystroke(setting: Setting, proposed: str) -> bool:
    """Whether an editor may hold ``proposed`` while typing (the full check comes at Enter:
    ``ParameterSchema.validate``)."""
    kind = editor_kind(setting)
    if kind == "clock":
        return len(proposed) <= 4 and (proposed == "" or proposed.isdigit())
    if kind == "digits":
        longest = setting.maximum if setting.kind == "digits" and setting.maximum else 12
        allowed = set("0123456789*#") if setting.kind == "digits" else set("0123456789.")
        return len(proposed) <= longest and set(proposed) <= allowed
    return len(proposed) <= 200


# ---------------------------------------------------------------------- the service side
class Cancellable(Protocol):
    """What the store needs of a request's handle (``connection.Job``)."""

    def cancel(self) -> None: ...


class RequestConnection(Protocol):
    """What the store needs of ``ServiceConnection``."""

    def request(self, action: str, on_done: Callable[[dict[str, Any]], None],
                on_error: Callable[[str, str], None], *,
                on_progress: Callable[[int, int, str], None] | None = None,
                timeout: float | None = None, **params: Any) -> Cancellable | None: ...


@dataclass
class WriteJob:
    """A write or renumbering under way: how far, and whether a cancel was asked."""

    action: str
    total: int
    done: int = 0
    text: str = ""
    cancelled: bool = False
    finished: bool = False
    #: Results by status once finished ({"written": 3, "refused": 1 ...}).
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    #: The request under way (its handle, for ``cancel``) and the count done before it.
    request: Cancellable | None = None
    base: int = 0

    def progressed(self, done: int, text: str) -> bool:
        """The request under way's progress (``done`` of its own keys); whether taken."""
        if self.finished:
            return False
        self.done = self.base + done
        self.text = text
        return True


class ParameterStore:
    """The parameters of the one service: schema and values, loaded once and followed
    (``parameter_changed``), written in chunks with progress and a cancel between chunks.

    ``listeners`` get the keys that changed (``None``: everything, e.g. after a load);
    ``job_listeners`` get the job after each step and when it ends.  Everything is called
    in the thread that drains the connection (the Tk thread).
    """

    def __init__(self, connection: RequestConnection) -> None:
        self.connection = connection
        self.schema: ParameterSchema | None = None
        self.values = ParameterValues()
        self.loading = False
        self.error = ""
        self.job: WriteJob | None = None
        self.listeners: list[Callable[[set[str] | None], None]] = []
        self.job_listeners: list[Callable[[WriteJob], None]] = []
        self._last_event: object = None
        self._schema_pages: list[dict[str, Any]] = []

    @property
    def loaded(self) -> bool:
        return self.schema is not None and not self.loading

    def load(self) -> None:
        """Ask for the schema (all pages) then the image (all pages)."""
        if self.loading:
            return
        self.loading, self.error = True, ""
        self._schema_pages = []
        self._ask_schema(0)

    def _ask_schema(self, offset: int) -> None:
        def done(page: dict[str, Any]) -> None:
            self._schema_pages.append(page)
            got = offset + len(page.get("keys") or ())
            if page.get("keys") and got < int(page.get("total", 0)):
                self._ask_schema(got)
            else:
                self.schema = ParameterSchema(self._schema_pages)
                self._ask_image(0)
        self.connection.request("parameter_schema", done, self._failed, offset=offset)

    def _ask_image(self, offset: int) -> None:
        def done(page: dict[str, Any]) -> None:
            self.values.apply_image(page)
            got = offset + len(page.get("params") or ())
            if page.get("params") and got < int(page.get("total", 0)):
                self._ask_image(got)
            else:
                self.loading = False
                self._tell(None)
        self.connection.request("parameter_image", done, self._failed, offset=offset)

    def _failed(self, code: str, message: str) -> None:
        self.loading = False
        self.error = f"{code}: {message}"
        self._tell(None)

    def _tell(self, keys: set[str] | None) -> None:
        for listener in list(self.listeners):
            listener(keys)

    def _tell_job(self, job: WriteJob) -> None:
        for listener in list(self.job_listeners):
            listener(job)

    def on_event(self, event: dict[str, Any]) -> None:
        """Every page passes every event; it is applied once."""
        if event is self._last_event:
            return
        self._last_event = event
        name = event.get("event")
        if name == "parameter_changed":
            changed = self.values.apply_event(event)
            if changed:
                self._tell(changed)
        elif name == "verification_done" and self.schema is not None and not self.loading:
            self.load()

    @property
    def busy(self) -> bool:
        return self.job is not None and not self.job.finished

    def write(self, values: Mapping[str, str]) -> WriteJob | None:
        """Write ``values`` (checked already) in chunks; None while another job runs."""
        if self.busy or not values:
            return None
        job = WriteJob("parameters_write", total=len(values))
        self.job = job
        self._tell(self.values.mark_pending(values))
        pending = list(chunks(values))
        self._next_chunk(job, pending)
        self._tell_job(job)
        return job

    def _next_chunk(self, job: WriteJob, pending: list[dict[str, str]]) -> None:
        if not pending or job.cancelled:
            left = [k for chunk in pending for k in chunk]
            self._finish(job, left, "cancelled" if job.cancelled else "")
            return
        chunk = pending.pop(0)
        base = job.base = job.done

        def done(answer: dict[str, Any]) -> None:
            self._results(job, answer.get("results") or [])
            job.done = base + len(chunk)
            self._tell_job(job)
            self._next_chunk(job, pending)

        def failed(code: str, message: str) -> None:
            job.error = f"{code}: {message}"
            self._finish(job, [k for c in [chunk, *pending] for k in c], job.error)
        job.request = self.connection.request("parameters_write", done, failed,
                                              on_progress=self._progress(job), timeout=120.0,
                                              values=chunk)

    def renumber(self, numbers: Mapping[str, str]) -> WriteJob | None:
        """``extensions_renumber`` (one request: the service orders a swap's writes)."""
        if self.busy or not numbers:
            return None
        keys = [f"extension.{port}.number" for port in numbers]
        job = WriteJob("extensions_renumber", total=len(numbers))
        self.job = job
        self._tell(self.values.mark_pending(keys))

        def done(answer: dict[str, Any]) -> None:
            self._results(job, answer.get("results") or [])
            self._finish(job, keys, "")

        def failed(code: str, message: str) -> None:
            job.error = f"{code}: {message}"
            self._finish(job, keys, job.error)
            self.load()  # a cancelled renumbering keeps what was done: read it again
        job.request = self.connection.request("extensions_renumber", done, failed,
                                              on_progress=self._progress(job), timeout=120.0,
                                              numbers=dict(numbers))
        self._tell_job(job)
        return job

    def _progress(self, job: WriteJob) -> Callable[[int, int, str], None]:
        def progress(done: int, _total: int, text: str) -> None:
            if job is self.job and job.progressed(done, text):
                self._tell_job(job)
        return progress

    def _results(self, job: WriteJob, results: list[dict[str, Any]]) -> None:
        job.results.extend(results)
        for result in results:
            status = str(result.get("status", ""))
            job.counts[status] = job.counts.get(status, 0) + 1
        changed = self.values.apply_results(results)
        if changed:
            self._tell(changed)

    def _finish(self, job: WriteJob, left: list[str], reason: str) -> None:
        if left:
            changed = self.values.release_pending(left, reason or "cancelled")
            if changed:
                job.counts[NOT_SENT] = job.counts.get(NOT_SENT, 0) + len(changed)
                self._tell(changed)
        job.finished = True
        self._tell_job(job)

    def cancel(self) -> None:
        """Stop before the next key (the ``cancel`` of the request under way, through its
        handle) and send no further chunk; what was written stays written."""
        job = self.job
        if job is None or job.finished:
            return
        job.cancelled = True
        if job.request is not None:
            job.request.cancel()
        self._tell_job(job)
