"""``pbx status`` and the starting state of ``pbx monitor``: the current state of every
extension port, trunk and park slot, through the running service (the hub's ``snapshot``
event, docs/agent-protocol.md) or on the port itself (the PBX's state pages, ``STR``).

``pbx status`` prints a summary line per kind, then a table of the ports and one of the
trunks (``--json``: one object); ``pbx monitor`` on the port prints ``link_up`` first,
then one ``state`` line with the same arrays, then the events, holding back a call record
the PBX offers before its link is up.
"""

from __future__ import annotations

import argparse
import functools
import json
import queue
import sys
import time
from collections import Counter
from dataclasses import asdict
from datetime import datetime, tzinfo
from typing import Any

from callcenter.common.agent.client import HubClient, HubUnavailable
from callcenter.common.pbx.messages import (
    CallRecord,
    Identity,
    StateRequest,
    StateSnapshot,
)
from callcenter.server.cli.common import print_table, stop_on_signals
from callcenter.server.cli.format import EXTENSION_WORDS, event_to_json
from callcenter.server.cli.pbx_port import _site_zone, connected, data_dir_of, print_line
from callcenter.server.cli.pbx_service import _link
from callcenter.server.pbx.link import LinkNotice, LinkUp, PbxError, PbxLink

#: The arrays of a state, as the hub's snapshot names them.
STATE_LISTS = ("extensions", "trunks", "park_slots")
#: Seconds ``pbx status`` waits for the service's snapshot.
SNAPSHOT_WAIT = 10.0


def _state_page(request_id: int, offset: int) -> StateRequest:
    return StateRequest(request_id, offset)


def read_port_state(link: PbxLink, timeout: float) -> dict[str, list[dict[str, Any]]]:
    """The PBX's state, all pages of it, as the hub's snapshot arrays (no numbers, names)."""
    state: dict[str, list[dict[str, Any]]] = {name: [] for name in STATE_LISTS}
    offset = 0
    for _ in range(1000):  # pages; a PBX has at most 999 extension ports
        answer = link.request(functools.partial(_state_page, offset=offset), timeout)
        if not isinstance(answer, StateSnapshot):
            raise PbxError(f"the PBX answered a state request with {answer.TYPE}")
        state["extensions"] += [asdict(e) for e in answer.extensions]
        if answer.offset == 0:
            state["trunks"] = [asdict(t) for t in answer.trunks]
            state["park_slots"] = [asdict(p) for p in answer.park_slots]
        if answer.complete or not answer.extensions:
            break
        offset = answer.offset + len(answer.extensions)
    return state


def read_service_state(client: HubClient) -> dict[str, list[dict[str, Any]]]:
    """The service's state: the snapshot the hub sends after the login (in parts)."""
    state: dict[str, list[dict[str, Any]]] = {name: [] for name in STATE_LISTS}
    deadline = time.monotonic() + SNAPSHOT_WAIT
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = client.events.get(timeout=min(left, 0.5))
        except queue.Empty:
            if client.closed:
                break
            continue
        if event.get("event") != "snapshot":
            continue
        if event.get("part", 1) == 1:
            state = {name: [] for name in STATE_LISTS}
        for name in STATE_LISTS:
            state[name] += list(event.get(name, []))
        if event.get("part", 1) >= event.get("parts", 1):
            return state
    raise HubUnavailable("the service sent no state snapshot")


def _without_empty_columns(rows: list[list[str]]) -> list[list[str]]:
    """The table without the columns that are empty below their title (NUMBER and NAME on
    the port, FORWARD and DND when none is set); the state column always stays."""
    keep = [i for i in range(len(rows[0]))
            if rows[0][i] in ("PORT", "STATE") or any(row[i] for row in rows[1:])]
    return [[row[i] for i in keep] for row in rows]


def _counts(items: list[dict[str, Any]]) -> str:
    counts = Counter(str(i.get("state", "")) for i in items)
    return ", ".join(f"{n} {EXTENSION_WORDS.get(s, s)}" for s, n in counts.most_common())


