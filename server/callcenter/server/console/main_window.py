"""The console's main window, the view: menu bar and toolbar with the modules this session
may use, one page at a time, and the status bar.

It holds no state of its own beyond which page shows: what the modules are comes from
``whoami`` (through ``ConsoleApp``), the status texts from ``StatusModel``, and the pages
are built by the app.  Every text comes from the catalogue; ``relabel()`` re-reads them
after a language switch.
"""

from __future__ import annotations

import time
import tkinter as tk
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from tkinter import ttk
from typing import Final

from callcenter.server.console.strings import Catalogue
from callcenter.server.console.times import clock_text

#: The original's modules in its order (the manual's main window); S-41 module names.
MODULES: Final = ("system", "parameters", "monitor", "records", "rooms", "backup")
PARAMETER_PAGES: Final = ("extension", "trunk", "switches", "other")
STATUS_FIELDS: Final = ("link", "verification", "clients", "user")
MIN_SIZE: Final = (1000, 700)  # fits a 1024x768 screen with the window frame


class MainWindow:
    """Menu bar, toolbar, page area and status bar of ``root``."""

    def __init__(self, root: tk.Tk, catalogue: Catalogue, *, title_host: str = "",
                 on_page: Callable[[str], None], on_language: Callable[[str], None],
                 on_about: Callable[[], None]) -> None:
        self.root = root
        self.catalogue = catalogue
        self.title_host = title_host
        self.on_page = on_page
        self.on_language = on_language
        self.on_about = on_about
        self.modules: tuple[str, ...] = ()
        self.current_page = ""
        # A Tcl variable by name, not a tk.StringVar: a StringVar's __del__ may run in a
        # worker thread after the window is gone, where Tcl must not be called.  Tk takes
        # the name; typeshed only knows Variable objects (hence the ignores below).
        self.language_variable = "callcenter_console_language"
        root.setvar(self.language_variable, catalogue.language)
        root.minsize(*MIN_SIZE)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(1, weight=1)
        self.menubar = tk.Menu(root, tearoff=False)
        root.configure(menu=self.menubar)
        self.toolbar = ttk.Frame(root, padding=(4, 4))
        self.toolbar.grid(row=0, column=0, sticky="ew")
        ttk.Separator(root).grid(row=0, column=0, sticky="sew")
        self.pages = ttk.Frame(root)
        self.pages.grid(row=1, column=0, sticky="nsew")
        self.pages.rowconfigure(0, weight=1)
        self.pages.columnconfigure(0, weight=1)
        self.statusbar = ttk.Frame(root, padding=(4, 2), relief="sunken")
        self.statusbar.grid(row=2, column=0, sticky="ew")
        self.status: dict[str, ttk.Label] = {}
        for column, name in enumerate((*STATUS_FIELDS, "clock")):
            label = ttk.Label(self.statusbar, text="", anchor="w")
            label.grid(row=0, column=2 * column, sticky="w", padx=(2, 6))
            if column < len(STATUS_FIELDS):
                ttk.Separator(self.statusbar, orient="vertical").grid(
                    row=0, column=2 * column + 1, sticky="ns", padx=4)
            self.status[name] = label
        self.statusbar.columnconfigure(0, weight=1)
        self._page_frames: dict[str, tk.Widget] = {}
        self._clock_job = ""
        self.site_zone = ""  # this computer's zone until the service names the site's
        self._menus: list[tk.Menu] = []
        self._toolbar: dict[str, ttk.Button | ttk.Menubutton] = {}
        self.relabel()
        self._tick_clock()

    # ------------------------------------------------------------------ modules
    def set_modules(self, modules: list[str] | tuple[str, ...]) -> None:
        """Show the modules this session may use (in the original's order) and Help."""
        self.modules = tuple(m for m in MODULES if m in modules)
        self._build_menus()

    def add_page(self, page: str, frame: tk.Widget) -> None:
        """Register the frame of ``page`` (``monitor``, ``parameters.extension`` ...)."""
        self._page_frames[page] = frame
        frame.grid(row=0, column=0, sticky="nsew", in_=self.pages)
        frame.grid_remove()

    def has_page(self, page: str) -> bool:
        return page in self._page_frames

    def show_page(self, page: str) -> None:
        """Raise ``page`` (registered with ``add_page``), hiding the one shown before."""
        if self.current_page and self.current_page in self._page_frames:
            self._page_frames[self.current_page].grid_remove()
        self._page_frames[page].grid()
        self.current_page = page

    # ------------------------------------------------------------------ texts
    def relabel(self) -> None:
        """Every text in the catalogue's current language."""
        key = "app.title_remote" if self.title_host else "app.title"
        self.root.title(self.catalogue.text(key, host=self.title_host))
        self.root.setvar(self.language_variable, self.catalogue.language)
        self._build_menus()

    def set_status(self, texts: dict[str, str]) -> None:
        for name, text in texts.items():
            self.status[name].configure(text=text)

    def menu_labels(self) -> list[str]:
        """The menu bar's entries, left to right (what a person reads)."""
        last = self.menubar.index("end")
        if last is None:
            return []
        return [str(self.menubar.entrycget(i, "label")) for i in range(last + 1)]

    def toolbar_labels(self) -> list[str]:
        return [str(w.cget("text")) for w in self.toolbar.winfo_children()
                if isinstance(w, (ttk.Button, ttk.Menubutton))]

    def toolbar_button(self, module: str) -> ttk.Button | ttk.Menubutton:
        return self._toolbar[module]

    # ------------------------------------------------------------------ internals
    def _build_menus(self) -> None:
        text = self.catalogue.text
        last = self.menubar.index("end")
        if last is not None:
            self.menubar.delete(0, last)
        for menu in self._menus:
            menu.destroy()
        self._menus = []
        for child in self.toolbar.winfo_children():
            child.destroy()
        self._toolbar = {}
        for column, module in enumerate(self.modules):
            label = text(f"module.{module}")
            button: ttk.Button | ttk.Menubutton
            if module == "parameters":
                self.menubar.add_cascade(label=label, menu=self._parameter_menu(self.menubar))
                button = ttk.Menubutton(self.toolbar, text=label)
                button["menu"] = self._parameter_menu(button)
            else:
                self.menubar.add_command(label=label, command=partial(self.on_page, module))
                button = ttk.Button(self.toolbar, text=label,
                                    command=partial(self.on_page, module))
            button.grid(row=0, column=column, padx=2, ipadx=6, ipady=4)
            self._toolbar[module] = button
        help_menu = tk.Menu(self.menubar, tearoff=False)
        self._menus.append(help_menu)
        help_menu.add_command(label=text("help.about"), command=self.on_about)
        help_menu.add_separator()
        help_menu.add_radiobutton(label=text("help.chinese"), value="zh",
                                  variable=self.language_variable,  # type: ignore[arg-type]
                                  command=partial(self.on_language, "zh"))
        help_menu.add_radiobutton(label=text("help.english"), value="en",
                                  variable=self.language_variable,  # type: ignore[arg-type]
                                  command=partial(self.on_language, "en"))
        self.menubar.add_cascade(label=text("module.help"), menu=help_menu)

    def _parameter_menu(self, parent: tk.Misc) -> tk.Menu:
        menu = tk.Menu(parent, tearoff=False)
        self._menus.append(menu)
        for page in PARAMETER_PAGES:
            menu.add_command(label=self.catalogue.text(f"parameters.{page}"),
                             command=partial(self.on_page, f"parameters.{page}"))
        return menu

    def set_site_zone(self, timezone: str) -> None:
        """Show the clock in the site's time zone (``whoami``'s ``timezone``)."""
        self.site_zone = timezone
        self._show_clock()

    def _show_clock(self) -> None:
        self.status["clock"].configure(text=clock_text(datetime.now(UTC), self.site_zone))

    def _tick_clock(self) -> None:
        self._show_clock()
        self._clock_job = self.root.after(1000 - int(time.time() * 1000) % 1000,
                                          self._tick_clock)

    def close(self) -> None:
        """Stop the clock (before the root is destroyed)."""
        if self._clock_job:
            self.root.after_cancel(self._clock_job)
            self._clock_job = ""
