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
    ``max_unauthenticated``: connections waiting to log in, in all; ``..._per_address``: from
    one source address (so one host cannot keep everybody else out).
    ``max_sessions_per_account``: logged-in connections of one account at once.
    ``message_rate``/``message_burst``: ``send_message`` per second (average) and burst per
    account, over all its connections.
    ``accounts_interval``: seconds between polls of the store's counter of account changes
    (open sessions follow a removed account or a new role, port or must-change).
    ``message_purge_interval``: seconds between deletions of messages past the retention.
    """

    login_timeout: float = LOGIN_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    failure_delay: float = 1.0
    max_unauthenticated: int = 256
    max_unauthenticated_per_address: int = 32
    max_sessions_per_account: int = 10
    message_rate: float = 1.0
    message_burst: float = 20.0
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
    accounts_interval: float = 0.5
    message_purge_interval: float = 3600.0

    def __post_init__(self) -> None:
        if not 0 <= self.failure_delay <= MAX_FAILURE_DELAY:
            raise ValueError(f"failure_delay must be 0-{MAX_FAILURE_DELAY:g} s")
        if min(self.queue_limit, self.max_unauthenticated,
               self.max_unauthenticated_per_address, self.max_sessions_per_account) < 1:
            raise ValueError("queue_limit, max_unauthenticated(_per_address) and "
                             "max_sessions_per_account must be at least 1")
        if self.message_rate <= 0 or self.message_burst < 1:
            raise ValueError("message_rate must be positive and message_burst at least 1")
