"""Serial forwarding (S-43 (2)): bill lines out of a second serial port to the hotel system.

The port is opened through ``serial.serial_for_url`` (``COM4``, ``/dev/ttyUSB1``, a pty path,
``socket://HOST:PORT`` for an RS-232-over-LAN converter) and kept open between lines; any
failure (port missing, in use, converter unreachable, write timeout) closes it, and the caller
retries later with back-off. ``send`` returns only when the bytes have left the program
(``flush()``: written to the port or socket); RS-232 has no acknowledgement beyond that.

A TCP converter is different: a write succeeds once the bytes are in this computer's socket
buffer, even when the converter has just dropped the connection, and they are then lost.
``confirm()`` (after a group of lines) waits a moment and checks that the connection is still
up: a converter that closed or reset it is noticed, and the caller sends the group again.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket

import serial

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 10.0
CONFIRM_SETTLE = 0.2  # seconds for a converter's reset to come back over a LAN


class ForwardError(OSError):
    """The hotel port cannot be opened or written; the text says which and why."""


class SerialForwarder:
    """One hotel serial port; ``send(data)`` opens it when needed."""

    def __init__(self, url: str, baud: int) -> None:
        self.url, self.baud = url, baud
        self._port: serial.SerialBase | None = None

    def send(self, data: bytes) -> None:
        port = self._open()
        try:
            view = memoryview(data)
            while view:
                written = port.write(view)
                if not written:
                    raise ForwardError(f"hotel port {self.url}: write timed out")
                view = view[written:]
            port.flush()
        except (OSError, serial.SerialException) as exc:
            self.close()
            if isinstance(exc, ForwardError):
                raise
            raise ForwardError(f"hotel port {self.url}: {exc}") from None

    @property
    def networked(self) -> bool:
        """True for a TCP converter (``socket://``), whose writes ``confirm()`` checks."""
        return self._socket() is not None

    def confirm(self, settle: float = CONFIRM_SETTLE) -> None:
        """Raise ForwardError if the converter dropped the connection since the last lines
        were written (they may not have arrived); a serial device: nothing to check."""
        sock = self._socket()
        if sock is None:
            return
        try:
            readable, _, failed = select.select([sock], [], [sock], settle)
            if failed or (readable and sock.recv(4096, socket.MSG_PEEK) == b""):
                raise ConnectionResetError("the converter closed the connection")
            if readable:  # the hotel side talks back: not ours to read, drop it
                sock.recv(4096)
        except OSError as exc:
            self.close()
            raise ForwardError(f"hotel port {self.url}: {exc}; the last lines are sent "
                               "again") from None

    def _socket(self) -> socket.socket | None:
        sock = getattr(self._port, "_socket", None)
        return sock if isinstance(sock, socket.socket) else None

    def close(self) -> None:
        if self._port is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                self._port.close()
            self._port = None

    def _open(self) -> serial.SerialBase:
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=1,
                                                   write_timeout=WRITE_TIMEOUT)
            except (OSError, ValueError, serial.SerialException) as exc:
                raise ForwardError(f"hotel port {self.url}: cannot open: {exc}") from None
            log.info("hotel port %s open at %d baud", self.url, self.baud)
        return self._port
