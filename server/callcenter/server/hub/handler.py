"""The business side of the agent hub: accounts, PBX call control, who is connected, fan-out.

Theory of operation
-------------------
One ``HubHandler`` lives on the hub's asyncio loop and is only touched there.  It is fed
from two sides:

* sessions call ``login`` and ``request`` (``session.SessionHandler``); blocking work runs in
  thread pools owned by the hub: the store and scrypt in the *store* pool, PBX call control
  (``PbxLink.request``, which waits for the PBX's answer) in the *PBX* pool.  The loop never
  blocks, so pings, events and other clients go on while the PBX or the store is slow.
* the PBX link's notices (extension, trunk and park-slot states, snapshots, link up/down,
  parameter changes) arrive through ``post`` from the link thread, in wire order, and are
  turned into protocol events by ``PbxView`` and fanned out to the sessions' queues.

The link's own listener is used rather than the service's dispatcher because the dispatcher
also stores call records (a commit with fsync): a ring must not wait behind a record batch.
The service's events are still used for what only the service knows (verification done).

Floods and accounts (issue 10): connections waiting to log in are capped in all and per
source address; the logins of one address are checked one at a time (``_address_gate``), so
one host keeps at most one scrypt busy and the store pool holds at most one login of each
address; a successful login is refused past ``max_sessions_per_account``. Every
``accounts_interval`` the *watch* thread (its own, so a queue of logins cannot delay it)
reads the store's counter of account changes (migration 006); when it moved past what a
session's account was read at, the session is checked against its account again and ended
(``AgentSession.end``) when the account was removed or its role, bound port or must-change
flag changed.  Messages: a token bucket per account, and a retention
(``agent.message_retention_days``) applied every ``message_purge_interval``.

What the hub keeps for the agents' desks (protocol 1.2: messages kept for an offline
receiver, missed calls per port, extension names) is ``hub.desk``; this handler feeds it
every PBX change's events and hands it the kept messages' delivery at login.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

from callcenter.common.agent.catalog import ACTIONS, EVENTS, MODULES, ErrorCode
from callcenter.common.agent.messages import Login, Request, hello, response_error, response_ok
from callcenter.common.pbx.messages import (
    CallControl,
    CallControlResult,
    ExtensionState,
    Message,
    ParameterChanged,
    ParkSlotState,
    StateSnapshot,
    TrunkState,
)
from callcenter.server.accounts import service as accounts
from callcenter.server.accounts.service import AccountError, AccountInfo, AuthOutcome
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.hub.admin_dispatch import AdminDispatcher
from callcenter.server.hub.desk import DeskStore, store_time
from callcenter.server.hub.options import HubOptions
from callcenter.server.hub.session import (
    UNSUBSCRIBABLE,
    AgentSession,
    EncodedEvent,
    Reply,
    now_text,
)
from callcenter.server.hub.snapshot import split_snapshot
from callcenter.server.hub.state import HubEvent, PbxView
from callcenter.server.pbx.events import ParameterSet, ServiceEvent, VerificationDone
from callcenter.server.pbx.link import LinkDown, LinkNotice, LinkUp, PbxError, PbxTimeout
from callcenter.server.store.db import database
from callcenter.server.store.models import utc_now
from callcenter.server.store.settings import get_setting

if TYPE_CHECKING:
    from callcenter.server.pbx.service import PbxService

log = logging.getLogger(__name__)

SERVER_NAME: Final = "callcenter-server 0.1.0"
ON_HOOK: Final = frozenset({"idle", "ringing"})  # a normal phone's handset is down
_NUMBER_KEY: Final = re.compile(r"extension\.([0-9]{3})\.number")
#: After an extension number changed, every session gets a new snapshot this much later
#: (once for a burst of changes, e.g. a renumbering).
NUMBER_SNAPSHOT_DELAY: Final = 0.2
T = TypeVar("T")


@dataclass(frozen=True)
class HubSettings:
    """The server settings the hub enforces, read at each login and every few seconds."""

    password_required: bool = True
    lockout: timedelta = accounts.DEFAULT_LOCKOUT
    admin_only: frozenset[str] = frozenset()
    operator_modules: frozenset[str] = frozenset(MODULES)
    message_retention: timedelta = timedelta(days=90)


def _names(key: str) -> frozenset[str]:
    return frozenset(a for a in str(get_setting(key)).split(",") if a)


def read_settings() -> HubSettings:
    return HubSettings(bool(get_setting("agent.password_required")),
                       timedelta(minutes=int(get_setting("agent.lockout_minutes"))),
                       _names("agent.admin_only_actions"), _names("console.operator_modules"),
                       timedelta(days=int(get_setting("agent.message_retention_days"))))


def _in_store(work: Callable[[], T]) -> T:
    """Run store work in a pool thread and close that thread's connection afterwards."""
    try:
        return work()
    finally:
        if not database.is_closed():
            database.close()


