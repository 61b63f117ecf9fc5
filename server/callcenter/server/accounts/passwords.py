"""Password hashing (scrypt) and the password rules; pure functions, no store.

A hash is stored as ``scrypt$N$r$p$salt_b64$hash_b64``: the cost parameters travel with the
hash, so they can be raised later without invalidating existing passwords. Verification
recomputes with the stored parameters (bounded, so a tampered row cannot make us allocate
gigabytes) and compares with ``hmac.compare_digest``.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import functools
import hashlib
import hmac
import os
import sys
import threading
from typing import Final

SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
SALT_BYTES: Final = 16
HASH_BYTES: Final = 32
MAX_MEMORY: Final = 64 * 1024 * 1024  # bytes scrypt may use; N=2**14, r=8 needs 16 MiB
MIN_PASSWORD: Final = 6
MAX_PASSWORD: Final = 128
_SCHEME: Final = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


#: At most this many scrypt computations run at once in the process (each needs 16 MiB and
#: most of a CPU core for about 50 ms); more logins at once wait for their turn.
MAX_CONCURRENT_HASHES: Final = 2
_hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


_M_MMAP_THRESHOLD: Final = -3  # glibc's mallopt parameter number
#: Blocks of this size and more come straight from the system and go straight back when freed.
MMAP_THRESHOLD: Final = 1024 * 1024


def _fix_mmap_threshold() -> bool:
    """Make glibc return scrypt's 16 MiB block to the system when it is freed.

    glibc raises its mmap threshold to the size of a freed mmapped block (up to 32 MiB), so
    after the first scrypt every later 16 MiB block comes from the allocator arena of the
    thread that hashes, and stays there when freed: each thread that ever checked a password
    kept 16 MiB for good (the service grew by about 130 MiB over its first 200 logins).
    Setting the threshold explicitly switches that adjustment off. Elsewhere (Windows, macOS,
    musl) there is nothing to do. Figures: docs/hub.md, "Memory of the password checks".
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


_threshold_fixed = False

#: scrypt computations running now, and the most that ever ran at once in this process (read
#: by tests and benchmarks: a login flood must never get past ``MAX_CONCURRENT_HASHES``).
hashing_now = 0
hashing_peak = 0
_running_lock = threading.Lock()


def _running(change: int) -> None:
    global hashing_now, hashing_peak  # noqa: PLW0603 - process-wide counters are the point
    with _running_lock:
        hashing_now += change
        hashing_peak = max(hashing_peak, hashing_now)


def _scrypt(password: str, salt: bytes, *, n: int, r: int, p: int, dklen: int) -> bytes:
    global _threshold_fixed  # noqa: PLW0603 - once per process
    with _hashing:
        _running(+1)
        try:
            if not _threshold_fixed:
                _threshold_fixed = True
                _fix_mmap_threshold()
            return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                                  maxmem=MAX_MEMORY, dklen=dklen)
        finally:
            _running(-1)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R,
                  p: int = SCRYPT_P) -> str:
    """A new salted scrypt hash of ``password`` in the stored text form."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, n=n, r=r, p=p, dklen=HASH_BYTES)
    return f"{_SCHEME}${n}${r}${p}${_b64(salt)}${_b64(digest)}"


#: scrypt checks done by ``verify_password`` in this process (read by tests and benchmarks:
#: the lock-out promises that at most five wrong passwords are ever checked for an account).
checks_done = 0
_checks_lock = threading.Lock()


def _count_check() -> None:
    global checks_done  # noqa: PLW0603 - a process-wide counter is the point
    with _checks_lock:
        checks_done += 1


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed ``stored`` never matches."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16
            and 128 * r * n <= MAX_MEMORY // 2 and 1 <= len(expected) <= 64):
        return False
    _count_check()
    try:
        digest = _scrypt(password, salt, n=n, r=r, p=p, dklen=len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest, expected)


@functools.cache
def dummy_hash() -> str:
    """Verified against when the user does not exist, so that an unknown user costs the same
    time as a wrong password (no user enumeration by timing)."""
    return hash_password("no such user, no such password")


def password_problem(user: str, password: str) -> str | None:
    """Why ``password`` may not be used for ``user``, or ``None`` when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    if password.casefold() == user.casefold():
        return "the password must not be the user name"
    if not password.isprintable():
        return "a password must not contain control characters"
    return None
