"""Value kinds of PBX parameters: parse text into canonical text, say what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

_DIGITS = "0123456789"
# A Chinese input method types full-width digits and punctuation; accept them as ASCII.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，：＊＃　", "0123456789,:*# ")


def _ascii(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def _is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts e.g. "²" and "٣")."""
    return bool(text) and all(c in _DIGITS for c in text)


def _number(text: str, what: str = "a whole number") -> int:
    if not _is_digits(text):
        raise ValueError(f"{text!r} is not {what}")
    return int(text.lstrip("0") or "0")


@dataclass(frozen=True)
class Digits:
    """A string of dial digits (``0-9``, optionally ``*`` and ``#``)."""

    min_len: int = 1
    max_len: int = 8
    extra: str = ""  # further allowed characters, e.g. "*#"
    allow_empty: bool = False

    def parse(self, text: str) -> str:
        text = _ascii(text)
        if text == "" and self.allow_empty:
            return ""
        allowed = set(_DIGITS + self.extra)
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
        text = _ascii(text)
        if len(text) > 12:
            raise ValueError(f"{text[:12]!r}... is too long")
        value = _number(text)
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
        text = _ascii(text)
        if len(text) != 2 or not _is_digits(text):
            raise ValueError(f"{text!r} is not two digits")
        out, inc = int(text[0]), int(text[1])
        if not 1 <= out <= self.max_out:
            raise ValueError(f"outgoing level {out} is not 1-{self.max_out}")
        if not 1 <= inc <= 4:
            raise ValueError(f"incoming level {inc} is not 1-4")
        return text

    def describe(self) -> str:
        return f"two digits: outgoing 1-{self.max_out} then incoming 1-4 (11 = unrestricted)"


def _split_numbers(text: str, count: int, what: str) -> list[int]:
    """``"1, 3,05"`` -> ``[1, 3, 5]``; each a whole number 1..count."""
    numbers: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not _is_digits(part) or len(part) > 6 or not 1 <= int(part) <= count:
            shown = part if len(part) <= 12 else part[:12] + "..."
            raise ValueError(f"{shown!r} is not {what} 1-{count}"
                             if count else f"{shown!r}: there are none to choose from")
        numbers.append(int(part))
    return numbers


@dataclass(frozen=True)
class PortSet:
    """All / none / a set of trunk (or extension) ports: ``all``, ``none``, ``01,03``.

    Canonical: ``all`` when every port is in the set, ``none`` when it is empty, otherwise
    the sorted ports zero padded to ``width`` (2 for trunks, 3 for extension ports).
    """

    count: int
    width: int = 2

    def parse(self, text: str) -> str:
        low = _ascii(text).strip().lower()
        if low in ("all", "全使用"):
            return "all"
        if low in ("none", "全取消", ""):
            return "none"
        ports = set(_split_numbers(low, self.count, "a port"))
        if len(ports) == self.count:
            return "all"
        return ",".join(str(p).zfill(self.width) for p in sorted(ports))

    def describe(self) -> str:
        return f"all, none, or a comma-separated list of ports 1-{self.count}"

    def members(self, canonical: str) -> set[int]:
        """The port numbers (1-based) of a canonical value."""
        if canonical == "all":
            return set(range(1, self.count + 1))
        if canonical == "none":
            return set()
        return {int(p) for p in canonical.split(",")}


@dataclass(frozen=True)
class PortList:
    """An ordered list of distinct ports (e.g. a ringing priority order), or ``none``.

    Canonical: the ports in the given order, zero padded to ``width``: ``"003,001,002"``.
    """

    count: int
    width: int = 3

    def parse(self, text: str) -> str:
        low = _ascii(text).strip().lower()
        if low in ("none", "全取消", ""):
            return "none"
        ports = _split_numbers(low, self.count, "a port")
        seen: set[int] = set()
        for port in ports:
            if port in seen:
                raise ValueError(f"port {port:0{self.width}d} is listed twice")
            seen.add(port)
        return ",".join(str(p).zfill(self.width) for p in ports)

    def describe(self) -> str:
        return f"none, or a comma-separated list of distinct ports 1-{self.count}, in order"

    def members(self, canonical: str) -> list[int]:
        return [] if canonical == "none" else [int(p) for p in canonical.split(",")]


