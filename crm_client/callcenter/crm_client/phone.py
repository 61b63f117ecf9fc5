"""Phone numbers as the CRM indexes them: one digit string per number, however it was typed.

A customer's number is typed in many ways (``+86 138-0013-8000``, ``0086 13800138000``,
``013800138000``) and the PBX reports a caller as its trunk received it. ``normalise_number``
maps all the ways of writing one Chinese number to one string of digits, the key of the
customer store's number index (the screen pop looks callers up by it):

- spaces, dashes, dots, brackets and any other character are dropped; ``*`` and ``#`` are kept
  (feature codes, extensions reached through an operator);
- the country code of China (``+86``, ``0086``, or ``86`` before a mobile number) is removed; a
  landline written after it gets its trunk prefix ``0`` back (``+86 10 8289 5782`` ->
  ``01082895782``, the way it is dialled inside China);
- a mobile number dialled with the long-distance ``0`` (``013800138000``) loses it: no area code
  begins with ``01`` followed by 3-9, so this is never a landline;
- another country's ``+`` becomes the international prefix ``00`` (``+44 20 7946 0000`` and
  ``0044 20 7946 0000`` are one number).

``numbers_in`` splits a field holding several numbers ("13509636630,83988807", the manual's
电话号码 field) into the numbers as typed. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["normalise_number", "numbers_in", "search_digits"]

#: A Chinese mobile number: 1, then 3-9, then nine digits.
_MOBILE: Final = re.compile(r"1[3-9]\d{9}")

#: Strong separators between numbers in one field: commas, semicolons, slashes, 、, newlines
#: (ASCII and full-width forms).
_SEPARATORS: Final = re.compile(r"[,，;；/／、|\r\n]+")

#: A number is complete (the next space-separated group starts another number) once it has this
#: many digits: the shortest landline without its area code has seven.
_COMPLETE_DIGITS: Final = 7

_DROPPED: Final = re.compile(r"[^0-9*#]+")
_SPLITTING: Final = re.compile(r"[\s,，;；/／、|]")


def _digits(text: str) -> str:
    return _DROPPED.sub("", text)


def normalise_number(text: str) -> str:
    """The index digits of one phone number (see the module docstring); "" for no digits.

    Full-width digits (１３８…) count as digits. Idempotent: ``normalise_number(n) == n`` for
    every result ``n``.
    """
    if not text.isascii():
        text = text.translate(_FULL_WIDTH)
    text = text.strip()
    international = text.startswith("+")
    digits = _digits(text)
    if international:
        if digits.startswith("86"):
            return _national(digits[2:])
        return "00" + digits if digits else ""
    if digits.startswith("0086"):
        return _national(digits[4:])
    if len(digits) == 13 and digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        return digits[2:]
    if len(digits) == 12 and digits.startswith("0") and _MOBILE.fullmatch(digits[1:]):
        return digits[1:]
    return digits


def _national(rest: str) -> str:
    """A number written after China's country code, as dialled inside China."""
    if not rest:
        return ""
    if rest.startswith("0086"):
        return _national(rest[4:])
    if _MOBILE.fullmatch(rest):
        return rest
    if len(rest) == 12 and rest.startswith("0") and _MOBILE.fullmatch(rest[1:]):
        return rest[1:]
    if rest[0] in "0*#":
        return rest
    return "0" + rest


def numbers_in(text: str) -> list[str]:
    """The numbers in one field, as typed (stripped), in order; pieces without a digit dropped.

    Numbers are separated by commas, semicolons, slashes or 、 (ASCII or full-width), or by
    spaces: a space starts a new number only when the number so far is complete (seven digits
    or more) and the next group is one too, so ``+86 138 0013 8000`` and ``010 82895782`` stay
    one number while ``13509636630 83988807`` is two.
    """
    if not _SPLITTING.search(text.strip()):  # one number (the usual case): no splitting
        stripped = text.strip()
        digits = _digits(stripped if stripped.isascii() else stripped.translate(_FULL_WIDTH))
        return [stripped] if digits else []
    found: list[str] = []
    for piece in _SEPARATORS.split(text):
        current: list[str] = []
        current_digits = 0
        for group in piece.split():
            group_digits = len(_digits(group.translate(_FULL_WIDTH)))
            if current and current_digits >= _COMPLETE_DIGITS and group_digits >= _COMPLETE_DIGITS:
                found.append(" ".join(current))
                current, current_digits = [], 0
            current.append(group)
            current_digits += group_digits
        if current and current_digits:
            found.append(" ".join(current))
    return found


def search_digits(text: str) -> str:
    """The digits a whole or partial number typed in a search box stands for, to be found as a
    substring of index keys: its digits without a leading ``+86`` / ``0086`` (or ``86`` before a
    whole mobile number) and without the trunk ``0`` before a mobile number. No trunk ``0`` is
    added (``+86 10 8289`` searches ``108289``, which ``01082895782`` contains)."""
    text = text.translate(_FULL_WIDTH).strip()
    digits = _digits(text)
    if text.startswith("+") and digits.startswith("86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if len(digits) == 12 and digits.startswith("0") and _MOBILE.fullmatch(digits[1:]):
        digits = digits[1:]
    return digits


_FULL_WIDTH: Final = str.maketrans("０１２３４５６７８９＊＃＋", "0123456789*#+")
