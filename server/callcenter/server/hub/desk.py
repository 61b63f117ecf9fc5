"""What the agent hub keeps for the agents' desks (protocol 1.2, issue 9): missed calls per
extension port, messages for offline receivers, the directory of accounts, extension names.

Theory of operation
-------------------
Missed calls: ``MissedCallTracker`` sees every ``ring``, ``answer`` and ``hangup`` the hub's
``PbxView`` produces, whether or not an agent is logged in at the port.  A port that rang
for a call and stopped ringing without answering it (its ``hangup`` has ``answered``
false) missed the call, unless it had answered that call before (a call transferred back
to it); a port that answers a call it was counted to have missed (the call came back)
takes the missed call back.  So a group ring answered at one port is missed at the others
only.  The decisions are taken on the loop, in event order; the store writes they mean go
through one queue (``DeskStore``) that one task empties in order (what is waiting in one
transaction), so an insert and the delete that takes it back cannot pass each other in the
store pool.  ``missed_calls``
waits for that queue first, so it lists every decision taken before it was asked.

Messages kept for an offline receiver are in the store (``pending_message``): the hub
takes them (read and removed in one transaction) at the receiver's next login and sends
them right after the snapshot, so each is delivered once.

Extension names (admin API, module ``parameters``): kept in the store, loaded at start,
carried by the snapshot; a change sends every session a new snapshot (as a number change
does, ``HubHandler.schedule_snapshot``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from callcenter.common.agent.catalog import ErrorCode
from callcenter.common.agent.crm import DEFAULT_HISTORY
from callcenter.common.agent.messages import format_time
from callcenter.server.accounts import extension_names as names_store
from callcenter.server.accounts import missed_calls as missed_store
from callcenter.server.accounts import service as accounts
from callcenter.server.accounts.extension_names import ExtensionNameError
from callcenter.server.accounts.missed_calls import Missed
from callcenter.server.hub.admin import AdminCall, AdminError, AdminHandler
from callcenter.server.hub.state import HubEvent
from callcenter.server.store.account_models import AgentMessage
from callcenter.server.store.db import database, write_transaction
from callcenter.server.store.models import utc_now

if TYPE_CHECKING:
    from callcenter.server.hub.handler import HubHandler
    from callcenter.server.hub.session import AgentSession
    from callcenter.server.pbx.events import ServiceEvent

log = logging.getLogger(__name__)

#: Calls the tracker remembers before forgetting those that ended long ago.
_KEEP_CALLS: Final = 5000
_FORGET_AFTER: Final = timedelta(hours=2)
#: Missed-call changes written in one transaction, at most.
_BATCH: Final = 500
StoreWork = Callable[[], object]


def store_time(moment: datetime) -> str:
    """A naive-UTC store time as a protocol time (the server's zone, with offset)."""
    return format_time(moment.replace(tzinfo=UTC).astimezone())


@dataclass(frozen=True)
class _Rang:
    at: datetime  # naive UTC
    caller: str
    trunk: str
    number: str


class MissedCallTracker:
    """Decides which ports missed which calls (see the module docstring); pure."""

    def __init__(self, number_of: Callable[[str], str]) -> None:
        self.number_of = number_of
        self._rang: dict[tuple[int, str], _Rang] = {}
        self._answered: dict[tuple[int, str], datetime] = {}
        self._missed: dict[tuple[int, str], datetime] = {}  # counted missed, when

    def note(self, event: HubEvent, now: datetime) -> list[StoreWork]:
        """Take one hub event; the store work it means (none for most)."""
        data = event.data
        if event.name not in ("ring", "answer", "hangup"):
            return []
        key = (int(data["call_id"]), str(data["extension"]))
        if event.name == "ring":
            self._rang.setdefault(key, _Rang(now, str(data["caller"]), str(data["trunk"]),
                                             str(data["number"])))
            self._prune(now)
            return []
        if event.name == "answer":
            self._answered[key] = now
            self._rang.pop(key, None)
            since = self._missed.pop(key, None)
            if since is None:
                return []
            return [lambda: missed_store.forget_missed(key[1], key[0], since)]
        rang = self._rang.pop(key, None)
        if data["answered"] or key in self._answered:
            return []
        missed = Missed(port=key[1], call_id=key[0],
                        caller=rang.caller if rang else str(data["peer"]),
                        trunk=rang.trunk if rang else str(data["trunk"]),
                        number=rang.number if rang else self.number_of(key[1]),
                        rang_at=rang.at if rang else now, ended_at=now)
        self._missed[key] = now
        return [lambda: missed_store.record_missed(missed)]

    def _prune(self, now: datetime) -> None:
        if len(self._rang) + len(self._answered) + len(self._missed) <= _KEEP_CALLS:
            return
        cutoff = now - _FORGET_AFTER
        self._rang = {k: v for k, v in self._rang.items() if v.at >= cutoff}
        self._answered = {k: v for k, v in self._answered.items() if v >= cutoff}
        self._missed = {k: v for k, v in self._missed.items() if v >= cutoff}


def _write_batch(batch: list[StoreWork]) -> None:
    """Run the works in one transaction, each in a savepoint of its own: one that fails is
    logged and undone, the others are kept."""
    with write_transaction(database):
        for work in batch:
            try:
                with database.atomic():  # the savepoint: a failure undoes this work only
                    work()
            except Exception:
                log.exception("agent hub: cannot keep a missed-call change")


def message_fields(message: AgentMessage, *, offline: bool) -> dict[str, Any]:
    """A stored message as the data of a ``message`` event."""
    return {"from": str(message.sender), "to": str(message.recipient),
            "text": str(message.text), "id": int(message.id),
            "sent": store_time(message.sent_at), "offline": offline}


def history_fields(message: AgentMessage) -> dict[str, Any]:
    return {"id": int(message.id), "from": str(message.sender), "to": str(message.recipient),
            "text": str(message.text), "time": store_time(message.sent_at)}


def missed_fields(missed: Missed) -> dict[str, Any]:
    return {"call_id": missed.call_id, "caller": missed.caller, "trunk": missed.trunk,
            "number": missed.number, "time": store_time(missed.rang_at),
            "ended": store_time(missed.ended_at)}


class DeskStore:
    """The desk's side of the hub (see the module docstring); lives on the hub's loop."""

    def __init__(self, hub: HubHandler) -> None:
        self.hub = hub
        self.tracker = MissedCallTracker(hub.view.number_of)
        self._writes: asyncio.Queue[StoreWork] = asyncio.Queue()

    async def start(self) -> None:
        """Load the extension names; start the writer."""
        try:
            self.hub.view.set_names(await self.hub.in_store(names_store.extension_names))
        except Exception as exc:  # the hub runs on; the names come with the next change
            log.warning("agent hub: cannot read the extension names: %s", exc)
        self.hub.loop.create_task(self._write_in_order())

    def note(self, events: list[HubEvent]) -> None:
        """The events of one PBX change (on the loop, in order)."""
        now = utc_now()
        for event in events:
            for work in self.tracker.note(event, now):
                self._writes.put_nowait(work)

    async def _write_in_order(self) -> None:
        """Empty the queue in order, what is waiting in one transaction (a call that rang
        every port of a busy PBX is one commit, not one per port)."""
        while True:
            batch = [await self._writes.get()]
            while len(batch) < _BATCH and not self._writes.empty():
                batch.append(self._writes.get_nowait())
            try:
                await self.hub.in_store(functools.partial(_write_batch, batch))
            except Exception:  # missed calls lost are logged; the desk goes on
                log.exception("agent hub: cannot keep %d missed-call change(s)", len(batch))
            finally:
                for _ in batch:
                    self._writes.task_done()

    async def purge(self) -> int:
        """Delete the missed calls older than a day (the hub's purge round)."""
        return await self.hub.in_store(missed_store.purge_missed)

    # ------------------------------------------------------------------ agent actions
    async def request(self, session: AgentSession, action: str, params: Mapping[str, Any]
                      ) -> dict[str, Any]:
        """The result of ``message_history``, ``directory`` or ``missed_calls``."""
        if action == "message_history":
            limit = int(params.get("limit", DEFAULT_HISTORY))
            before = params.get("before")
            rows = await self.hub.in_store(lambda: accounts.message_history(
                session.user, limit, None if before is None else int(before)))
            return {"messages": [history_fields(m) for m in rows]}
        if action == "directory":
            infos = await self.hub.in_store(accounts.list_accounts)
            online = {s.user for s in self.hub.active if not s.token_login}
            return {"accounts": [{"user": i.user, "role": i.role, "extension": i.bound_port,
                                  "online": i.user in online} for i in infos]}
        assert action == "missed_calls", action
        if not session.port:
            return {"calls": []}
        await self._writes.join()  # every decision taken so far is in the store
        port = session.port
        calls = await self.hub.in_store(lambda: missed_store.missed_calls(port))
        return {"calls": [missed_fields(m) for m in calls]}

    async def take_pending(self, session: AgentSession) -> list[dict[str, Any]]:
        """The messages kept for the session's user, as ``message`` event data, no longer
        kept (sent by ``HubHandler.activate`` right after the snapshot)."""
        if session.token_login:
            return []
        user = session.user
        try:
            rows = await self.hub.in_store(lambda: accounts.take_pending(user))
        except Exception:  # the login goes on; the messages wait for the next one
            log.exception("agent hub: cannot read the messages kept for %s", user)
            return []
        return [message_fields(m, offline=True) for m in rows]


# ---------------------------------------------------------------------- admin: names

def _names_param(call: AdminCall) -> dict[str, str]:
    names = call.params["names"]
    if not names:
        raise AdminError(ErrorCode.BAD_REQUEST, "field 'names' must name at least one "
                                                "extension port")
    known = call.hub.known_ports()
    out: dict[str, str] = {}
    for port, name in names.items():
        if not isinstance(name, str):
            raise AdminError(ErrorCode.BAD_REQUEST, f"field 'names.{port}' must be a string "
                                                    "(the name; \"\" removes it)")
        try:
            names_store.check_name(port, name)
        except ExtensionNameError as exc:
            raise AdminError(ErrorCode.BAD_REQUEST,
                             f"field 'names.{port}': {exc.message}") from None
        if known and port not in known:
            raise AdminError(ErrorCode.NOT_FOUND, f"field 'names': the PBX has no extension "
                                                  f"port {port}")
        out[port] = name
    return out


async def _extension_names(call: AdminCall) -> dict[str, Any]:
    return {"names": await call.in_store(names_store.extension_names)}


async def _extension_names_set(call: AdminCall) -> dict[str, Any]:
    names = _names_param(call)
    who = call.who
    try:
        now = await call.in_store(lambda: names_store.set_extension_names(names, who=who))
    except ExtensionNameError as exc:
        raise AdminError(ErrorCode.BAD_REQUEST, f"field 'names': {exc}") from None
    if now != call.hub.view.names:
        call.hub.view.set_names(now)
        call.hub.schedule_snapshot()
    return {"names": now}


HANDLERS: Final[Mapping[str, AdminHandler]] = {
    "extension_names": _extension_names,
    "extension_names_set": _extension_names_set,
}


def service_events(event: ServiceEvent) -> list[tuple[str, dict[str, Any]]]:
    """No service event concerns the desk."""
    return []