@dataclass(frozen=True)
class GroupSet:
    """Membership in numbered groups (extension groups 1-12): ``"1,3"`` or ``"none"``.

    Canonical: sorted group numbers without padding; ``all`` is accepted as input and
    written out as the full list, so a value can always be split on commas.
    """

    count: int = 12

    def parse(self, text: str) -> str:
        low = _ascii(text).strip().lower()
        if low in ("none", "全取消", ""):
            return "none"
        if low in ("all", "全使用"):
            groups = set(range(1, self.count + 1))
        else:
            groups = set(_split_numbers(low, self.count, "a group"))
        return ",".join(str(g) for g in sorted(groups)) if groups else "none"

    def describe(self) -> str:
        return f"none, all, or a comma-separated list of groups 1-{self.count}"

    def members(self, canonical: str) -> set[int]:
        return set() if canonical == "none" else {int(g) for g in canonical.split(",")}


@dataclass(frozen=True)
class RouteDigits:
    """Route access digits: the n-th digit is dialled to reach route n (``"936"``).

    Up to ``routes`` distinct digits.
    """

    routes: int = 8

    def parse(self, text: str) -> str:
        text = _ascii(text)
        if not _is_digits(text) or len(text) > self.routes:
            raise ValueError(f"{text!r} is not 1-{self.routes} digits")
        for digit in text:
            if text.count(digit) > 1:
                raise ValueError(f"digit {digit} is used for two routes")
        return text

    def describe(self) -> str:
        return f"1-{self.routes} distinct digits, one per route (e.g. 936)"


@dataclass(frozen=True)
class AreaCode:
    """An area code without the trunk prefix 0 / 00 (``"755"``, ``"1"``), or empty."""

    max_len: int = 6

    def parse(self, text: str) -> str:
        text = _ascii(text)
        if text == "":
            return ""
        if not _is_digits(text) or len(text) > self.max_len:
            raise ValueError(f"{text!r} is not 1-{self.max_len} digits")
        if text.startswith("0"):
            raise ValueError(f"{text!r} starts with 0 (enter the code without 0 or 00)")
        return text

    def describe(self) -> str:
        return f"1-{self.max_len} digits not starting with 0 (area code without 0/00), or empty"


@dataclass(frozen=True)
class ClockTime:
    """A time of day ``HHMM`` (24 h), or empty when ``allow_empty`` (not set).

    ``13:00``, ``9:05`` and ``0905`` are accepted; canonical is ``HHMM``.
    """

    allow_empty: bool = True

    def parse(self, text: str) -> str:
        t = _ascii(text).strip()
        if t == "" and self.allow_empty:
            return ""
        hours, colon, minutes = t.partition(":")
        if colon and 1 <= len(hours) <= 2 and len(minutes) == 2:
            t = hours.zfill(2) + minutes
        if len(t) != 4 or not _is_digits(t) or int(t[:2]) > 23 or int(t[2:]) > 59:
            raise ValueError(f"{text!r} is not a time HHMM")
        return t

    def describe(self) -> str:
        return "a time HHMM, 0000-2359" + (", or empty (off)" if self.allow_empty else "")


@dataclass(frozen=True)
class Tenths:
    """A decimal with one place, e.g. a delay 0.0-9.9 s; canonical ``"2.5"``."""

    hi_tenths: int = 99

    def parse(self, text: str) -> str:
        whole, sep, frac = _ascii(text).partition(".")
        if (not _is_digits(whole) or len(whole) > 6
                or (sep and (len(frac) != 1 or not _is_digits(frac)))):
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