def _error(request_id: str | int, code: ErrorCode, message: str) -> Reply:
    return Reply(response_error(request_id, code, message))


def account_change(session: AgentSession, info: AccountInfo | None,
                   password_required: bool) -> tuple[ErrorCode, str] | None:
    """Why ``session`` may not go on now that its account reads ``info`` (None: removed),
    as the code and message of its last response; None when it may."""
    user = session.user
    if info is None:
        return (ErrorCode.AUTH_FAILED, f"the account {user!r} was removed; the session ends")
    if info.role != session.role:
        return (ErrorCode.AUTH_FAILED, f"the role of account {user!r} changed to {info.role}; "
                "the session ends: log in again")
    if info.bound_port and session.port and info.bound_port != session.port:
        return (ErrorCode.FORBIDDEN, f"account {user!r} is now bound to extension port "
                f"{info.bound_port}; the session at {session.port} ends")
    if info.must_change_password and password_required and not session.must_change_password:
        return (ErrorCode.PASSWORD_CHANGE_REQUIRED, f"the password of account {user!r} was "
                "reset and must be changed; the session ends: log in again")
    return None


def agent_fields(session: AgentSession) -> dict[str, Any]:
    return {"user": session.user, "extension": session.port, "device": session.device,
            "since": session.logged_in_at}


def connection_fields(session: AgentSession) -> dict[str, Any]:
    """A connection as ``clients`` and the ``client_*`` events show it (S-44)."""
    logged_in = session.role is not None
    return {"address": session.address, "remote_port": session.remote_port,
            "user": session.user, "role": session.role or "", "extension": session.port,
            "device": session.device if logged_in and session.port else "",
            "since": session.connected_at}


