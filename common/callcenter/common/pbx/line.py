"""Serial line settings (baud, data bits, parity, stop bits), validated, shared by both ends."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from typing import Any

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
PARITIES = ("N", "E", "O")


class LineSettingsError(ValueError):
    """A line setting outside what the PBX port supports; the text names the setting."""


@dataclass(frozen=True)
class LineSettings:
    """How the RS-232 line is framed; the defaults are the PBX's factory settings."""

    baud: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 1

    def __post_init__(self) -> None:
        if self.baud not in BAUD_RATES:
            raise LineSettingsError(
                f"baud: {self.baud} is not supported (allowed: {', '.join(map(str, BAUD_RATES))})")
        if self.bytesize not in (7, 8):
            raise LineSettingsError(f"bytesize: {self.bytesize} (allowed: 7 or 8)")
        if self.parity not in PARITIES:
            raise LineSettingsError(f"parity: {self.parity!r} (allowed: N, E or O)")
        if self.stopbits not in (1, 2):
            raise LineSettingsError(f"stopbits: {self.stopbits} (allowed: 1 or 2)")

    @property
    def bits_per_byte(self) -> int:
        """Start bit + data bits + parity bit + stop bits: what one byte costs on the line."""
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits

    @property
    def bytes_per_second(self) -> float:
        return self.baud / self.bits_per_byte

    def serial_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``serial.serial_for_url``."""
        return {"baudrate": self.baud, "bytesize": self.bytesize, "parity": self.parity,
                "stopbits": self.stopbits}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineSettings:
        base = cls()
        try:
            baud = int(data.get("baud", base.baud))
            bytesize = int(data.get("bytesize", base.bytesize))
            stopbits = int(data.get("stopbits", base.stopbits))
        except (TypeError, ValueError) as exc:
            raise LineSettingsError(f"line settings must be whole numbers: {exc}") from None
        parity = str(data.get("parity", base.parity)).upper()
        return cls(baud, bytesize, parity, stopbits)


def add_line_arguments(parser: argparse.ArgumentParser, *, defaults_none: bool = False) -> None:
    """Add --baud --bytesize --parity --stopbits; with ``defaults_none`` they default to None
    (so a caller can tell "not given" from the factory value and fall back to saved settings).
    """
    d = None if defaults_none else LineSettings()
    parser.add_argument("--baud", type=int, default=None if d is None else d.baud,
                        help=f"line speed, one of {', '.join(map(str, BAUD_RATES))}")
    parser.add_argument("--bytesize", type=int, default=None if d is None else d.bytesize,
                        help="data bits: 7 or 8")
    parser.add_argument("--parity", type=str.upper, default=None if d is None else d.parity,
                        help="parity: N, E or O")
    parser.add_argument("--stopbits", type=int, default=None if d is None else d.stopbits,
                        help="stop bits: 1 or 2")


def line_settings_from_args(args: argparse.Namespace,
                            base: LineSettings | None = None) -> LineSettings:
    """Settings from parsed arguments, taking what was not given from ``base``."""
    base = base or LineSettings()
    values = {k: getattr(args, k, None) for k in ("baud", "bytesize", "parity", "stopbits")}
    return LineSettings.from_dict({**base.to_dict(), **{k: v for k, v in values.items()
                                                          if v is not None}})
