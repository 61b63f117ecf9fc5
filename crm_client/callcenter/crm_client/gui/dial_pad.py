"""通话区 (C-7), the view: the number entry, the pad 1-9 * 0 #, 通话, 退格, 清除, 挂机, and a line
saying what happened.

The keyboard works: digits, ``*`` and ``#`` type into the entry (it takes the focus when
the area is clicked, and keys typed anywhere else in the main window but a text field come
to it: ``take_keys_from``), Return dials, BackSpace deletes, Escape clears.  The number checks
are ``DialPad``'s; dialling and hanging up are the callbacks'.
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from functools import partial
from tkinter import ttk

from callcenter.crm_client.gui.presenters import DIAL_KEYS, DialPad
from callcenter.crm_client.gui.strings import Catalogue

PAD = ("123", "456", "789", "*0#")


class DialPadView(ttk.LabelFrame):
    """The dial area (see the module docstring)."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, *,
                 on_dial: Callable[[str], None], on_hangup: Callable[[], None]) -> None:
        super().__init__(parent, padding=(6, 4))
        self.catalogue = catalogue
        self.model = DialPad()
        self.on_dial = on_dial
        self.on_hangup = on_hangup
        self._font = tkfont.nametofont("TkDefaultFont", root=self).copy()
        self._font.configure(size=14)
        self.entry = ttk.Entry(self, width=18, font=self._font, justify="center")
        self.entry.grid(row=0, column=0, columnspan=3, sticky="ew", pady=(0, 4))
        self.entry.bind("<Return>", lambda _e: self.dial())
        self.entry.bind("<KP_Enter>", lambda _e: self.dial())
        self.entry.bind("<Escape>", lambda _e: self.clear())
        self.entry.bind("<KeyPress>", self._key)
        self.pad: dict[str, ttk.Button] = {}
        for row, keys in enumerate(PAD, start=1):
            for column, key in enumerate(keys):
                button = ttk.Button(self, text=key, width=4,
                                    command=partial(self.press, key))
                button.grid(row=row, column=column, padx=1, pady=1, ipady=2, sticky="ew")
                self.pad[key] = button
        self.call_button = ttk.Button(self, command=self.dial)
        self.call_button.grid(row=5, column=0, padx=1, pady=(4, 1), sticky="ew")
        self.backspace_button = ttk.Button(self, command=self.backspace)
        self.backspace_button.grid(row=5, column=1, padx=1, pady=(4, 1), sticky="ew")
        self.clear_button = ttk.Button(self, command=self.clear)
        self.clear_button.grid(row=5, column=2, padx=1, pady=(4, 1), sticky="ew")
        self.hangup_button = ttk.Button(self, command=self.hang_up)
        self.hangup_button.grid(row=6, column=0, columnspan=3, padx=1, pady=1, sticky="ew")
        self.message = ttk.Label(self, wraplength=200, foreground="#555555")
        self.message.grid(row=7, column=0, columnspan=3, sticky="ew")
        for column in range(3):
            self.columnconfigure(column, weight=1)
        self.bind("<Button-1>", lambda _e: self.entry.focus_set())
        self.relabel()

    def relabel(self) -> None:
        text = self.catalogue.text
        self.configure(text=text("dial.title"))
        self.call_button.configure(text=text("dial.call"))
        self.backspace_button.configure(text=text("dial.backspace"))
        self.clear_button.configure(text=text("dial.clear"))
        self.hangup_button.configure(text=text("dial.hangup"))

    # ------------------------------------------------------------------ actions
    def press(self, key: str) -> None:
        """A pad button: the key typed at the entry's end."""
        self.model.set(self.entry.get())
        self._show(self.model.press(key))

    def backspace(self) -> None:
        self.model.set(self.entry.get())
        self._show(self.model.backspace())

    def clear(self) -> None:
        self._show(self.model.clear())
        self.say("")

    def set_number(self, number: str) -> None:
        """Put ``number`` in the entry (call back, a phonebook's 呼叫)."""
        self._show(self.model.set(number))

    def number(self) -> str:
        return self.entry.get()

    def dial(self) -> None:
        """通话: dial the entry's number (a message names what is wrong with it)."""
        self.model.set(self.entry.get())
        try:
            number = self.model.number()
        except ValueError as exc:
            self.say(self.catalogue.text(str(exc)), error=True)
            return
        self.say(self.catalogue.text("dial.calling", number=number))
        self.on_dial(number)

    def hang_up(self) -> None:
        """挂机: hang up, clear the entry and the state line (the manual's 2-7)."""
        self._show(self.model.clear())
        self.say("")
        self.on_hangup()

    def take_keys_from(self, window: tk.Misc) -> None:
        """Digits, ``*``, ``#``, BackSpace and Return typed anywhere in ``window`` (its
        buttons, lists, the monitor) go to the number entry, unless a text field has the
        keyboard."""
        window.bind("<KeyPress>", self._window_key, add="+")

    def _window_key(self, event: tk.Event[tk.Misc]) -> None:
        widget = event.widget
        if isinstance(widget, (tk.Entry, ttk.Entry, tk.Text, tk.Spinbox, ttk.Combobox)) \
                or not isinstance(widget, tk.Misc):
            return
        if event.char and event.char in DIAL_KEYS:
            self.press(event.char)
        elif event.keysym == "BackSpace":
            self.backspace()
        elif event.keysym in ("Return", "KP_Enter") and self.entry.get():
            self.dial()
        else:
            return
        self.entry.focus_set()

    def _key(self, event: tk.Event[ttk.Entry]) -> str | None:
        """Typed keys: digits, * and # go in; other characters are kept out (editing and
        control keys work as usual; a pasted number is cleaned when dialled)."""
        char = event.char
        if len(char) == 1 and char.isprintable() and char not in DIAL_KEYS:
            return "break"
        return None

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.configure(text=text, foreground="#c62828" if error else "#555555")

    def _show(self, text: str) -> None:
        self.entry.delete(0, "end")
        self.entry.insert(0, text)
        self.entry.icursor("end")