class HubHandler:
    """See the module docstring; every method runs on the hub's loop unless noted."""

    def __init__(self, service: PbxService, options: HubOptions,
                 loop: asyncio.AbstractEventLoop, admin: AdminBackend | None = None) -> None:
        self.service = service
        self.options = options
        self.loop = loop
        self.view = PbxView()
        self.sessions: dict[AgentSession, None] = {}  # every connection, in connect order
        self.active: dict[AgentSession, None] = {}  # logged in and receiving events
        self.by_port: dict[str, dict[AgentSession, None]] = {}
        self.link_up = False
        self.last_dialled: dict[str, str] = {}
        self.settings = HubSettings()
        self.events_sent = 0
        self.store_pool = ThreadPoolExecutor(options.store_workers,
                                             thread_name_prefix="agent-hub-store")
        self.pbx_pool = ThreadPoolExecutor(options.pbx_workers,
                                           thread_name_prefix="agent-hub-pbx")
        self.admin_pool = ThreadPoolExecutor(options.admin_workers,
                                             thread_name_prefix="agent-hub-admin")
        # The account counter and the settings: never behind a queue of logins.
        self.watch_pool = ThreadPoolExecutor(1, thread_name_prefix="agent-hub-watch")
        self._gates: dict[str, tuple[asyncio.Lock, int]] = {}  # address -> (lock, users)
        self._message_tokens: dict[str, tuple[float, float]] = {}  # user -> (tokens, when)
        self.admin = AdminDispatcher(self, admin or AdminBackend(service, service.data_dir))
        self._numbers_snapshot: asyncio.TimerHandle | None = None
        self.desk = DeskStore(self)

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Start the pool threads; load the settings, the PBX state known so far and the
        extension numbers."""
        for pool, workers in ((self.store_pool, self.options.store_workers),
                              (self.pbx_pool, self.options.pbx_workers),
                              (self.admin_pool, self.options.admin_workers),
                              (self.watch_pool, 1)):
            # Every thread up front: the first logins do not wait for threads to start, and
            # the threads the hub owns are all there from start() to stop().
            barrier = threading.Barrier(workers)
            await asyncio.gather(*(self.loop.run_in_executor(pool, barrier.wait, 10)
                                   for _ in range(workers)))
        try:
            self.settings = await self._store(read_settings)
        except Exception as exc:  # the store is checked again at each login
            log.warning("agent hub: cannot read the settings (%s); using the defaults", exc)
        states = self.service.port_states
        self.view.load(states.extensions().values(), states.trunks().values(),
                       states.park_slots().values())
        self.link_up = self.service.link.is_up
        await self.refresh_numbers()
        await self.desk.start()
        self.loop.create_task(self._refresh_settings())
        self.loop.create_task(self._follow_accounts())
        self.loop.create_task(self._purge_messages())

    async def _refresh_settings(self) -> None:
        """Re-read the settings now and then, so that a ``hello`` says what applies now (a
        login reads them again anyway)."""
        while True:
            await asyncio.sleep(self.options.settings_interval)
            try:
                self.settings = await self._watch(read_settings)
            except Exception as exc:  # a store hiccup: keep the last settings
                log.debug("agent hub: cannot re-read the settings: %s", exc)

    async def _follow_accounts(self) -> None:
        """Let open sessions follow account changes made anywhere (see the module
        docstring): the store's counter, read every ``accounts_interval``."""
        while True:
            await asyncio.sleep(self.options.accounts_interval)
            try:
                await self.check_accounts()
            except Exception as exc:  # a store hiccup: try again at the next tick
                log.debug("agent hub: cannot check the accounts: %s", exc)

    async def check_accounts(self) -> int:
        """End the sessions whose account was removed or changed since it was read (how
        many were ended)."""
        generation = await self._watch(accounts.account_generation)
        stale = [s for s in self.sessions if s.role is not None and not s.token_login
                 and not s.closing and s.account_generation < generation]
        if not stale:
            return 0
        users = {s.user for s in stale}
        found = await self._watch(lambda: accounts.accounts_of(users))
        ended = 0
        for session in stale:
            why = account_change(session, found.get(session.user),
                                 self.settings.password_required)
            if why is None:
                session.account_generation = generation
            elif not session.closing:
                log.info("agent hub: %r ends: %s", session, why[1])
                session.end(*why)
                ended += 1
        return ended

    async def _purge_messages(self) -> None:
        """Delete the messages past ``agent.message_retention_days`` and the missed calls
        older than a day, at start and then every ``message_purge_interval``."""
        while True:
            try:
                cutoff = utc_now() - self.settings.message_retention
                deleted = await self._watch(functools.partial(accounts.purge_messages, cutoff))
                if deleted:
                    log.info("agent hub: %d message(s) past the retention deleted", deleted)
                await self.desk.purge()
            except Exception as exc:  # a store hiccup: the next round catches up
                log.warning("agent hub: cannot delete old messages or missed calls: %s", exc)
            await asyncio.sleep(self.options.message_purge_interval)

    def shutdown_pools(self) -> None:
        """Wait for the pool threads to end (from any thread, after the loop stopped)."""
        self.store_pool.shutdown(wait=True, cancel_futures=True)
        self.pbx_pool.shutdown(wait=True, cancel_futures=True)
        self.admin_pool.shutdown(wait=True, cancel_futures=True)
        self.watch_pool.shutdown(wait=True, cancel_futures=True)

    async def refresh_numbers(self) -> None:
        """Extension port -> number, from the service's last verified parameter image."""
        def numbers() -> dict[str, str]:
            params = self.service.image.params
            return {m.group(1): value for key, value in params.items()
                    if (m := _NUMBER_KEY.fullmatch(key))}
        try:
            self.view.set_numbers(await self.loop.run_in_executor(self.store_pool, numbers))
        except Exception as exc:
            log.warning("agent hub: cannot read the extension numbers: %s", exc)

    async def _store(self, work: Callable[[], T]) -> T:
        return await self.loop.run_in_executor(self.store_pool, _in_store, work)

    async def in_store(self, work: Callable[[], T]) -> T:
        """``work()`` in a store-pool thread (its connection closed afterwards)."""
        return await self._store(work)

    async def _watch(self, work: Callable[[], T]) -> T:
        return await self.loop.run_in_executor(self.watch_pool, _in_store, work)

    def known_ports(self) -> set[str]:
        return set(self.view.extensions) | set(self.view.numbers)

    # ------------------------------------------------------------------ PBX side
    def on_link_notice(self, notice: LinkNotice) -> None:
        """In the PBX link thread: hand the notice to the loop (never blocks)."""
        if isinstance(notice, ExtensionState | TrunkState | ParkSlotState | StateSnapshot
                      | LinkUp | LinkDown | ParameterChanged):
            self.post(self.take_notice, notice)

    def on_service_event(self, event: ServiceEvent) -> None:
        """In the service's event thread."""
        if isinstance(event, VerificationDone):
            self.post(lambda: self.loop.create_task(self.refresh_numbers()))
        elif isinstance(event, ParameterSet):  # the service's own writes, too
            self.post(self.take_notice, event)
        self.admin.service_event(event)

    def post(self, callback: Callable[..., object], *args: object) -> None:
        """Run ``callback(*args)`` on the loop soon; ignored once the hub has stopped."""
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self.loop.call_soon_threadsafe(callback, *args)

    def take_notice(self, notice: LinkNotice | ParameterSet) -> None:
        if isinstance(notice, ExtensionState | TrunkState | ParkSlotState):
            events = self.view.apply(notice)
            self.desk.note(events)
            for hub_event in events:
                self.broadcast(hub_event)
        elif isinstance(notice, StateSnapshot):
            if not self.view.load_page(notice):
                return  # more pages follow; the snapshot goes out once it is whole
            snapshot = self.snapshot_events()
            for session in list(self.active):
                for part in snapshot:
                    session.send_event(part)
        elif isinstance(notice, LinkUp):
            self.view.new_pbx_session()
            if not self.link_up:
                self.link_up = True
                self.broadcast(HubEvent("link", {"state": "up", "reason": "PBX answered"}))
        elif isinstance(notice, LinkDown):
            if self.link_up:
                self.link_up = False
                self.broadcast(HubEvent("link", {"state": "down", "reason": notice.reason}))
        elif isinstance(notice, ParameterChanged | ParameterSet):
            match = _NUMBER_KEY.fullmatch(notice.key)
            value = notice.value if isinstance(notice, ParameterChanged) else notice.new
            if match and self.view.numbers.get(match.group(1)) != value:
                self.view.numbers[match.group(1)] = value
                self.schedule_snapshot()

    def schedule_snapshot(self) -> None:
        """An extension's number (1.1) or name (1.2) changed: every session gets a new
        snapshot ``NUMBER_SNAPSHOT_DELAY`` later (once for a burst of changes)."""
        if self._numbers_snapshot is None:
            self._numbers_snapshot = self.loop.call_later(NUMBER_SNAPSHOT_DELAY,
                                                          self._send_new_numbers)

    def _send_new_numbers(self) -> None:
        """Every session gets a new snapshot (see ``schedule_snapshot``)."""
        self._numbers_snapshot = None
        snapshot = self.snapshot_events()
        for session in list(self.active):
            for part in snapshot:
                session.send_event(part)

    def broadcast(self, hub_event: HubEvent, exclude: AgentSession | None = None) -> int:
        """Queue ``hub_event`` to its receivers; how many took it."""
        encoded = EncodedEvent(hub_event.name, now_text(), hub_event.data)
        targets = self.by_port.get(hub_event.port, {}) if hub_event.port else self.active
        sent = 0
        for session in list(targets):
            if session is not exclude and session.send_event(encoded):
                sent += 1
        self.events_sent += sent
        return sent

    def broadcast_event(self, name: str, data: dict[str, Any]) -> int:
        """An event to every logged-in session whose role receives it."""
        return self.broadcast(HubEvent(name, data))

    def send_to(self, session: AgentSession, name: str, data: dict[str, Any]) -> None:
        """An event to one session (e.g. the progress of its own job)."""
        session.send_event(EncodedEvent(name, now_text(), data))

    def snapshot_events(self) -> list[EncodedEvent]:
        """The snapshot, in as many parts as the 64 KiB line limit needs (usually one)."""
        fields = self.view.snapshot_fields()
        fields["agents"] = [agent_fields(s) for s in self.active if s.port]
        fields["link"] = "up" if self.link_up else "down"
        time_text = now_text()
        return [EncodedEvent("snapshot", time_text, part) for part in split_snapshot(fields)]

    # ------------------------------------------------------------------ sessions
    def hello(self) -> dict[str, Any]:
        return hello(SERVER_NAME, now_text(),
                     password_required=self.settings.password_required,
                     login_timeout=max(1, math.ceil(self.options.login_timeout)),
                     idle_timeout=max(1, math.ceil(self.options.idle_timeout)))

    def admit(self, session: AgentSession) -> str | None:
        """None when ``session`` may wait to log in, else why not (it is then closed)."""
        waiting = here = 0
        for other in self.sessions:
            if other.role is None:
                waiting += 1
                here += other.address == session.address
        self.sessions[session] = None
        if here >= self.options.max_unauthenticated_per_address:
            return (f"too many connections from {session.address} waiting to log in "
                    f"({here}); try again later")
        if waiting >= self.options.max_unauthenticated:
            return "too many connections waiting to log in; try again later"
        return None

    def closed(self, session: AgentSession) -> None:
        self.sessions.pop(session, None)
        if session not in self.active:
            return
        del self.active[session]
        self.broadcast(HubEvent("client_disconnected", connection_fields(session)))
        if not session.port:
            return  # a console session: no agent left
        at_port = self.by_port.get(session.port, {})
        at_port.pop(session, None)
        if not at_port:
            self.by_port.pop(session.port, None)
        self.broadcast(HubEvent("agent_left", {"user": session.user, "extension": session.port}))

    def activate(self, session: AgentSession,
                 kept: list[dict[str, Any]] | None = None) -> None:
        """The session may now act and receive events: snapshot (seq 1), the messages
        ``kept`` for its user while it was offline (1.2), then the others hear that it
        joined."""
        if session.closing or session.active:
            if kept:
                log.warning("agent hub: %r closed before %d kept message(s) were sent; "
                            "they stay in the history", session, len(kept))
            return
        session.active = True
        session.seq = 0
        self.active[session] = None
        if session.port:
            self.by_port.setdefault(session.port, {})[session] = None
        for part in self.snapshot_events():
            session.send_event(part)
        for message in kept or ():
            session.send_event(EncodedEvent("message", now_text(), message))
        if session.port:
            self.broadcast(HubEvent("agent_joined", agent_fields(session)), exclude=session)
        self.broadcast(HubEvent("client_connected", connection_fields(session)),
                       exclude=session)

    def close_all(self) -> None:
        for session in list(self.sessions):
            session.abort()

    @contextlib.asynccontextmanager
    async def _address_gate(self, address: str) -> Any:
        """One password check at a time per source address (the others of that address
        wait here, not in the store pool's queue)."""
        lock, users = self._gates.get(address) or (asyncio.Lock(), 0)
        self._gates[address] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._gates[address]
            if users <= 1:
                del self._gates[address]
            else:
                self._gates[address] = (lock, users - 1)

    async def login(self, session: AgentSession, login: Login) -> Reply:
        rid = login.id
        self.settings = settings = await self._store(read_settings)
        if login.token:
            return self._token_login(session, login, settings)

        def check() -> tuple[int, accounts.AuthResult]:
            generation = accounts.account_generation()  # before the account is read
            return generation, accounts.authenticate(
                login.user, login.password, lockout=settings.lockout,
                check=settings.password_required)
        async with self._address_gate(session.address):
            generation, result = await self._store(check)
        if result.outcome is AuthOutcome.AUTH_FAILED:
            await asyncio.sleep(self.options.failure_delay)
            return _error(rid, ErrorCode.AUTH_FAILED, "wrong user name or password")
        account = result.account
        assert account is not None
        if result.outcome is AuthOutcome.LOCKED_OUT:
            # Answered as slowly as a wrong password, so that timing guesses nothing more.
            await asyncio.sleep(self.options.failure_delay)
            return _error(rid, ErrorCode.LOCKED_OUT, "too many failed logins: the account is "
                          "locked for a while; try again later or ask the administrator")
        if not login.extension and account.role == "agent":
            return _error(rid, ErrorCode.BAD_REQUEST, "field 'extension' is required for "
                          "agents (only operators and admins log in without a phone)")
        if account.bound_port and login.extension and account.bound_port != login.extension:
            return _error(rid, ErrorCode.FORBIDDEN, f"account {login.user!r} may only log in "
                          f"at extension port {account.bound_port}")
        known = self.known_ports()
        if known and login.extension and login.extension not in known:
            return _error(rid, ErrorCode.NOT_FOUND,
                          f"the PBX has no extension port {login.extension}")
        if session.role is not None or session.closing:
            return _error(rid, ErrorCode.ALREADY_LOGGED_IN, "already logged in")
        others = sum(1 for s in self.sessions if s.user == account.user
                     and s.role is not None and not s.token_login and not s.closing)
        if others >= self.options.max_sessions_per_account:
            return _error(rid, ErrorCode.RATE_LIMITED, f"account {account.user!r} has "
                          f"{others} sessions already (at most "
                          f"{self.options.max_sessions_per_account}); close one first")
        session.user, session.role = account.user, account.role
        session.account_generation = generation
        session.port, session.device = login.extension, login.device
        session.logged_in_at = now_text()
        session.must_change_password = (account.must_change_password
                                        and settings.password_required)
        session.admin_only = settings.admin_only
        session.modules = settings.operator_modules
        log.info("agent hub: %s logged in at %s (%s) from %s", session.user,
                 session.port or "the console", session.role, session.address)
        response = response_ok(rid, user=account.user, role=account.role,
                               extension=login.extension,
                               number=self.view.number_of(login.extension),
                               device=login.device,
                               must_change_password=session.must_change_password)
        if session.must_change_password:
            return Reply(response)
        kept = await self.desk.take_pending(session)
        return Reply(response, lambda: self.activate(session, kept))

    def _token_login(self, session: AgentSession, login: Login, settings: HubSettings
                     ) -> Reply:
        """A command on the service's own computer: the token of DIR/service.json, which
        only the service's operating-system user can read, stands for an admin password."""
        rid = login.id
        if not self.admin.backend.token_matches(login.token):
            return _error(rid, ErrorCode.AUTH_FAILED, "wrong service token (is this the "
                          "token of the service that runs now?)")
        if session.role is not None or session.closing:
            return _error(rid, ErrorCode.ALREADY_LOGGED_IN, "already logged in")
        session.user, session.role = login.user, "admin"
        session.token_login = True
        session.port, session.device = login.extension, login.device
        session.logged_in_at = now_text()
        session.modules = settings.operator_modules
        log.info("agent hub: %s logged in with the service token from %s", session.user,
                 session.address)
        number = self.view.number_of(login.extension) if login.extension else ""
        return Reply(response_ok(rid, user=login.user, role="admin",
                                 extension=login.extension, number=number,
                                 device=login.device, must_change_password=False),
                     lambda: self.activate(session))

    # ------------------------------------------------------------------ requests
    async def request(self, session: AgentSession, request: Request) -> Reply:
        action, params, rid = request.action, request.params, request.id
        if action == "ping":
            return Reply(response_ok(rid, time=now_text()))
        if action in ("subscribe", "unsubscribe"):
            names = [str(n) for n in params["events"]]
            known = {n for n in names if n in EVENTS}
            unknown = sorted({n for n in names if n not in EVENTS})
            if action == "subscribe":
                session.subscribed |= known
            else:
                session.subscribed -= known - UNSUBSCRIBABLE
            return Reply(response_ok(rid, events=sorted(session.subscribed), unknown=unknown))
        if action == "change_password":
            return await self._change_password(session, request)
        if action == "send_message":
            return await self._send_message(session, request)
        if action in ("message_history", "directory", "missed_calls"):
            return Reply(response_ok(rid, **await self.desk.request(session, action, params)))
        if action == "agents":
            return Reply(response_ok(rid, agents=[agent_fields(s) for s in self.active
                                                  if s.port]))
        if action == "clients":
            return Reply(response_ok(rid, clients=[connection_fields(s)
                                                   for s in self.sessions]))
        if self.admin.serves(action):
            return Reply(await self.admin.request(session, request))
        return await self._call_control(session, request)

    async def _change_password(self, session: AgentSession, request: Request) -> Reply:
        rid, old, new = request.id, request.params["old"], request.params["new"]
        settings = self.settings
        try:
            result = await self._store(lambda: accounts.change_password(
                session.user, old, new, lockout=settings.lockout))
        except AccountError as exc:
            return _error(rid, ErrorCode.BAD_REQUEST, f"field 'new': {exc.message}")
        if result.outcome is AuthOutcome.AUTH_FAILED:
            await asyncio.sleep(self.options.failure_delay)
            return _error(rid, ErrorCode.AUTH_FAILED, "wrong old password")
        if result.outcome is AuthOutcome.LOCKED_OUT:
            # Answered as slowly as a wrong password, so that timing guesses nothing more.
            await asyncio.sleep(self.options.failure_delay)
            return _error(rid, ErrorCode.LOCKED_OUT, "too many failed attempts: the account is "
                          "locked for a while")
        log.info("agent hub: %s changed the password", session.user)
        if session.must_change_password:
            session.must_change_password = False
            kept = await self.desk.take_pending(session)
            return Reply(response_ok(rid), lambda: self.activate(session, kept))
        return Reply(response_ok(rid))

    async def _send_message(self, session: AgentSession, request: Request) -> Reply:
        rid, to, text = request.id, request.params["to"], request.params["text"]
        if not self._take_message_token(session.user):
            return _error(rid, ErrorCode.RATE_LIMITED, f"more than "
                          f"{self.options.message_rate:g} messages per second from account "
                          f"{session.user!r}; slow down")
        if to != "ALL" and not await self._store(lambda: accounts.account_exists(to)):
            return _error(rid, ErrorCode.NOT_FOUND, f"no account {to!r}")
        # Kept in the store first: the event carries its id (1.2). Kept for the receiver
        # when none of its sessions is logged in now.
        receivers = [o for o in self.active if o is not session and to in ("ALL", o.user)]
        keep = to != "ALL" and not any(o.user == to for o in self.active)
        sent_at = utc_now()
        try:
            message_id = await self._store(lambda: accounts.record_message(
                session.user, to, text, len(receivers), sent_at, keep=keep))
        except Exception:
            log.exception("agent hub: cannot keep the message in the history")
            return _error(rid, ErrorCode.INTERNAL, "the hub cannot keep the message (logged); "
                          "it was not sent")
        if keep and any(o.user == to for o in self.active):
            # The receiver logged in meanwhile: whoever removes the kept copy delivers it
            # (this send, or that login right after its snapshot).
            keep = not await self._store(
                lambda: accounts.delivered_pending(to, [message_id]))
        fields = {"from": session.user, "to": to, "text": text, "id": message_id,
                  "sent": store_time(sent_at), "offline": False}
        encoded = EncodedEvent("message", now_text(), fields)
        delivered = 0
        for other in list(self.active):
            if other is session:
                continue
            if to in ("ALL", other.user):
                if not keep:
                    delivered += other.send_event(encoded)
            elif other.user == session.user:
                other.send_event(encoded)  # the sender's other connections
        return Reply(response_ok(rid, delivered=delivered, kept=keep))

    def _take_message_token(self, user: str) -> bool:
        """The account's message bucket (shared by all its connections)."""
        now = self.loop.time()
        tokens, then = self._message_tokens.get(user, (self.options.message_burst, now))
        tokens = min(self.options.message_burst,
                     tokens + (now - then) * self.options.message_rate)
        if tokens < 1:
            self._message_tokens[user] = (tokens, now)
            return False
        self._message_tokens[user] = (tokens - 1, now)
        if len(self._message_tokens) > 10_000:  # forget full buckets now and then
            self._message_tokens = {u: v for u, v in self._message_tokens.items()
                                    if v[0] < self.options.message_burst - 1}
        return True

    async def _call_control(self, session: AgentSession, request: Request) -> Reply:
        action, params, rid, port = request.action, request.params, request.id, session.port
        spec = ACTIONS[action]
        link = self.service.link
        if not link.is_up:
            return _error(rid, ErrorCode.PBX_UNAVAILABLE, f"the PBX link is down "
                          f"({link.last_error or 'not connected yet'})")
        state = self.view.extensions.get(port)
        if (spec.needs_handset and session.device == "normal" and state is not None
                and state.state in ON_HOOK):
            return _error(rid, ErrorCode.NEEDS_OFFHOOK, f"extension {port} is a normal phone: "
                          "lift the handset first")
        target = str(params.get("target", ""))
        known = self.known_ports()
        if target and known and target not in known:
            return _error(rid, ErrorCode.NOT_FOUND, f"the PBX has no extension port {target}")
        number = ""
        if action in ("dial", "forward"):
            number = str(params.get("number", "")) if params.get("on", True) else ""
        elif action == "redial":
            number = self.last_dialled.get(port, "")
            if not number:
                return _error(rid, ErrorCode.PBX_REFUSED, f"nothing to redial: no number was "
                              f"dialled from extension {port} through the hub yet")
        slot = int(params.get("slot", 0))
        pbx_action = "dial" if action == "redial" else action

        def factory(request_id: int) -> Message:
            return CallControl(request_id, pbx_action, port, number=number, target=target,
                               slot=slot, on=bool(params.get("on", True)))

        try:
            answer = await self.loop.run_in_executor(
                self.pbx_pool, link.request, factory, self.options.pbx_timeout)
        except PbxTimeout as exc:
            return _error(rid, ErrorCode.PBX_UNAVAILABLE, str(exc))
        except PbxError as exc:
            return _error(rid, ErrorCode.PBX_UNAVAILABLE, str(exc))
        if not isinstance(answer, CallControlResult):
            return _error(rid, ErrorCode.INTERNAL, f"the PBX answered with {answer.TYPE}")
        if not answer.ok:
            return _error(rid, ErrorCode.PBX_REFUSED, answer.error or "refused by the PBX")
        if pbx_action == "dial":
            self.last_dialled[port] = number
        if action in ("forward", "dnd"):
            return Reply(response_ok(rid))
        call_id = self.view.call_id(answer.call_id)
        if action == "park":
            used = slot or await self._parked_slot(call_id)
            return Reply(response_ok(rid, call_id=call_id, slot=used))
        return Reply(response_ok(rid, call_id=call_id))

    async def _parked_slot(self, call_id: int) -> int:
        """The slot the PBX chose for ``call_id`` (its park-slot notice precedes the answer;
        polled briefly in case it does not).  ``call_id`` is the hub's id, so the hub's own
        view is searched (the service's port states hold the PBX's ids)."""
        for _ in range(50):
            for slot, state in list(self.view.park_slots.items()):
                if state.occupied and state.call_id == call_id:
                    return slot
            await asyncio.sleep(0.01)
        raise RuntimeError(f"the PBX parked call {call_id} but shows it in no slot")
