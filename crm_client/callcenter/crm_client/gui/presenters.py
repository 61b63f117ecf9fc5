"""The main window's small presenters, without Tk: the dial pad, the function buttons' state,
the status bar's texts and the pop's title.

Views hold widgets only; what a button says, whether it may be pressed, which number goes to
the hub and what the status bar reads are decided here, so they are tested with plain calls
(tests/crm/test_presenters.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from callcenter.crm_client.gui.strings import Catalogue

#: What a dial string may hold (the hub's ``dial`` takes digits, ``*`` and ``#``).
DIAL_KEYS: Final = "0123456789*#"
MAX_DIAL = 32
PARK_SLOTS: Final = (1, 2, 3, 4, 5, 6)
_DIAL_PATTERN: Final = re.compile(r"[0-9*#]{1,32}")
#: Characters an agent may type or paste that are dropped silently (spaces, dashes, dots).
_SEPARATORS: Final = re.compile(r"[\s\-().]")

#: Phone states a monitor icon is drawn with (the hub's state names).
STATE_COLOURS: Final = {
    "idle": "#d9f2d9",       # pale green: free
    "offhook": "#fff2a8",    # yellow: handset lifted
    "dialing": "#ffe08a",    # deeper yellow: dialling
    "ringing": "#ffb74d",    # orange: ringing
    "talking": "#e53935",    # red: in a call
    "busy": "#8e8e8e",       # grey: busy tone
    "held": "#7e57c2",       # violet: holds a call
}
UNKNOWN_COLOUR: Final = "#ffffff"
DARK_FILLS: Final = frozenset({"#e53935", "#8e8e8e", "#7e57c2"})
#: A taken park slot's button alternates between these two backgrounds.
PARK_FLASH: Final = ("#7e57c2", "#f3e5f5")


class DialPad:
    """The number entry of 通话区: keys, backspace, clear, and the number to dial."""

    def __init__(self) -> None:
        self.text = ""

    def press(self, key: str) -> str:
        """A pad key (0-9, *, #) appended; other keys are ignored.  The new text."""
        if len(key) == 1 and key in DIAL_KEYS and len(self.text) < MAX_DIAL:
            self.text += key
        return self.text

    def backspace(self) -> str:
        self.text = self.text[:-1]
        return self.text

    def clear(self) -> str:
        self.text = ""
        return self.text

    def set(self, text: str) -> str:
        """The entry's text as typed or pasted (kept as it is until dialled)."""
        self.text = text
        return self.text

    def number(self) -> str:
        """The dial string, separators dropped; ValueError (a catalogue key) if unusable."""
        return dial_string(self.text)


def dial_string(text: str) -> str:
    """``text`` as a dial string: spaces, dashes, dots and brackets dropped; a leading ``+``
    is refused (the PBX wants the access code).  ValueError's message is a catalogue key:
    ``dial.need_number`` or ``dial.bad_number``."""
    cleaned = _SEPARATORS.sub("", text)
    if not cleaned:
        raise ValueError("dial.need_number")
    if not _DIAL_PATTERN.fullmatch(cleaned):
        raise ValueError("dial.bad_number")
    return cleaned


@dataclass
class FunctionState:
    """What the 功能操作区 buttons show: hold/retrieve, the transfer pick, forward, dnd, and the
    park slots (a taken slot flashes)."""

    holding: bool = False        # my port holds a call: 保留 reads 取回
    picking_transfer: bool = False  # 转接 pressed: the next double-click on an icon transfers
    forward_on: bool = False
    forward_number: str = ""
    dnd_on: bool = False
    flash_phase: int = 0

    def __post_init__(self) -> None:
        self.park_taken: dict[int, bool] = dict.fromkeys(PARK_SLOTS, False)

    def hold_action(self) -> str:
        """The hub action the 保留 button sends now: ``hold`` or ``retrieve``."""
        return "retrieve" if self.holding else "hold"

    def hold_label(self, catalogue: Catalogue) -> str:
        return catalogue.text("fn.retrieve" if self.holding else "fn.hold")

    def park_action(self, slot: int) -> str:
        """A free slot parks my call there; a taken one takes its call (``unpark``)."""
        return "unpark" if self.park_taken.get(slot) else "park"

    def set_park(self, slot: int, taken: bool) -> bool:
        """Record a slot's state; True when it changed."""
        if slot not in self.park_taken or self.park_taken[slot] == taken:
            return False
        self.park_taken[slot] = taken
        return True

    def any_park_taken(self) -> bool:
        return any(self.park_taken.values())

    def tick(self) -> None:
        """One flash step (the view calls it on a timer while any slot is taken)."""
        self.flash_phase = (self.flash_phase + 1) % 2

    def park_colour(self, slot: int) -> str | None:
        """The background of slot ``slot``'s button now; None: the normal one."""
        if not self.park_taken.get(slot):
            return None
        return PARK_FLASH[self.flash_phase]


def state_colour(state: str) -> str:
    """The fill of a monitor icon in this phone state."""
    return STATE_COLOURS.get(state, UNKNOWN_COLOUR)


def ink_on(fill: str) -> str:
    """Text colour on ``fill`` (white on the dark ones)."""
    return "#ffffff" if fill in DARK_FILLS else "#000000"


def state_text(catalogue: Catalogue, state: str) -> str:
    key = f"state.{state}"
    try:
        return catalogue.text(key)
    except KeyError:
        return catalogue.text("state.unknown")


@dataclass(frozen=True)
class StatusInfo:
    """What the status bar shows: the hub link, this PC's extension, the agent, the phone."""

    link: str = "off"        # off | connecting | up | down
    server: str = ""
    extension: str = ""
    user: str = ""
    phone_state: str = ""    # my port's state, "" unknown
    pbx_up: bool = True
    detail: str = ""         # why the link is down, in words (auth failed ...)


def status_texts(catalogue: Catalogue, info: StatusInfo) -> dict[str, str]:
    """The status bar's fields: ``link``, ``extension``, ``user``, ``phone``."""
    link = catalogue.text(f"status.link.{info.link}", server=info.server or "—")
    if info.link == "up" and not info.pbx_up:
        link += "  " + catalogue.text("status.pbx_down")
    if info.detail and info.link != "up":
        link += "  " + info.detail
    return {
        "link": link,
        "extension": catalogue.text("status.extension", extension=info.extension or "—"),
        "user": catalogue.text("status.user", user=info.user or "—"),
        "phone": catalogue.text("status.state",
                                state=state_text(catalogue, info.phone_state)
                                if info.phone_state else "—"),
    }


def pop_title(caller: str, name: str) -> str:
    """The pop window's title: the caller-ID digits exactly as received and, when known,
    the customer's name (the issue's "Done when")."""
    caller = caller or "—"
    return f"{caller} {name}".strip() if name else caller


def window_title(catalogue: Catalogue, extension: str, user: str) -> str:
    """The main window's title; it begins with ``CRM`` (the original's shortcut name)."""
    if extension or user:
        return catalogue.text("app.title", extension=extension or "—", user=user or "—")
    return catalogue.text("app.title_offline")
