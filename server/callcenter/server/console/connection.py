"""The console's one link to the service: a ``HubClient`` used from worker threads.

Theory of operation
-------------------
The Tk thread must never wait on the network, and no other thread may touch a widget.  So
``ServiceConnection`` runs every blocking call (connect, login, each request) in a small
thread pool, and everything that comes back -- results, errors, progress, the hub's events --
is put on one ``queue.Queue`` as a ready-to-run callback.  The Tk side calls ``drain()``
from an ``after()`` loop (every ~30 ms); it runs up to ``limit`` queued callbacks in the Tk
thread and returns.  Nothing here imports Tk: tests drive it with plain ``drain()`` calls.

Sessions are numbered (``generation``): each new ``HubClient`` is a new generation, its
events carry it, and events of an older one are dropped.  ``seq`` is checked per
generation; a gap (events lost), an ``overflow`` or a dropped connection make the
connection *lost*: ``on_lost`` is told, and a worker reconnects with the saved credentials,
backing off 1, 2, 4 ... 30 s, until it succeeds or ``close()`` is called.  The new
session's ``snapshot`` replaces whatever the models knew.

``request()`` returns a ``Job``, the request's handle: its id (the ``job`` of its ``progress``
events and of ``cancel``), known as soon as it is sent, and ``cancel()``, which works at any
moment -- before the request is sent (it is then not sent), before its first progress event,
or while it runs.  Progress goes to the request's own ``on_progress``; nothing needs to match
events by job id.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed

log = logging.getLogger(__name__)

Result = dict[str, Any]
OnDone = Callable[[Result], None]
OnError = Callable[[str, str], None]
OnProgress = Callable[[int, int, str], None]

#: Callbacks run per ``drain()`` call at most: the Tk loop stays responsive under a burst.
DRAIN_BATCH = 500
RECONNECT_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
#: A ``cancel`` that found no such job while the request had not been answered (the cancel
#: overtook the request on its way out) is asked again, this many times, this far apart.
CANCEL_TRIES = 20
CANCEL_RETRY_SECONDS = 0.05

#: The ``Job`` whose request the current worker thread is sending (see ``_NamingClient``).
_sending = threading.local()


class _NotSent(Exception):
    """A request cancelled before it was sent: it is not sent."""


class _NamingClient(HubClient):
    """A ``HubClient`` that tells the ``Job`` being sent its request id: ``HubClient``
    numbers each request with ``next_id()`` in the thread that sends it, before sending."""

    def next_id(self) -> str:
        request_id = super().next_id()
        job: Job | None = getattr(_sending, "job", None)
        if job is not None:
            _sending.job = None
            job._named(request_id)  # _NotSent when it was cancelled already
        return request_id


class Job:
    """One request of ``ServiceConnection.request``: the job handle (module docstring).

    ``id`` is "" until the request is sent; ``finished`` once its answer came back (before
    its ``on_done``/``on_error`` runs in the Tk thread); ``cancel_acknowledged`` once the
    service said it stops it.  Thread-safe: ``cancel()`` is called in the Tk thread, the rest
    is filled in by workers.
    """

    def __init__(self, connection: ServiceConnection, action: str) -> None:
        self.action = action
        self._connection = connection
        self._lock = threading.Lock()
        self._id = ""
        self._cancel_asked = False
        self._acknowledged = False
        self._finished = threading.Event()

    @property
    def id(self) -> str:
        return self._id

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def cancel_asked(self) -> bool:
        return self._cancel_asked

    @property
    def cancel_acknowledged(self) -> bool:
        return self._acknowledged

    def cancel(self) -> None:
        """Ask the service to stop this request between two of its steps (what the steps
        did is kept or rolled back as the action documents); a request not sent yet is not
        sent.  Its ``on_error`` then gets ``cancelled``.  Idempotent; nothing once answered."""
        with self._lock:
            if self._cancel_asked or self._finished.is_set():
                return
            self._cancel_asked = True
            sent = bool(self._id)
        if sent:
            self._connection._send_cancel(self)

    def _named(self, request_id: str) -> None:
        with self._lock:
            if self._cancel_asked:
                raise _NotSent
            self._id = request_id

    def _cancel_answered(self, answer: Result) -> bool:
        """Whether asking again is useless (stopped, or answered meanwhile)."""
        if answer.get("cancelled"):
            self._acknowledged = True
            return True
        return self._finished.wait(CANCEL_RETRY_SECONDS)


@dataclass(frozen=True)
class ServiceAddress:
    """Where the service's agent hub listens, and how to reach it."""

    host: str
    port: int
    tls: ssl.SSLContext | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class ServiceConnection:
    """One logged-in console session with the service (see the module docstring).

    ``on_event(event)``, ``on_lost(reason)`` and ``on_restored()`` are called in the thread
    that calls ``drain()``.
    """

    def __init__(self, address: ServiceAddress, *, timeout: float = 10.0,
                 workers: int = 4) -> None:
        self.address = address
        self.timeout = timeout
        self.on_event: Callable[[Result], None] = lambda event: None
        self.on_lost: Callable[[str], None] = lambda reason: None
        self.on_restored: Callable[[], None] = lambda: None
        self.login_info: Result = {}
        self._inbox: queue.Queue[tuple[int, Callable[[], None]]] = queue.Queue()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="console-request")
        self._lock = threading.Lock()
        self._client: HubClient | None = None
        self._generation = 0
        self._last_seq = 0
        self._seq_generation = 0
        self._credentials: tuple[str, str] | None = None
        self._lost = False
        self._closed = threading.Event()

    # ------------------------------------------------------------------ the session
    @property
    def logged_in(self) -> bool:
        return self._client is not None and not self._lost

    @property
    def closed(self) -> bool:
        """``close()`` was called: nothing more is sent or called back."""
        return self._closed.is_set()

    def login(self, user: str, password: str, on_done: OnDone, on_error: OnError) -> None:
        """Connect (a new session) and log in as a console (no extension); ``on_done`` gets
        the login response (``role``, ``must_change_password`` ...)."""
        def work() -> Result:
            client = self._connect()
            try:
                answer = client.login(user, password)
            except BaseException:
                client.close()
                raise
            self._adopt(client, (user, password), answer)
            return answer
        self._submit(work, on_done, on_error)

    def change_password(self, old: str, new: str, on_done: OnDone,
                        on_error: OnError) -> None:
        """Change the session's own password (the saved credentials follow on success)."""
        def work() -> Result:
            answer = self._current().request("change_password", old=old, new=new)
            with self._lock:
                if self._credentials is not None:
                    self._credentials = (self._credentials[0], new)
            return answer
        self._submit(work, on_done, on_error)

    def request(self, action: str, on_done: OnDone, on_error: OnError, *,
                on_progress: OnProgress | None = None, timeout: float | None = None,
                **params: Any) -> Job:
        """Run ``action`` off the Tk thread; its result or error comes back through
        ``drain()``, and so does its progress (``on_progress(done, total, text)``).  The
        request's ``Job`` (its id once sent, ``cancel()``)."""
        job = Job(self, action)

        def progress(done: int, total: int, text: str) -> None:
            if on_progress is not None:
                self._put(lambda: on_progress(done, total, text))

        def work() -> Result:
            _sending.job = job
            try:
                return self._current().request(action, timeout=timeout,
                                               on_progress=progress if on_progress else None,
                                               **params)
            except _NotSent:
                raise RequestFailed("cancelled", f"{action}: cancelled before it was "
                                    "sent") from None
            finally:
                _sending.job = None
                job._finished.set()
        self._submit(work, on_done, on_error)
        return job

    def _send_cancel(self, job: Job) -> None:
        """``cancel`` of ``job`` (sent already), asked again while it finds no such job and
        the request was not answered (bounded)."""
        def work() -> Result:
            answer: Result = {}
            for _ in range(CANCEL_TRIES):
                answer = self._current().request("cancel", job=job.id)
                if job._cancel_answered(answer):
                    break
            return answer
        self._submit(work, lambda _answer: None, lambda _code, _message: None)

    @property
    def hello(self) -> Result:
        """The service's greeting on the current session (``server``, ``protocol`` ...)."""
        client = self._client
        return dict(client.hello) if client is not None else {}

    def logout(self) -> None:
        """End the session and forget its credentials (no reconnecting); the connection
        may log in again."""
        with self._lock:
            client, self._client = self._client, None
            self._credentials = None
            self.login_info = {}
        if client is not None:
            client.close()

    def close(self) -> None:
        """Log out and stop the workers; nothing is called back after this (idempotent)."""
        self._closed.set()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ the Tk side
    def drain(self, limit: int = DRAIN_BATCH) -> int:
        """Run up to ``limit`` queued callbacks here (the Tk thread); how many ran."""
        ran = 0
        self._check_alive()
        while ran < limit:
            try:
                _generation, callback = self._inbox.get_nowait()
            except queue.Empty:
                break
            ran += 1
            callback()
        return ran

    # ------------------------------------------------------------------ internals
    def _connect(self) -> HubClient:
        with self._lock:
            generation = self._generation + 1
        client = _NamingClient(self.address.host, self.address.port, tls=self.address.tls,
                           timeout=self.timeout,
                           on_event=lambda event: self._event_arrived(generation, event))
        with self._lock:
            self._generation = generation
        return client

    def _adopt(self, client: HubClient, credentials: tuple[str, str], answer: Result) -> None:
        with self._lock:
            old, self._client = self._client, client
            self._credentials = credentials
            self.login_info = answer
        if old is not None and old is not client:
            old.close()

    def _current(self) -> HubClient:
        client = self._client
        if client is None or client.closed:
            raise HubUnavailable("not connected to the service")
        return client

    def _event_arrived(self, generation: int, event: Result) -> None:
        # In the client's reader thread: queue it, nothing more.
        self._put(lambda: self._dispatch_event(generation, event), generation)

    def _dispatch_event(self, generation: int, event: Result) -> None:
        if generation != self._generation:
            return  # an old session's late event
        if self._seq_generation != generation:
            self._seq_generation, self._last_seq = generation, 0
        seq = event.get("seq")
        if isinstance(seq, int):
            if self._last_seq and seq != self._last_seq + 1:
                self._lose(f"events lost (seq {self._last_seq} then {seq})")
                return
            self._last_seq = seq
        if event.get("event") == "overflow":
            self._lose(str(event.get("message") or "the console read too slowly"))
            return
        self.on_event(event)

    def _check_alive(self) -> None:
        client = self._client
        if client is not None and client.closed and not self._lost \
                and not self._closed.is_set():
            self._lose("the service closed the connection")

    def _lose(self, reason: str) -> None:
        """The session is gone or its state stale: say so and reconnect in a worker."""
        if self._lost or self._closed.is_set():
            return
        self._lost = True
        with self._lock:
            client = self._client
        if client is not None:
            client.close()
        log.warning("console: connection to %s lost: %s", self.address, reason)
        self.on_lost(reason)
        with contextlib.suppress(RuntimeError):  # the pool shut down: closing anyway
            self._pool.submit(self._reconnect)

    def _reconnect(self) -> None:
        for attempt in range(10_000):  # bounded; a day of 30 s tries
            delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
            if self._closed.wait(delay):
                return
            with self._lock:
                credentials = self._credentials
            if credentials is None:
                return
            try:
                client = self._connect()
            except HubUnavailable:
                continue
            try:
                answer = client.login(*credentials)
            except (HubUnavailable, RequestFailed) as exc:
                client.close()
                log.info("console: reconnecting failed: %s", exc)
                continue
            self._adopt(client, credentials, answer)
            self._put(self._restored)
            return

    def _restored(self) -> None:
        self._lost = False
        self.on_restored()

    def _put(self, callback: Callable[[], None], generation: int = 0) -> None:
        if not self._closed.is_set():
            self._inbox.put((generation, callback))

    def _submit(self, work: Callable[[], Result], on_done: OnDone, on_error: OnError) -> None:
        def run() -> None:
            try:
                result = work()
            except RequestFailed as exc:
                code, message = exc.code, exc.message
                self._put(lambda: on_error(code, message))
            except HubUnavailable as exc:
                text = str(exc)
                self._put(lambda: on_error("unavailable", text))
            except Exception as exc:  # a bug: shown as a failure, logged with its trace
                log.exception("console: request failed")
                text = f"{type(exc).__name__}: {exc}"
                self._put(lambda: on_error("internal", text))
            else:
                self._put(lambda: on_done(result))
        with contextlib.suppress(RuntimeError):  # the pool shut down: closing anyway
            self._pool.submit(run)
