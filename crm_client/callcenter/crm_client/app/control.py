"""Call control (C-7, C-9): the phone's buttons as hub requests, with clear errors.

Each method sends one request on the link and returns the hub's result.  Input is checked
first (a number is a dial string of 1-32 characters ``0-9 * #`` after spaces and dashes are
dropped; a port three digits; a park slot 1-6): a bad value raises ``ControlError`` with code
``bad_request`` and a message naming the field, and nothing is sent.

Errors the GUI shows, by ``code`` (its string catalogue has ``error.<code>`` in Chinese and
English): ``needs_offhook`` (a normal phone: lift the handset, then press again),
``pbx_refused`` (the message says why), ``pbx_unavailable``, ``bad_request``, ``forbidden``,
``not_found``, ``rate_limited``, ``unknown_action`` (a hub too old for ``flash``), and any
other hub code (shown like ``internal``).  ``ControlError`` is a ``RequestFailed``, so code
that handles the hub's errors handles these.  Not connected: ``HubUnavailable``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from callcenter.crm_client.link import RequestFailed

DIAL_STRING: Final = re.compile(r"[0-9*#]{1,32}")
PORT: Final = re.compile(r"(?!000)[0-9]{3}")
#: Error codes the GUI's catalogue must name (``error.<code>``).
ERROR_CODES: Final = ("needs_offhook", "pbx_refused", "pbx_unavailable", "bad_request",
                      "forbidden", "not_found", "rate_limited", "unknown_action")


class ControlError(RequestFailed):
    """A call-control action refused, by this program (bad input) or by the hub: ``code``,
    ``message`` (English, names the field), ``key`` the catalogue key ``error.<code>``."""

    @property
    def key(self) -> str:
        return f"error.{self.code}"


def dial_string(number: str, field: str = "number") -> str:
    """``number`` without spaces, dashes, dots and brackets; ControlError unless the rest is
    a dial string."""
    cleaned = re.sub(r"[\s\-().]", "", number)
    if not DIAL_STRING.fullmatch(cleaned):
        raise ControlError("bad_request", f"{field}: 1-32 characters 0-9 * # (got {number!r})")
    return cleaned


def port(value: str, field: str = "target") -> str:
    value = value.strip()
    if not PORT.fullmatch(value):
        raise ControlError("bad_request", f"{field}: an extension port, three digits 001-999 "
                                          f"(got {value!r})")
    return value


def slot(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
        raise ControlError("bad_request", f"slot: a park slot 1-6 (got {value!r})")
    return value


class CallControl:
    """The buttons (module docstring).  ``request`` is ``AgentLink.request``-like."""

    def __init__(self, request: Callable[..., dict[str, Any]]) -> None:
        self._request = request

    def _send(self, action: str, **params: Any) -> dict[str, Any]:
        try:
            return self._request(action, **params)
        except ControlError:
            raise
        except RequestFailed as exc:
            raise ControlError(exc.code, exc.message) from None

    def dial(self, number: str) -> int:
        """Dial; the new call's id."""
        return int(self._send("dial", number=dial_string(number)).get("call_id", 0))

    def hangup(self) -> int:
        return int(self._send("hangup").get("call_id", 0))

    def answer(self) -> int:
        return int(self._send("answer").get("call_id", 0))

    def transfer(self, target: str) -> int:
        """Blind transfer to the extension port ``target``."""
        return int(self._send("transfer", target=port(target)).get("call_id", 0))

    def hold(self) -> int:
        return int(self._send("hold").get("call_id", 0))

    def retrieve(self) -> int:
        return int(self._send("retrieve").get("call_id", 0))

    def conference(self) -> int:
        return int(self._send("conference").get("call_id", 0))

    def page(self, target: str = "") -> int:
        """Page one extension port, or every pageable one (``target`` "")."""
        params = {"target": port(target)} if target else {}
        return int(self._send("page", **params).get("call_id", 0))

    def redial(self) -> int:
        return int(self._send("redial").get("call_id", 0))

    def flash(self) -> int:
        """Hook flash (闪断/接答; protocol 1.2)."""
        return int(self._send("flash").get("call_id", 0))

    def pickup(self, target: str = "") -> int:
        params = {"target": port(target)} if target else {}
        return int(self._send("pickup", **params).get("call_id", 0))

    def park(self, slot_number: int | None = None) -> int:
        """Park the current call (in ``slot_number``, else the first free one); the slot."""
        params = {"slot": slot(slot_number)} if slot_number is not None else {}
        return int(self._send("park", **params).get("slot", slot_number or 0))

    def unpark(self, slot_number: int) -> int:
        return int(self._send("unpark", slot=slot(slot_number)).get("call_id", 0))

    def forward(self, on: bool, number: str = "") -> None:
        """Call forwarding on (to ``number``) or off."""
        if on:
            self._send("forward", on=True, number=dial_string(number))
        else:
            self._send("forward", on=False)

    def dnd(self, on: bool) -> None:
        self._send("dnd", on=bool(on))
