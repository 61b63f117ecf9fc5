"""The admin API's side of the hub: dispatch, jobs with progress and cancel, admin events.

Theory of operation
-------------------
Admin actions (``callcenter.common.agent.admin_*``) are served by handler functions, one
module per subject: ``admin_core`` (this module's own few), ``admin_pbx``, ``admin_backup``
and ``admin_store``, each exporting ``HANDLERS`` (action name -> handler) and
``service_events`` (a service event -> the admin events it means).  A handler is an
``async`` function of one ``AdminCall``; it returns the response's result fields, or raises
``AdminError`` (code and message for the failed response).  Handlers never block the loop:
store work goes through ``call.in_store`` (the hub's store pool), long blocking work (PBX
writes, file export) through ``call.in_worker`` (the admin pool), and a long handler calls
``call.job.progress(done, total, text)`` and ``call.job.check()`` between steps, from any
thread: ``progress`` sends a ``progress`` event to the session that asked, ``check`` raises
``Cancelled`` after a ``cancel``.

What the admin API works on is an ``AdminBackend`` that the composition root
(``ServerRuntime``) builds: the PBX service, the data folder, the local token, and the hooks
into the loops it owns.  Handlers get plain data in and give plain data out (never ORM
objects), so a console on another PC sees exactly what a local one sees.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from callcenter.common.agent.catalog import ACTIONS, MODULES, PROTOCOL_VERSION, ErrorCode
from callcenter.common.agent.messages import Request, response_error, response_ok
from callcenter.server.store.db import database

if TYPE_CHECKING:
    from callcenter.server.hub.handler import HubHandler
    from callcenter.server.hub.session import AgentSession
    from callcenter.server.pbx.events import ServiceEvent
    from callcenter.server.pbx.service import PbxService

log = logging.getLogger(__name__)
T = TypeVar("T")


class AdminError(Exception):
    """A failed admin request: ``code`` (an ``ErrorCode``) and a message naming the field."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Cancelled(AdminError):
    """The session cancelled the job; ``message`` says what was done before."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(ErrorCode.CANCELLED, message)


def _nothing() -> None:
    return None


@dataclass
class AdminBackend:
    """What the admin API works on (built by ``ServerRuntime``; tests may build their own).

    ``token``: the local service token of ``DIR/service.json`` ("" : token logins refused).
    ``prepaid_changed``: called after a rooms action, so the prepaid reconcile runs now.
    ``hooks``: named callables the runtime offers further handlers (e.g. ``"reconnect"``).
    """

    service: PbxService
    data_dir: Path
    token: str = ""
    prepaid_changed: Callable[[], None] = _nothing
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def token_matches(self, given: str) -> bool:
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())


class Job:
    """One long request of one session: progress events out, a cancel flag in."""

    def __init__(self, call_id: str, send: Callable[[dict[str, Any]], None]) -> None:
        self.id = call_id
        self._send = send
        self._cancelled = threading.Event()

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Tell the session how far the job is (any thread)."""
        self._send({"job": self.id, "done": max(0, done), "total": max(0, total),
                    "text": text})

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self, done_so_far: str = "") -> None:
        """Raise ``Cancelled`` if the session cancelled the job (any thread)."""
        if self._cancelled.is_set():
            raise Cancelled(f"cancelled{': ' + done_so_far if done_so_far else ''}")


def _in_store(work: Callable[[], T]) -> T:
    """Run store work in a pool thread and close that thread's connection afterwards."""
    try:
        return work()
    finally:
        if not database.is_closed():
            database.close()


@dataclass
class AdminCall:
    """One admin request being served: who asked, what, and the means to do it."""

    hub: HubHandler
    backend: AdminBackend
    session: AgentSession
    request: Request
    job: Job

    @property
    def params(self) -> dict[str, Any]:
        return self.request.params

    @property
    def who(self) -> str:
        """The audit log's ``who`` of changes made through this session."""
        return self.session.user

    @property
    def service(self) -> PbxService:
        return self.backend.service

    async def in_store(self, work: Callable[[], T]) -> T:
        """``work()`` in a store-pool thread (its connection closed afterwards)."""
        return await self.hub.loop.run_in_executor(self.hub.store_pool, _in_store, work)

    async def in_worker(self, work: Callable[[], T]) -> T:
        """``work()`` in an admin-pool thread: long blocking work (PBX writes, files); the
        thread's store connection is closed afterwards."""
        return await self.hub.loop.run_in_executor(self.hub.admin_pool, _in_store, work)

    def broadcast(self, name: str, data: dict[str, Any]) -> None:
        """An admin event to every session whose role receives it (on the loop)."""
        self.hub.broadcast_event(name, data)


