"""弹屏 (C-6), the views: the pop window that appears on a ring at this PC's extension, and the
main window's 弹屏区 that keeps the last caller in sight.

The pop window's title is the caller-ID digits exactly as received and, when known, the
customer's name (``presenters.pop_title``).  It holds the dialogs' ``CustomerForm``
(基本信息 / 详细信息, with 呼叫 and 保存), the VIP and blacklist marks with the reason, and
接听 / 关闭.  An unknown number opens a new record with the number filled in.

One window is made once and reused (withdrawn between calls), so a ring costs a title, a
form load and a ``deiconify``.  A new ring while the agent is editing the pop (the form holds
unsaved changes) does not take that window: it is *kept* (``keep()``: it stays open as a
window of its own, with its edits, until it is saved and closed; its 关闭 then destroys it)
and the window program makes a new one for the new caller.  The form opens on 详细信息 when
``detail_first`` (the ``show_detail_on_pop`` setting), else on 基本信息.  接听 can be pressed
only while the pop's call is ringing at this PC (``set_ringing``).

It does not take the keyboard: the focus is never moved to it, and if a window manager gives
it the focus while the agent was typing in the main window, the focus goes back to the widget
that had it.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from callcenter.crm_client.gui.context import DialogContext
from callcenter.crm_client.gui.customer_form import CustomerForm
from callcenter.crm_client.gui.presenters import pop_title

VIP_COLOUR = "#b71c1c"
BLACKLIST_COLOUR = "#212121"
#: How long after a pop appears a focus it gets unasked goes back to the agent's widget.
RETURN_FOCUS_MS = 1500


class PopWindow(tk.Toplevel):
    """The pop window (see the module docstring); ``show(pop)`` for each ring."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, *,
                 on_answer: Callable[[], None],
                 on_saved: Callable[[Any], None] | None = None,
                 on_top: bool = True, detail_first: bool = False,
                 on_closed: Callable[[PopWindow], None] | None = None) -> None:
        super().__init__(parent)
        self.withdraw()
        self.ctx = ctx
        self.detail_first = detail_first
        self.kept = False  # kept open with unsaved edits for an earlier caller (keep())
        self.may_answer = True  # the local user may use call control (permissions.py)
        self.on_closed = on_closed
        self.catalogue = ctx.catalogue
        self.on_answer = on_answer
        self.on_saved_customer = on_saved
        self.pop: Any = None
        self.on_top = on_top
        self.marks = ttk.Frame(self, padding=(8, 6, 8, 0))
        self.marks.grid(row=0, column=0, sticky="ew")
        self.caller_label = ttk.Label(self.marks, font="TkHeadingFont")
        self.caller_label.grid(row=0, column=0, sticky="w")
        self.vip_label = tk.Label(self.marks, foreground="#ffffff", background=VIP_COLOUR,
                                  padx=6)
        self.blacklist_label = tk.Label(self.marks, foreground="#ffffff",
                                        background=BLACKLIST_COLOUR, padx=6)
        self.marks.columnconfigure(3, weight=1)
        self.form = CustomerForm(self, ctx, on_saved=self._saved, buttons=False)
        self.form.grid(row=1, column=0, sticky="nsew")
        bar = ttk.Frame(self, padding=(8, 0, 8, 8))
        bar.grid(row=2, column=0, sticky="ew")
        bar.columnconfigure(0, weight=1)
        self.answer_button = ttk.Button(bar, command=self.on_answer)
        self.call_button = ttk.Button(bar, command=self.form.call)
        self.save_button = ttk.Button(bar, command=self.form.save)
        self.close_button = ttk.Button(bar, command=self.hide)
        for column, button in enumerate((self.answer_button, self.call_button,
                                         self.save_button, self.close_button), start=1):
            button.grid(row=0, column=column, padx=(6, 0))
        self._placed = False
        self.columnconfigure(0, weight=1)
        self.rowconfigure(1, weight=1)
        self._return_focus: tk.Misc | None = None
        self._return_job = ""
        self.bind("<FocusIn>", self._focus_in, add="+")
        self.bind("<ButtonPress>", self._stop_returning, add="+")
        self.protocol("WM_DELETE_WINDOW", self.hide)
        self.bind("<Escape>", lambda _e: self.hide())
        self._listener = self.relabel
        self.catalogue.add_listener(self._listener)
        self.relabel()

    # ------------------------------------------------------------------ showing
    def show(self, pop: Any) -> None:
        """Show the pop of a ring (``app.pop.Pop``) without taking the keyboard."""
        self.pop = pop
        self.form.load(pop.record)
        self.form.notebook.select(  # type: ignore[no-untyped-call]
            self.form.tabs["detail" if self.detail_first else "basic"])
        self._draw_marks(pop.name, pop.vip, pop.blacklist, pop.reason)
        self.title(pop_title(pop.caller, pop.name))
        self.set_ringing(True)
        try:
            had_focus = self.focus_get()
        except (KeyError, tk.TclError):  # a focus in a widget Tk no longer knows
            had_focus = None
        if had_focus is not None and not str(had_focus).startswith(str(self)):
            self._return_focus = had_focus
            if self._return_job:
                self.after_cancel(self._return_job)
            self._return_job = self.after(RETURN_FOCUS_MS, self._stop_returning)
        if self.on_top:
            self.attributes("-topmost", True)
        if not self._placed:
            self._place()
        self.deiconify()

    def _place(self) -> None:
        """The first time: at the main window's top right, over its 弹屏区."""
        self._placed = True
        self.update_idletasks()
        top = self.master.winfo_toplevel()
        x = top.winfo_rootx() + max(0, top.winfo_width() - self.winfo_reqwidth() - 12)
        y = top.winfo_rooty() + 24
        self.geometry(f"+{x}+{y}")

    def hide(self) -> None:
        """关闭: withdrawn for the next ring; a kept window is destroyed."""
        if not self.kept:
            self.withdraw()
            return
        if self.on_closed is not None:
            self.on_closed(self)
        self.catalogue.remove_listener(self._listener)
        self.destroy()

    @property
    def showing(self) -> bool:
        return bool(self.winfo_exists() and self.winfo_ismapped())

    @property
    def editing(self) -> bool:
        """Shown, and the form holds changes not saved yet."""
        return self.showing and self.pop is not None and self.form.changed

    def keep(self) -> None:
        """From now on this window belongs to its caller's unsaved edits: the next ring gets
        another window; 关闭 destroys this one."""
        self.kept = True
        self._stop_returning()
        self.set_ringing(False)

    def set_ringing(self, ringing: bool) -> None:
        """接听 only while the pop's call rings at this PC (and the user may answer)."""
        on = ringing and self.may_answer
        self.answer_button.state(["!disabled"] if on else ["disabled"])

    def shown_tab(self) -> str:
        """The form's tab in front: ``basic`` or ``detail``."""
        selected = str(self.form.notebook.select())  # type: ignore[no-untyped-call]
        return next((tab for tab, frame in self.form.tabs.items() if str(frame) == selected), "")

    def answer_enabled(self) -> bool:
        return not self.answer_button.instate(["disabled"])

    def _focus_in(self, _event: tk.Event[tk.Misc]) -> None:
        """The pop got the keyboard without the agent asking (mapped, a window manager):
        back to the widget the agent was typing in."""
        widget = self._return_focus
        if widget is None:
            return
        self._stop_returning()
        with contextlib.suppress(tk.TclError):
            if widget.winfo_exists():
                widget.focus_set()

    def _stop_returning(self, _event: object = None) -> None:
        """The agent used the pop (a click or a key) or a moment passed: it keeps the focus
        it gets from now on."""
        self._return_focus = None
        if self._return_job:
            self.after_cancel(self._return_job)
            self._return_job = ""

    def _draw_marks(self, name: str, vip: bool, blacklist: bool, reason: str) -> None:
        text = self.catalogue.text
        caller = self.pop.caller if self.pop is not None else ""
        label = text("pop.ringing", number=caller or "—",
                     name=name or text("pop.unknown"))
        self.caller_label.configure(text=label)
        if vip:
            self.vip_label.configure(text=text("pop.vip"))
            self.vip_label.grid(row=0, column=1, padx=(8, 0))
        else:
            self.vip_label.grid_remove()
        if blacklist:
            self.blacklist_label.configure(text=text("pop.blacklist", reason=reason or "—"))
            self.blacklist_label.grid(row=0, column=2, padx=(8, 0))
        else:
            self.blacklist_label.grid_remove()

    def _saved(self, customer: Any) -> None:
        """The form saved the record: the title and marks follow it."""
        if self.pop is not None:
            self.title(pop_title(self.pop.caller, customer.name))
            self._draw_marks(customer.name, customer.vip, customer.blacklist,
                             customer.blacklist_reason)
        if self.on_saved_customer is not None:
            self.on_saved_customer(customer)

    def relabel(self) -> None:
        if not self.winfo_exists():
            return
        text = self.catalogue.text
        self.answer_button.configure(text=text("pop.answer"))
        self.call_button.configure(text=text("pop.call"))
        self.save_button.configure(text=text("pop.save"))
        self.close_button.configure(text=text("pop.close"))
        if self.pop is not None:
            record = self.form.loaded
            self._draw_marks(record.name, record.vip, record.blacklist,
                             record.blacklist_reason)


