"""``callcenter-server``: every command-line parser and runner of the server.

``main`` (the entry point ``callcenter.server.cli:main``) is in ``cli.main``; one module per
command (``pbx``, ``records``, ``rate``, ``tariff``, ``rooms``, ``accounts``, ``settings``),
and ``common`` for what they share: ``UsageError``, signal handling, opening the store with
its exit statuses, and the table printer.  Nothing outside this package parses arguments or
names a command-line flag: the domain modules' messages are also shown in windows.
"""

from callcenter.server.cli.main import main

__all__ = ["main"]
