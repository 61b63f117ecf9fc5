"""功能操作区 (C-9), the view: 转接, 保留 (取回), 会议, 传呼, 重拨, 闪断/接答, six 泊位 buttons
that flash while their slot is taken, 呼叫转移 with its number, and 免打扰.

Every button names a hub action and hands it to ``on_action(action, params)``; which
action (hold or retrieve, park or unpark, flash or pickup) and what the buttons show come
from ``FunctionState``.  转接 is two steps: the button arms the pick (``on_transfer_pick``),
then a double-click on a monitor icon transfers (the info area calls the app).  传呼 asks
its target first (``on_page_ask``: the app opens gui/page_dialog.py; empty pages all).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from functools import partial
from typing import Any

from callcenter.crm_client.gui.presenters import PARK_SLOTS, FunctionState
from callcenter.crm_client.gui.strings import Catalogue

FLASH_MS = 500
ON_COLOUR = "#ffe082"
Action = Callable[[str, dict[str, Any]], None]


class FunctionArea(tk.LabelFrame):
    """The function area (see the module docstring)."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, state: FunctionState, *,
                 on_action: Action, on_transfer_pick: Callable[[bool], None],
                 has_call: Callable[[], bool],
                 on_page_ask: Callable[[], None] | None = None) -> None:
        super().__init__(parent, padx=4, pady=2)
        self.catalogue = catalogue
        self.state = state
        self.on_action = on_action
        self.on_transfer_pick = on_transfer_pick
        self.has_call = has_call
        self.on_page_ask = on_page_ask
        self._flash_job = ""
        self.buttons: dict[str, tk.Button] = {}
        layout = (("transfer", 0, 0), ("hold", 0, 1), ("conference", 1, 0), ("page", 1, 1),
                  ("redial", 2, 0), ("flash", 2, 1))
        for name, row, column in layout:
            button = tk.Button(self, width=9, command=partial(self._pressed, name))
            button.grid(row=row, column=column, padx=2, pady=1, sticky="ew")
            self.buttons[name] = button
        self._normal_bg = str(self.buttons["hold"].cget("background"))
        self._normal_active = str(self.buttons["hold"].cget("activebackground"))
        self.park: dict[int, tk.Button] = {}
        for index, slot in enumerate(PARK_SLOTS):
            button = tk.Button(self, width=9, command=partial(self._park, slot))
            button.grid(row=3 + index // 2, column=index % 2, padx=2, pady=1, sticky="ew")
            self.park[slot] = button
        self.forward_label = tk.Label(self, anchor="w")
        self.forward_label.grid(row=6, column=0, columnspan=2, sticky="ew", pady=(2, 0))
        self.forward_entry = tk.Entry(self, width=12)
        self.forward_entry.grid(row=7, column=0, padx=2, sticky="ew")
        self.forward_button = tk.Button(self, width=9, command=self._forward)
        self.forward_button.grid(row=7, column=1, padx=2, pady=1, sticky="ew")
        self.dnd_button = tk.Button(self, width=9, command=self._dnd)
        self.dnd_button.grid(row=8, column=0, columnspan=2, padx=2, pady=1, sticky="ew")
        self.columnconfigure(0, weight=1)
        self.columnconfigure(1, weight=1)
        self.relabel()

    # ------------------------------------------------------------------ drawing
    def relabel(self) -> None:
        text = self.catalogue.text
        self.configure(text=text("fn.title"))
        for name in ("transfer", "conference", "page", "redial", "flash"):
            self.buttons[name].configure(text=text(f"fn.{name}"))
        for slot, button in self.park.items():
            button.configure(text=text("fn.park", slot=slot))
        self.forward_label.configure(text=text("fn.forward_number"))
        self.dnd_button.configure(text=text("fn.dnd"))
        self.refresh()

    def refresh(self) -> None:
        """Show ``FunctionState``: hold/retrieve, the armed transfer, forward, dnd, slots."""
        state = self.state
        self.buttons["hold"].configure(text=state.hold_label(self.catalogue))
        self._mark(self.buttons["transfer"], state.picking_transfer)
        self._mark(self.buttons["hold"], state.holding)
        self.forward_button.configure(text=self.catalogue.text(
            "fn.forward_off" if state.forward_on else "fn.forward"))
        self._mark(self.forward_button, state.forward_on)
        if state.forward_on and self.forward_entry.get() != state.forward_number:
            self.forward_entry.delete(0, "end")
            self.forward_entry.insert(0, state.forward_number)
        self._mark(self.dnd_button, state.dnd_on)
        self._paint_park()
        if state.any_park_taken() and not self._flash_job:
            self._flash_job = self.after(FLASH_MS, self._flash)

    def park_background(self, slot: int) -> str:
        """The background slot ``slot``'s button is drawn with now (for tests)."""
        return str(self.park[slot].cget("background"))

    def _mark(self, button: tk.Button, on: bool) -> None:
        button.configure(relief="sunken" if on else "raised",
                         background=ON_COLOUR if on else self._normal_bg,
                         activebackground=ON_COLOUR if on else self._normal_active)

    def _paint_park(self) -> None:
        for slot, button in self.park.items():
            colour = self.state.park_colour(slot)
            if colour is None:
                button.configure(background=self._normal_bg, foreground="#000000",
                                 activebackground=self._normal_active)
            else:
                ink = "#ffffff" if self.state.flash_phase == 0 else "#000000"
                button.configure(background=colour, foreground=ink, activebackground=colour)

    def _flash(self) -> None:
        self._flash_job = ""
        if not self.state.any_park_taken():
            self._paint_park()
            return
        self.state.tick()
        self._paint_park()
        self._flash_job = self.after(FLASH_MS, self._flash)

    def stop(self) -> None:
        """Stop the flashing timer (before the window goes)."""
        if self._flash_job:
            self.after_cancel(self._flash_job)
            self._flash_job = ""

    # ------------------------------------------------------------------ actions
    def _pressed(self, name: str) -> None:
        if name == "transfer":
            self.state.picking_transfer = not self.state.picking_transfer
            self.refresh()
            self.on_transfer_pick(self.state.picking_transfer)
        elif name == "hold":
            self.on_action(self.state.hold_action(), {})
        elif name == "flash":
            # 闪断 on a call; 接答 (pick up a call ringing in my group) without one
            self.on_action("flash" if self.has_call() else "pickup", {})
        elif name == "page" and self.on_page_ask is not None:
            self.on_page_ask()
        else:
            self.on_action(name, {})

    def _park(self, slot: int) -> None:
        self.on_action(self.state.park_action(slot), {"slot": slot})

    def _forward(self) -> None:
        if self.state.forward_on:
            self.on_action("forward", {"on": False})
        else:
            self.on_action("forward", {"on": True, "number": self.forward_entry.get().strip()})

    def _dnd(self) -> None:
        self.on_action("dnd", {"on": not self.state.dnd_on})
