"""Work off the Tk thread: a small thread pool whose results come back through one queue.

The Tk thread must never wait on the hub or the store.  ``TaskRunner.submit(fn, on_done,
on_error)`` runs ``fn`` in a worker thread; its result (or the exception it raised) is put
on a queue as a ready-to-run callback, and the Tk side calls ``drain()`` from an ``after()``
loop, which runs the queued callbacks in the Tk thread.  ``post(callback)`` queues a
callback from any thread (the hub link's events use it).  Nothing here imports Tk: tests
drive it with plain ``drain()`` calls.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
OnError = Callable[[BaseException], None]

#: Callbacks run per ``drain()`` at most: the Tk loop stays responsive under a burst.
DRAIN_BATCH = 300


class TaskRunner:
    """Runs blocking work in worker threads; results come back through ``drain()``."""

    def __init__(self, workers: int = 3, *, on_error: OnError | None = None) -> None:
        self._inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="crm-worker")
        self._default_error = on_error
        self._closed = False

    def submit(self, fn: Callable[[], T], on_done: Callable[[T], None] | None = None,
               on_error: OnError | None = None) -> None:
        """Run ``fn()`` in a worker; ``on_done(result)`` or ``on_error(exc)`` in ``drain()``."""
        if self._closed:
            return
        failed = on_error or self._default_error

        def work() -> None:
            try:
                result = fn()
            except Exception as exc:  # handed to the Tk thread as a value, never lost
                if failed is None:
                    log.exception("work %r failed with nobody to tell", fn)
                    return
                error: BaseException = exc
                self._inbox.put(lambda: failed(error))
                return
            if on_done is not None:
                self._inbox.put(lambda: on_done(result))

        self._pool.submit(work)

    def post(self, callback: Callable[[], None]) -> None:
        """Queue ``callback`` to run in the thread that calls ``drain()`` (any thread may post)."""
        if not self._closed:
            self._inbox.put(callback)

    def drain(self, limit: int = DRAIN_BATCH) -> int:
        """Run up to ``limit`` queued callbacks here; how many ran."""
        ran = 0
        while ran < limit:
            try:
                callback = self._inbox.get_nowait()
            except queue.Empty:
                break
            callback()
            ran += 1
        return ran

    def close(self, wait: bool = False) -> None:
        """Stop taking work; queued callbacks are dropped."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
