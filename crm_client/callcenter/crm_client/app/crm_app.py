"""``CrmApp``: the use cases the CRM window calls, in one façade.

The window builds one ``CrmApp`` from the local store and this PC's settings, registers a
listener, and calls ``connect(password)``.  The app then owns the ``AgentLink`` (made by
``link_factory``), the ``Desk`` (phone state), the call log recorder, the messenger and the
call-control buttons.  Everything arriving from the hub is handled on the link's thread and
reported to the listeners as ``AppUpdate`` items (the window queues them for its Tk loop):

- ``pop``: a ring at this PC's port, with the caller looked up (sent first, before anything
  else is done with the ring, so the pop is on screen as soon as possible);
- ``desk``: what changed in the phone state (``changes``: redraw those);
- ``calls``: a call log entry written (``entries``; written on the call log's own thread,
  ``CallLogWriter``, so a slow shared folder never delays the next pop);
- ``outbox``: a call log entry kept in the outbox (network mode, the shared folder away;
  ``entries``): the window shows the writes waiting and replays them (``replay_outbox``);
- ``message``: an internal message arrived (``message``);
- ``status``: the link's state (``status``);
- ``event``: every hub event as received (``event``), for anything else.

Calls that block (the store, the hub: ``call_log``, ``missed_calls``, ``messages``,
``send_message``, the control buttons ...) are made from a worker thread, never the Tk
thread.  The desk is updated on the link's thread; its items are immutable views.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from callcenter.crm_client.app.calls import CallRecorder
from callcenter.crm_client.app.control import CallControl
from callcenter.crm_client.app.log_writer import CallLogWriter
from callcenter.crm_client.app.messages import Message, Messenger
from callcenter.crm_client.app.missed import MissedCall, missed_calls
from callcenter.crm_client.app.pop import Pop, compute_pop, unknown_pop
from callcenter.crm_client.app.times import event_time
from callcenter.crm_client.desk import ALL, Desk, DeskChange
from callcenter.crm_client.link import AgentLink, HubUnavailable, LinkStatus
from callcenter.crm_client.settings import CrmSettings
from callcenter.crm_client.store import ShareUnavailable

if TYPE_CHECKING:
    from callcenter.crm_client.store import CallEntry, CrmStore

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], None]
StateHandler = Callable[[LinkStatus], None]


class LinkLike(Protocol):
    """What the app needs of a link (``AgentLink``)."""

    @property
    def status(self) -> LinkStatus: ...
    def start(self) -> Any: ...
    def request(self, action: str, *, timeout: float | None = None,
                **params: Any) -> dict[str, Any]: ...
    def close(self, timeout: float = 5.0) -> None: ...


LinkFactory = Callable[[CrmSettings, str, EventHandler, StateHandler], LinkLike]


def default_link_factory(settings: CrmSettings, password: str, on_event: EventHandler,
                         on_state: StateHandler) -> LinkLike:
    """An ``AgentLink`` to the hub named in ``settings``."""
    return AgentLink(settings.server_host, settings.server_port, user=settings.user,
                     password=password, extension=settings.extension, device=settings.device,
                     tls=settings.tls, trust=settings.trust or None, on_event=on_event,
                     on_state=on_state)


@dataclass(frozen=True)
class AppUpdate:
    """One thing the window may redraw (module docstring): ``kind`` pop | desk | calls |
    outbox | message | status | event, and the field of that kind."""

    kind: str
    pop: Pop | None = None
    changes: tuple[DeskChange, ...] = ()
    entries: tuple[CallEntry, ...] = ()
    message: Message | None = None
    status: LinkStatus | None = None
    event: dict[str, Any] | None = None


Listener = Callable[[AppUpdate], None]


class CrmApp:
    """The use cases (module docstring)."""

    def __init__(self, store: CrmStore, settings: CrmSettings,
                 link_factory: LinkFactory = default_link_factory, *,
                 listener: Listener | None = None, journal: Path | None = None) -> None:
        self.store = store
        self.settings = settings
        self.link_factory = link_factory
        self.desk = Desk(settings.extension)
        self.last_pop: Pop | None = None
        self._listeners: list[Listener] = [listener] if listener else []
        self._lock = threading.Lock()
        self._link: LinkLike | None = None
        self.log_writer = CallLogWriter(store, self._logged, self._kept)
        self.recorder = CallRecorder(store, settings.extension, settings.user,
                                     name_of=self.customer_name,
                                     is_extension=lambda n: bool(self.desk.port_of_number(n)),
                                     journal=journal, sink=self.log_writer.submit)
        self.messenger = Messenger(store, self.request, settings.user)
        self.control = CallControl(self.request)

    # ------------------------------------------------------------------ listeners, link
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def link(self) -> LinkLike | None:
        return self._link

    @property
    def status(self) -> LinkStatus:
        link = self._link
        return link.status if link is not None else LinkStatus("closed", "not connected")

    @property
    def online(self) -> bool:
        return self.status.state == "online"

    def connect(self, password: str = "") -> None:
        """Start the link to the hub of the settings (after closing a previous one)."""
        if not self.settings.server_host or not self.settings.extension:
            raise ValueError("server_host, extension: set the server's address and this PC's "
                             "extension port first (系统设置)")
        self.disconnect()
        link = self.link_factory(self.settings, password, self._on_event, self._on_state)
        with self._lock:
            self._link = link
        link.start()

    def disconnect(self) -> None:
        """Close the link (the open calls stay in the journal for the next connection)."""
        with self._lock:
            link, self._link = self._link, None
        if link is not None:
            link.close()

    def close(self) -> None:
        """Disconnect, then write what the call log still has queued (bounded)."""
        self.disconnect()
        self.log_writer.close()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the call log's queued writes are in the store (tests, shutdown)."""
        return self.log_writer.flush(timeout)

    def _logged(self, entry: CallEntry) -> None:
        self._notify(AppUpdate("calls", entries=(entry,)))

    def _kept(self, entry: CallEntry) -> None:
        self._notify(AppUpdate("outbox", entries=(entry,)))

    def request(self, action: str, **params: Any) -> dict[str, Any]:
        """A hub request on the link: RequestFailed / HubUnavailable (not connected)."""
        link = self._link
        if link is None:
            raise HubUnavailable("not connected to the server")
        return link.request(action, **params)

    # ------------------------------------------------------------------ the link's thread
    def _notify(self, update: AppUpdate) -> None:
        for listener in list(self._listeners):
            try:
                listener(update)
            except Exception:  # one broken view must not stop the others
                log.exception("listener failed on %s", update.kind)

    def _on_state(self, status: LinkStatus) -> None:
        changes = self.desk.connection_changed(status.state)
        self._notify(AppUpdate("status", status=status))
        if changes:
            self._notify(AppUpdate("desk", changes=tuple(changes)))
        if status.state == "closed":  # the link's thread ends: its store connections too
            with contextlib.suppress(Exception):
                self.store.close()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        name: str | None = None
        if kind == "ring" and event.get("extension") == self.settings.extension:
            pop = self.pop_for(event)
            self.last_pop = pop
            name = pop.name
            self._notify(AppUpdate("pop", pop=pop))
        changes = self.desk.apply(event)
        if changes:
            self._notify(AppUpdate("desk", changes=tuple(changes)))
        if kind == "snapshot":  # the entries are reported as the writer writes them
            if ALL in changes:
                self.recorder.reconcile(self.desk.extensions, event_time(event),
                                        self.desk.call_directions())
        else:
            self.recorder.on_event(event, name=name)
        if kind == "message":
            self._notify(AppUpdate("message", message=self.messenger.received(event)))
        self._notify(AppUpdate("event", event=event))

    # ------------------------------------------------------------------ pop, customers
    def pop_for(self, ring: dict[str, Any]) -> Pop:
        """The pop of a ring event (a pop without a record when the store fails)."""
        try:
            return compute_pop(self.store, ring)
        except ShareUnavailable as exc:  # network mode, the share away: a pop without a record
            log.warning("pop: the caller could not be looked up: %s", exc)
            return unknown_pop(ring)
        except Exception:
            log.exception("pop: the caller could not be looked up")
            return unknown_pop(ring)

    def customer_name(self, number: str) -> str:
        customer = self.store.find_by_number(number)
        return customer.name if customer is not None else ""

    # ------------------------------------------------------------------ call log
    def call_log(self, search: str = "", limit: int = 100, offset: int = 0) -> list[CallEntry]:
        """The call log, newest first (C-5)."""
        entries: list[CallEntry] = self.store.calls(search, limit, offset)
        return entries

    def count_calls(self, search: str = "") -> int:
        count: int = self.store.count_calls(search)
        return count

    def today_count(self, tz: tzinfo | None = None) -> int:
        """Calls logged today (in ``tz``, default this PC's zone)."""
        zone = tz or datetime.now().astimezone().tzinfo or UTC
        count: int = self.store.today_count(zone)
        return count

    def missed_calls(self) -> list[MissedCall]:
        """The hub's missed calls merged with the local log, newest first."""
        return missed_calls(self.store, self.request, self.settings.extension,
                            self.settings.user, name_of=self.customer_name,
                            open_keys={c.key for c in list(self.recorder.open.values())})

    # ------------------------------------------------------------------ messages
    def messages(self, limit: int = 200) -> list[Message]:
        return self.messenger.history(limit)

    def send_message(self, to: str, text: str) -> dict[str, Any]:
        return self.messenger.send(to, text)

    def directory(self) -> list[dict[str, Any]]:
        """Every account (user, role, extension, online): protocol 1.2 ``directory``; a 1.1
        hub: the logged-in agents only."""
        try:
            accounts: list[dict[str, Any]] = list(self.request("directory").get("accounts", []))
            return accounts
        except HubUnavailable:
            raise
        except Exception:
            agents = self.request("agents").get("agents", [])
            return [{"user": a.get("user", ""), "role": "agent",
                     "extension": a.get("extension", ""), "online": True} for a in agents]

    # ------------------------------------------------------------------ call control
    def dial(self, number: str) -> int:
        return self.control.dial(number)

    def hangup(self) -> int:
        return self.control.hangup()

    def answer(self) -> int:
        return self.control.answer()

    def transfer(self, target: str) -> int:
        return self.control.transfer(target)

    def hold(self) -> int:
        return self.control.hold()

    def retrieve(self) -> int:
        return self.control.retrieve()

    def conference(self) -> int:
        return self.control.conference()

    def page(self, target: str = "") -> int:
        return self.control.page(target)

    def redial(self) -> int:
        return self.control.redial()

    def flash(self) -> int:
        return self.control.flash()

    def pickup(self, target: str = "") -> int:
        return self.control.pickup(target)

    def park(self, slot: int | None = None) -> int:
        return self.control.park(slot)

    def unpark(self, slot: int) -> int:
        return self.control.unpark(slot)

    def forward(self, on: bool, number: str = "") -> None:
        self.control.forward(on, number)

    def dnd(self, on: bool) -> None:
        self.control.dnd(on)
