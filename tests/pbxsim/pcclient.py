"""A small PC side for tests: pyserial + the real LinkSession, driven in the test's thread.

Every wait is bounded by a timeout; nothing here sleeps without a deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import serial

from callcenter.common.pbx import messages as m
from callcenter.common.pbx.session import LinkLost, LinkSession, MessageReceived
from callcenter.pbxsim.app import SimulatorConfig

M = TypeVar("M", bound=m.Message)


def fast_config(**overrides: Any) -> SimulatorConfig:
    """Defaults with short link timers, so recovery tests take seconds, not minutes."""
    values: dict[str, Any] = {"ack_timeout": 0.5, "max_retries": 3, "heartbeat": 2.0, "seed": 7}
    values.update(overrides)
    return SimulatorConfig(**values)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition",
               interval: float = 0.05) -> None:
    """Poll ``condition`` (bounded by ``timeout``) for state only visible by asking."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        pause.wait(interval)


class PcClient:
    """Opens ``url`` through ``serial.serial_for_url`` and speaks protocol v1 to the PBX."""

    def __init__(self, url: str, *, auto_ack: bool = True, ack_timeout: float = 1.0,
                 max_retries: int = 3, start: bool = True, **serial_kwargs: Any) -> None:
        self.port = serial.serial_for_url(url, timeout=0.02, **serial_kwargs)
        self.session = LinkSession(ack_timeout=ack_timeout, max_retries=max_retries,
                                   heartbeat_interval=None)
        self.auto_ack = auto_ack
        self.inbox: list[m.Message] = []
        self.records: dict[int, m.CallRecord] = {}
        self.record_arrivals: list[int] = []  # every CallRecord frame received, dups included
        self.links_lost = 0
        self._request_id = 0
        if start:
            self.session.start(time.monotonic())
            self._flush()

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> PcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ pumping
    def _flush(self) -> None:
        data = self.session.data_to_send()
        if data:
            self.port.write(data)

    def write_raw(self, data: bytes) -> None:
        self.port.write(data)

    def pump(self, seconds: float = 0.05) -> None:
        """Read and process for about ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            data = self.port.read(4096)
            now = time.monotonic()
            if data:
                self.session.receive_data(data, now)
            deadline_s = self.session.next_deadline()
            if deadline_s is not None and now >= deadline_s:
                self.session.handle_timeout(now)
            for event in self.session.events():
                if isinstance(event, MessageReceived):
                    self._on_message(event.message, now)
                elif isinstance(event, LinkLost):
                    self.links_lost += 1
            self._flush()
            if time.monotonic() >= deadline:
                return

    def _on_message(self, msg: m.Message, now: float) -> None:
        if isinstance(msg, m.CallRecord):
            self.record_arrivals.append(msg.sequence)
            self.records.setdefault(msg.sequence, msg)
            if self.auto_ack:
                self.session.send(m.RecordAck(msg.sequence, msg.sequence), now)
            return
        self.inbox.append(msg)

    def wait_for(self, predicate: Callable[[m.Message], bool], timeout: float = 5.0,
                 what: str = "message") -> m.Message:
        """The first message in the inbox matching ``predicate`` (removed from it)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self.inbox):
                if predicate(msg):
                    return self.inbox.pop(i)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {what} within {timeout} s; inbox: {self.inbox[-5:]}")
            self.pump(0.02)

    def until(self, condition: Callable[[], bool], timeout: float = 5.0,
              what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{what} not reached within {timeout} s")
            self.pump(0.02)

    # ------------------------------------------------------------------ requests
    def next_id(self) -> int:
        self._request_id += 1
        return self._request_id

    def send(self, msg: m.Message) -> None:
        self.session.send(msg, time.monotonic())
        self._flush()

    def request(self, make: Callable[[int], M], answer_type: type[Any],
                timeout: float = 5.0) -> Any:
        """Send ``make(request_id)`` and wait for the ``answer_type`` with that request id."""
        rid = self.next_id()
        self.send(make(rid))
        return self.wait_for(lambda msg: isinstance(msg, answer_type)
                             and getattr(msg, "request_id", None) == rid, timeout,
                             answer_type.__name__)

    def identify(self, timeout: float = 5.0) -> m.Identity:
        ident: m.Identity = self.request(m.IdentifyRequest, m.Identity, timeout)
        return ident

    def read_group(self, group: str, count: int = 64) -> dict[str, tuple[str, ...]]:
        """Every row of ``group``, read block by block: ``{row prefix: values}``."""
        rows: dict[str, tuple[str, ...]] = {}
        offset, total = 0, None
        for _ in range(10_000):
            block: m.ParameterBlock = self.request(
                lambda r, o=offset: m.ParameterRead(r, group, o, count),  # type: ignore[misc]
                m.ParameterBlock)
            total = block.total
            rows.update(dict(block.rows))
            offset += len(block.rows)
            if offset >= total or not block.rows:
                break
        assert total is not None and offset == total, f"read {offset} of {total} rows"
        return rows
