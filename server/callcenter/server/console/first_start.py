"""The first start (S-2, manual 1-3-01): data verification offered, the link failure asked
about, and the serial-port form (串口设置) that the 系统设置 page reuses.

``maybe_offer(context, unattended=...)`` is called once the session is ready.  With
``--user`` (unattended) it does nothing: no dialog may cover the main window.  Otherwise
it asks the service for ``link_state`` (a 系统设置 action: an operator without that module
is asked nothing) and

- when the link is down asks 与交换机通讯失败是否继续？ -- yes continues with the last known
  image (the service answers from its saved image); no opens the serial-port dialog;
- when the PBX's data verification never ran (or failed) and the session is an admin,
  offers 数据校验: a dialog with a progress bar fed by the request's progress and a
  cancel button (the request's ``Job``).

Every request goes through ``ServiceConnection.request``; nothing here blocks the Tk loop.
"""

from __future__ import annotations

import tkinter as tk
import weakref
from collections.abc import Callable
from tkinter import ttk
from typing import TYPE_CHECKING, Any, Final

from callcenter.server.console import strings
from callcenter.server.console.dialogs import grab_when_shown
from callcenter.server.console.system_model import (
    BAUDS,
    BYTESIZES,
    PARITIES,
    STOPBITS,
    link_params,
)

if TYPE_CHECKING:
    from callcenter.server.console.connection import ServiceConnection
    from callcenter.server.console.pages import PageContext
    from callcenter.server.console.strings import Catalogue

strings.add_texts({
    "first.link_failed_title": ("串口设置", "Serial port"),
    "first.link_failed": ("与交换机通讯失败是否继续？\n\n"
                          "选择“是”以最后已知的交换机数据继续（离线）；"
                          "选择“否”打开串口设置。\n\n原因：{reason}",
                          "Communication with the PBX failed. Continue?\n\nYes: go on with "
                          "the last known PBX data (offline). No: open the serial port "
                          "settings.\n\nReason: {reason}"),
    "first.verify_title": ("数据校验", "Data verification"),
    "first.verify_question": ("第一次运行必须与交换机进行数据校验。现在校验吗？",
                              "The PBX's data has not been verified yet. Verify it now?"),
    "first.verify_running": ("正在与交换机进行数据校验…", "Verifying the PBX's data…"),
    "first.verify_progress": ("已读 {done}/{total} 行（{group}）",
                              "{done}/{total} rows read ({group})"),
    "first.verify_done": ("数据校验完成：读取 {rows} 行", "Verification done: {rows} rows read"),
    "first.verify_cancelled": ("数据校验已取消", "Verification cancelled"),
    "first.cancel": ("取消", "Cancel"),
    "first.close": ("关闭", "Close"),
    "link.title": ("串口设置", "Serial port"),
    "link.port": ("串口 / 地址", "Port / URL"),
    "link.port_hint": ("如 COM3、/dev/ttyUSB0、socket://主机:端口、rfc2217://主机:端口",
                       "e.g. COM3, /dev/ttyUSB0, socket://HOST:PORT, rfc2217://HOST:PORT"),
    "link.baud": ("波特率", "Baud"),
    "link.bytesize": ("数据位", "Data bits"),
    "link.parity": ("校验", "Parity"),
    "link.stopbits": ("停止位", "Stop bits"),
    "link.ports": ("刷新串口列表", "List the ports"),
    "link.test": ("保存并测试", "Save and test"),
    "link.state_up": ("交换机已连接：{url}（{model} {firmware}，{extensions} 分机，{trunks} 外线）",
                      "PBX connected: {url} ({model} {firmware}, {extensions} extensions, "
                      "{trunks} trunks)"),
    "link.state_down": ("交换机未连接：{url} {error}", "PBX not connected: {url} {error}"),
    "link.testing": ("已保存，正在连接 {url}…", "Saved; connecting to {url}…"),
    "link.test_failed": ("{url} 在 {seconds} 秒内未连接：{error}",
                         "{url} did not come up within {seconds} s: {error}"),
    "link.need_port": ("请输入串口或地址", "Enter a port or URL"),
    "link.bad_url": ("不是串口或 pyserial 地址（COM3、/dev/ttyUSB0、socket://主机:端口 …）",
                     "Not a serial port or pyserial URL (COM3, /dev/ttyUSB0, "
                     "socket://HOST:PORT …)"),
    "link.bad_line": ("波特率、数据位、校验或停止位不正确", "Bad baud, data bits, parity or "
                      "stop bits"),
})

