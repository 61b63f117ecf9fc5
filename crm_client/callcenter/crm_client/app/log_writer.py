"""The call log's writer thread: the store's writes off the link's thread.

The link's thread must stay free for the next ring's pop; a write to the call log may wait
(network mode: another PC holds the shared file's lock, the busy timeout and retries run, or
the share is gone and the outbox takes it).  ``CallLogWriter`` takes the entries in order in
a bounded queue and writes them on its own thread (``crm-call-log``), one after the other, so
the ring's write always comes before the end's; ``on_written(entry)`` reports each one
written.  In network mode a write the shared folder cannot take now is kept in the store's
outbox (``ShareUnavailable``): that is no failure, the entry is replayed later; it is logged as
a warning line and reported to ``on_kept(entry)``.  When the queue is full (the store has been
stuck for thousands of calls) ``submit`` waits a bounded time, then writes on the caller's
thread.  ``close()`` writes what is queued (bounded) and ends the thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Final

from callcenter.crm_client.store import CallEntry, CrmStore, ShareUnavailable

log = logging.getLogger(__name__)

QUEUE_LIMIT: Final = 10_000
_STOP: Final = None


class CallLogWriter:
    """Writes call-log entries to ``store`` on its own thread (module docstring)."""

    def __init__(self, store: CrmStore,
                 on_written: Callable[[CallEntry], None] | None = None,
                 on_kept: Callable[[CallEntry], None] | None = None) -> None:
        self.store = store
        self.on_written = on_written
        self.on_kept = on_kept
        self._queue: queue.Queue[CallEntry | None] = queue.Queue(QUEUE_LIMIT)
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="crm-call-log", daemon=True)
        self._thread.start()

    def submit(self, entry: CallEntry) -> bool:
        """Queue ``entry``; written here instead when the queue stayed full or the writer
        was closed."""
        with self._idle:
            self._pending += 1
        if not self._thread.is_alive():
            self._write(entry)
            return True
        try:
            self._queue.put(entry, timeout=5)
            return True
        except queue.Full:
            log.warning("call log: the writer is stuck; writing %s on this thread", entry.key)
            self._write(entry)
            return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued entry is written; False when ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (at most ``timeout`` seconds) and end the thread."""
        if not self._thread.is_alive():
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            log.error("call log: %d entries not written at close", self._queue.qsize())
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while True:
                entry = self._queue.get()
                if entry is _STOP:
                    return
                self._write(entry)
        finally:
            with contextlib.suppress(Exception):
                self.store.close()  # this thread's connections

    def _write(self, entry: CallEntry) -> None:
        try:
            self.store.log_call(entry)
        except ShareUnavailable as exc:  # kept in the outbox, replayed when the share is back
            log.warning("call log: %s kept in the outbox: %s", entry.key, exc)
            if self.on_kept is not None:
                try:
                    self.on_kept(entry)
                except Exception:
                    log.exception("call log: the listener failed on %s", entry.key)
        except Exception:  # refused or unreachable: the log is best effort, the call goes on
            log.exception("call log: %s could not be written", entry.key)
        else:
            if self.on_written is not None:
                try:
                    self.on_written(entry)
                except Exception:
                    log.exception("call log: the listener failed on %s", entry.key)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()
