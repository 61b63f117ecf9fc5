"""The admin API's side of the hub: what a handler gets (``AdminCall``), jobs with progress
and cancel, errors.

Theory of operation
-------------------
Admin actions (``callcenter.common.agent.admin_*``) are served by handler functions, one
module per subject: ``admin_dispatch`` (the core's few, and the dispatcher that serves them
all), ``admin_pbx``, ``admin_backup`` and ``admin_store``, each exporting ``HANDLERS``
(action name -> handler) and ``service_events`` (a service event -> the admin events it
means).  A handler is an
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from callcenter.common.agent.catalog import MODULES, ErrorCode
from callcenter.common.agent.messages import Request
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


__all__ = ["AdminBackend", "AdminCall", "AdminError", "AdminHandler", "Cancelled",
           "EventConverter", "Job", "allowed_modules"]

