"""Serial forwarding (S-43 (2)): bill lines out of a second serial port to the hotel system.

The port is opened through ``serial.serial_for_url`` (``COM4``, ``/dev/ttyUSB1``, a pty path,
``socket://HOST:PORT`` for an RS-232-over-LAN converter) and kept open between lines; any
failure (port missing, in use, converter unreachable, write timeout) closes it, and the caller
retries later with back-off. ``send`` returns only when the bytes have left the program
(``flush()``: written to the port or socket); RS-232 has no acknowledgement beyond that.
"""

from __future__ import annotations

import contextlib
import logging

import serial

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 10.0


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
