"""Files the server writes are not readable by other users (issue 10, item 5): under a normal
umask (022) the data folder is created 0700, the store ``callcenter.db`` (with its -wal and
-shm files), its archives and the log 0600. POSIX only.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.server.settings import LOG_FILE, setup_logging
from callcenter.server.store.db import SQLITE_FILE, database, open_store
from callcenter.server.store.settings import set_setting
from callcenter.server.store.sources import open_archive_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def normal_umask() -> Iterator[None]:
    old = os.umask(0o022)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        os.umask(old)
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        if database.obj is not None and not database.is_closed():
            database.close()


def test_the_service_start_makes_folder_store_and_log_private(tmp_path: Path) -> None:
    data = tmp_path / "srv" / "callcenter"
    data.mkdir(parents=True)  # as the command line does first, with the umask: 0755
    assert mode(data) == 0o755
    setup_logging(data)
    logging.getLogger("callcenter.test").warning("a line")
    open_store(data)
    set_setting("retention_days", "30", "test")  # a write: the -wal file exists now
    assert mode(data) == 0o700
    for name in (SQLITE_FILE, SQLITE_FILE + "-wal", SQLITE_FILE + "-shm", LOG_FILE):
        assert (data / name).exists(), name
        assert mode(data / name) == 0o600, name
    archive = data / "archives" / "2026-01.db"
    archive.parent.mkdir()
    open_archive_file(archive).close()
    assert mode(archive) == 0o600


def test_a_new_folder_is_created_private(tmp_path: Path) -> None:
    data = tmp_path / "new"
    open_store(data)
    assert mode(data) == 0o700
    assert mode(data / SQLITE_FILE) == 0o600


def test_the_rotated_log_is_private_too(tmp_path: Path) -> None:
    setup_logging(tmp_path / "d")
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.FileHandler))
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.doRollover()
    logging.getLogger("callcenter.test").warning("after the rollover")
    assert mode(tmp_path / "d" / LOG_FILE) == 0o600
    assert mode(tmp_path / "d" / (LOG_FILE + ".1")) == 0o600


def test_a_store_made_before_is_tightened_but_a_shared_folder_is_left(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "other-program.txt").write_text("not ours")
    db_file = shared / SQLITE_FILE
    db_file.touch()
    os.chmod(db_file, 0o644)  # as an earlier version created it
    open_store(shared)
    assert mode(shared) == 0o755  # other contents: may be shared on purpose
    assert mode(db_file) == 0o600


def test_the_cli_creates_a_private_store(tmp_path: Path) -> None:
    data = tmp_path / "cli"
    done = subprocess.run(
        [sys.executable, "-m", "callcenter.server", "settings", "set", "--data", str(data),
         "retention_days=30"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert mode(data) == 0o700
    assert mode(data / SQLITE_FILE) == 0o600
