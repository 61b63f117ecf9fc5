"""The CRM main window, the frame: title, menu bar, the places of the six areas, status bar.

The manual's main window has eight parts: 标题栏, 菜单栏, 来电记录区 (top left), 弹屏区 (top
right), 通话区, 信息管理区 and 功能操作区 (bottom, left to right) and 状态栏.  ``MainWindow``
makes the menu bar and the frames the areas go in; the app builds the areas into them.  It
fits a 1024×768 screen.  Every text is the catalogue's; ``relabel()`` re-reads them.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from tkinter import ttk
from typing import Final

from callcenter.crm_client.gui.strings import Catalogue

MIN_SIZE: Final = (960, 660)    # a 1024×768 screen with the window frame
START_SIZE: Final = "1016x690"


@dataclass
class MenuActions:
    """What the menu bar's entries call."""

    settings: Callable[[], None]
    quit: Callable[[], None]
    connect: Callable[[], None]
    disconnect: Callable[[], None]
    messages: Callable[[], None]
    customers: Callable[[], None]
    language: Callable[[str], None]
    about: Callable[[], None]


class MainWindow:
    """Menu bar and the areas' frames of ``root`` (see the module docstring)."""

    def __init__(self, root: tk.Tk, catalogue: Catalogue, actions: MenuActions) -> None:
        self.root = root
        self.catalogue = catalogue
        self.actions = actions
        self.title_text = ""
        # A Tcl variable by name (as the server console does): a StringVar's __del__ may run
        # in a worker thread, where Tcl must not be called.
        self.language_variable = "callcenter_crm_language"
        root.setvar(self.language_variable, catalogue.language)
        root.minsize(*MIN_SIZE)
        root.geometry(START_SIZE)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        self.menubar = tk.Menu(root, tearoff=False)
        root.configure(menu=self.menubar)
        self._menus: list[tk.Menu] = []
        #: areas (customers, messages, settings) the local user may not use: greyed out
        self.denied: set[str] = set()
        body = ttk.Frame(root, padding=4)
        body.grid(row=0, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(0, weight=4)
        body.rowconfigure(1, weight=6)
        top = ttk.Frame(body)
        top.grid(row=0, column=0, sticky="nsew")
        top.columnconfigure(0, weight=3)
        top.columnconfigure(1, weight=2)
        top.rowconfigure(0, weight=1)
        #: 来电记录区
        self.log_frame = ttk.LabelFrame(top, padding=0)
        self.log_frame.grid(row=0, column=0, sticky="nsew", padx=(0, 4))
        self.log_frame.columnconfigure(0, weight=1)
        self.log_frame.rowconfigure(0, weight=1)
        #: 弹屏区 (the PopArea is itself a LabelFrame)
        self.pop_frame = ttk.Frame(top)
        self.pop_frame.grid(row=0, column=1, sticky="nsew")
        self.pop_frame.columnconfigure(0, weight=1)
        self.pop_frame.rowconfigure(0, weight=1)
        bottom = ttk.Frame(body)
        bottom.grid(row=1, column=0, sticky="nsew", pady=(4, 0))
        bottom.columnconfigure(1, weight=1)
        bottom.rowconfigure(0, weight=1)
        #: 通话区, 信息管理区, 功能操作区
        self.dial_frame = ttk.Frame(bottom)
        self.dial_frame.grid(row=0, column=0, sticky="nsew", padx=(0, 4))
        self.dial_frame.rowconfigure(0, weight=1)
        self.info_frame = ttk.Frame(bottom)
        self.info_frame.grid(row=0, column=1, sticky="nsew", padx=(0, 4))
        self.info_frame.columnconfigure(0, weight=1)
        self.info_frame.rowconfigure(0, weight=1)
        self.function_frame = ttk.Frame(bottom)
        self.function_frame.grid(row=0, column=2, sticky="nsew")
        self.function_frame.rowconfigure(0, weight=1)
        #: 状态栏
        self.status_frame = ttk.Frame(root)
        self.status_frame.grid(row=1, column=0, sticky="ew")
        self.status_frame.columnconfigure(0, weight=1)
        self.relabel()

    def relabel(self) -> None:
        """Every text in the catalogue's current language."""
        self.root.setvar(self.language_variable, self.catalogue.language)
        self.log_frame.configure(text=self.catalogue.text("log.title"))
        self._build_menus()

    def set_allowed(self, areas: dict[str, bool]) -> None:
        """Grey out the menu entries of the areas (customers, messages, settings) mapped to
        False; the others back to normal."""
        for area, on in areas.items():
            if on:
                self.denied.discard(area)
            else:
                self.denied.add(area)
        self._apply_allowed()

    def _apply_allowed(self) -> None:
        text = self.catalogue.text
        for area, key in (("customers", "menu.customers"), ("messages", "menu.messages")):
            index = self._index(text(key))
            if index is not None:
                self.menubar.entryconfigure(
                    index, state="disabled" if area in self.denied else "normal")
        system = self.menu(text("menu.system"))
        if system is not None:  # its first item: 系统设置
            system.entryconfigure(0, state="disabled" if "settings" in self.denied else "normal")

    def _index(self, label: str) -> int | None:
        last = self.menubar.index("end")
        for index in range(0 if last is None else last + 1):
            if self.menubar.entrycget(index, "label") == label:
                return index
        return None

    def entry_state(self, label: str, item: str = "") -> str:
        """``normal`` or ``disabled``: the menu bar entry ``label`` (or ``item`` in it)."""
        index = self._index(label)
        if index is None:
            raise KeyError(label)
        if not item:
            return str(self.menubar.entrycget(index, "state"))
        sub = self.menu(label)
        if sub is None:
            raise KeyError(label)
        end = sub.index("end")
        for position in range(0 if end is None else end + 1):
            if sub.type(position) != "separator" and sub.entrycget(position, "label") == item:
                return str(sub.entrycget(position, "state"))
        raise KeyError(f"{label} / {item}")

    def set_title(self, text: str) -> None:
        self.title_text = text
        self.root.title(text)

    def menu_labels(self) -> list[str]:
        """The menu bar's entries, left to right (what a person reads)."""
        last = self.menubar.index("end")
        if last is None:
            return []
        return [str(self.menubar.entrycget(i, "label")) for i in range(last + 1)]

    def menu(self, label: str) -> tk.Menu | None:
        """The cascade under the menu bar entry ``label`` (None for a plain command)."""
        last = self.menubar.index("end")
        for index in range(0 if last is None else last + 1):
            if self.menubar.entrycget(index, "label") == label:
                if self.menubar.type(index) != "cascade":
                    return None
                name = str(self.menubar.entrycget(index, "menu"))
                widget = self.root.nametowidget(name)
                return widget if isinstance(widget, tk.Menu) else None
        return None

    def invoke_menu(self, label: str, item: str = "") -> None:
        """Choose a menu bar entry (and ``item`` in its cascade), as a click would."""
        last = self.menubar.index("end")
        for index in range(0 if last is None else last + 1):
            if self.menubar.entrycget(index, "label") != label:
                continue
            if not item:
                self.menubar.invoke(index)
                return
            sub = self.menu(label)
            if sub is None:
                raise KeyError(label)
            end = sub.index("end")
            for position in range(0 if end is None else end + 1):
                if sub.type(position) != "separator" and sub.entrycget(position,
                                                                       "label") == item:
                    sub.invoke(position)
                    return
            raise KeyError(f"{label} / {item}")
        raise KeyError(label)

    def _build_menus(self) -> None:
        text = self.catalogue.text
        actions = self.actions
        last = self.menubar.index("end")
        if last is not None:
            self.menubar.delete(0, last)
        for old in self._menus:
            old.destroy()
        self._menus = []
        system = self._cascade(text("menu.system"))
        system.add_command(label=text("menu.settings"), command=actions.settings)
        system.add_separator()
        system.add_command(label=text("menu.quit"), command=actions.quit)
        login = self._cascade(text("menu.login"))
        login.add_command(label=text("menu.connect"), command=actions.connect)
        login.add_command(label=text("menu.disconnect"), command=actions.disconnect)
        self.menubar.add_command(label=text("menu.messages"), command=actions.messages)
        self.menubar.add_command(label=text("menu.customers"), command=actions.customers)
        language = self._cascade(text("menu.language"))
        for code, key in (("zh", "menu.chinese"), ("en", "menu.english")):
            language.add_radiobutton(label=text(key), value=code,
                                     variable=self.language_variable,  # type: ignore[arg-type]
                                     command=partial(actions.language, code))
        help_menu = self._cascade(text("menu.help"))
        help_menu.add_command(label=text("menu.about"), command=actions.about)
        self._apply_allowed()

    def _cascade(self, label: str) -> tk.Menu:
        menu = tk.Menu(self.menubar, tearoff=False)
        self._menus.append(menu)
        self.menubar.add_cascade(label=label, menu=menu)
        return menu