#: How long "save and test" watches for the link to come up, and how often it asks.
TEST_SECONDS: Final = 15
TEST_POLL_MS: Final = 300

_offered: weakref.WeakSet[ServiceConnection] = weakref.WeakSet()


class SerialPortForm(ttk.Frame):
    """Port list + URL entry, baud, data bits, parity, stop bits and "save and test"
    (``link_configure``, then ``link_state`` until the PBX answers)."""

    def __init__(self, parent: tk.Misc, connection: ServiceConnection,
                 catalogue: Catalogue) -> None:
        super().__init__(parent, padding=8)
        self.connection = connection
        self.catalogue = catalogue
        self.labels: dict[str, ttk.Label] = {}
        self.port = ttk.Combobox(self, width=36)
        self.baud = ttk.Combobox(self, width=10, state="readonly",
                                 values=[str(b) for b in BAUDS])
        self.bytesize = ttk.Combobox(self, width=10, state="readonly",
                                     values=[str(b) for b in BYTESIZES])
        self.parity = ttk.Combobox(self, width=10, state="readonly", values=PARITIES)
        self.stopbits = ttk.Combobox(self, width=10, state="readonly",
                                     values=[str(s) for s in STOPBITS])
        for row, (name, widget) in enumerate((("port", self.port), ("baud", self.baud),
                                              ("bytesize", self.bytesize),
                                              ("parity", self.parity),
                                              ("stopbits", self.stopbits))):
            label = ttk.Label(self)
            label.grid(row=row, column=0, sticky="w", pady=3)
            self.labels[name] = label
            widget.grid(row=row, column=1, sticky="w", padx=(10, 0), pady=3)
        self.hint = ttk.Label(self, foreground="#555555")
        self.hint.grid(row=0, column=2, sticky="w", padx=(10, 0))
        buttons = ttk.Frame(self)
        buttons.grid(row=5, column=0, columnspan=3, sticky="w", pady=(10, 0))
        self.button_ports = ttk.Button(buttons, command=self.list_ports)
        self.button_ports.grid(row=0, column=0, padx=(0, 6))
        self.button_test = ttk.Button(buttons, command=self.test)
        self.button_test.grid(row=0, column=1)
        self.state_label = ttk.Label(self, wraplength=640, justify="left")
        self.state_label.grid(row=6, column=0, columnspan=3, sticky="w", pady=(10, 0))
        self._deadline = 0
        self._testing_url = ""
        self._poll_job = ""
        self.relabel()
        self.load()

    def relabel(self) -> None:
        for name, label in self.labels.items():
            label.configure(text=self.catalogue.text(f"link.{name}"))
        self.hint.configure(text=self.catalogue.text("link.port_hint"))
        self.button_ports.configure(text=self.catalogue.text("link.ports"))
        self.button_test.configure(text=self.catalogue.text("link.test"))

    def load(self) -> None:
        """Fill the form from ``link_state`` and the port list from ``serial_ports``."""
        self.connection.request("link_state", self._state, self._failed)
        self.list_ports()

    def list_ports(self) -> None:
        def done(answer: dict[str, Any]) -> None:
            if self.winfo_exists():
                self.port.configure(values=[str(p.get("device", ""))
                                            for p in answer.get("ports") or ()])
        self.connection.request("serial_ports", done, self._failed)

    def _state(self, answer: dict[str, Any], *, fill: bool = True) -> None:
        if not self.winfo_exists():
            return
        if fill:
            self.port.set(str(answer.get("url", "")))
            self.baud.set(str(answer.get("baud", 9600)))
            self.bytesize.set(str(answer.get("bytesize", 8)))
            self.parity.set(str(answer.get("parity", "N")))
            self.stopbits.set(str(answer.get("stopbits", 1)))
        self.show_state(answer)

    def show_state(self, answer: dict[str, Any]) -> None:
        if answer.get("up"):
            text = self.catalogue.text("link.state_up", url=answer.get("url", ""),
                                       model=answer.get("model", ""),
                                       firmware=answer.get("firmware", ""),
                                       extensions=answer.get("extensions", 0),
                                       trunks=answer.get("trunks", 0))
            self.state_label.configure(text=text, foreground="#1b5e20")
        else:
            self.state_label.configure(
                text=self.catalogue.text("link.state_down", url=answer.get("url", ""),
                                         error=answer.get("last_error", "")),
                foreground="#c62828")

    def test(self) -> None:
        """Save the settings (the service reconnects at once), then watch the link."""
        params = link_params(self.port.get(), self.baud.get(), self.bytesize.get(),
                             self.parity.get(), self.stopbits.get())
        if isinstance(params, str):
            self.state_label.configure(text=self.catalogue.text(params), foreground="#c62828")
            return
        self.button_test.state(["disabled"])

        def done(answer: dict[str, Any]) -> None:
            if not self.winfo_exists():
                return
            self._testing_url = str(answer.get("url", ""))
            self.state_label.configure(text=self.catalogue.text(
                "link.testing", url=self._testing_url), foreground="#555555")
            self._deadline = TEST_SECONDS * 1000 // TEST_POLL_MS
            self._poll_job = self.after(TEST_POLL_MS, self._poll)

        def failed(code: str, message: str) -> None:
            self._failed(code, message)
            if self.winfo_exists():
                self.button_test.state(["!disabled"])
        self.connection.request("link_configure", done, failed, **params)

    def _poll(self) -> None:
        self._poll_job = ""

        def done(answer: dict[str, Any]) -> None:
            if not self.winfo_exists():
                return
            if answer.get("up") and answer.get("url") == self._testing_url:
                self.button_test.state(["!disabled"])
                self.show_state(answer)
                return
            self._deadline -= 1
            if self._deadline <= 0:
                self.button_test.state(["!disabled"])
                self.state_label.configure(text=self.catalogue.text(
                    "link.test_failed", url=self._testing_url, seconds=TEST_SECONDS,
                    error=answer.get("last_error", "")), foreground="#c62828")
                return
            self._poll_job = self.after(TEST_POLL_MS, self._poll)
        self.connection.request("link_state", done, self._failed)

    def _failed(self, code: str, message: str) -> None:
        if self.winfo_exists():
            self.state_label.configure(text=self.catalogue.error(code, message),
                                       foreground="#c62828")

    def destroy(self) -> None:
        if self._poll_job:
            self.after_cancel(self._poll_job)
            self._poll_job = ""
        super().destroy()


