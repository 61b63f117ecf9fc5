"""Admin API handlers of the PBX link and the parameters: see
``callcenter.common.agent.admin_pbx`` for the actions and ``hub.admin`` for how handlers are
written.

The schema of a PBX size is turned into plain entries once (``schema_listing``, cached)
and served in pages; pages of the schema and of the image are cut to stay within one
line.  Writes, renumbering, verification, the clock and reconnecting block on the PBX and
run in the admin pool (``call.in_worker``), with the job's progress and cancel.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from serial.tools import list_ports

from callcenter.common.agent.admin_pbx import MAX_BATCH, MAX_PAGE
from callcenter.common.agent.catalog import ErrorCode
from callcenter.common.agent.messages import format_time
from callcenter.common.pbx.line import LineSettings, LineSettingsError
from callcenter.common.schema import Group, Parameter, ParameterError, build_schema
from callcenter.common.schema import kinds as k
from callcenter.server.hub.admin import AdminCall, AdminError, Cancelled
from callcenter.server.pbx.batch import WriteResult, summary
from callcenter.server.pbx.events import ParameterSet, VerificationDone, VerificationProgress
from callcenter.server.pbx.link import LinkUp, PbxError, PbxUnavailable
from callcenter.server.pbx.parameters import PbxRefused
from callcenter.server.settings import check_port_url
from callcenter.server.store.settings import SettingError, get_setting, set_setting

if TYPE_CHECKING:
    from callcenter.common.schema import Schema
    from callcenter.server.hub.admin import AdminHandler
    from callcenter.server.pbx.events import ServiceEvent

log = logging.getLogger(__name__)

#: A page's entries are cut to this many bytes of JSON (the line limit is 65536).
PAGE_BYTES: Final = 60_000
#: Reasons of batch results are cut to this many characters when the response is big.
SHORT_REASON: Final = 60

#: What each level of a service class means (manual 1-3-03): (direction, level, zh, en).
CLASS_LEVELS: Final = (
    ("outgoing", 1, "最高级别，没有任何限制", "unrestricted"),
    ("outgoing", 2, "只能打国内长途，锁168、968、969开头的信息台",
     "national long distance, no international calls or information lines (168, 968, 969)"),
    ("outgoing", 3, "只能打市话，锁信息台，但可以开通某地区长途",
     "local calls only, information lines barred; long-distance codes of restriction rows "
     "16-20 allowed"),
    ("outgoing", 4, "只能打市话，锁信息台", "local calls only, information lines barred"),
    ("outgoing", 5, "只能打110、112、119等报警电话",
     "emergency numbers only (110, 112, 119: restriction rows 11-15)"),
    ("outgoing", 6, "只能打内线电话", "internal calls only"),
    ("incoming", 1, "不限制呼入", "every call may come in"),
    ("incoming", 2, "限制外线呼入", "no calls from trunks"),
    ("incoming", 3, "限制内线呼入", "no internal calls"),
    ("incoming", 4, "内外线均无法呼入", "no calls at all"),
)
CLASS_LEVEL_ENTRIES: Final = tuple({"direction": d, "level": n, "label_zh": zh, "label_en": en}
                                   for d, n, zh, en in CLASS_LEVELS)

_KIND_NAMES: Final[Mapping[type, str]] = {
    k.Digits: "digits", k.IntRange: "number", k.Choice: "choice",
    k.ServiceClass: "service_class", k.PortSet: "port_set", k.PortList: "port_list",
    k.GroupSet: "group_set", k.RouteDigits: "route_digits", k.AreaCode: "area_code",
    k.ClockTime: "clock_time", k.Tenths: "tenths", k.Text: "text",
}


# --------------------------------------------------------------------------- helpers

def _pbx_error(exc: PbxError) -> AdminError:
    if isinstance(exc, PbxRefused):
        return AdminError(ErrorCode.PBX_REFUSED, str(exc))
    return AdminError(ErrorCode.PBX_UNAVAILABLE, str(exc))


def _schema(call: AdminCall) -> Schema:
    try:
        return call.service.schema
    except PbxUnavailable as exc:
        raise AdminError(ErrorCode.PBX_UNAVAILABLE, str(exc)) from None


def _size(entry: Mapping[str, Any]) -> int:
    """Bytes of ``entry`` as compact JSON, plus one for the comma between entries."""
    return len(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()) + 1


def _plain(text: str) -> bool:
    """ASCII that JSON writes as it is (no quote, backslash or control character)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _flat_size(entry: Mapping[str, str]) -> int:
    """``_size`` of an object of strings, counted without encoding when that is exact."""
    if all(_plain(v) for v in entry.values()):
        # {"k":"v",...} : braces, and per member the name, the value, 5 quotes/colon/comma
        return 2 + sum(len(k) + len(v) + 6 for k, v in entry.items())
    return _size(entry)


