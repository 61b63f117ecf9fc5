"""Both programs' command lines when the reader of standard output goes away
(``callcenter-server tariff show | head -1``): end quietly, as a process killed by SIGPIPE
would, instead of printing "[Errno 32] Broken pipe" or "Exception ignored ..." at exit."""

from __future__ import annotations

import os
import sys
from typing import Final

#: The exit status of a command whose reader went away, as a shell reports SIGPIPE.
EXIT_BROKEN_PIPE: Final = 128 + 13


def discard_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null, so that what is still
    buffered (and Python's flush at exit) goes nowhere instead of failing again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