class SerialPortDialog(tk.Toplevel):
    """The serial-port form in its own window (the first start's 串口设置)."""

    def __init__(self, parent: tk.Misc, connection: ServiceConnection,
                 catalogue: Catalogue, *, _utest: bool = False) -> None:
        super().__init__(parent)
        self.title(catalogue.text("link.title"))
        self.transient(parent.winfo_toplevel())
        # a border of its own: the dialog stays distinct where no window manager draws one
        border = ttk.Frame(self, relief="ridge", borderwidth=2)
        border.grid(sticky="nsew")
        self.form = SerialPortForm(border, connection, catalogue)
        self.form.grid(row=0, column=0, sticky="nsew", padx=8, pady=8)
        self.button_close = ttk.Button(border, text=catalogue.text("first.close"),
                                       command=self.destroy)
        self.button_close.grid(row=1, column=0, sticky="e", padx=12, pady=(0, 12))
        self.bind("<Escape>", lambda _e: self.destroy())
        if not _utest:
            grab_when_shown(self)


class VerifyDialog(tk.Toplevel):
    """数据校验 with a progress bar and a cancel button, on the ``verify`` request's own
    progress and its ``Job`` (``cancel()`` works before the first progress too)."""

    def __init__(self, parent: tk.Misc, connection: ServiceConnection,
                 catalogue: Catalogue, *, force: bool = False,
                 on_finished: Callable[[str], None] = lambda outcome: None,
                 _utest: bool = False) -> None:
        super().__init__(parent)
        self.connection = connection
        self.catalogue = catalogue
        self.on_finished = on_finished
        self.outcome = ""  # "done", "cancelled" or "failed" once the answer came
        self.title(catalogue.text("first.verify_title"))
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        frame = ttk.Frame(self, padding=16, relief="ridge", borderwidth=2)
        frame.grid(sticky="nsew")
        self.text = ttk.Label(frame, text=catalogue.text("first.verify_running"),
                              width=48, wraplength=380)
        self.text.grid(row=0, column=0, sticky="w")
        self.bar = ttk.Progressbar(frame, length=380, mode="determinate", maximum=1)
        self.bar.grid(row=1, column=0, pady=10)
        self.button = ttk.Button(frame, text=catalogue.text("first.cancel"),
                                 command=self.cancel)
        self.button.grid(row=2, column=0, sticky="e")
        self.protocol("WM_DELETE_WINDOW", self.cancel)
        self.request = connection.request("verify", self._done, self._failed,
                                          on_progress=self.show_progress, timeout=600.0,
                                          force=force)
        if not _utest:
            grab_when_shown(self)

    def show_progress(self, done: int, total: int, group: str) -> None:
        if self.outcome or not self.winfo_exists():
            return
        self.bar.configure(maximum=max(total, 1), value=done)
        self.text.configure(text=self.catalogue.text("first.verify_progress", done=done,
                                                     total=total, group=group))

    def cancel(self) -> None:
        """Stop the verification (or close the dialog when it has ended)."""
        if self.outcome:
            self.destroy()
            return
        self.button.state(["disabled"])
        self.request.cancel()

    def _finish(self, outcome: str, text: str) -> None:
        self.outcome = outcome
        if not self.winfo_exists():
            return
        self.text.configure(text=text)
        self.button.configure(text=self.catalogue.text("first.close"))
        self.button.state(["!disabled"])
        self.on_finished(outcome)

    def _done(self, answer: dict[str, Any]) -> None:
        if self.winfo_exists():
            self.bar.configure(value=float(self.bar.cget("maximum")))
        self._finish("done", self.catalogue.text("first.verify_done",
                                                 rows=answer.get("rows_read", 0)))

    def _failed(self, code: str, message: str) -> None:
        if self.outcome:
            return
        if code == "cancelled":
            self._finish("cancelled", self.catalogue.text("first.verify_cancelled"))
        else:
            self._finish("failed", self.catalogue.error(code, message))


