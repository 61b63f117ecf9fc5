"""What every ``callcenter-server`` command shares: the usage error, signal handling, the
link flags, the table printer, and finding the service that runs for a data folder.

Exit statuses (the same for every command): 0 done, 1 failed (one line on standard error,
never a traceback), 2 a usage error or a value that is not allowed (nothing changed).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from peewee import Database

from callcenter.common.agent.client import HubClient, HubUnavailable, RequestFailed
from callcenter.server.cli.widths import display_width, ljust, rjust
from callcenter.server.service_file import read_service_file
from callcenter.server.settings import ServerSettings, default_data_dir, demo_data_dir
from callcenter.server.store.db import NoServerData, has_store, open_store, require_server_data
from callcenter.server.store.settings import SettingError, cli_user, spec_for

#: Exit statuses.
OK, FAILED, USAGE = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be run; exit status 2, nothing changed."""


def cli_who() -> str:
    """``cli:<OS user>``, the audit log's ``who`` of changes made from the command line."""
    return cli_user()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT (Ctrl-C) or SIGTERM while the block runs (main thread only)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def flag_value(flag: str, key: str) -> Callable[[str], Any]:
    """An argparse ``type`` checking a flag's value like the setting ``key`` it is saved as;
    a bad value is a usage error ("argument FLAG: 'X' is not allowed (allowed: ...)")."""
    spec = spec_for(key)

    def parse(text: str) -> Any:
        try:
            return spec.validate(text)
        except SettingError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not allowed (allowed: {spec.allowed})") from None
    parse.__name__ = flag  # argparse names the type in some messages
    return parse


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """--ack-timeout and --retries (default: the saved settings, else the protocol's 3 s, 3)."""
    parser.add_argument("--ack-timeout", type=flag_value("--ack-timeout", "pbx.ack_timeout"),
                        metavar="SECONDS",
                        help="how long to wait for the PBX to acknowledge a frame before "
                             "sending it again, 0.05-60 (default: the saved value, else 3; the "
                             "service saves a value given, a pbx command does not)")
    parser.add_argument("--retries", type=flag_value("--retries", "pbx.retries"),
                        metavar="N",
                        help="retransmissions before the link counts as lost, 0-20 "
                             "(default: the saved value, else 3; the service saves a value given, "
                             "a pbx command does not)")


def link_values(settings: ServerSettings, args: argparse.Namespace) -> tuple[float, int]:
    """(ack timeout, retries): the flags' values, else the saved ones."""
    return settings.link_values(getattr(args, "ack_timeout", None),
                                getattr(args, "retries", None))


def print_table(table: Sequence[Sequence[str]], out: IO[str],
                right: Collection[int] = ()) -> None:
    """Rows of cells in columns as wide as their widest cell, by display width (a Chinese
    character takes two columns); ``right``: right-aligned column indexes.  Trailing blanks
    are trimmed."""
    if not table:
        return
    widths = [max(display_width(row[i]) for row in table if i < len(row))
              for i in range(max(len(row) for row in table))]
    for row in table:
        cells = [rjust(c, widths[i]) if i in right else ljust(c, widths[i])
                 for i, c in enumerate(row)]
        print("  ".join(cells).rstrip(), file=out)


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """``--data DIR``, by default the folder the service uses (the same for every command)."""
    parser.add_argument("--data", type=Path, default=default_data_dir(), metavar="DIR",
                        help=f"the server's data folder (default {default_data_dir()}, the "
                             f"service's; the demo's is {demo_data_dir()})")


def require_data(data_dir: Path, url: str | None = None, also: tuple[str, ...] = ()) -> None:
    """``require_server_data``, and when the default folder holds none but the demo's does,
    the message says where the demo's data is."""
    try:
        require_server_data(Path(data_dir), url=url, also=also)
    except NoServerData as exc:
        demo = demo_data_dir()
        if Path(data_dir) == default_data_dir() and url is None and has_store(demo):
            raise NoServerData(f"{exc}; the demo's data is in {demo}: give --data "
                               f"{demo}") from None
        raise


def open_existing_store(data_dir: Path, url: str | None) -> Database:
    """The store of a data folder that holds server data; ``NoServerData`` (exit 1, nothing
    created) for a mistyped ``--data`` (naming the demo's folder when that holds data and
    the default one does not). For commands that read, or change what must exist."""
    require_data(Path(data_dir), url=url)
    return open_store(Path(data_dir), url)


def open_or_create_store(data_dir: Path, url: str | None, command: str,
                         err: IO[str]) -> Database:
    """The store of a data folder, created when there is none, which ``command`` then says
    in one line on ``err`` (a mistyped ``--data`` is noticed). For commands that create."""
    try:
        require_server_data(Path(data_dir), url=url)
        new = False
    except NoServerData:
        new = True
    db = open_store(Path(data_dir), url)
    if new:
        print(f"{command}: {data_dir} held no server data: created a new store there",
              file=err)
    return db


def running_service(data_dir: Path, *, timeout: float = 10.0) -> HubClient | None:
    """A session, logged in as ``cli:<OS user>`` with the local token, with the service
    that runs for ``data_dir``; None when none runs there (no DIR/service.json, or one left
    by a service that is gone).  Raises ``HubUnavailable`` only when a service runs but
    does not answer."""
    info = read_service_file(data_dir)
    if info is None:
        return None
    try:
        client = HubClient(info.host, info.port, timeout=timeout,
                           tls=_local_tls() if info.tls else None)
    except HubUnavailable:
        return None  # refused: the file of a service that is gone
    try:
        client.login(cli_who(), token=info.token)
    except RequestFailed:
        client.close()
        return None  # another service took the port since
    except HubUnavailable:
        client.close()
        raise
    return client


def _local_tls() -> Any:
    """TLS to this computer's own service: encrypted, the certificate not checked (the
    token already proves whom we talk to, and only that service could have written it)."""
    import ssl  # noqa: PLC0415

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
