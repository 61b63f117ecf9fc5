"""Opening the PBX port: pyserial's ``serial_for_url``, clear errors, prompt reads."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import serial

from callcenter.common.pbx.line import LineSettings

READ_CHUNK = 4096


def is_local_device(url: str) -> bool:
    """True for COM3, /dev/ttyUSB0 or a pty path; False for socket://, rfc2217:// ..."""
    return "://" not in url


def open_port(url: str, line: LineSettings, read_timeout: float) -> serial.SerialBase:
    """Open ``url`` with pyserial; a local device is locked so a second owner fails clearly."""
    kwargs: dict[str, Any] = dict(line.serial_kwargs())
    if is_local_device(url):
        kwargs["exclusive"] = True
    port = serial.serial_for_url(url, timeout=read_timeout, write_timeout=10.0, **kwargs)
    sock = getattr(port, "_socket", None)  # socket:// (an RS-232-over-LAN converter)
    if isinstance(sock, socket.socket):
        # pyserial leaves Nagle's algorithm on: each small request would wait for the
        # delayed ACK of the previous one (about 40 ms a frame).
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return port


def describe_open_error(url: str, exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "exclusively lock" in text or "Device or resource busy" in text:
        text = f"the port is in use by another program (the callcenter service?): {text}"
    return f"cannot open PBX port {url}: {text}"


def read_available(port: serial.SerialBase) -> bytes:
    """Wait (up to the port's timeout) for input, then take whatever else is already there.

    ``port.read(n)`` would wait the whole timeout for ``n`` bytes; reading one byte and
    then ``in_waiting`` answers as soon as the PBX's bytes arrive.
    """
    first = port.read(1)
    if not first:
        return b""
    if type(port).__module__.endswith("protocol_socket"):
        # socket://: ``in_waiting`` says only 1 while anything is there, which would make
        # this a byte-at-a-time loop; a zero timeout reads what is there without waiting.
        # (Only here: on a real port, changing the timeout reconfigures the device.)
        timeout = port.timeout
        port.timeout = 0
        try:
            return first + port.read(READ_CHUNK - 1)
        finally:
            port.timeout = timeout
    data = bytearray(first)
    while len(data) < READ_CHUNK:
        # socket://: 1 while anything is there; a real port: the byte count.
        waiting = int(getattr(port, "in_waiting", 0))
        if not waiting:
            break
        data += port.read(min(waiting, READ_CHUNK - len(data)))
    return bytes(data)