class FirstStart:
    """What ``maybe_offer`` started: the dialogs it opened, for callers and tests."""

    def __init__(self, context: PageContext, *, _utest: bool = False) -> None:
        self.context = context
        self._utest = _utest
        self.link_state: dict[str, Any] = {}
        self.verify_dialog: VerifyDialog | None = None
        self.port_dialog: SerialPortDialog | None = None
        self.role = ""
        self.asked: list[str] = []  # the questions asked, in order
        self.finished = False  # link_state answered and every question asked

    def start(self) -> None:
        self.role = str(self.context.whoami.get("role", ""))
        if self.role:
            self._ask_link()
            return

        def known(answer: dict[str, Any]) -> None:
            self.role = str(answer.get("role", ""))
            self._ask_link()
        # called at the session's start, maybe before the app's own whoami came back
        self.context.connection.request("whoami", known, self._no_state)

    def _ask_link(self) -> None:
        self.context.connection.request("link_state", self._link_state, self._no_state)

    def _no_state(self, code: str, message: str) -> None:
        # forbidden: an operator without 系统设置 is asked nothing; others: say nothing
        # more than the status bar does.
        self.finished = True

    def _link_state(self, answer: dict[str, Any]) -> None:
        self.link_state = answer
        text = self.context.catalogue.text
        if not answer.get("up"):
            question = text("first.link_failed",
                            reason=answer.get("last_error") or answer.get("url") or "—")
            self.asked.append("link")
            if not self.context.confirm(text("first.link_failed_title"), question) \
                    and not self.context.connection.closed:  # (not a box closed by a stop)
                self.open_port_dialog()
            self.finished = True
            return
        state = (answer.get("verification") or {}).get("state", "")
        if state in ("never", "failed") and self.role == "admin":
            self.asked.append("verify")
            if self.context.confirm(text("first.verify_title"), text("first.verify_question")) \
                    and not self.context.connection.closed:
                self.verify_dialog = VerifyDialog(self.context.root, self.context.connection,
                                                  self.context.catalogue, _utest=self._utest)
        self.finished = True

    def open_port_dialog(self) -> SerialPortDialog:
        self.port_dialog = SerialPortDialog(self.context.root, self.context.connection,
                                            self.context.catalogue, _utest=self._utest)
        return self.port_dialog


def maybe_offer(context: PageContext, *, unattended: bool,
                _utest: bool = False) -> FirstStart | None:
    """At a session's start: offer 数据校验 / ask about a failed link (see the module
    docstring).  Nothing when ``unattended`` (``--user``), and only once per connection
    (a reconnection asks nothing again).  The started ``FirstStart``, or None."""
    if unattended or context.connection in _offered:
        return None
    _offered.add(context.connection)
    first = FirstStart(context, _utest=_utest)
    first.start()
    return first