def _page(entries: Sequence[Mapping[str, Any]], sizes: Sequence[int], offset: int,
          limit: int) -> list[Mapping[str, Any]]:
    """``entries[offset:offset+limit]``, cut where the JSON would pass PAGE_BYTES (at least
    one entry)."""
    out: list[Mapping[str, Any]] = []
    used = 0
    for index in range(offset, min(len(entries), offset + limit)):
        used += sizes[index]
        if out and used > PAGE_BYTES:
            break
        out.append(entries[index])
    return out


#: The image's entries of the last (service, version, group, prefix) asked for: a console
#: reading the pages one after the other makes them once.
_IMAGE_CACHE: dict[tuple[int, int, str | None, str], tuple[list[dict[str, str]], list[int]]] = {}


def _paging(call: AdminCall) -> tuple[int, int]:
    return int(call.params.get("offset", 0)), int(call.params.get("limit", MAX_PAGE))


def parameter_id(param: Parameter) -> str:
    """``extension.day_class``, ``system.night``, ``restriction_code.code`` ..."""
    return f"{param.table or param.scope.value}.{param.name}"


def _parameter_entry(param: Parameter) -> dict[str, Any]:
    kind = param.kind
    entry: dict[str, Any] = {
        "id": parameter_id(param), "scope": param.scope.value, "label_zh": param.label_zh,
        "label_en": param.label_en, "kind": _KIND_NAMES.get(type(kind), "text"),
        "allowed": kind.describe(),
    }
    if isinstance(kind, k.Choice):
        entry["choices"] = [{"code": c, "label_zh": zh, "label_en": en}
                            for c, zh, en in kind.options]
    elif isinstance(kind, k.IntRange):
        entry["minimum"], entry["maximum"] = kind.lo, kind.hi
    elif isinstance(kind, k.Digits):
        entry["minimum"], entry["maximum"] = kind.min_len, kind.max_len
    entry.update(default=param.default_for(0), group=param.group.value)
    if param.help_en:
        entry["help"] = param.help_en
    if param.help_zh:
        entry["help_zh"] = param.help_zh
    return entry


@dataclass(frozen=True)
class SchemaListing:
    """A PBX size's keys as schema entries, their settings, and the JSON sizes."""

    keys: tuple[dict[str, str], ...]
    key_sizes: tuple[int, ...]
    parameters: dict[str, dict[str, Any]]
    parameter_sizes: dict[str, int]


@functools.lru_cache(maxsize=4)
def schema_listing(extensions: int, trunks: int) -> SchemaListing:
    """Every key of a PBX of that size, made once per size."""
    schema = build_schema(extensions, trunks)
    keys: list[dict[str, str]] = []
    parameters: dict[str, dict[str, Any]] = {}
    every_key = schema.keys()
    for key in every_key:
        param, index = schema.lookup(key)
        pid = parameter_id(param)
        if pid not in parameters:
            parameters[pid] = _parameter_entry(param)
        entry = {"key": key, "parameter": pid}
        default = param.default_for(index)
        if default != parameters[pid]["default"]:
            entry["default"] = default
        keys.append(entry)
    return SchemaListing(tuple(keys), tuple(_flat_size(e) for e in keys), parameters,
                         {pid: _size(e) for pid, e in parameters.items()})


def _schema_page(listing: SchemaListing, offset: int, limit: int
                 ) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The page's keys and their settings, cut where the JSON would pass PAGE_BYTES."""
    keys: list[dict[str, str]] = []
    used: dict[str, None] = {}
    size = 0
    for index in range(offset, min(len(listing.keys), offset + limit)):
        entry = listing.keys[index]
        pid = entry["parameter"]
        more = listing.key_sizes[index] + (0 if pid in used else listing.parameter_sizes[pid])
        if keys and size + more > PAGE_BYTES:
            break
        size += more
        keys.append(entry)
        used[pid] = None
    return keys, [listing.parameters[pid] for pid in used]


