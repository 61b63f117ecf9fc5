"""Display width of text on a terminal: how many columns a string takes when printed.

East-asian wide and fullwidth characters (Chinese, Japanese, Korean, fullwidth forms) take
two columns, combining marks and zero-width characters none, everything else one. The
table printer (``print_table`` in ``cli/common.py``) pads cells by this width, so that
columns holding Chinese text line up with those holding Latin text.
"""

from __future__ import annotations

import unicodedata

#: Zero-width characters that are not combining marks (zero width space/joiners, BOM).
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def char_width(char: str) -> int:
    """Columns one character takes: 2 wide/fullwidth, 0 combining or control, else 1."""
    if char in _ZERO_WIDTH or unicodedata.combining(char):
        return 0
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (``len`` counts characters, not columns)."""
    return sum(char_width(c) for c in text)


def ljust(text: str, width: int) -> str:
    """``text`` padded with blanks on the right to ``width`` display columns."""
    return text + " " * max(0, width - display_width(text))


def rjust(text: str, width: int) -> str:
    """``text`` padded with blanks on the left to ``width`` display columns."""
    return " " * max(0, width - display_width(text)) + text
