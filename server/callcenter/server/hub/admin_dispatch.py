"""Serving admin requests: the core's few handlers (``whoami``, ``cancel``) and the
dispatcher that finds every action's handler in the subject modules (``admin_pbx``,
``admin_backup``, ``admin_store``, and ``desk`` for the extension names of 1.2) and turns
service events into admin events.  The frame handlers are written against is
``hub.admin``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import peewee

from callcenter.common.agent.catalog import ACTIONS, PROTOCOL_VERSION, ErrorCode
from callcenter.common.agent.messages import Request, response_error, response_ok
from callcenter.server.hub import admin_backup, admin_pbx, admin_store, desk
from callcenter.server.hub.admin import (
    AdminBackend,
    AdminCall,
    AdminError,
    AdminHandler,
    EventConverter,
    Job,
    allowed_modules,
)
from callcenter.server.store.db import StoreError
from callcenter.server.store.settings import get_setting

if TYPE_CHECKING:
    from callcenter.server.hub.handler import HubHandler
    from callcenter.server.hub.session import AgentSession
    from callcenter.server.pbx.events import ServiceEvent

log = logging.getLogger(__name__)


async def _whoami(call: AdminCall) -> dict[str, Any]:
    session = call.session
    try:  # the site's zone, in which consoles show times; not worth failing whoami for
        timezone = await call.in_store(lambda: str(get_setting("timezone")))
    except (StoreError, peewee.PeeweeException):
        timezone = ""
    return {"user": session.user, "role": session.role or "", "extension": session.port,
            "modules": allowed_modules(session.role, session.modules),
            "protocol": PROTOCOL_VERSION, "data_dir": str(call.backend.data_dir),
            "timezone": timezone}


async def _cancel(call: AdminCall) -> dict[str, Any]:
    job = call.session.jobs.get(str(call.params["job"]))
    if job is None:
        return {"cancelled": False}
    job.cancel()
    return {"cancelled": True}


CORE_HANDLERS: Final[Mapping[str, AdminHandler]] = {"whoami": _whoami, "cancel": _cancel}


def _all_handlers() -> tuple[dict[str, AdminHandler], list[EventConverter]]:
    handlers: dict[str, AdminHandler] = dict(CORE_HANDLERS)
    converters: list[EventConverter] = []
    for module in (admin_pbx, admin_backup, admin_store, desk):
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