def _results(results: Sequence[WriteResult]) -> list[dict[str, str]]:
    """The results as JSON, reasons shortened when the whole would not fit one line."""
    out = [r.to_json() for r in results]
    if sum(_size(r) for r in out) > PAGE_BYTES:
        for r in out:
            if len(r["reason"]) > SHORT_REASON:
                r["reason"] = r["reason"][:SHORT_REASON - 3] + "..."
    return out


def _batch_job(call: AdminCall) -> tuple[Callable[[int, int, str], None],
                                         Callable[[], bool]]:
    return call.job.progress, lambda: call.job.cancelled


def _finish(call: AdminCall, results: list[WriteResult], what: str) -> dict[str, Any]:
    if call.job.cancelled and any(r.status == "not_sent" for r in results):
        raise Cancelled(f"cancelled: {summary(results)} ({what})")
    return {"results": _results(results)}


def _object_of_strings(call: AdminCall, name: str) -> dict[str, str]:
    given = call.params[name]
    if not 1 <= len(given) <= MAX_BATCH:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field {name!r} must hold 1-{MAX_BATCH} "
                         f"entries (got {len(given)}); send a bigger batch in parts")
    bad = next((key for key, value in given.items() if not isinstance(value, str)), None)
    if bad is not None:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field {name + '.' + bad!r} must be a string")
    return dict(given)


# --------------------------------------------------------------------------- link

async def _link_state(call: AdminCall) -> dict[str, Any]:
    service = call.service
    link = service.link
    identity = link.identity
    if identity is not None:
        model, firmware = identity.model, identity.firmware
        extensions, trunks = identity.extensions, identity.trunks
    else:
        model, firmware, extensions, trunks = service.image_info()
    status = service.verification
    line = link.line
    return {"url": link.url, "baud": line.baud, "bytesize": line.bytesize,
            "parity": line.parity, "stopbits": line.stopbits, "up": identity is not None,
            "model": model, "firmware": firmware, "extensions": extensions, "trunks": trunks,
            "last_error": link.last_error,
            "verification": {"state": status.state, "done": status.done,
                             "total": status.total,
                             "at": format_time(status.at) if status.at else "",
                             "error": status.error}}


async def _link_configure(call: AdminCall) -> dict[str, Any]:
    service = call.service
    params = call.params
    url = service.link.url
    if "url" in params:
        try:
            url = check_port_url(str(params["url"]), "'url'")
        except SettingError as exc:
            raise AdminError(ErrorCode.BAD_REQUEST, f"field {exc}") from None
    current = service.link.line.to_dict()
    wanted = {name: params.get(name, current[name])
              for name in ("baud", "bytesize", "parity", "stopbits")}
    try:
        line = LineSettings.from_dict(wanted)
    except LineSettingsError as exc:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field {exc}") from None
    values = {"pbx.url": url, **{f"pbx.{n}": v for n, v in line.to_dict().items()}}

    def save() -> None:
        for key, value in values.items():
            if get_setting(key) != value:
                set_setting(key, str(value), call.who)

    try:
        await call.in_store(save)
    except SettingError as exc:
        raise AdminError(ErrorCode.BAD_REQUEST, str(exc)) from None
    await call.in_worker(lambda: service.reconnect(url, line))
    log.info("%s moved the PBX link to %s (%s)", call.who, url, line)
    return {"url": url, **line.to_dict()}


async def _serial_ports(call: AdminCall) -> dict[str, Any]:
    ports = await call.in_worker(list_ports.comports)
    return {"ports": [{"device": str(p.device), "description": str(p.description or ""),
                       "hwid": str(p.hwid or "")} for p in ports]}


async def _clock_set(call: AdminCall) -> dict[str, Any]:
    try:
        effective = await call.in_worker(call.service.set_clock)
    except PbxError as exc:
        raise _pbx_error(exc) from None
    return {"effective": effective}


# --------------------------------------------------------------------------- parameters

async def _parameter_schema(call: AdminCall) -> dict[str, Any]:
    schema = _schema(call)
    offset, limit = _paging(call)
    listing = await call.in_worker(lambda: schema_listing(schema.extensions, schema.trunks))
    keys, parameters = _schema_page(listing, offset, limit)
    return {"extensions": schema.extensions, "trunks": schema.trunks,
            "total": len(listing.keys), "offset": offset, "keys": keys,
            "parameters": parameters, "class_levels": list(CLASS_LEVEL_ENTRIES)}


