"""``AgentHub``: the agent hub's asyncio server running in its own thread (aiosmtpd's
``Controller``).

``start()`` starts the thread, which builds the loop, the handler and the listening socket,
and returns once the hub listens; a bind error (port in use, bad address) is raised in the
caller's thread.  ``stop()`` is thread-safe and idempotent: it closes the listening socket and
every connection, waits for the session tasks, the loop and the thread pools to end, and
joins the thread.  Nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from callcenter.common.agent.catalog import DEFAULT_PORT
from callcenter.server.hub.admin import AdminBackend
from callcenter.server.hub.handler import HubHandler
from callcenter.server.hub.options import HubOptions
from callcenter.server.hub.session import AgentSession

if TYPE_CHECKING:
    from callcenter.server.pbx.service import PbxService

log = logging.getLogger(__name__)

START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0


def format_address(host: str, port: int) -> str:
    """``HOST:PORT``, with an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _all_interfaces_socket(port: int) -> socket.socket:
    """A listening socket on every interface: dual-stack IPv6 where the system has it."""
    if socket.has_dualstack_ipv6():
        return socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True,
                                    reuse_port=False, backlog=512)
    return socket.create_server(("0.0.0.0", port), backlog=512)


class AgentHub:
    """The agent hub of a ``PbxService`` (see the module docstring and docs/hub.md).

    ``host``: ``""`` for every interface (IPv6 and IPv4 where possible), or an address.
    ``port``: 0 picks a free port; ``address`` tells which after ``start()``.
    ``tls``: a server ``ssl.SSLContext`` to speak TLS from the first byte, or None.
    """

    def __init__(self, service: PbxService, *, host: str = "", port: int = DEFAULT_PORT,
                 tls: ssl.SSLContext | None = None, options: HubOptions | None = None,
                 admin: AdminBackend | None = None) -> None:
        self.service = service
        self.admin = admin
        self.host = host
        self.port = port
        self.tls = tls
        self.options = options or HubOptions()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handler: HubHandler | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._client_tasks: set[asyncio.Task[Any]] = set()
        self._address: tuple[str, int] | None = None

    # ------------------------------------------------------------------ public API
    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the hub listens on (after ``start()``)."""
        if self._address is None:
            raise RuntimeError("the agent hub is not listening")
        return self._address

    @property
    def handler(self) -> HubHandler:
        if self._handler is None:
            raise RuntimeError("the agent hub is not running")
        return self._handler

    def start(self) -> None:
        """Listen; returns when clients can connect.  Raises OSError when it cannot bind."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the agent hub is already running")
            self._ready.clear()
            self._thread = threading.Thread(target=self._run, name="agent-hub", daemon=True)
            self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            self.stop()
            raise TimeoutError(f"the agent hub did not start within {START_TIMEOUT:g} s")
        if self._start_error is not None:
            error = self._start_error
            self._join()
            raise error

    def stop(self) -> None:
        """Close every connection and end the thread (thread-safe, idempotent)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            if self._thread is threading.current_thread():
                loop.create_task(self._shutdown())
                return
            try:
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                future.result(STOP_TIMEOUT)
            except (RuntimeError, FutureTimeout, asyncio.CancelledError):
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(loop.stop)
        self._join()

    def call(self, function: Any, *args: Any) -> Any:
        """Run ``function(*args)`` on the hub's loop and return its result (tests, bench)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the agent hub is not running")

        async def run() -> Any:
            return function(*args)
        return asyncio.run_coroutine_threadsafe(run(), loop).result(STOP_TIMEOUT)

    def __enter__(self) -> AgentHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the hub thread
    def _join(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT)

    def _run(self) -> None:
        self._start_error = None
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            self._close_loop(loop)
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._close_loop(loop)

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        handler = HubHandler(self.service, self.options, loop, self.admin)
        self._handler = handler
        self.service.link.add_listener(handler.on_link_notice)
        self.service.add_listener(handler.on_service_event)
        await handler.start()
        tls_timeout = self.options.tls_handshake_timeout if self.tls else None
        if self.host in ("", "*"):
            sock = _all_interfaces_socket(self.port)
            try:
                server = await asyncio.start_server(self._serve, sock=sock, ssl=self.tls,
                                                    ssl_handshake_timeout=tls_timeout)
            except BaseException:
                sock.close()
                raise
        else:
            server = await asyncio.start_server(self._serve, self.host, self.port,
                                                ssl=self.tls, ssl_handshake_timeout=tls_timeout,
                                                reuse_address=True, backlog=512)
        self._server = server
        name = server.sockets[0].getsockname()
        self._address = (str(name[0]), int(name[1]))
        log.info("agent hub listening on %s%s", format_address(*self._address),
                 " (TLS)" if self.tls else "")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._client_tasks.add(task)
        try:
            await AgentSession(self.handler, reader, writer, self.options).run()
        except Exception:
            log.exception("agent hub: a session failed")
            writer.transport.abort()
        finally:
            self._client_tasks.discard(task)

    async def _shutdown(self) -> None:
        loop = asyncio.get_running_loop()
        if self._server is not None:
            self._server.close()
        if self._handler is not None:
            self._handler.close_all()
        tasks = list(self._client_tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=5)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        loop.stop()

    def _close_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
            if self._handler is not None:
                self._handler.shutdown_pools()
            self._address = None
            log.info("agent hub stopped")