AdminHandler = Callable[[AdminCall], Awaitable[dict[str, Any]]]
EventConverter = Callable[["ServiceEvent"], list[tuple[str, dict[str, Any]]]]


def allowed_modules(role: str | None, operator_modules: frozenset[str]) -> list[str]:
    """The console modules a role may use (S-41): all for admins, the allowed ones for
    operators, none for agents."""
    if role == "admin":
        return list(MODULES)
    if role == "operator":
        return [m for m in MODULES if m in operator_modules]
    return []


async def _whoami(call: AdminCall) -> dict[str, Any]:
    session = call.session
    return {"user": session.user, "role": session.role or "", "extension": session.port,
            "modules": allowed_modules(session.role, session.modules),
            "protocol": PROTOCOL_VERSION, "data_dir": str(call.backend.data_dir)}


async def _cancel(call: AdminCall) -> dict[str, Any]:
    job = call.session.jobs.get(str(call.params["job"]))
    if job is None:
        return {"cancelled": False}
    job.cancel()
    return {"cancelled": True}


CORE_HANDLERS: Final[Mapping[str, AdminHandler]] = {"whoami": _whoami, "cancel": _cancel}


def _all_handlers() -> tuple[dict[str, AdminHandler], list[EventConverter]]:
    from callcenter.server.hub import admin_backup, admin_pbx, admin_store  # noqa: PLC0415

    handlers: dict[str, AdminHandler] = dict(CORE_HANDLERS)
    converters: list[EventConverter] = []
    for module in (admin_pbx, admin_backup, admin_store):
        overlap = set(handlers) & set(module.HANDLERS)
        if overlap:
            raise RuntimeError(f"admin actions served twice: {sorted(overlap)}")
        handlers.update(module.HANDLERS)
        converters.append(module.service_events)
    return handlers, converters


class AdminDispatcher:
    """Serves admin requests and turns service events into admin events (hub loop)."""

    def __init__(self, hub: HubHandler, backend: AdminBackend) -> None:
        self.hub = hub
        self.backend = backend
        self.handlers, self.converters = _all_handlers()

    def serves(self, action: str) -> bool:
        return action in self.handlers

    async def request(self, session: AgentSession, request: Request) -> dict[str, Any]:
        """The response (ok or failed) to one admin request."""
        job_id = str(request.id)
        spec = ACTIONS[request.action]

        def send_progress(data: dict[str, Any]) -> None:
            self.hub.post(self.hub.send_to, session, "progress", data)

        job = Job(job_id, send_progress)
        if spec.long:
            if job_id in session.jobs:
                return response_error(request.id, ErrorCode.BAD_REQUEST,
                                      f"field 'id': a job {job_id!r} is already running on "
                                      "this connection; use another request id")
            session.jobs[job_id] = job
        call = AdminCall(self.hub, self.backend, session, request, job)
        try:
            result = await self.handlers[request.action](call)
        except AdminError as exc:
            return response_error(request.id, exc.code, exc.message)
        finally:
            if spec.long:
                session.jobs.pop(job_id, None)
        return response_ok(request.id, **result)

    def service_event(self, event: ServiceEvent) -> None:
        """In the service's event thread: convert and post to the loop (never blocks)."""
        for convert in self.converters:
            try:
                produced = convert(event)
            except Exception:  # a converter bug must not stop the others
                log.exception("admin event conversion failed on %r", event)
                continue
            for name, data in produced:
                self.hub.post(self.hub.broadcast_event, name, data)


__all__ = ["AdminBackend", "AdminCall", "AdminDispatcher", "AdminError", "AdminHandler",
           "Cancelled", "EventConverter", "Job", "allowed_modules"]

