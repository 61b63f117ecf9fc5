"""Value kinds of PBX parameters: parse text into canonical text, say what is allowed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Digits:
    """A string of dial digits (``0-9``, optionally ``*`` and ``#``)."""

    min_len: int = 1
    max_len: int = 8
    extra: str = ""  # further allowed characters, e.g. "*#"
    allow_empty: bool = False

    def parse(self, text: str) -> str:
        if text == "" and self.allow_empty:
            return ""
        allowed = set("0123456789" + self.extra)
        if not text or any(c not in allowed for c in text):
            raise ValueError(f"{text!r} is not digits")
        if not self.min_len <= len(text) <= self.max_len:
            raise ValueError(f"{text!r} has {len(text)} digits")
        return text

    def describe(self) -> str:
        chars = "digits" + (f" and {' '.join(self.extra)}" if self.extra else "")
        size = (f"{self.min_len}" if self.min_len == self.max_len
                else f"{self.min_len}-{self.max_len}")
        return f"{size} {chars}" + (", or empty" if self.allow_empty else "")


@dataclass(frozen=True)
class IntRange:
    """A whole number in ``lo..hi``, canonical without leading zeros unless ``width``."""

    lo: int
    hi: int
    width: int = 0

    def parse(self, text: str) -> str:
        if not text.isdigit():
            raise ValueError(f"{text!r} is not a whole number")
        value = int(text)
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{value} is out of range")
        return str(value).zfill(self.width)

    def describe(self) -> str:
        return f"a whole number {self.lo}-{self.hi}"


@dataclass(frozen=True)
class Choice:
    """One of named options; canonical is the option code (English, lower case).

    ``options`` maps code -> (Chinese label, English label).  Parsing accepts the
    code or either label, so a user may type what the grid shows.
    """

    options: tuple[tuple[str, str, str], ...]  # (code, zh, en)

    def parse(self, text: str) -> str:
        low = text.lower()
        for code, zh, en in self.options:
            if low in (code, en.lower()) or text == zh:
                return code
        raise ValueError(f"{text!r} is not an option")

    def describe(self) -> str:
        return "one of " + ", ".join(code for code, _, _ in self.options)

    def label(self, code: str, lang: str = "zh") -> str:
        for c, zh, en in self.options:
            if c == code:
                return zh if lang == "zh" else en
        return code


@dataclass(frozen=True)
class ServiceClass:
    """Service class (服务等级): two digits, outgoing 1-``max_out`` then incoming 1-4.

    "11" is unrestricted.  The over-limit class uses the same form.
    """

    max_out: int = 6

    def parse(self, text: str) -> str:
        if len(text) != 2 or not text.isdigit():
            raise ValueError(f"{text!r} is not two digits")
        out, inc = int(text[0]), int(text[1])
        if not 1 <= out <= self.max_out:
            raise ValueError(f"outgoing level {out} is not 1-{self.max_out}")
        if not 1 <= inc <= 4:
            raise ValueError(f"incoming level {inc} is not 1-4")
        return text

    def describe(self) -> str:
        return f"two digits: outgoing 1-{self.max_out} then incoming 1-4 (11 = unrestricted)"


@dataclass(frozen=True)
class PortSet:
    """All / none / a set of trunk (or extension) ports: ``all``, ``none``, ``01,03``."""

    count: int
    width: int = 2

    def parse(self, text: str) -> str:
        low = text.strip().lower()
        if low in ("all", "全使用"):
            return "all"
        if low in ("none", "全取消", ""):
            return "none"
        ports: set[int] = set()
        for part in low.replace(" ", "").split(","):
            if not part.isdigit() or not 1 <= int(part) <= self.count:
                raise ValueError(f"{part!r} is not a port 1-{self.count}")
            ports.add(int(part))
        if len(ports) == self.count:
            return "all"
        return ",".join(str(p).zfill(self.width) for p in sorted(ports))

    def describe(self) -> str:
        return f"all, none, or a comma-separated list of ports 1-{self.count}"


@dataclass(frozen=True)
class ClockTime:
    """A time of day ``HHMM`` (24 h), or empty when ``allow_empty`` (not set)."""

    allow_empty: bool = True

    def parse(self, text: str) -> str:
        t = text.replace(":", "")
        if t == "" and self.allow_empty:
            return ""
        if len(t) != 4 or not t.isdigit() or int(t[:2]) > 23 or int(t[2:]) > 59:
            raise ValueError(f"{text!r} is not a time HHMM")
        return t

    def describe(self) -> str:
        return "a time HHMM, 0000-2359" + (", or empty (off)" if self.allow_empty else "")


@dataclass(frozen=True)
class Tenths:
    """A decimal with one place, e.g. a delay 0.0-9.9 s; canonical ``"2.5"``."""

    hi_tenths: int = 99

    def parse(self, text: str) -> str:
        whole, sep, frac = text.partition(".")
        if not whole.isdigit() or (sep and (len(frac) != 1 or not frac.isdigit())):
            raise ValueError(f"{text!r} is not a number with one decimal place")
        tenths = int(whole) * 10 + (int(frac) if sep else 0)
        if tenths > self.hi_tenths:
            raise ValueError(f"{text} is too large")
        return f"{tenths // 10}.{tenths % 10}"

    def describe(self) -> str:
        return f"0.0-{self.hi_tenths // 10}.{self.hi_tenths % 10}"


@dataclass(frozen=True)
class Text:
    """Free text up to ``max_len`` characters (descriptions)."""

    max_len: int = 16

    def parse(self, text: str) -> str:
        if len(text) > self.max_len or any(ord(c) < 0x20 for c in text):
            raise ValueError(f"{text!r} is too long or has control characters")
        return text

    def describe(self) -> str:
        return f"text of at most {self.max_len} characters"