async def _parameter_image(call: AdminCall) -> dict[str, Any]:
    service = call.service
    schema = _schema(call)
    offset, limit = _paging(call)
    group = call.params.get("group")
    prefix = str(call.params.get("prefix", ""))

    def build() -> tuple[list[dict[str, str]], list[int]]:
        params, states = service.image_values()
        entries: list[dict[str, str]] = []
        for key, value in params.items():
            if prefix and not key.startswith(prefix):
                continue
            if group is not None:
                try:
                    if schema.group_of(key) != Group(group):
                        continue
                except ParameterError:
                    continue
            state = states.get(key)
            entries.append({"key": key, "value": value,
                            "state": state.state if state else "verified",
                            "reason": state.reason if state else ""})
        return entries, [_flat_size(e) for e in entries]

    source = service.image_source
    cache_key = (id(service), service.image_version, group, prefix)
    cached = _IMAGE_CACHE.get(cache_key)
    if cached is None:
        cached = await call.in_worker(build)
        _IMAGE_CACHE.clear()  # only the newest image is asked for
        _IMAGE_CACHE[cache_key] = cached
    entries, sizes = cached
    return {"source": source, "total": len(entries), "offset": offset,
            "params": _page(entries, sizes, offset, limit)}


async def _parameters_write(call: AdminCall) -> dict[str, Any]:
    values = _object_of_strings(call, "values")
    _schema(call)
    progress, cancelled = _batch_job(call)
    all_or_nothing = bool(call.params.get("all_or_nothing", False))
    results = await call.in_worker(lambda: call.service.write_parameters(
        list(values.items()), who=call.who, progress=progress, cancelled=cancelled,
        all_or_nothing=all_or_nothing))
    return _finish(call, results, "the keys after the cancel were not sent")


async def _extensions_renumber(call: AdminCall) -> dict[str, Any]:
    numbers = _object_of_strings(call, "numbers")
    _schema(call)
    progress, cancelled = _batch_job(call)
    results = await call.in_worker(lambda: call.service.renumber(
        numbers, who=call.who, progress=progress, cancelled=cancelled))
    return _finish(call, results, "ports already renumbered keep their new numbers")


async def _verify(call: AdminCall) -> dict[str, Any]:
    force = bool(call.params.get("force", False))

    def progress(done: int, total: int, group: str) -> None:
        call.job.check(f"{done} of {total} rows read; the image was left as it was")
        call.job.progress(done, total, group)

    try:
        result = await call.in_worker(lambda: call.service.verify(force=force,
                                                                  progress=progress))
    except PbxError as exc:
        raise _pbx_error(exc) from None
    return {"groups_read": [g.value for g in result.groups_read],
            "groups_skipped": [g.value for g in result.groups_skipped],
            "rows_read": result.rows_read}


HANDLERS: Final[Mapping[str, AdminHandler]] = {
    "link_state": _link_state,
    "link_configure": _link_configure,
    "serial_ports": _serial_ports,
    "clock_set": _clock_set,
    "parameter_schema": _parameter_schema,
    "parameter_image": _parameter_image,
    "parameters_write": _parameters_write,
    "extensions_renumber": _extensions_renumber,
    "verify": _verify,
}


def service_events(event: ServiceEvent) -> list[tuple[str, dict[str, Any]]]:
    """The admin events a service event means (called in the service's event thread)."""
    if isinstance(event, LinkUp):  # make this PBX's schema listing before a console asks
        counts = (event.identity.extensions, event.identity.trunks)
        threading.Thread(target=schema_listing, args=counts, name="schema-listing",
                         daemon=True).start()
        return []
    if isinstance(event, ParameterSet):
        return [("parameter_changed", {"key": event.key, "old": event.old, "new": event.new,
                                       "by": event.by})]
    if isinstance(event, VerificationProgress):
        return [("verification_progress", {"done": event.done, "total": event.total,
                                           "group": event.group.value})]
    if isinstance(event, VerificationDone):
        return [("verification_done", {"groups_read": [g.value for g in event.groups_read],
                                       "groups_skipped": [g.value for g in
                                                          event.groups_skipped],
                                       "rows_read": event.rows_read})]
    return []


__all__ = ["HANDLERS", "SchemaListing", "parameter_id", "schema_listing", "service_events"]
