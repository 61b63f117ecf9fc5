"""The PBX parameter schema: how one programmable setting is declared.

Every PBX setting (FEATURES.md S-3..S-34) is one ``Parameter`` in
``catalog.py``.  The grid pages, validation, the wire codec (rows of a
parameter group), backup/restore, the audit log and the simulator all read
that one declaration: a new setting is one new entry.

Keys
----
``extension.<port>.<name>`` (ports ``001``...), ``trunk.<nn>.<name>`` (``01``...),
``system.<name>``, and ``<table>.<row>.<field>`` for tables.  Values are
canonical text (``"11"``, ``"all"``, ``"01,03"``): what the PBX stores, what a
dump shows, what the wire carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Scope(StrEnum):
    EXTENSION = "extension"
    TRUNK = "trunk"
    SYSTEM = "system"
    TABLE = "table"


class Group(StrEnum):
    """The four parameter groups of backup/restore (manual 1-4)."""

    EXTENSION = "extension"
    TRUNK = "trunk"
    SWITCHES = "switches"
    OTHER = "other"


GROUP_LABELS: dict[Group, tuple[str, str]] = {
    Group.EXTENSION: ("分机参数", "Extension parameters"),
    Group.TRUNK: ("外线参数", "Trunk parameters"),
    Group.SWITCHES: ("开关参数", "Switch parameters"),
    Group.OTHER: ("其它参数", "Other parameters"),
}


class ParameterError(ValueError):
    """A value (or key) that the schema does not allow; the text says what is allowed."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class ValueKind(Protocol):
    """A type of value: parses user/wire text into canonical text."""

    def parse(self, text: str) -> str:
        """Return the canonical text, or raise ValueError saying what is allowed."""
        ...

    def describe(self) -> str:
        """What is allowed, in English, for messages and docs."""
        ...


Default = str | Callable[[int], str]


@dataclass(frozen=True)
class Table:
    """A programmable table (restriction codes, abbreviated codes ...)."""

    name: str
    label_zh: str
    label_en: str
    rows: int
    group: Group
    row_width: int = 2  # rows are numbered 01, 02 ... (zero padded to this width)
    first_row: int = 1

    def row_ids(self) -> list[str]:
        return [str(i).zfill(self.row_width)
                for i in range(self.first_row, self.first_row + self.rows)]


@dataclass(frozen=True)
class Parameter:
    """One programmable setting, declared once."""

    name: str
    label_zh: str
    label_en: str
    scope: Scope
    kind: ValueKind
    default: Default
    group: Group
    feature: str = ""  # FEATURES.md id, e.g. "S-4"
    table: str = ""  # for Scope.TABLE: the Table's name
    help_zh: str = ""
    help_en: str = ""

    def default_for(self, row_index: int) -> str:
        """Factory default of this parameter on row ``row_index`` (0-based)."""
        return self.default(row_index) if callable(self.default) else self.default


@dataclass(frozen=True)
class Row:
    """One wire row of a parameter group: a key prefix and its keys in wire order."""

    prefix: str
    keys: tuple[str, ...]


ConsistencyRule = Callable[[Mapping[str, str]], str | None]


