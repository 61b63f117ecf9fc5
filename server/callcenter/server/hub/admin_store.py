"""Admin API handlers: see ``callcenter.common.agent.admin_store`` for the actions and
``hub.admin`` for how handlers are written.

Records, tariff, rooms, accounts, settings, the audit log and alerts.  Every handler does its
store work in ``call.in_store`` (or ``call.in_worker`` for long work: exports, verification,
PBX writes), takes plain data in and gives plain data out; domain errors (``FilterError``,
``LedgerError``, ``AccountError``, ``SettingError``, ``TariffError``) become ``bad_request``
or ``not_found`` with the field named as the protocol names it.
"""

from __future__ import annotations

import os
import tempfile
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from callcenter.common.agent.admin_store import FILTER_NAMES
from callcenter.common.agent.catalog import ErrorCode
from callcenter.common.pbx.messages import CallRecord
from callcenter.server.accounts import service as accounts
from callcenter.server.accounts.service import AccountError, AccountInfo
from callcenter.server.hub.admin import AdminCall, AdminError
from callcenter.server.pbx.backup import EXPORTS, UPLOADS
from callcenter.server.pbx.events import RecordStored
from callcenter.server.prepaid import ledger
from callcenter.server.prepaid.ledger import AccountRef, AccountState, LedgerError
from callcenter.server.query.alerts import list_alerts, resolve_alert
from callcenter.server.query.archives import archive_list
from callcenter.server.query.export import report_title, write_csv, write_xlsx
from callcenter.server.query.filters import FilterError, Filters, parse_filters
from callcenter.server.query.pdf import ReportTooLarge, render_pdf
from callcenter.server.query.search import RecordView, count_records, iter_records, search
from callcenter.server.query.summary import SummaryRow, summarize
from callcenter.server.query.verify_all import verify_records
from callcenter.server.rating.tariff import TariffError
from callcenter.server.rating.tariff_io import (
    TARIFF_SUFFIXES,
    import_tariff,
    load_data_tariff,
    write_tariff_rows,
)
from callcenter.server.rating.tariff_service import (
    rate_call,
    save_tariff,
    tariff_data,
    tariff_from_data,
)
from callcenter.server.store import audit
from callcenter.server.store.db import database, read_snapshot
from callcenter.server.store.prepaid_models import DISA, EXTENSION, PASSWORD
from callcenter.server.store.rerate import rerate
from callcenter.server.store.settings import (
    SETTINGS,
    SettingError,
    format_value,
    get_setting,
    set_setting,
    spec_for,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from callcenter.server.hub.admin import AdminHandler
    from callcenter.server.pbx.events import ServiceEvent

#: Problems listed by records_verify (the count says how many there were in all).
MAX_PROBLEMS: Final = 1000
#: Rows between two progress events of a long export.
PROGRESS_EVERY: Final = 500


def _bad(message: str) -> AdminError:
    return AdminError(ErrorCode.BAD_REQUEST, message)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """Optional result fields are left out rather than sent as null."""
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------- records

def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(str(get_setting("timezone")))


def _filter_error(exc: FilterError) -> AdminError:
    return _bad(f"field {exc.field!r}: {exc.detail}" if exc.field else exc.detail)


def _filters(params: Mapping[str, Any]) -> Filters:
    """The request's filters (store thread: reads the timezone setting)."""
    values = {name: params.get(name) for name in FILTER_NAMES}
    return parse_filters(values, _zone())


def record_data(view: RecordView) -> dict[str, Any]:
    """A record as plain data (money as a string)."""
    return _drop_none({
        "id": view.id, "pbx": view.pbx, "seq": view.seq,
        "start": view.start.isoformat(timespec="seconds"), "port": view.port,
        "extension": view.extension, "trunk": view.trunk, "number": view.number,
        "duration": view.duration, "cost": f"{view.cost:.2f}", "call_type": view.call_type,
        "caller": view.caller, "account": view.account, "service_type": view.service_type,
        "description": view.description, "unknown": view.unknown, "source": view.source,
        "tariff_version": view.tariff_version, "receipt": view.receipt})


def _summary_data(row: SummaryRow) -> dict[str, Any]:
    return {"key": row.key, "label": row.label, "count": row.count, "duration": row.duration,
            "cost": f"{row.cost:.2f}"}


async def _records_query(call: AdminCall) -> dict[str, Any]:
    params = call.params

    def work() -> dict[str, Any]:
        filters = _filters(params)
        with read_snapshot(database):
            rows = search(database, filters, sort=str(params.get("sort", "start")),
                          desc=bool(params.get("desc", False)),
                          limit=int(params.get("limit", 50)),
                          offset=int(params.get("offset", 0)))
            total = count_records(database, filters)
        return {"total": total, "rows": [record_data(r) for r in rows]}

    try:
        return await call.in_store(work)
    except FilterError as exc:
        raise _filter_error(exc) from None


async def _records_summary(call: AdminCall) -> dict[str, Any]:
    params = call.params

    def work() -> dict[str, Any]:
        summary = summarize(database, _filters(params), params.get("by"))
        return {"rows": [_summary_data(r) for r in summary.rows],
                "total": _summary_data(summary.total)}

    try:
        return await call.in_store(work)
    except FilterError as exc:
        raise _filter_error(exc) from None


def _area(call: AdminCall, area: str) -> Path:
    folder = call.backend.data_dir / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _new_name(folder: Path, stem: str, suffix: str) -> Path:
    """A file name not taken yet in ``folder``: ``stem-YYYYmmdd-HHMMSS[-N].suffix``."""
    stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = folder / f"{stem}-{stamp}{'' if n == 1 else f'-{n}'}{suffix}"
        if not path.exists():
            return path
    raise AdminError(ErrorCode.INTERNAL, f"{folder}: too many exports this second")


def _write_via_temp(path: Path, write: Callable[[Path], object]) -> None:
    """Write to a temporary file beside ``path`` and rename it: a download never sees half a
    file, and a cancelled or failed export leaves nothing."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _counted(rows: Iterator[RecordView], call: AdminCall, total: int) -> Iterator[RecordView]:
    """``rows`` with progress, stopping at a cancel; the records' read (and its transaction)
    is closed whatever ends the loop."""
    try:
        for done, row in enumerate(rows, 1):
            yield row
            if done % PROGRESS_EVERY == 0:
                call.job.check(f"{done} of {total} records written; no file was kept")
                call.job.progress(done, total, "records")
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


async def _records_export(call: AdminCall) -> dict[str, Any]:
    params = call.params
    fmt = str(params.get("format", "csv"))
    folder = _area(call, EXPORTS)
    path = _new_name(folder, "records", "." + fmt)

    def work() -> dict[str, Any]:
        filters = _filters(params)
        total = count_records(database, filters)
        call.job.progress(0, total, "records")
        title = str(params.get("title") or report_title(filters))

        def write(tmp: Path) -> object:
            rows = _counted(iter_records(database, filters), call, total)
            if fmt == "csv":
                with tmp.open("w", encoding="utf-8", newline="") as out:
                    return write_csv(rows, out, excel=True)
            if fmt == "xlsx":
                return write_xlsx(rows, tmp, title)
            summary = summarize(database, filters, None)
            return render_pdf(rows, summary, title, tmp)

        _write_via_temp(path, write)
        call.job.progress(total, total, "records")
        return {"area": EXPORTS, "name": path.name, "size": path.stat().st_size,
                "records": total}

    try:
        return await call.in_worker(work)
    except FilterError as exc:
        raise _filter_error(exc) from None
    except ReportTooLarge as exc:
        raise _bad(f"field 'format': {exc}") from None


async def _records_verify(call: AdminCall) -> dict[str, Any]:
    pbx = call.params.get("pbx")

    def progress(done: int) -> None:
        call.job.check(f"{done} records checked")
        call.job.progress(done, 0, "records checked")

    def work() -> dict[str, Any]:
        checked, problems = verify_records(database, pbx, progress)
        return {"checked": checked, "problems": [p.text for p in problems[:MAX_PROBLEMS]],
                "problem_count": len(problems)}

    return await call.in_worker(work)


async def _records_archives(call: AdminCall) -> dict[str, Any]:
    return {"archives": await call.in_store(archive_list)}


# ---------------------------------------------------------------------- tariff

async def _tariff_get(call: AdminCall) -> dict[str, Any]:
    data_dir = call.backend.data_dir

    def work() -> dict[str, Any]:
        tariff = load_data_tariff(data_dir)
        return {"tariff": tariff_data(tariff), "version": tariff.version}

    try:
        return await call.in_store(work)
    except TariffError as exc:
        raise AdminError(ErrorCode.INTERNAL, f"the saved tariff cannot be read: {exc}") from None


async def _tariff_save(call: AdminCall) -> dict[str, Any]:
    data_dir, who, given = call.backend.data_dir, call.who, call.params["tariff"]

    def work() -> dict[str, Any]:
        new = tariff_from_data(given)
        old = load_data_tariff(data_dir)
        version = save_tariff(data_dir, new, who, "save")
        return {"version": version, "old_version": old.version}

    try:
        return await call.in_store(work)
    except TariffError as exc:
        raise _bad(f"field 'tariff': {exc}") from None


async def _tariff_import(call: AdminCall) -> dict[str, Any]:
    data_dir, who, name = call.backend.data_dir, call.who, str(call.params["name"])
    holiday = bool(call.params.get("holiday", False))
    path = data_dir / UPLOADS / name
    if path.suffix.lower() not in TARIFF_SUFFIXES:
        raise _bad(f"field 'name': {name!r}: allowed suffixes: " + ", ".join(TARIFF_SUFFIXES))
    if not path.is_file():
        raise AdminError(ErrorCode.NOT_FOUND, f"field 'name': no file {name!r} in uploads "
                                              "(send it with file_upload first)")

    def work() -> dict[str, Any]:
        old = load_data_tariff(data_dir)
        new = import_tariff(old, path, holiday=holiday)
        version = save_tariff(data_dir, new, who, f"import {name}")
        rows = new.holiday_rows if holiday else new.rows
        return {"version": version, "old_version": old.version, "entries": len(rows)}

    try:
        return await call.in_store(work)
    except TariffError as exc:
        raise _bad(f"field 'name': {exc}") from None


async def _tariff_export(call: AdminCall) -> dict[str, Any]:
    fmt = str(call.params.get("format", "csv"))
    holiday = bool(call.params.get("holiday", False))
    data_dir = call.backend.data_dir
    folder = _area(call, EXPORTS)

    def work() -> dict[str, Any]:
        import json  # noqa: PLC0415 - only the JSON export needs it

        tariff = load_data_tariff(data_dir)
        stem = "holiday-tariff" if holiday and fmt != "json" else "tariff"
        path = _new_name(folder, stem, "." + fmt)
        if fmt == "json":
            text = json.dumps(tariff_data(tariff), ensure_ascii=False, indent=1) + "\n"
            _write_via_temp(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        else:
            rows = tariff.holiday_rows if holiday else tariff.rows
            # tariff_io picks the format by the suffix: the temporary file must keep it.
            tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
            try:
                write_tariff_rows(rows, tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        return {"area": EXPORTS, "name": path.name, "size": path.stat().st_size}

    try:
        return await call.in_store(work)
    except TariffError as exc:
        raise AdminError(ErrorCode.INTERNAL, f"the saved tariff cannot be read: {exc}") from None


async def _tariff_versions(call: AdminCall) -> dict[str, Any]:
    offset, limit = int(call.params.get("offset", 0)), int(call.params.get("limit", 100))
    total, rows = await call.in_store(
        lambda: audit.entries(what="tariff", offset=offset, limit=limit))
    return {"total": total, "versions": [_drop_none({
        "version": r["new"] or "", "old_version": r["old"], "how": r["key"],
        "saved_at": r["at"], "who": r["who"]}) for r in rows]}


def _day(params: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(params[name]))
    except ValueError:
        raise _bad(f"field {name!r}: {params[name]!r} is not a date YYYY-MM-DD") from None


async def _tariff_rerate(call: AdminCall) -> dict[str, Any]:
    first, last = _day(call.params, "from"), _day(call.params, "to")
    if last < first:
        raise _bad("field 'to': must not be before from")
    data_dir, who, job = call.backend.data_dir, call.who, call.job

    def step(done: int, total: int) -> None:
        job.check("nothing changed")
        job.progress(done, total, "calls")

    def work() -> dict[str, Any]:
        tariff = load_data_tariff(data_dir)
        zone = _zone()
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(last + timedelta(days=1), time(), zone)
        result = rerate(tariff, start, end, who, step)
        job.progress(result.examined, result.examined, "calls")
        # Archived months are closed periods: their calls keep the rating they were billed.
        archived = summarize(database, Filters(start_from=start, start_before=end)).total.count \
            - result.examined
        return {"rated": result.examined, "changed": result.changed,
                "cost_delta": f"{Decimal(result.cost_delta_fen) / 100:.2f}",
                "ledger_adjustments": result.ledger_adjustments,
                "archived": max(archived, 0), "tariff_version": tariff.version}

    try:
        return await call.in_worker(work)
    except TariffError as exc:
        raise AdminError(ErrorCode.INTERNAL, f"the saved tariff cannot be read: {exc}") from None


async def _rate(call: AdminCall) -> dict[str, Any]:
    params, data_dir = call.params, call.backend.data_dir
    start = (datetime.fromisoformat(params["start"]) if "start" in params
             else datetime.now().astimezone())

    def work() -> dict[str, Any]:
        return _drop_none(rate_call(load_data_tariff(data_dir), str(params["number"]),
                                    int(params["seconds"]), start))

    try:
        return await call.in_store(work)
    except TariffError as exc:
        raise AdminError(ErrorCode.INTERNAL, f"the saved tariff cannot be read: {exc}") from None
    except ValueError as exc:
        raise _bad(f"field {exc}") from None


# ---------------------------------------------------------------------- rooms

_KINDS: Final = {"room": EXTENSION, "password": PASSWORD, "disa": DISA}
_KIND_NAMES: Final = {v: k for k, v in _KINDS.items()}
#: rooms_set parameters -> the extension's parameter (extension.NNN.<name>).
ROOM_KEYS: Final = {"day_class": "day_class", "night_class": "night_class",
                    "alarm": "alarm1", "alarm2": "alarm2", "alarm_mode": "alarm_mode",
                    "over_limit_class": "over_limit_class"}


def extension_count(call: AdminCall) -> int | None:
    """The PBX's extension ports: from the link, else the service's image, else the saved
    image; None when never known."""
    identity = call.service.link.identity
    if identity is not None:
        return int(identity.extensions)
    image = call.service.image
    if image.extensions:
        return image.extensions
    return ledger.saved_extensions(call.backend.data_dir)


def _ledger_error(exc: LedgerError) -> AdminError:
    field = "port" if exc.field in ("port", "password", "disa") else exc.field
    text = str(exc)
    if exc.field in ("port", "password", "disa") and ("has " in text or "does not exist"
                                                      in text):
        return AdminError(ErrorCode.NOT_FOUND, f"field {field!r}: {text}")
    if "never been topped up" in text:
        return AdminError(ErrorCode.NOT_FOUND, text)
    return _bad(f"field {field!r}: {text}" if field else text)


def _ref(call: AdminCall) -> AccountRef:
    kind = str(call.params.get("account", "room"))
    port = str(call.params["port"])
    if kind == "room":
        return ledger.room(port, extension_count(call))
    if kind == "password":
        return ledger.password(port)
    return ledger.disa(port)


def _state_data(state: AccountState) -> dict[str, Any]:
    return {"account": _KIND_NAMES.get(state.ref.kind, state.ref.kind), "port": state.ref.ident,
            "balance": f"{state.balance:.2f}", "prepaid": state.active,
            "over_limit": state.over_limit}


async def _rooms_list(call: AdminCall) -> dict[str, Any]:
    count = extension_count(call) or 0
    params = call.service.image.params

    def work() -> list[AccountState]:
        with read_snapshot(database):
            return ledger.all_states()

    states = {s.ref.ident: s for s in await call.in_store(work) if s.ref.kind == EXTENSION}
    rooms = []
    for n in range(1, count + 1):
        port = f"{n:03d}"

        def value(name: str, port: str = port) -> str:
            return params.get(f"extension.{port}.{name}", "")

        state = states.get(port)
        rooms.append({"port": port, "number": value("number"),
                      "day_class": value("day_class"), "night_class": value("night_class"),
                      "alarm": value("alarm1"), "alarm2": value("alarm2"),
                      "alarm_mode": value("alarm_mode"),
                      "over_limit_class": value("over_limit_class"),
                      "over_limit": value("over_limit"),
                      "prepaid": bool(state and state.active),
                      "balance": f"{state.balance if state else Decimal('0'):.2f}"})
    return {"rooms": rooms}


def _money_action(name: str) -> Callable[[AdminCall], Any]:
    async def handler(call: AdminCall) -> dict[str, Any]:
        params, who = call.params, call.who
        note = str(params.get("note", ""))
        try:
            ref = _ref(call)
            amount = (ledger.parse_amount(str(params["amount"]), signed=name == "adjust")
                      if name in ("topup", "adjust") else None)
        except LedgerError as exc:
            raise _ledger_error(exc) from None

        def work() -> AccountState:
            if name == "topup":
                assert amount is not None
                return ledger.top_up(ref, amount, who, note)
            if name == "adjust":
                assert amount is not None
                return ledger.adjust(ref, amount, who, note)
            if name == "clear":
                return ledger.clear(ref, who, note)
            return ledger.release(ref, who)

        try:
            done = await call.in_store(work)
        except LedgerError as exc:
            raise _ledger_error(exc) from None
        call.backend.prepaid_changed()  # the reconcile sets the PBX's switch now
        return _state_data(done)
    return handler


async def _rooms_ledger(call: AdminCall) -> dict[str, Any]:
    offset, limit = int(call.params.get("offset", 0)), int(call.params.get("limit", 100))
    try:
        ref = _ref(call)
    except LedgerError as exc:
        raise _ledger_error(exc) from None

    def work() -> dict[str, Any]:
        with read_snapshot(database):
            rows = ledger.entries(ref)
        page = rows[offset:offset + limit]
        return {"total": len(rows), "entries": [_drop_none({
            "id": e.id, "at": e.at.replace(tzinfo=UTC).isoformat(timespec="seconds"),
            "kind": e.kind, "amount": f"{e.amount:.2f}", "balance": f"{e.balance:.2f}",
            "who": e.who, "record_id": e.record_id, "note": e.note}) for e in page]}

    return await call.in_store(work)


async def _rooms_set(call: AdminCall) -> dict[str, Any]:
    params = call.params
    port = str(params["port"])
    count = extension_count(call)
    if count is not None and int(port) > count:
        raise AdminError(ErrorCode.NOT_FOUND, f"field 'port': {port!r}: this PBX has {count} "
                                              f"extension ports (allowed: 001-{count:03d})")
    pairs = [(f"extension.{port}.{key}", str(params[name])) for name, key in ROOM_KEYS.items()
             if name in params]
    if not pairs:
        raise _bad("give at least one of the fields " + ", ".join(ROOM_KEYS))
    def work() -> list[dict[str, Any]]:
        results = call.service.write_parameters(pairs, who=call.who,
                                                progress=call.job.progress,
                                                cancelled=lambda: call.job.cancelled)
        out = [r.to_json() for r in results]
        written = sum(1 for r in out if r["status"] == "written")
        call.job.check(f"{written} of {len(out)} written, the rest not sent")
        return out

    return {"results": await call.in_worker(work)}


# ---------------------------------------------------------------------- accounts

_ACCOUNT_FIELDS: Final = {"user": "user", "role": "role", "port": "port",
                          "password": "password", "new": "password"}


def _account_error(exc: AccountError) -> AdminError:
    if exc.message.startswith("no account"):
        return AdminError(ErrorCode.NOT_FOUND, f"field 'user': {exc.message}")
    field = _ACCOUNT_FIELDS.get(exc.argument, exc.argument)
    return _bad(f"field {field!r}: {exc.message}")


def account_data(info: AccountInfo) -> dict[str, Any]:
    return {"user": info.user, "role": info.role, "port": info.bound_port,
            "must_change_password": info.must_change_password, "locked": info.locked()}


async def _accounts_list(call: AdminCall) -> dict[str, Any]:
    infos = await call.in_store(accounts.list_accounts)
    return {"accounts": [account_data(i) for i in infos]}


async def _account_add(call: AdminCall) -> dict[str, Any]:
    p, who = call.params, call.who

    def work() -> AccountInfo:
        return accounts.add_account(str(p["user"]), str(p["role"]), str(p["password"]),
                                    port=str(p.get("port", "")),
                                    must_change_password=bool(p.get("must_change_password",
                                                                    True)), who=who)

    try:
        return account_data(await call.in_store(work))
    except AccountError as exc:
        raise _account_error(exc) from None


async def _account_change(call: AdminCall) -> dict[str, Any]:
    p, who = call.params, call.who
    user = str(p["user"])

    def work() -> AccountInfo:
        if accounts.find_account(user) is None:
            raise AccountError("user", f"no account {user!r}")
        if "password" in p:
            accounts.check_password(user, str(p["password"]))
        info = accounts.change_account(user, role=p.get("role"), port=p.get("port"), who=who)
        if "password" in p:
            accounts.set_password(user, str(p["password"]), who=who,
                                  must_change_password=bool(p.get("must_change_password",
                                                                  False)))
            info = accounts.find_account(user) or info
        return info

    try:
        return account_data(await call.in_store(work))
    except AccountError as exc:
        raise _account_error(exc) from None


async def _account_remove(call: AdminCall) -> dict[str, Any]:
    user, who = str(call.params["user"]), call.who
    try:
        await call.in_store(lambda: accounts.remove_account(user, who=who))
    except AccountError as exc:
        raise _account_error(exc) from None
    return {"user": user}


# ---------------------------------------------------------------------- settings, audit, alerts

def _setting_spec(key: str) -> Any:
    try:
        return spec_for(key)
    except SettingError:
        raise AdminError(ErrorCode.NOT_FOUND, f"field 'key': no setting {key!r}") from None


async def _settings_get(call: AdminCall) -> dict[str, Any]:
    key = call.params.get("key")
    specs = [_setting_spec(str(key))] if key is not None else list(SETTINGS)

    def work() -> dict[str, Any]:
        return {"settings": [{"key": s.key, "value": format_value(get_setting(s.key)),
                              "default": format_value(s.default), "allowed": s.allowed,
                              "doc": s.description} for s in specs]}

    return await call.in_store(work)


async def _settings_set(call: AdminCall) -> dict[str, Any]:
    key, text, who = str(call.params["key"]), str(call.params["value"]), call.who
    _setting_spec(key)
    try:
        value = await call.in_store(lambda: set_setting(key, text, who))
    except SettingError as exc:
        raise _bad(f"field 'value': {exc}") from None
    return {"key": key, "value": format_value(value)}


async def _audit_list(call: AdminCall) -> dict[str, Any]:
    p = call.params

    def when(name: str) -> datetime | None:
        return datetime.fromisoformat(p[name]) if name in p else None

    def work() -> tuple[int, list[dict[str, Any]]]:
        return audit.entries(start=when("from"), end=when("to"), who=p.get("who"),
                             key=p.get("key"), what=p.get("what"),
                             offset=int(p.get("offset", 0)), limit=int(p.get("limit", 100)))

    try:
        total, rows = await call.in_store(work)
    except audit.AuditQueryError as exc:
        text = str(exc).replace("start:", "from:", 1).replace("end:", "to:", 1)
        raise _bad(f"field {text}") from None
    return {"total": total, "entries": [_drop_none(r) for r in rows]}


async def _alerts_list(call: AdminCall) -> dict[str, Any]:
    p = call.params
    total, rows = await call.in_store(lambda: list_alerts(
        unresolved_only=bool(p.get("unresolved_only", False)),
        offset=int(p.get("offset", 0)), limit=int(p.get("limit", 100))))
    return {"total": total, "alerts": [_drop_none(r) for r in rows]}


async def _alert_resolve(call: AdminCall) -> dict[str, Any]:
    alert_id = int(call.params["alert"])
    found = await call.in_store(lambda: resolve_alert(alert_id))
    if found is None:
        raise AdminError(ErrorCode.NOT_FOUND, f"field 'alert': no alert {alert_id}")
    return {"alert": found["id"], "resolved": True, "resolved_at": found["resolved_at"]}


HANDLERS: Final[Mapping[str, AdminHandler]] = {
    "records_query": _records_query,
    "records_summary": _records_summary,
    "records_export": _records_export,
    "records_verify": _records_verify,
    "records_archives": _records_archives,
    "tariff_get": _tariff_get,
    "tariff_save": _tariff_save,
    "tariff_import": _tariff_import,
    "tariff_export": _tariff_export,
    "tariff_versions": _tariff_versions,
    "tariff_rerate": _tariff_rerate,
    "rate": _rate,
    "rooms_list": _rooms_list,
    "rooms_topup": _money_action("topup"),
    "rooms_clear": _money_action("clear"),
    "rooms_adjust": _money_action("adjust"),
    "rooms_release": _money_action("release"),
    "rooms_ledger": _rooms_ledger,
    "rooms_set": _rooms_set,
    "accounts_list": _accounts_list,
    "account_add": _account_add,
    "account_change": _account_change,
    "account_remove": _account_remove,
    "settings_get": _settings_get,
    "settings_set": _settings_set,
    "audit_list": _audit_list,
    "alerts_list": _alerts_list,
    "alert_resolve": _alert_resolve,
}


# ---------------------------------------------------------------------- events

def _record_start(record: CallRecord) -> str:
    zone = timezone(timedelta(minutes=record.utc_offset_minutes))
    try:
        moment = datetime.strptime(record.start, "%Y%m%d%H%M%S").replace(tzinfo=zone)
    except ValueError:  # not a real date (kept, and alerted, by the intake)
        moment = datetime.now(zone).replace(microsecond=0)
    return moment.isoformat(timespec="seconds")


def record_event(record: CallRecord, cost_fen: int | None = None,
                 pbx_id: str | None = None) -> dict[str, Any]:
    """The ``record_stored`` event's data of a stored record."""
    cost = "" if cost_fen is None else f"{Decimal(cost_fen) / 100:.2f}"
    return _drop_none({"sequence": record.sequence, "pbx_id": pbx_id or "",
                       "start": _record_start(record), "port": record.port,
                       "extension": record.extension, "trunk": record.trunk,
                       "number": record.number, "duration": record.duration,
                       "call_type": record.call_type, "cost": cost})


def service_events(event: ServiceEvent) -> list[tuple[str, dict[str, Any]]]:
    """The admin events a service event means (called in the service's event thread).

    ``RecordStored`` -> ``record_stored``; its cost and PBX id when the event carries them
    (``cost_fen``, ``pbx_id``), else the cost is ``""``. An alert event (``alert_id``,
    ``kind``, ``text``) -> ``alert``.
    """
    if isinstance(event, RecordStored):
        return [("record_stored", record_event(event.record, getattr(event, "cost_fen", None),
                                               getattr(event, "pbx_id", None)))]
    alert_id = getattr(event, "alert_id", None)
    if isinstance(alert_id, int) and alert_id > 0:
        return [("alert", {"id": alert_id, "kind": str(getattr(event, "kind", "")),
                           "text": str(getattr(event, "text", ""))})]
    return []
