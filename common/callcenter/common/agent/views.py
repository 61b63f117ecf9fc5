"""The phone state the hub's events describe (docs/agent-protocol.md section 8), as values:
an extension, a trunk, a park slot, a logged-in agent. Shared by the console's 实时监控 and the
CRM desk, which both read the same ``snapshot``, ``extension_state``, ``trunk_state``,
``park_slot`` and ``agents`` fields. Pure: no I/O. A field of the wrong type reads as empty
(``""`` or 0), an unknown state is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ExtensionView:
    port: str
    number: str = ""
    name: str = ""
    state: str = "idle"
    peer: str = ""
    trunk: str = ""
    call_id: int = 0
    forward: str = ""
    dnd: bool = False


@dataclass(frozen=True)
class TrunkView:
    trunk: str
    state: str = "idle"
    number: str = ""
    port: str = ""
    call_id: int = 0


@dataclass(frozen=True)
class ParkSlotView:
    slot: int
    occupied: bool = False
    number: str = ""
    port: str = ""
    call_id: int = 0


@dataclass(frozen=True)
class AgentView:
    user: str
    extension: str = ""
    device: str = ""
    since: str = ""


def text(data: dict[str, Any], name: str) -> str:
    """Field ``name`` as text ("" when missing or not a string)."""
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def integer(data: dict[str, Any], name: str) -> int:
    """Field ``name`` as a whole number (0 when missing or not one)."""
    value = data.get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def extension_view(data: dict[str, Any], old: ExtensionView | None = None) -> ExtensionView:
    """A snapshot's extension or an ``extension_state`` event; the number, name, forward and
    DND an event does not carry are kept from ``old``."""
    base = old or ExtensionView(text(data, "port"))
    return replace(
        base,
        number=text(data, "number") if "number" in data else base.number,
        name=text(data, "name") if "name" in data else base.name,
        state=text(data, "state") or "idle",
        peer=text(data, "peer"), trunk=text(data, "trunk"), call_id=integer(data, "call_id"),
        forward=text(data, "forward") if "forward" in data else base.forward,
        dnd=bool(data.get("dnd")) if "dnd" in data else base.dnd)


def trunk_view(data: dict[str, Any]) -> TrunkView:
    return TrunkView(text(data, "trunk"), text(data, "state") or "idle", text(data, "number"),
                     text(data, "port"), integer(data, "call_id"))


def park_slot_view(data: dict[str, Any]) -> ParkSlotView:
    return ParkSlotView(integer(data, "slot"), bool(data.get("occupied")), text(data, "number"),
                        text(data, "port"), integer(data, "call_id"))


def agent_view(data: dict[str, Any]) -> AgentView:
    return AgentView(text(data, "user"), text(data, "extension"), text(data, "device"),
                     text(data, "since"))
