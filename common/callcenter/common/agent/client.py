"""A blocking agent-protocol client: the server console's and the commands' link to the hub.

Theory of operation
-------------------
``HubClient`` owns one TCP (or TLS) connection and one reader thread.  The reader decodes
lines with the sans-I/O ``LineDecoder``; a response is handed to the caller waiting for its
``id`` (each ``request`` waits on its own slot, so several threads may have requests
outstanding at once), an event goes to ``on_event`` (in the reader thread: keep it short, a
GUI queues it for its ``after()`` loop) or, without one, to the ``events`` queue.  A
``progress`` event of a request that passed ``on_progress`` goes to that callback first, and
then like every event (so that a client checking ``seq`` sees every number).

Every wait is bounded: ``request`` raises ``HubUnavailable`` after its timeout or when the
connection drops, ``RequestFailed`` (``code``, ``message``) for a failed response.  The
client sends ``ping`` when it has sent nothing for ``keepalive`` seconds, as the protocol asks.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from callcenter.common.agent.codec import (
    MAX_LINE,
    NEED_DATA,
    EndOfStream,
    LineDecoder,
    ObjectLine,
    encode,
)
from callcenter.common.agent.spec import DEFAULT_PORT, PROTOCOL_VERSION

EventHandler = Callable[[dict[str, Any]], None]
ProgressHandler = Callable[[int, int, str], None]


class HubUnavailable(Exception):
    """The hub cannot be reached, closed the connection, or did not answer in time."""


class RequestFailed(Exception):
    """The hub answered with an error: ``code`` (error code) and ``message`` (for people)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT`` -> (host, port); ValueError if malformed."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: write [IPv6]:PORT")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ValueError(f"{text!r}: no host")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise ValueError(f"{text!r}: the port must be a number 1-65535")
    return host, int(port_text)


class _Slot:
    __slots__ = ("done", "on_progress", "response")

    def __init__(self, on_progress: ProgressHandler | None) -> None:
        self.done = threading.Event()
        self.response: dict[str, Any] | None = None
        self.on_progress = on_progress


