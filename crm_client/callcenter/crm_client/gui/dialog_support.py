"""What the CRM's dialogs share: a Toplevel placed over its parent that closes on Escape,
labelled rows, an error line, and the questions a dialog asks the agent (yes/no, a file to
open or save).

The questions go through ``DialogContext.extra`` when the main window (or a test) put a
function there -- ``"confirm"`` ``(parent, title, text) -> bool``, ``"ask_open_file"`` and
``"ask_save_file"`` ``(parent, title, filetypes) -> str`` (``""`` for cancel) -- and through
Tk's own message box and file dialogs otherwise.  With ``extra["modeless"]`` true a dialog
takes no grab (tests drive several windows at once).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import filedialog, messagebox, ttk
from typing import Any

from callcenter.crm_client.gui import strings
from callcenter.crm_client.gui.context import DialogContext

strings.add_texts({
    "dialog.queued": ("共享文件夹暂时无法访问：修改已保存在本机，共享文件夹恢复后自动写入",
                      "The shared folder cannot be reached: the change is kept on this PC and "
                      "written when the folder is back"),
})

ERROR_COLOUR = "#c62828"
INFO_COLOUR = "#555555"
OK_COLOUR = "#1b5e20"
FileTypes = Sequence[tuple[str, str]]


def confirm(ctx: DialogContext, parent: tk.Misc, title: str, text: str) -> bool:
    """Ask yes or no (``ctx.extra["confirm"]`` when set)."""
    asker: Callable[[tk.Misc, str, str], bool] | None = ctx.extra.get("confirm")
    if asker is not None:
        return bool(asker(parent, title, text))
    return bool(messagebox.askyesno(title, text, parent=parent))


def ask_open_file(ctx: DialogContext, parent: tk.Misc, title: str, filetypes: FileTypes) -> str:
    """A file to read, "" when cancelled (``ctx.extra["ask_open_file"]`` when set)."""
    asker: Callable[[tk.Misc, str, FileTypes], str] | None = ctx.extra.get("ask_open_file")
    if asker is not None:
        return str(asker(parent, title, filetypes) or "")
    return str(filedialog.askopenfilename(parent=parent, title=title,
                                          filetypes=list(filetypes)) or "")


def ask_save_file(ctx: DialogContext, parent: tk.Misc, title: str, filetypes: FileTypes,
                  initial: str = "") -> str:
    """A file to write, "" when cancelled (``ctx.extra["ask_save_file"]`` when set)."""
    asker: Callable[[tk.Misc, str, FileTypes], str] | None = ctx.extra.get("ask_save_file")
    if asker is not None:
        return str(asker(parent, title, filetypes) or "")
    return str(filedialog.asksaveasfilename(parent=parent, title=title, initialfile=initial,
                                            filetypes=list(filetypes)) or "")


def ask_folder(ctx: DialogContext, parent: tk.Misc, title: str) -> str:
    """A folder, "" when cancelled (``ctx.extra["ask_folder"]`` when set)."""
    asker: Callable[[tk.Misc, str], str] | None = ctx.extra.get("ask_folder")
    if asker is not None:
        return str(asker(parent, title) or "")
    return str(filedialog.askdirectory(parent=parent, title=title, mustexist=True) or "")


class DialogWindow(tk.Toplevel):
    """A dialog's window: transient for its parent's window, placed over it, Escape and the
    window's close button call ``close``, re-titled when the language changes."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, title_key: str, *,
                 modal: bool = True, **title_fields: Any) -> None:
        super().__init__(parent)
        self.withdraw()
        self.ctx = ctx
        self.catalogue = ctx.catalogue
        self._title_key = title_key
        self._title_fields = title_fields
        self.title(self.catalogue.text(title_key, **title_fields))
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind("<Escape>", lambda _e: self.close())
        self.transient(parent.winfo_toplevel())
        self._modal = modal and not ctx.extra.get("modeless")
        self._previous_grab: tk.Misc | None = None
        self._listener = self._relabel_all
        self.catalogue.add_listener(self._listener)

    def show(self) -> None:
        """Place over the parent window and map (with a grab when modal)."""
        self.update_idletasks()
        top = self.master.winfo_toplevel() if self.master is not None else self
        x = top.winfo_rootx() + max(0, (top.winfo_width() - self.winfo_reqwidth()) // 2)
        y = top.winfo_rooty() + max(0, (top.winfo_height() - self.winfo_reqheight()) // 3)
        self.geometry(f"+{max(0, x)}+{max(0, y)}")
        self.deiconify()
        if self._modal:
            self._previous_grab = self.grab_current()  # type: ignore[no-untyped-call]
            self.wait_visibility()
            self.grab_set()

    def _relabel_all(self) -> None:
        if self.winfo_exists():
            self.title(self.catalogue.text(self._title_key, **self._title_fields))
            self.relabel()

    def relabel(self) -> None:
        """Re-label the widgets in the catalogue's language (dialogs override)."""

    def close(self) -> None:
        self.catalogue.remove_listener(self._listener)
        previous = self._previous_grab
        if self.winfo_exists():
            self.destroy()
        if previous is not None:  # the dialog under this one is modal again
            try:
                if previous.winfo_exists():
                    previous.grab_set()
            except tk.TclError:
                pass

    def alive(self) -> bool:
        """Whether the window still exists (a worker's answer may come after it closed)."""
        try:
            return bool(self.winfo_exists())
        except tk.TclError:
            return False


class MessageLine(ttk.Label):
    """A line under a form that says what went wrong (red), what happens (grey) or what was
    done (green)."""

    def __init__(self, parent: tk.Misc, wraplength: int = 460) -> None:
        super().__init__(parent, text="", wraplength=wraplength, justify="left")

    def show_error(self, text: str) -> None:
        self.configure(text=text, foreground=ERROR_COLOUR)

    def show_info(self, text: str) -> None:
        self.configure(text=text, foreground=INFO_COLOUR)

    def show_done(self, text: str) -> None:
        self.configure(text=text, foreground=OK_COLOUR)

    def clear(self) -> None:
        self.configure(text="")

    @property
    def text(self) -> str:
        return str(self.cget("text"))
