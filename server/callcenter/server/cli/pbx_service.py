"""``pbx ...`` through the service running for the data folder: the same commands and
output as on the port (``cli.pbx_port``), asked of the admin API (``docs/agent-protocol.md``
section 11) over a session logged in with the local token.

``dump`` pages ``parameter_image`` (the service's image, kept current with every write and
every change made at the PBX); ``set`` sends ``parameters_write``; ``backup`` asks
``backup_create`` (and downloads the file for ``--out``); ``restore`` uploads FILE
(``file_upload``) and runs ``restore_apply``; ``monitor`` prints the hub's events in the
shape of ``pbx monitor`` on the port.
"""

from __future__ import annotations

import argparse
import base64
import json
import queue
import re
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from callcenter.common.agent.admin_backup import CHUNK_BYTES
from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed
from callcenter.common.schema import Group, build_schema
from callcenter.server.cli.common import stop_on_signals
from callcenter.server.cli.pbx_port import (
    _site_zone,
    chosen_groups,
    data_dir_of,
    error_line,
    log,
    missing_keys,
    parse_pairs,
    print_line,
    print_summary,
    validate_all,
    write_image,
)
from callcenter.server.pbx import backup
from callcenter.server.pbx.backup import RestoreSummary
from callcenter.server.pbx.image import ParameterImage, write_json_atomic

#: Seconds a long request through the service (backup, restore, a batch) may take at most.
SERVICE_LONG = 3600.0
#: Keys of one ``parameters_write`` request (the admin API's MAX_BATCH).
BATCH = 400


def _progress(done: int, total: int, text: str) -> None:
    log.info("%s (%d/%d)", text, done, total)


def _link(client: HubClient) -> dict[str, Any]:
    """The service's link state; PBX unavailable (exit 1) when the link is down."""
    state = client.request("link_state")
    if not state["up"] or not state["extensions"]:
        raise RequestFailed("pbx_unavailable", "the service's PBX link is down "
                            f"({state.get('last_error') or 'not connected yet'})")
    return state


def dump_via(args: argparse.Namespace, client: HubClient) -> int:
    state = _link(client)
    params: dict[str, str] = {}
    for _ in range(10_000):  # pages; a 999-extension PBX has ~30 000 keys
        page = client.request("parameter_image", offset=len(params))
        params.update((p["key"], p["value"]) for p in page["params"])
        if not page["params"] or len(params) >= page["total"]:
            break
    if page["source"] != "pbx":
        raise RequestFailed("pbx_unavailable", "the service's PBX link went down")
    image = ParameterImage(state["model"], state["firmware"], state["extensions"],
                           state["trunks"], {}, params)
    write_image(args, image)
    return 0


def set_via(args: argparse.Namespace, client: HubClient) -> int:
    pairs = parse_pairs(args.pairs)
    state = _link(client)
    checked = validate_all(build_schema(state["extensions"], state["trunks"]), pairs)
    if checked is None:
        return 2
    failed = 0
    for start in range(0, len(checked), BATCH):
        values = dict(checked[start:start + BATCH])
        answer = client.request("parameters_write", values=values, timeout=SERVICE_LONG,
                                on_progress=_progress, all_or_nothing=True)
        invalid = [r for r in answer["results"] if r["status"] == "invalid"]
        if invalid:  # the service's consistency rules: nothing of this batch was sent
            for result in invalid:
                error_line(f"{result['key']}: {result['reason']}")
            return 2
        for result in answer["results"]:
            key, status = result["key"], result["status"]
            if status in ("written", "unchanged"):
                print_line(f"{key} = {result['value']} (verified)")
                continue
            failed += 1
            reason = result["reason"] or status
            error_line(f"{key}: the PBX refused: {reason}" if status == "refused"
                   else f"{key}: {status.replace('_', ' ')}: {reason}")
    return 1 if failed else 0


