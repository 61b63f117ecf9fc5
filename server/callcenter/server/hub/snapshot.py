"""The ``snapshot`` event in parts, so that no line passes the protocol's 64 KiB.

A snapshot of a small PBX is one event (``part`` 1 of ``parts`` 1).  A large PBX (several
hundred extension ports, or many agents) gets consecutive ``snapshot`` events, each with the
``link`` state and a slice of the arrays, in the order extensions, trunks, park slots, calls,
agents; an array may continue in the next part.  A client replaces its state at part 1 and has
the whole state at part == parts (docs/agent-protocol.md).
"""

from __future__ import annotations

import json
from typing import Any, Final

from callcenter.common.agent.codec import MAX_LINE

LISTS: Final = ("extensions", "trunks", "park_slots", "calls", "agents")
# Room left for the envelope: type, event, seq, time, part, parts (about 120 bytes).
BUDGET: Final = MAX_LINE - 512


def _size(obj: Any) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())


def split_snapshot(fields: dict[str, Any], budget: int = BUDGET) -> list[dict[str, Any]]:
    """``fields`` (the five arrays and ``link``) as the data of one or more snapshot events,
    each encoding to at most ``budget`` bytes unless a single item is larger."""
    link = fields["link"]
    if _size(fields) + 40 <= budget:  # the common case: one part
        return [{**fields, "part": 1, "parts": 1}]
    base = _size({**{name: [] for name in LISTS}, "link": link,
                  "part": 99999, "parts": 99999})
    parts: list[dict[str, list[Any]]] = []
    current: dict[str, list[Any]] = {name: [] for name in LISTS}
    size = base
    for name in LISTS:
        for item in fields[name]:
            cost = _size(item) + 1  # the separating comma
            if size + cost > budget and any(current.values()):
                parts.append(current)
                current = {name: [] for name in LISTS}
                size = base
            current[name].append(item)
            size += cost
    parts.append(current)
    return [{**part, "link": link, "part": number, "parts": len(parts)}
            for number, part in enumerate(parts, 1)]
