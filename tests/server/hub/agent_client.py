"""A blocking agent-protocol client for the hub tests: plain sockets and the codec.

Every wait is bounded: reading past ``timeout`` raises ``TimeoutError``; the peer closing
raises ``ConnectionError``.  Events that arrive while a response is awaited are kept in
``events`` so that ``wait_event`` finds them later.
"""

from __future__ import annotations

import itertools
import socket
import ssl
import time
from typing import Any

from callcenter.common.agent.codec import (
    NEED_DATA,
    EndOfStream,
    InvalidLine,
    LineDecoder,
    LineTooLong,
    ObjectLine,
    encode,
)

PASSWORD = "s3cret-pw"


class AgentClient:
    def __init__(self, address: tuple[str, int], *, timeout: float = 5.0,
                 tls: ssl.SSLContext | None = None, server_hostname: str | None = None,
                 rcvbuf: int | None = None, read_hello: bool = True,
                 source: str | None = None) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if source is not None:  # e.g. 127.0.0.2: another host, as the hub sees it
            sock.bind((source, 0))
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect(address)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=server_hostname)
        self.sock = sock
        self.timeout = timeout
        self.decoder = LineDecoder()  # the protocol's 64 KiB: the hub must keep to it
        self.events: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.ids = itertools.count(1)
        self.eof = False
        self.hello: dict[str, Any] = self.read() if read_hello else {}

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ raw I/O
    def send(self, obj: dict[str, Any]) -> None:
        self.sock.sendall(encode(obj))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message, whatever it is."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            item = self.decoder.next_event()
            if isinstance(item, ObjectLine):
                return item.data
            if isinstance(item, InvalidLine | LineTooLong):
                raise AssertionError(f"the hub sent a bad line: {item}")
            if isinstance(item, EndOfStream):
                raise ConnectionError("the hub closed the connection")
            assert item is NEED_DATA
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from the hub in time")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError("no message from the hub in time") from None
            except (ConnectionResetError, ssl.SSLError) as exc:
                raise ConnectionError(str(exc)) from None
            if not data:
                self.eof = True
            self.decoder.receive_data(data)

    def read_response(self, request_id: object, timeout: float | None = None) -> dict[str, Any]:
        """The response with ``request_id``; other messages are kept."""
        for i, resp in enumerate(self.responses):
            if resp.get("id") == request_id:
                return self.responses.pop(i)
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            msg = self.read(max(0.0, deadline - time.monotonic()))
            if msg["type"] == "event":
                self.events.append(msg)
            elif msg["type"] == "response" and msg.get("id") == request_id:
                return msg
            else:
                self.responses.append(msg)

    def closed_by_hub(self, timeout: float = 5.0) -> bool:
        """Read (and keep) everything until the hub closes; False on timeout."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                msg = self.read(max(0.0, deadline - time.monotonic()))
                (self.events if msg["type"] == "event" else self.responses).append(msg)
        except ConnectionError:
            return True
        except TimeoutError:
            return False

    # ------------------------------------------------------------------ protocol
    def request(self, action: str, *, timeout: Any = None,  # float | None; Any lets
                **params: Any) -> dict[str, Any]:  # callers pass **params of any dict
        request_id = next(self.ids)
        self.send({"type": "request", "id": request_id, "action": action, **params})
        return self.read_response(request_id, timeout)

    def login(self, user: str, password: str = PASSWORD, extension: str = "001",
              device: str = "headset", *, timeout: float | None = None) -> dict[str, Any]:
        request_id = f"login-{next(self.ids)}"
        message = {"type": "login", "id": request_id, "user": user, "password": password,
                   "device": device}
        if extension:  # "" : a console session (protocol 1.1), no extension port
            message["extension"] = extension
        self.send(message)
        return self.read_response(request_id, timeout)

    def token_login(self, user: str, token: str, *, timeout: float | None = None
                    ) -> dict[str, Any]:
        """A command-line session with the local service token (protocol 1.1)."""
        request_id = f"login-{next(self.ids)}"
        self.send({"type": "login", "id": request_id, "user": user, "password": "",
                   "token": token})
        return self.read_response(request_id, timeout)

    def wait_event(self, name: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The first event ``name`` whose fields include ``match`` (kept ones first)."""
        def fits(msg: dict[str, Any]) -> bool:
            return msg.get("event") == name and all(msg.get(k) == v for k, v in match.items())
        for i, msg in enumerate(self.events):
            if fits(msg):
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {name} event {match} within {timeout:g} s; "
                                   f"got {[e.get('event') for e in self.events][-20:]}")
            msg = self.read(left)
            if msg["type"] != "event":
                self.responses.append(msg)
            elif fits(msg):
                return msg
            else:
                self.events.append(msg)

    def drain_events(self, quiet: float = 0.2) -> list[dict[str, Any]]:
        """Read events until none came for ``quiet`` seconds; all of them, kept ones first."""
        out, self.events = self.events, []
        while True:
            try:
                msg = self.read(quiet)
            except TimeoutError:
                return out
            (out if msg["type"] == "event" else self.responses).append(msg)