class HubClient:
    """One session with the hub (see the module docstring)."""

    def __init__(self, host: str, port: int = DEFAULT_PORT, *,
                 tls: ssl.SSLContext | None = None, server_hostname: str | None = None,
                 timeout: float = 10.0, on_event: EventHandler | None = None,
                 keepalive: float = 30.0) -> None:
        self.timeout = timeout
        self.on_event = on_event
        self.keepalive = keepalive
        self.events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._ids = itertools.count(1)
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._closed = threading.Event()
        self._error = ""
        self._last_sent = time.monotonic()
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise HubUnavailable(f"cannot connect to the server at {host}:{port}: "
                                 f"{exc.strerror or exc}") from None
        try:
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=server_hostname or host)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise HubUnavailable(f"TLS with the server at {host}:{port} failed: {exc}") from None
        self._sock = sock
        self._decoder = LineDecoder()
        self.hello = self._read_hello()
        if not str(self.hello.get("protocol", "")).startswith(PROTOCOL_VERSION.split(".")[0]
                                                              + "."):
            self.close()
            raise HubUnavailable(f"the server speaks protocol {self.hello.get('protocol')}, "
                                 f"this program {PROTOCOL_VERSION}")
        sock.settimeout(0.5)
        self._reader = threading.Thread(target=self._read_loop, name="hub-client", daemon=True)
        self._reader.start()

    # ------------------------------------------------------------------ public
    def login(self, user: str, password: str = "", *, extension: str = "",
              device: str = "normal", token: str = "") -> dict[str, Any]:
        """Log in; the response's fields (role, must_change_password ...) or RequestFailed."""
        message: dict[str, Any] = {"type": "login", "user": user, "password": password,
                                   "device": device}
        if extension:
            message["extension"] = extension
        if token:
            message["token"] = token
        return self._exchange(message, self.timeout, None)

    def request(self, action: str, *, timeout: float | None = None,
                on_progress: ProgressHandler | None = None, **params: Any) -> dict[str, Any]:
        """Send a request and wait for its response: the result fields, or RequestFailed."""
        message = {"type": "request", "action": action, **params}
        return self._exchange(message, self.timeout if timeout is None else timeout,
                              on_progress)

    def cancel(self, job: str) -> bool:
        """Ask the hub to stop the long request ``job`` (its id); whether it was running."""
        return bool(self.request("cancel", job=job).get("cancelled"))

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Close the connection (idempotent); waiting requests fail with HubUnavailable."""
        self._fail_all("the connection was closed")
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()
        reader = getattr(self, "_reader", None)
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=5)

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def next_id(self) -> str:
        return f"c{next(self._ids)}"

    def _exchange(self, message: dict[str, Any], timeout: float,
                  on_progress: ProgressHandler | None) -> dict[str, Any]:
        request_id = self.next_id()
        slot = _Slot(on_progress)
        with self._lock:
            if self._closed.is_set():
                raise HubUnavailable(self._error or "the connection is closed")
            self._slots[request_id] = slot
        try:
            self._send({**message, "id": request_id})
            if not slot.done.wait(timeout):
                what = message.get("action") or "the login"
                raise HubUnavailable(f"the server did not answer {what} within {timeout:g} s")
        finally:
            with self._lock:
                self._slots.pop(request_id, None)
        response = slot.response
        if response is None:
            raise HubUnavailable(self._error or "the connection was closed")
        if not response.get("ok"):
            error = response.get("error") or {}
            raise RequestFailed(str(error.get("code", "internal")),
                                str(error.get("message", "the request failed")))
        return {k: v for k, v in response.items() if k not in ("type", "id", "ok")}

    def _send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._send_lock:
            try:
                self._sock.sendall(data)
            except OSError as exc:
                self._fail_all(f"the connection to the server broke: {exc}")
                raise HubUnavailable(self._error) from None
            self._last_sent = time.monotonic()

    def _read_hello(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            item = self._decoder.next_event()
            if isinstance(item, ObjectLine):
                if item.data.get("type") == "hello":
                    return item.data
                continue
            if isinstance(item, EndOfStream):
                break
            if item is NEED_DATA:
                try:
                    data = self._sock.recv(MAX_LINE)
                except OSError as exc:
                    self._sock.close()
                    raise HubUnavailable(f"the server sent no greeting: {exc}") from None
                self._decoder.receive_data(data)
        self._sock.close()
        raise HubUnavailable("the server sent no greeting (is it a callcenter server?)")

    def _read_loop(self) -> None:
        try:
            while not self._closed.is_set():
                try:
                    data = self._sock.recv(MAX_LINE)
                except TimeoutError:
                    self._keep_alive()
                    continue
                except OSError as exc:
                    self._fail_all(f"the connection to the server broke: {exc}")
                    return
                self._decoder.receive_data(data)
                if not data:
                    self._fail_all("the server closed the connection")
                    return
                for _ in range(100_000):  # lines of one read, bounded
                    item = self._decoder.next_event()
                    if item is NEED_DATA or isinstance(item, EndOfStream):
                        break
                    if isinstance(item, ObjectLine):
                        self._dispatch(item.data)
                self._keep_alive()
        finally:
            self._fail_all(self._error or "the connection was closed")

    def _keep_alive(self) -> None:
        if self.keepalive and time.monotonic() - self._last_sent > self.keepalive:
            with contextlib.suppress(HubUnavailable):
                self._send({"type": "request", "id": self.next_id(), "action": "ping"})

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "response":
            with self._lock:
                slot = self._slots.get(str(message.get("id")))
            if slot is not None:
                slot.response = message
                slot.done.set()
            return
        if kind != "event":
            return
        if message.get("event") == "progress":
            with self._lock:
                slot = self._slots.get(str(message.get("job")))
            if slot is not None and slot.on_progress is not None:
                with contextlib.suppress(Exception):
                    slot.on_progress(int(message.get("done", 0)), int(message.get("total", 0)),
                                     str(message.get("text", "")))
            # and like every event below: a client that checks seq sees every number
        if self.on_event is not None:
            self.on_event(message)
        else:
            self.events.put(message)

    def _fail_all(self, reason: str) -> None:
        with self._lock:
            if not self._closed.is_set():
                self._error = reason
                self._closed.set()
            slots = list(self._slots.values())
        for slot in slots:
            slot.done.set()