class PopArea(ttk.LabelFrame):
    """弹屏区 of the main window: the last caller, the marks, 显示弹屏 and 接听."""

    def __init__(self, parent: tk.Misc, ctx: DialogContext, *,
                 on_show: Callable[[], None], on_answer: Callable[[], None]) -> None:
        super().__init__(parent, padding=(8, 4))
        self.catalogue = ctx.catalogue
        self.pop: Any = None
        self.may_answer = True  # the local user may use call control (permissions.py)
        self.caller = ttk.Label(self, font="TkHeadingFont", anchor="w")
        self.caller.grid(row=0, column=0, columnspan=3, sticky="ew")
        self.marks = ttk.Label(self, anchor="w", foreground=VIP_COLOUR)
        self.marks.grid(row=1, column=0, columnspan=3, sticky="ew")
        self.details = ttk.Label(self, anchor="nw", justify="left", wraplength=330)
        self.details.grid(row=2, column=0, columnspan=3, sticky="new", pady=(4, 4))
        self.show_button = ttk.Button(self, command=on_show)
        self.show_button.grid(row=3, column=0, sticky="w")
        self.answer_button = ttk.Button(self, command=on_answer)
        self.answer_button.grid(row=3, column=1, sticky="w", padx=(6, 0))
        self.columnconfigure(2, weight=1)
        self.rowconfigure(2, weight=1)
        self.relabel()
        self.set_ringing(False)

    def show(self, pop: Any, record: Any = None) -> None:
        """The last pop (``record``: the customer as saved since, if it was)."""
        self.pop = pop
        self._draw(record)

    def set_ringing(self, ringing: bool) -> None:
        """接听 only while the last pop's call rings at this PC (and the user may answer)."""
        on = ringing and self.may_answer
        self.answer_button.state(["!disabled"] if on else ["disabled"])

    def relabel(self) -> None:
        text = self.catalogue.text
        self.configure(text=text("pop.area"))
        self.show_button.configure(text=text("pop.show"))
        self.answer_button.configure(text=text("pop.answer"))
        self._draw()

    def _draw(self, record: Any = None) -> None:
        text = self.catalogue.text
        pop = self.pop
        if pop is None:
            self.caller.configure(text=text("pop.none"))
            self.marks.configure(text="")
            self.details.configure(text="")
            self.show_button.state(["disabled"])
            return
        customer = record or pop.customer
        name = customer.name if customer is not None else ""
        self.caller.configure(text=text("pop.ringing", number=pop.caller or "—",
                                        name=name or text("pop.unknown")))
        marks = []
        if customer is not None and customer.vip:
            marks.append(text("pop.vip"))
        if customer is not None and customer.blacklist:
            marks.append(text("pop.blacklist", reason=customer.blacklist_reason or "—"))
        self.marks.configure(text="  ".join(marks))
        lines = [f"{text('pop.time')}: "
                 f"{pop.time.astimezone().strftime('%H:%M:%S')}"] if pop.time else []
        if customer is not None:
            for key, value in (("pop.detail_company", customer.company),
                               ("pop.detail_notes", customer.notes)):
                if value:
                    lines.append(f"{text(key)}: {value}")
        self.details.configure(text="\n".join(lines))
        self.show_button.state(["!disabled"])
