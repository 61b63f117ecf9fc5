"""Tunables of the agent hub; the defaults are what docs/agent-protocol.md promises."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.common.agent.catalog import IDLE_TIMEOUT, LOGIN_TIMEOUT, MAX_FAILURE_DELAY


@dataclass(frozen=True)
class HubOptions:
    """Limits and timers of the hub.  Tests shorten the timers; nothing else should need to.

    ``failure_delay``: seconds before a wrong-password answer (at most 3, per the protocol).
    ``queue_limit``: lines waiting for a slow client before it is dropped (``overflow``).
    ``write_buffer``: bytes the transport may hold beyond the queue before the writer waits.
    ``send_buffer``: the socket's kernel send buffer (SO_SNDBUF); bounded so that a stalled
    client cannot pin megabytes of kernel memory and its overflow is noticed in time.
    ``rate``/``burst``: requests per second (average) and burst allowed per connection.
    """

    login_timeout: float = LOGIN_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    failure_delay: float = 1.0
    max_unauthenticated: int = 64
    queue_limit: int = 1000
    write_buffer: int = 64 * 1024
    send_buffer: int = 256 * 1024
    read_chunk: int = 64 * 1024
    rate: float = 50.0
    burst: float = 100.0
    max_outstanding: int = 32  # call-control requests of one connection waiting for the PBX
    pbx_timeout: float = 10.0
    pbx_workers: int = 8  # threads that wait for PBX answers
    store_workers: int = 4  # threads for account checks (scrypt) and the store
    admin_workers: int = 2  # threads for long admin work (PBX writes, exports, backups)
    close_grace: float = 1.0  # seconds a closing connection may take to flush its last lines
    tls_handshake_timeout: float = 10.0
    settings_interval: float = 5.0  # seconds between re-reads of the hub's server settings

    def __post_init__(self) -> None:
        if not 0 <= self.failure_delay <= MAX_FAILURE_DELAY:
            raise ValueError(f"failure_delay must be 0-{MAX_FAILURE_DELAY:g} s")
        if self.queue_limit < 1 or self.max_unauthenticated < 1:
            raise ValueError("queue_limit and max_unauthenticated must be at least 1")