def print_status(args: argparse.Namespace, link: dict[str, Any],
                 state: dict[str, list[dict[str, Any]]]) -> None:
    """The state as tables (``--json``: one object with ``link`` and the arrays)."""
    if args.json:
        print_line(json.dumps({"link": link, **state}, ensure_ascii=False))
        return
    out = sys.stdout
    print(f"PBX {link.get('model', '')} firmware {link.get('firmware', '')}: "
          f"{len(state['extensions'])} extensions ({_counts(state['extensions'])}), "
          f"{len(state['trunks'])} trunks ({_counts(state['trunks'])})", file=out)
    rows = [["PORT", "NUMBER", "NAME", "STATE", "WITH", "TRUNK", "FORWARD", "DND"]]
    for e in state["extensions"]:
        rows.append([str(e.get("port", "")), str(e.get("number", "")), str(e.get("name", "")),
                     EXTENSION_WORDS.get(e.get("state", ""), str(e.get("state", ""))),
                     str(e.get("peer", "")), str(e.get("trunk", "")),
                     str(e.get("forward", "")), "yes" if e.get("dnd") else ""])
    print_table(_without_empty_columns(rows), out)
    print(file=out)
    rows = [["TRUNK", "STATE", "NUMBER", "EXT"]]
    rows += [[str(t.get("trunk", "")), str(t.get("state", "")), str(t.get("number", "")),
              str(t.get("port", ""))] for t in state["trunks"]]
    print_table(rows, out)
    held = [p for p in state["park_slots"] if p.get("occupied")]
    print(file=out)
    if not held:
        print(f"park slots: all {len(state['park_slots'])} free", file=out)
    for p in held:
        print(f"park slot {p.get('slot')} holds {p.get('number') or 'a call'} "
              f"(ext {p.get('port')})", file=out)
    out.flush()


def _identity_fields(identity: Identity) -> dict[str, Any]:
    return {"up": True, "model": identity.model, "firmware": identity.firmware,
            "extensions": identity.extensions, "trunks": identity.trunks}


def status(args: argparse.Namespace) -> int:
    """``pbx status`` on the port."""
    with connected(args) as (link, identity):
        state = read_port_state(link, args.timeout)
    print_status(args, _identity_fields(identity), state)
    return 0


def status_via(args: argparse.Namespace, client: HubClient) -> int:
    """``pbx status`` through the service (exit 1 when its PBX link is down)."""
    link = _link(client)
    state = read_service_state(client)
    print_status(args, {k: link.get(k) for k in ("up", "model", "firmware", "extensions",
                                                  "trunks")}, state)
    return 0


def _state_line(link: PbxLink, timeout: float, zone: tzinfo | None
                ) -> dict[str, Any] | None:
    try:
        state = read_port_state(link, timeout)
    except (PbxError, OSError):
        return None  # the link went down meanwhile: its link_down line follows
    return {"time": datetime.now(zone).astimezone(zone).isoformat(timespec="seconds"),
            "event": "state", **state}


def monitor(args: argparse.Namespace) -> int:
    """``pbx monitor`` on the port: link_up, the starting state, then the events."""
    notices: queue.SimpleQueue[LinkNotice] = queue.SimpleQueue()
    printed_records: set[int] = set()
    early: list[CallRecord] = []  # records offered before the first link_up
    up = False
    zone = _site_zone(data_dir_of(args))  # times in the site's zone, with their offset

    def show(notice: LinkNotice) -> None:
        if isinstance(notice, CallRecord):
            # Never acknowledged here, so the PBX offers it again now and then.
            if notice.sequence in printed_records:
                return
            printed_records.add(notice.sequence)
        data = event_to_json(notice, zone=zone)
        if data is not None:
            print_line(json.dumps(data, ensure_ascii=False))

    with connected(args, notices.put) as (link, _), stop_on_signals() as stop:
        while not stop.is_set():
            try:
                notice = notices.get(timeout=0.2)
            except queue.Empty:
                continue
            if not up and not isinstance(notice, LinkUp):
                if isinstance(notice, CallRecord):
                    early.append(notice)  # other states: the state line has them
                continue
            show(notice)
            if isinstance(notice, LinkUp):
                state = _state_line(link, args.timeout, zone)
                if state is not None:
                    print_line(json.dumps(state, ensure_ascii=False))
                up = True
                for record in early:
                    show(record)
                early.clear()
    return 0