def _upload_name(path: Path) -> str:
    """A name for ``path`` in the service's uploads (letters, digits, ., _, -)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", path.name).lstrip(".").replace("..", "_")
    return ("cli-" + stem)[:100]


def _upload(client: HubClient, path: Path, data: bytes) -> str:
    name = _upload_name(path)
    chunks = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
    offset = 0
    for index, chunk in enumerate(chunks):
        client.request("file_upload", name=name, offset=offset,
                       data=base64.b64encode(chunk).decode("ascii"),
                       final=index == len(chunks) - 1)
        offset += len(chunk)
    return name


def restore_via(args: argparse.Namespace, client: HubClient) -> int:
    image = backup.open_backup(args.file)  # checked here first: BackupFileError, exit 1
    groups = chosen_groups(args)
    name = _upload(client, args.file, args.file.read_bytes())
    answer = client.request("restore_apply", area="uploads", name=name,
                            groups=[g.value for g in groups], timeout=SERVICE_LONG,
                            on_progress=_progress)
    counts = {Group(g["group"]): {k: v for k, v in g.items() if k != "group"}
              for g in answer["groups"]}
    summary = RestoreSummary(counts, [(r["key"], r["reason"]) for r in answer["refused"]])
    for key, reason in summary.refused:
        error_line(f"{key}: {reason}")
    if image.extensions:
        schema = build_schema(image.extensions, image.trunks)
    else:
        state = _link(client)
        schema = build_schema(state["extensions"], state["trunks"])
    return print_summary(args, groups, summary, missing_keys(image, schema, groups))


def _download(client: HubClient, area: str, name: str) -> bytes:
    out = b""
    for _ in range(100_000):  # chunks; a backup is a few MB at most
        answer = client.request("file_download", area=area, name=name, offset=len(out))
        out += base64.b64decode(answer["data"])
        if answer["eof"]:
            return out
    raise HubUnavailable(f"{name}: no end of the file after 100 000 chunks")


def backup_via(args: argparse.Namespace, client: HubClient) -> int:
    answer = client.request("backup_create", timeout=SERVICE_LONG, on_progress=_progress)
    if args.out:
        data = _download(client, "backups", answer["name"])
        write_json_atomic(args.out, json.loads(data))
        print_line(str(args.out))
    else:
        data_dir = Path(client.request("whoami")["data_dir"])
        print_line(str(data_dir / backup.BACKUPS / answer["name"]))
    return 0


#: The hub's events as ``pbx monitor`` prints them: (its name there, the fields kept).
_MONITOR_EVENTS = {
    "extension_state": ("extension", ("port", "state", "peer", "trunk", "call_id", "forward",
                                      "dnd")),
    "trunk_state": ("trunk", ("trunk", "state", "number", "port", "call_id")),
    "park_slot": ("park_slot", ("slot", "occupied", "number", "port", "call_id")),
}


def _in_zone(text: str, zone: tzinfo | None) -> str:
    """An event's ISO time with its offset in ``zone`` (the site's); as it came when it has
    no offset or is not a time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _record_fields(event: dict[str, Any], zone: tzinfo | None = None) -> dict[str, Any]:
    """A ``record_stored`` event with the record's start as the PBX writes it, and as
    ``start_time`` in ``zone`` with its offset."""
    kept = ("sequence", "duration", "port", "extension", "trunk", "number", "call_type", "cost")
    data: dict[str, Any] = {k: event[k] for k in kept if k in event}
    start = datetime.fromisoformat(str(event["start"]))
    offset = start.utcoffset()
    data["start"] = start.strftime("%Y%m%d%H%M%S")
    data["utc_offset_minutes"] = int(offset.total_seconds() // 60) if offset else 0
    data["start_time"] = _in_zone(str(event["start"]), zone)
    return data


def monitor_line(event: dict[str, Any], link: dict[str, Any] | None = None,
                 zone: tzinfo | None = None) -> dict[str, Any] | None:
    """The ``pbx monitor`` line of a hub event (``link``: the link state, for link_up); its
    times in ``zone`` (the site's) with their offset, as on the port."""
    name = event.get("event")
    data: dict[str, Any]
    if name in _MONITOR_EVENTS:
        shown, fields = _MONITOR_EVENTS[str(name)]
        data = {"event": shown, **{k: event[k] for k in fields if k in event}}
    elif name == "parameter_changed":
        data = {"event": "parameter", "key": event["key"], "value": event["new"],
                "old": event["old"], "by": event["by"]}
    elif name == "record_stored":
        data = {"event": "record", **_record_fields(event, zone)}
    elif name == "snapshot":  # the starting state (and a new one after a reconnect)
        data = {"event": "state", **{k: event.get(k, []) for k in (
            "extensions", "trunks", "park_slots")}}
    elif name == "link" and event.get("state") == "up":
        data = {"event": "link_up", **{k: (link or {}).get(k, "") for k in (
            "model", "firmware", "extensions", "trunks")}}
    elif name == "link":
        data = {"event": "link_down", "reason": event.get("reason", "")}
    else:
        return None
    return {"time": _in_zone(str(event.get("time", "")), zone), **data}


def monitor_via(args: argparse.Namespace, client: HubClient) -> int:
    zone = _site_zone(data_dir_of(args))  # times in the site's zone, as on the port

    def link_line(time: str) -> dict[str, Any] | None:
        state = client.request("link_state")
        event = {"event": "link", "time": time, "state": "up" if state["up"] else "down",
                 "reason": state.get("last_error", "")}
        return monitor_line(event, state, zone)

    first = link_line(datetime.now(zone).isoformat(timespec="seconds"))
    if first is not None:
        print_line(json.dumps(first, ensure_ascii=False))
    with stop_on_signals() as stop:
        while not stop.is_set():
            try:
                event = client.events.get(timeout=0.2)
            except queue.Empty:
                if client.closed:
                    error_line("the service closed the connection")
                    return 1
                continue
            if event.get("event") == "link" and event.get("state") == "up":
                line = link_line(str(event.get("time", "")))
            else:
                line = monitor_line(event, zone=zone)
            if line is not None:
                print_line(json.dumps(line, ensure_ascii=False))
    return 0
