"""The CRM client's link to the agent hub: one thread that stays connected while it can.

Theory of operation
-------------------
``AgentLink`` runs one thread (``crm-link``) that connects with ``HubClient`` (the project's
one agent-protocol client), logs in with this PC's user, extension port and device, and then
hands every event to ``on_event`` and every change of its state to ``on_state`` (a
``LinkStatus``) — both called on the link's thread, never on the hub client's reader, so a
handler may itself call ``request`` (a GUI queues them for its ``after()`` loop).

- **Reconnect with back-off**: when the connection cannot be made or drops, the link waits
  0.5 s, then 1 s, 2 s ... up to 30 s between attempts (the first wait again after a session
  that logged in), until ``close()``.  Each attempt and wait is reported (``retrying`` with
  ``retry_in`` and the reason), so the status bar can say what is going on.
- **Resync**: every login is followed by a ``snapshot`` (maybe in parts); the desk and the
  app rebuild their state from it.  ``seq`` is checked on the reader: a gap (events lost)
  or an ``overflow`` ends the session at once and the next one resyncs.
- **Login errors** end the attempts when trying again cannot help: ``auth_failed`` (wrong
  user name or password), ``locked_out``, ``forbidden`` (account bound to another port),
  ``not_found`` (no such port), ``bad_request`` and a hub of another major protocol version
  are reported as ``failed`` with the code; the user fixes the settings and calls
  ``reconnect()`` (or builds a new link).  A hub that is down, slow or busy (``rate_limited``)
  is retried.  An account that must change its password stays logged in in the state
  ``password_change`` until ``change_password`` succeeds.
- **Keep-alive**: the link sends ``ping`` every ``keepalive`` seconds and reconnects when no
  answer comes within ``timeout``.
- **Bounded**: the event queue between the reader and the link's thread holds at most
  ``queue_limit`` events (more means the handler is stuck: the session ends and resyncs);
  every wait has a timeout; ``close()`` joins the thread within a bound.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed
from callcenter.common.agent.spec import PROTOCOL_VERSION

__all__ = ["AgentLink", "HubUnavailable", "LinkStatus", "RequestFailed"]

log = logging.getLogger(__name__)

#: Login error codes after which trying again cannot help (the user must act).
PERMANENT_CODES: Final = frozenset({"auth_failed", "locked_out", "forbidden", "not_found",
                                    "bad_request", "password_change_required"})

# LinkStatus.state values
CONNECTING: Final = "connecting"
ONLINE: Final = "online"
PASSWORD_CHANGE: Final = "password_change"
RETRYING: Final = "retrying"
FAILED: Final = "failed"
CLOSED: Final = "closed"


@dataclass(frozen=True)
class LinkStatus:
    """The link's state: ``state`` connecting | online | password_change | retrying | failed |
    closed; ``message`` for people (English, from the hub or the network); ``code`` the hub's
    error code of a failed login, or ``version`` / ``tls`` / ``unreachable``; ``retry_in``
    seconds until the next attempt (retrying); the session's ``user``, ``role``,
    ``extension`` (port) and ``number`` (its dialled number) once logged in; the hello's
    ``server`` and ``protocol``; ``session`` counts the logins of this link (1, 2, ...)."""

    state: str
    message: str = ""
    code: str = ""
    retry_in: float = 0.0
    attempt: int = 0
    user: str = ""
    role: str = ""
    extension: str = ""
    number: str = ""
    server: str = ""
    protocol: str = ""
    session: int = 0

    @property
    def online(self) -> bool:
        return self.state == ONLINE


def tls_context(tls: bool, trust: str | None) -> ssl.SSLContext | None:
    """The client's SSL context: None without TLS; with a ``trust`` certificate file only that
    one is trusted, else the system's authorities.  OSError/ssl.SSLError for a bad file."""
    if not tls and not trust:
        return None
    context = ssl.create_default_context(cafile=trust or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _SessionEnd(Exception):
    """The current session is over; ``retry`` whether another attempt may help."""

    def __init__(self, message: str, *, retry: bool, code: str = "") -> None:
        super().__init__(message)
        self.message, self.retry, self.code = message, retry, code


class AgentLink:
    """The hub connection thread (module docstring).  ``start()`` starts it."""

    def __init__(self, host: str, port: int, *, user: str, password: str, extension: str,
                 device: str = "normal", tls: bool = False, trust: str | None = None,
                 on_event: Callable[[dict[str, Any]], None],
                 on_state: Callable[[LinkStatus], None],
                 timeout: float = 10.0, keepalive: float = 30.0, backoff_min: float = 0.5,
                 backoff_max: float = 30.0, queue_limit: int = 10_000) -> None:
        self.host, self.port = host, port
        self.user, self._password, self.extension, self.device = user, password, extension, device
        self.tls, self.trust = tls, trust
        self.on_event, self.on_state = on_event, on_state
        self.timeout, self.keepalive = timeout, keepalive
        self.backoff_min, self.backoff_max = backoff_min, backoff_max
        self._queue: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue(queue_limit)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._password_changed = threading.Event()
        self._lock = threading.Lock()
        self._client: HubClient | None = None
        self._session = 0          # counts sessions; events of an older one are dropped
        self._expected_seq = 1
        self._broken = ""          # why the reader ended the session (gap, overflow, queue)
        self._end_reason = ""
        self._status = LinkStatus(CLOSED, "not started")
        self._thread = threading.Thread(target=self._run, name="crm-link", daemon=True)

    # ------------------------------------------------------------------ public
    @property
    def status(self) -> LinkStatus:
        return self._status

    def start(self) -> AgentLink:
        self._thread.start()
        return self

    def request(self, action: str, *, timeout: float | None = None,
                **params: Any) -> dict[str, Any]:
        """Send ``action`` on the current session and wait (``timeout``, default the link's)
        for the result: RequestFailed (code, message) or HubUnavailable (not connected, the
        connection dropped, or no answer in time)."""
        client = self._client
        if client is None or client.closed or self._status.state not in (ONLINE,
                                                                          PASSWORD_CHANGE):
            status = self._status
            why = f": {status.message}" if status.message else ""
            raise HubUnavailable(f"not connected to the server ({status.state}{why})")
        return client.request(action, timeout=self.timeout if timeout is None else timeout,
                              **params)

    def change_password(self, old: str, new: str) -> None:
        """The session's account changes its password (state ``password_change``); then the
        snapshot comes and the link is online.  RequestFailed / HubUnavailable as request."""
        self.request("change_password", old=old, new=new)
        self._password = new
        self._password_changed.set()  # the link's thread reports online

    def reconnect(self, password: str | None = None) -> None:
        """Try again now: after a ``failed`` login (with a new ``password`` if given), or to
        cut a back-off wait short."""
        if password is not None:
            self._password = password
        with self._lock:
            client = self._client
        if client is not None and self._status.state not in (ONLINE, PASSWORD_CHANGE):
            client.close()
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and close the connection (idempotent); waits at most ``timeout``
        seconds for the thread."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            client = self._client
        if client is not None:
            client.close()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> AgentLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the thread
    def _set(self, status: LinkStatus) -> None:
        self._status = status
        try:
            self.on_state(status)
        except Exception:  # a broken handler must not stop the link
            log.exception("link state handler failed")

    def _run(self) -> None:
        delay = self.backoff_min
        attempt = 0
        try:
            while not self._stop.is_set():
                attempt += 1
                try:
                    reached_online = self._one_session(attempt)
                    message, code = self._end_reason, ""
                except _SessionEnd as end:
                    if not end.retry:
                        self._wake.clear()  # a reconnect() from here on is kept
                        self._set(LinkStatus(FAILED, end.message, end.code, attempt=attempt,
                                             user=self.user, extension=self.extension))
                        self._wake.wait()  # until reconnect() or close()
                        delay, attempt = self.backoff_min, 0
                        continue
                    reached_online, message, code = False, end.message, end.code
                if self._stop.is_set():
                    break
                if reached_online:
                    delay, attempt = self.backoff_min, 0
                self._wake.clear()
                self._set(LinkStatus(RETRYING, message, code, retry_in=delay, attempt=attempt,
                                     user=self.user, extension=self.extension))
                self._wake.wait(delay)
                delay = min(delay * 2, self.backoff_max)
        finally:
            self._set(LinkStatus(CLOSED, "closed", user=self.user, extension=self.extension))

    def _one_session(self, attempt: int) -> bool:
        """Connect, log in and serve one session; whether it got online.  _SessionEnd when it
        failed before that."""
        self._set(LinkStatus(CONNECTING, f"connecting to {self.host}:{self.port}",
                             attempt=attempt, user=self.user, extension=self.extension))
        try:
            context = tls_context(self.tls, self.trust)
        except (OSError, ssl.SSLError) as exc:
            raise _SessionEnd(f"TLS: the certificate {self.trust!r} cannot be used: {exc}",
                              retry=False, code="tls") from None
        with self._lock:
            self._session += 1
            session = self._session
            self._expected_seq = 1
            self._broken = ""
        try:
            client = HubClient(self.host, self.port, tls=context, timeout=self.timeout,
                               on_event=lambda event: self._incoming(session, event),
                               keepalive=self.keepalive)
        except HubUnavailable as exc:
            if "speaks protocol" in str(exc):  # HubClient checked the major version
                raise _SessionEnd(f"{exc}: update this program or the server", retry=False,
                                  code="version") from None
            raise _SessionEnd(str(exc), retry=True, code="unreachable") from None
        with self._lock:
            self._client = client
        try:
            if self._stop.is_set():
                return False
            status = self._login(client, attempt, session)
            self._set(status)
            self._serve(client, session)
            self._end_reason = (self._broken or str(getattr(client, "_error", ""))
                                or "the connection to the server was closed")
            return True
        finally:
            with self._lock:
                self._client = None
            client.close()
            self._drop_queued()

    def _login(self, client: HubClient, attempt: int, session: int) -> LinkStatus:
        try:
            answer = client.login(self.user, self._password, extension=self.extension,
                                  device=self.device)
        except RequestFailed as exc:
            raise _SessionEnd(exc.message, retry=exc.code not in PERMANENT_CODES,
                              code=exc.code) from None
        except HubUnavailable as exc:
            raise _SessionEnd(str(exc), retry=True, code="unreachable") from None
        must_change = bool(answer.get("must_change_password"))
        return LinkStatus(
            PASSWORD_CHANGE if must_change else ONLINE,
            "the password must be changed" if must_change else "",
            "password_change_required" if must_change else "", attempt=attempt,
            user=str(answer.get("user", self.user)), role=str(answer.get("role", "")),
            extension=str(answer.get("extension", self.extension)),
            number=str(answer.get("number", "")), server=str(client.hello.get("server", "")),
            protocol=str(client.hello.get("protocol", "")), session=session)

    def _serve(self, client: HubClient, session: int) -> None:
        """Deliver the session's events until it ends or the link closes; ping meanwhile."""
        last_ping = time.monotonic()
        while not self._stop.is_set():
            try:
                item: tuple[int, dict[str, Any]] | None = self._queue.get(timeout=0.2)
            except queue.Empty:
                item = None
            if self._password_changed.is_set():
                self._password_changed.clear()
                if self._status.state == PASSWORD_CHANGE:
                    self._set(replace(self._status, state=ONLINE, message="", code=""))
            if item is not None and item[0] == session:
                self._deliver(item[1])
            if client.closed and self._queue.empty():
                break
            if self.keepalive and time.monotonic() - last_ping >= self.keepalive:
                last_ping = time.monotonic()
                try:
                    client.request("ping", timeout=self.timeout)
                except (HubUnavailable, RequestFailed) as exc:
                    log.info("no answer to ping: %s; reconnecting", exc)
                    client.close()

    def _deliver(self, event: dict[str, Any]) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken handler must not stop the link
            log.exception("link event handler failed on %s", event.get("event"))

    def _drop_queued(self) -> None:
        for _ in range(self._queue.maxsize + 1):
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    # ------------------------------------------------------------------ the reader's side
    def _incoming(self, session: int, event: dict[str, Any]) -> None:
        """On the HubClient's reader: check ``seq``, queue the event for the link's thread."""
        with self._lock:
            if session != self._session or self._broken:
                return
            seq = event.get("seq")
            if isinstance(seq, int) and not isinstance(seq, bool):
                if seq != self._expected_seq:
                    self._broken = f"events were lost (seq {seq} after {self._expected_seq - 1})"
                else:
                    self._expected_seq = seq + 1
            if not self._broken and event.get("event") == "overflow":
                self._broken = "the server dropped this client (it read too slowly)"
            if not self._broken:
                try:
                    self._queue.put_nowait((session, event))
                    return
                except queue.Full:
                    self._broken = "the event handler fell behind"
            client = self._client
        log.warning("resynchronising with the server: %s", self._broken)
        if client is not None:
            client.close()


def protocol_major() -> str:
    """The protocol major version this program speaks ("1")."""
    return PROTOCOL_VERSION.split(".")[0]