class RowIndex(Mapping[str, str]):
    """A parameter image whose table keys (``<table>.<row>.<field>``) are indexed by
    (table, field) on first use: every consistency rule asks for whole columns, and one pass
    over the image serves them all instead of one scan per rule (``check_consistency``)."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = params
        self._columns: dict[tuple[str, str], dict[str, str]] | None = None

    def __getitem__(self, key: str) -> str:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def column(self, table: str, field: str) -> dict[str, str]:
        """``{row: value}`` of the ``<table>.<row>.<field>`` keys present."""
        return dict(self._index().get((table, field), {}))

    def changed(self, key: str, value: str) -> RowIndex:
        """This image with ``key`` set to ``value``; the index is shared but for the one
        column that changed (a batch checks each of its keys against the image so far)."""
        trial = RowIndex({**self._params, key: value})
        columns = dict(self._index())
        place = _table_place(key)
        if place is not None:
            column, row = place
            columns[column] = {**columns.get(column, {}), row: value}
        trial._columns = columns
        return trial

    def _index(self) -> dict[tuple[str, str], dict[str, str]]:
        if self._columns is None:
            columns: dict[tuple[str, str], dict[str, str]] = {}
            for key, value in self._params.items():
                place = _table_place(key)
                if place is not None:
                    columns.setdefault(place[0], {})[place[1]] = value
            self._columns = columns
        return self._columns


def _table_place(key: str) -> tuple[tuple[str, str], str] | None:
    """((table, field), row) of a ``<table>.<row>.<field>`` key; None for other keys."""
    parts = key.split(".")
    if len(parts) != 3:
        return None
    return (parts[0], parts[2]), parts[1]


class Schema:
    """The catalogue expanded for a PBX of ``extensions`` ports and ``trunks`` trunks."""

    def __init__(self, parameters: list[Parameter], tables: list[Table], extensions: int = 24,
                 trunks: int = 8, rules: list[ConsistencyRule] | None = None) -> None:
        if not 1 <= extensions <= 999 or not 0 <= trunks <= 99:
            raise ValueError("extensions must be 1..999 and trunks 0..99")
        self.parameters = parameters
        self.tables = {t.name: t for t in tables}
        self.extensions = extensions
        self.trunks = trunks
        self.rules = rules or []
        self._index: dict[str, tuple[Parameter, int]] = {}
        self._rows: dict[Group, list[Row]] = {g: [] for g in Group}
        orphans = sorted({p.table for p in parameters
                          if p.scope == Scope.TABLE and p.table not in self.tables})
        if orphans:
            raise ValueError(f"table parameters of undeclared tables: {', '.join(orphans)}")
        for prefix, params, row_ids in self._row_kinds():
            for index, row_id in enumerate(row_ids):
                row_prefix = f"{prefix}.{row_id}" if row_id else prefix
                for group in Group:
                    keys = tuple(f"{row_prefix}.{p.name}" for p in params if p.group == group)
                    if keys:
                        self._rows[group].append(Row(row_prefix, keys))
                for p in params:
                    key = f"{row_prefix}.{p.name}"
                    if key in self._index:
                        raise ValueError(f"parameter {key} is declared twice")
                    self._index[key] = (p, index)

    def _row_kinds(self) -> Iterator[tuple[str, list[Parameter], list[str]]]:
        by_scope = {s: [p for p in self.parameters if p.scope == s] for s in Scope}
        yield "extension", by_scope[Scope.EXTENSION], port_ids(self.extensions)
        yield "trunk", by_scope[Scope.TRUNK], trunk_ids(self.trunks)
        yield "system", by_scope[Scope.SYSTEM], [""]
        for table in self.tables.values():
            params = [p for p in by_scope[Scope.TABLE] if p.table == table.name]
            yield table.name, params, table.row_ids()

    def keys(self) -> list[str]:
        """Every key, in group order then wire order."""
        return [k for g in Group for row in self._rows[g] for k in row.keys]

    def group_rows(self, group: Group | str) -> list[Row]:
        return self._rows[Group(group)]

    def lookup(self, key: str) -> tuple[Parameter, int]:
        """The parameter behind ``key`` and its row index; ParameterError if unknown."""
        try:
            return self._index[key]
        except KeyError:
            raise ParameterError(key, "no such parameter on this PBX (see `pbx dump` for "
                                 "the keys)") from None

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def group_of(self, key: str) -> Group:
        return self.lookup(key)[0].group

    def validate(self, key: str, text: str) -> str:
        """Canonical text for ``text`` at ``key``, or ParameterError naming what is allowed."""
        param, _ = self.lookup(key)
        try:
            return param.kind.parse(text.strip())
        except ValueError as exc:
            raise ParameterError(key, f"{exc} (allowed: {param.kind.describe()})") from None

    def default(self, key: str) -> str:
        param, index = self.lookup(key)
        return param.default_for(index)

    def defaults(self) -> dict[str, str]:
        return {k: self.default(k) for k in self.keys()}

    def check_consistency(self, params: Mapping[str, str]) -> list[str]:
        """Problems between settings (e.g. smart routing with multiple routes on)."""
        indexed = params if isinstance(params, RowIndex) else RowIndex(params)
        return [msg for rule in self.rules if (msg := rule(indexed))]


def port_ids(count: int) -> list[str]:
    """Extension ports as the manual writes them: 001, 002 ..."""
    return [f"{i:03d}" for i in range(1, count + 1)]


def trunk_ids(count: int) -> list[str]:
    """Trunk ports: 01, 02 ..."""
    return [f"{i:02d}" for i in range(1, count + 1)]
