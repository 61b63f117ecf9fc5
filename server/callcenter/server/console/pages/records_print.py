"""话单查询's print preview and printing (S-38): the window that shows the report's pages.

The page (``pages.records``) fetches the report the service makes (``records_export``,
format pdf, the same filters as the list) into a temporary folder of this computer, then
either renders it (``printing.render_pages``, in a worker thread) and opens
``PrintPreview`` -- the pages one under the other, scrolled, with 打印 and 关闭 -- (without
Ghostscript: opens it in the system's PDF viewer, ``printing.open_in_viewer``) or sends it to
the system printer (``printing.send_to_printer``).  The texts of both are here.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

from callcenter.server.console.strings import Catalogue, add_texts

add_texts({
    "records.preview": ("打印预览…", "Print preview…"),
    "records.print": ("打印", "Print"),
    "print.title": ("打印预览（{pages} 页）", "Print preview ({pages} pages)"),
    "print.pages": ("共 {pages} 页，A4 横向", "{pages} pages, A4 landscape"),
    "print.print": ("打印", "Print"),
    "print.close": ("关闭", "Close"),
    "print.rendering": ("正在生成预览…", "Drawing the preview…"),
    "print.sending": ("正在发送到打印机…", "Sending to the printer…"),
    "print.sent": ("已发送到打印机 {detail}", "Sent to the printer {detail}"),
    "print.previewed": ("预览：{pages} 页", "Preview: {pages} pages"),
    "print.no_command": ("没有可用的打印机：本机没有打印命令（lp 或 lpr，即 CUPS 打印系统）。"
                         "可导出 PDF 后在有打印机的电脑上打印。",
                         "No printer available: this computer has no print command (lp or "
                         "lpr, the CUPS printing system). Export a PDF and print it on a "
                         "computer with a printer."),
    "print.no_printer": ("没有可用的打印机（请在系统中添加并设为默认打印机）：{detail}",
                         "No printer available (add one and make it the default in the "
                         "system): {detail}"),
    "print.failed": ("打印失败：{detail}", "Printing failed: {detail}"),
    "print.no_renderer": ("预览需要 Ghostscript（gs）或系统的 PDF 阅读器，本机都没有；"
                          "仍可直接打印，或导出 PDF 查看。",
                          "The preview needs Ghostscript (gs) or the system's PDF viewer, "
                          "neither is here; printing and the PDF export still work."),
    "print.opened": ("没有 Ghostscript：已用系统的 PDF 阅读器打开 {path}",
                     "No Ghostscript: {path} opened in the system's PDF viewer"),
    "print.render_failed": ("预览失败：{detail}", "The preview failed: {detail}"),
})

#: Space between two pages of the preview, in pixels.
PAGE_GAP = 14


class PrintPreview(tk.Toplevel):
    """The report's pages (PNG files) one under the other, with 打印 and 关闭."""

    def __init__(self, parent: tk.Misc, catalogue: Catalogue, pages: list[Path],
                 on_print: Callable[[], None]) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.on_print = on_print
        self.pages = pages
        self.images = [tk.PhotoImage(master=self, file=str(page)) for page in pages]
        width = max((image.width() for image in self.images), default=600)
        bar = ttk.Frame(self, padding=(8, 6))
        bar.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.count = ttk.Label(bar)
        self.count.grid(row=0, column=0, sticky="w")
        self.button_print = ttk.Button(bar, command=self.on_print)
        self.button_print.grid(row=0, column=1, padx=(12, 4))
        self.button_close = ttk.Button(bar, command=self.destroy)
        self.button_close.grid(row=0, column=2)
        bar.columnconfigure(0, weight=1)
        self.canvas = tk.Canvas(self, width=width + 2 * PAGE_GAP, height=560,
                                background="#808080", highlightthickness=0)
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=scroll.set)
        self.canvas.grid(row=1, column=0, sticky="nsew")
        scroll.grid(row=1, column=1, sticky="ns")
        y = PAGE_GAP
        for image in self.images:
            self.canvas.create_image(PAGE_GAP, y, image=image, anchor="nw", tags=("page",))
            y += image.height() + PAGE_GAP
        self.canvas.configure(scrollregion=(0, 0, width + 2 * PAGE_GAP, y))
        self.canvas.bind("<MouseWheel>", self._wheel)
        self.canvas.bind("<Button-4>", lambda _e: self.canvas.yview_scroll(-3, "units"))
        self.canvas.bind("<Button-5>", lambda _e: self.canvas.yview_scroll(3, "units"))
        self.bind("<Escape>", lambda _e: self.destroy())
        self.rowconfigure(1, weight=1)
        self.columnconfigure(0, weight=1)
        self.transient(parent.winfo_toplevel())
        self.relabel()

    def _wheel(self, event: tk.Event[tk.Misc]) -> None:
        self.canvas.yview_scroll(-1 if event.delta > 0 else 1, "units")

    def relabel(self) -> None:
        text = self.catalogue.text
        self.title(text("print.title", pages=len(self.pages)))
        self.count.configure(text=text("print.pages", pages=len(self.pages)))
        self.button_print.configure(text=text("print.print"))
        self.button_close.configure(text=text("print.close"))
