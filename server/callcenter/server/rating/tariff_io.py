"""Tariff files: CSV and XLSX import/export, and the JSON tariff file under ``--data DIR``.

Import checks every row before anything is returned: a file with bad rows raises one
``TariffImportError`` listing all of them (row number, field, what is allowed), so a caller that
replaces its tariff only with what an import returned never ends up with half a file. Row numbers
are the spreadsheet's: the header is row 1.

The JSON tariff file (``DIR/tariff.json``) stands in for the database store until the store
exists; ``load_data_tariff`` is the one function the CLI calls, so the store can replace it.
``require_server_data`` is what the reading commands (``rate``, ``tariff``, ``records``) check
first, so that a mistyped ``--data`` is reported instead of looking like an empty store.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from callcenter.server.rating.rate import Tariff, default_tariff
from callcenter.server.rating.tariff import (
    ALLOWED,
    FIELD_TITLES_ZH,
    FIELDS,
    SERVICE_TYPES,
    ServiceType,
    TariffError,
    TariffRow,
    parse_row,
    service_type,
)

MAX_ROWS: Final = 200_000
TARIFF_FILE: Final = "tariff.json"
#: File name suffixes ``tariff import`` and ``tariff export`` accept.
TARIFF_SUFFIXES: Final = (".csv", ".xlsx")
JSON_FORMAT: Final = "callcenter-tariff/1"
SERVICE_NAME_ZH: Final = "业务名称"
# Column titles an import accepts for each field; "业务名称"/"service_name" is informational.
_COLUMN: Final[Mapping[str, str]] = {
    **{name: name for name in FIELDS},
    **{title: name for name, title in FIELD_TITLES_ZH.items()},
}
_IGNORED_COLUMNS: Final = frozenset({SERVICE_NAME_ZH, "service_name"})


class TariffImportError(TariffError):
    """A tariff file that cannot be imported; ``problems`` lists every reason, one per line."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{source}: {count} problem{'s' if count != 1 else ''}, nothing imported"
        super().__init__("\n  ".join([head, *self.problems]))


# --- rows from a table of cells (shared by CSV and XLSX) -----------------------------------------

def rows_from_table(table: Iterable[Sequence[object]], source: str) -> tuple[TariffRow, ...]:
    """Check a header row and data rows; return the tariff rows or raise with every problem."""
    problems: list[str] = []
    lines = iter(enumerate(table, start=1))
    columns: list[str | None] = []
    for number, cells in lines:
        if _blank(cells):
            continue
        columns = _header(number, cells, problems)
        if problems:  # every data row would repeat the header's problem
            raise TariffImportError(source, problems)
        break
    else:
        raise TariffImportError(source, ["the file is empty: expected a header row with "
                                         + ", ".join(FIELDS)])
    rows: list[TariffRow] = []
    first_row: dict[str, int] = {}
    for number, cells in lines:
        if _blank(cells):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(f"row {number}: too many rows (at most {MAX_ROWS})")
            break
        if len(cells) > len(columns) and not _blank(cells[len(columns):]):
            problems.append(f"row {number}: {len(cells)} cells, but the header has "
                            f"{len(columns)} columns")
            continue
        values = {name: cell for name, cell in zip(columns, cells, strict=False) if name}
        row, bad = parse_row(values)
        if row is None:
            problems.extend(f"row {number}: {text}" for text in bad)
            continue
        if row.prefix in first_row:
            problems.append(f"row {number}: prefix: {row.prefix} is already on row "
                            f"{first_row[row.prefix]} (each prefix once)")
            continue
        first_row[row.prefix] = number
        rows.append(row)
    if not problems and not rows:
        problems.append("no tariff rows after the header")
    if problems:
        raise TariffImportError(source, problems)
    return tuple(rows)


def _blank(cells: Sequence[object]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in cells)


def _header(number: int, cells: Sequence[object], problems: list[str]) -> list[str | None]:
    columns: list[str | None] = []
    for cell in cells:
        title = "" if cell is None else str(cell).strip()
        name = _COLUMN.get(title) or _COLUMN.get(title.lower())
        if name is None:
            if title and title not in _IGNORED_COLUMNS:
                problems.append(f"row {number}: unknown column {title!r}; the columns are "
                                + ", ".join(FIELDS) + " (or " + ", ".join(FIELD_TITLES_ZH.values())
                                + ")")
            columns.append(None)
        elif name in columns:
            problems.append(f"row {number}: column {title!r} ({name}) appears twice")
            columns.append(None)
        else:
            columns.append(name)
    problems.extend(f"row {number}: missing column {name} ({FIELD_TITLES_ZH[name]})"
                    for name in FIELDS if name not in columns)
    return columns


# --- CSV ------------------------------------------------------------------------------------------

def parse_tariff_csv(data: bytes, source: str = "CSV") -> tuple[TariffRow, ...]:
    """Rows from CSV bytes: UTF-8 (a byte-order mark is fine), or GB18030 as Chinese Excel saves
    it; English or Chinese column titles, in any order."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise TariffImportError(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    return rows_from_table(csv.reader(io.StringIO(text, newline="")), source)


def format_tariff_csv(rows: Iterable[TariffRow]) -> str:
    """CSV text with the English column names; charges exactly as in the tariff."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([getattr(row, name) for name in FIELDS])
    return out.getvalue()


def read_tariff_csv(path: Path) -> tuple[TariffRow, ...]:
    """Import a CSV file (see ``parse_tariff_csv``)."""
    return parse_tariff_csv(_read_bytes(path), str(path))


def write_tariff_csv(rows: Iterable[TariffRow], path: Path) -> None:
    """Export as UTF-8 CSV (no byte-order mark), replacing ``path`` atomically."""
    data = format_tariff_csv(rows).encode()
    _write_atomically(path, lambda tmp: tmp.write_bytes(data))


# --- XLSX -----------------------------------------------------------------------------------------

def read_tariff_xlsx(path: Path) -> tuple[TariffRow, ...]:
    """Import the first sheet of an XLSX workbook; Chinese or English column titles."""
    import openpyxl  # noqa: PLC0415  # heavy; only the XLSX paths need it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TariffImportError(str(path), [f"not a readable XLSX workbook ({exc})"]) from None
    try:
        sheet = book.worksheets[0]
        table = [list(cells) for cells in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return rows_from_table(table, str(path))


def write_tariff_xlsx(rows: Iterable[TariffRow], path: Path,
                      names: Mapping[int, ServiceType] = SERVICE_TYPES) -> None:
    """Export as XLSX with the manual's column titles and its 业务名称 column (ignored on import).

    Prefixes are text cells, so leading zeros survive; charges are written from the Decimal's
    own digits (openpyxl stores ``str(Decimal)``), never through a float.
    """
    import openpyxl  # noqa: PLC0415  # heavy; only the XLSX paths need it

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "计费设置"
    sheet.append([FIELD_TITLES_ZH[name] for name in FIELDS] + [SERVICE_NAME_ZH])
    for index, row in enumerate(rows, start=2):
        sheet.append([row.prefix, row.description, row.initial_seconds, row.initial_charge,
                      row.interval_seconds, row.interval_charge, row.service_type,
                      service_type(row.service_type, names).label()])
        sheet.cell(index, 1).number_format = "@"
        for column in (4, 6):
            sheet.cell(index, column).number_format = "0.00##"
    for letter, width in zip("ABCDEFGH", (10, 20, 10, 10, 10, 10, 10, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    _write_atomically(path, book.save)


# --- by file name ---------------------------------------------------------------------------------

def read_tariff_rows(path: Path) -> tuple[TariffRow, ...]:
    """Import ``.csv`` or ``.xlsx`` by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_tariff_csv(path)
    if suffix == ".xlsx":
        return read_tariff_xlsx(path)
    raise TariffImportError(str(path), [f"the file name must end in {_suffixes()}"])


def write_tariff_rows(rows: Iterable[TariffRow], path: Path) -> None:
    """Export as ``.csv`` or ``.xlsx`` by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_tariff_csv(rows, path)
    elif suffix == ".xlsx":
        write_tariff_xlsx(rows, path)
    else:
        raise TariffError(f"{path}: the file name must end in {_suffixes()}")


def _suffixes() -> str:
    return " or ".join(TARIFF_SUFFIXES)


def import_tariff(tariff: Tariff, path: Path, *, holiday: bool = False) -> Tariff:
    """A new tariff with the normal (or holiday) rows replaced by the file's rows.

    Raises ``TariffImportError`` before building anything when the file has any bad row.
    """
    rows = read_tariff_rows(path)
    return tariff.with_rows(holiday_rows=rows) if holiday else tariff.with_rows(rows)


# --- the JSON tariff file -------------------------------------------------------------------------

def tariff_to_json(tariff: Tariff) -> dict[str, Any]:
    """The JSON tariff file's object (see docs/rating.md, "The tariff file")."""
    def row_obj(row: TariffRow) -> dict[str, Any]:
        return {name: (str(value) if isinstance(value, Decimal) else value)
                for name in FIELDS for value in [getattr(row, name)]}
    return {
        "format": JSON_FORMAT,
        "version": tariff.version,
        "rows": [row_obj(r) for r in tariff.rows],
        "holiday_rows": [row_obj(r) for r in tariff.holiday_rows],
        "holidays": sorted(day.isoformat() for day in tariff.holidays),
        "service_types": [{"code": st.code, "name_zh": st.name_zh, "name_en": st.name_en,
                           "scope": st.scope}
                          for st in sorted(tariff.service_types.values(), key=lambda s: s.code)],
    }


def tariff_from_json(obj: object, source: str = "tariff.json") -> Tariff:
    """A tariff from the JSON object; every problem is reported at once.

    The version is always recomputed from the content: a file edited by hand is a new version
    whatever its ``version`` says.
    """
    problems: list[str] = []
    if not isinstance(obj, dict):
        raise TariffImportError(source, ["must be a JSON object"])
    if obj.get("format", JSON_FORMAT) != JSON_FORMAT:
        problems.append(f"format: must be {JSON_FORMAT!r}, got {obj.get('format')!r}")
    unknown_keys = set(obj) - {"format", "version", "rows", "holiday_rows", "holidays",
                               "service_types"}
    problems.extend(f"{key}: unknown key" for key in sorted(unknown_keys))
    rows = _json_rows(obj.get("rows"), "rows", problems, required=True)
    holiday_rows = _json_rows(obj.get("holiday_rows", []), "holiday_rows", problems)
    holidays: set[date] = set()
    raw_days = obj.get("holidays", [])
    if not isinstance(raw_days, list):
        problems.append("holidays: must be a list of dates YYYY-MM-DD")
        raw_days = []
    for index, text in enumerate(raw_days):
        try:
            holidays.add(date.fromisoformat(text))
        except (TypeError, ValueError):
            problems.append(f"holidays[{index}]: must be a date YYYY-MM-DD, got {text!r}")
    names = _json_service_types(obj.get("service_types"), problems)
    if problems:
        raise TariffImportError(source, problems)
    return Tariff(rows, holiday_rows, frozenset(holidays), names)


def _json_rows(items: object, key: str, problems: list[str], *,
               required: bool = False) -> tuple[TariffRow, ...]:
    if not isinstance(items, list) or (required and not items):
        problems.append(f"{key}: must be a {'non-empty ' if required else ''}list of rows, "
                        "each an object with " + ", ".join(FIELDS))
        return ()
    rows: list[TariffRow] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object with " + ", ".join(FIELDS))
            continue
        extra = sorted(set(item) - set(FIELDS))
        problems.extend(f"{where}: {name}: unknown field" for name in extra)
        row, bad = parse_row(item)
        if row is None:
            problems.extend(f"{where}: {text}" for text in bad)
        elif row.prefix in seen:
            problems.append(f"{where}: prefix: {row.prefix} is already in "
                            f"{key}[{seen[row.prefix]}]")
        else:
            seen[row.prefix] = index
            rows.append(row)
    return tuple(rows)


def _json_service_types(items: object, problems: list[str]) -> Mapping[int, ServiceType]:
    if items is None:
        return SERVICE_TYPES
    names: dict[int, ServiceType] = {}
    if not isinstance(items, list):
        problems.append("service_types: must be a list of {code, name_zh, name_en, scope}")
        return names
    for index, item in enumerate(items):
        code = item.get("code") if isinstance(item, dict) else None
        if (isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= 99
                and isinstance(item, dict) and isinstance(item.get("name_zh"), str)
                and isinstance(item.get("name_en"), str)):
            names[code] = ServiceType(code, item["name_zh"], item["name_en"],
                                      str(item.get("scope", "other")))
        else:
            problems.append(f"service_types[{index}]: must be an object with code "
                            f"({ALLOWED['service_type']}), name_zh, name_en and scope")
    return names


def load_tariff_file(path: Path) -> Tariff:
    """Read a JSON tariff file; raises ``TariffImportError`` naming every problem."""
    try:
        obj = json.loads(_read_bytes(path).decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TariffImportError(str(path), [f"not a JSON file ({exc})"]) from None
    return tariff_from_json(obj, str(path))


def save_tariff_file(tariff: Tariff, path: Path) -> None:
    """Write the JSON tariff file atomically (a crash leaves the old file or the new one)."""
    data = json.dumps(tariff_to_json(tariff), ensure_ascii=False, indent=1).encode() + b"\n"
    _write_atomically(path, lambda tmp: tmp.write_bytes(data))


def load_data_tariff(data_dir: Path | None) -> Tariff:
    """The tariff the server rates with: ``DIR/tariff.json`` if present, else the default.

    The database store will replace this function; callers use nothing else.
    """
    if data_dir is not None:
        path = data_dir / TARIFF_FILE
        if path.exists():
            return load_tariff_file(path)
    return default_tariff()


# --- helpers --------------------------------------------------------------------------------------

def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TariffImportError(str(path), [f"cannot read the file ({exc.strerror})"]) from None


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        # mkstemp makes the file private; give it the mode of the file it replaces, or 0644.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
