"""Printing on the console's computer: the records report (the PDF the service makes with
``records_export``, format pdf, fetched to this computer) shown as page images for a preview,
and sent to the system printer.

- Preview: Ghostscript (``gs``; ``gswin64c``/``gswin32c`` on Windows) renders each page to a
  PNG that Tk shows as it is.  Without Ghostscript the PDF opens in the system's viewer
  (``os.startfile`` on Windows, ``open`` on macOS, ``xdg-open`` elsewhere) when there is one;
  printing works either way.
- Printer: ``lp`` (CUPS), else ``lpr``, with the PDF's path; on Windows the PDF reader's
  "print" verb (``os.startfile(path, "print")``).  No command, or a command that finds no
  printer, is a ``PrintProblem`` whose ``key`` names the message (the catalogue's
  ``print.*``) and ``detail`` what the command said.

Pure (no Tk); the calls block, so the page runs them in a worker thread (``run_in_thread``).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

#: Page images of the preview: dots per inch (A4 landscape is then 700 x 495 pixels).
PREVIEW_DPI: Final = 60
COMMAND_SECONDS: Final = 120
RENDERERS: Final = ("gs", "gswin64c", "gswin32c")
#: What lp and lpr say when there is no printer to print on (CUPS, BSD lpr).
_NO_PRINTER: Final = ("no default destination", "no such file or directory",
                      "does not exist", "unknown printer", "no printers",
                      "scheduler is not running")


class PrintProblem(Exception):
    """Printing or the preview cannot be done here: ``key`` (the catalogue's ``print.*``)
    and ``detail`` (what the command said, "" when nothing)."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


def printer_command() -> list[str] | None:
    """``lp`` or ``lpr`` found on PATH (the PDF's path follows), or None."""
    for name in ("lp", "lpr"):
        found = shutil.which(name)
        if found is not None:
            return [found]
    return None


def send_to_printer(pdf: Path) -> str:
    """Print ``pdf`` on this computer's default printer; what the command said (e.g. lp's
    "request id is …").  PrintProblem when it cannot."""
    if sys.platform == "win32":  # the PDF reader prints it (no command line to ask)
        try:
            os.startfile(str(pdf), "print")  # type: ignore[attr-defined]
        except OSError as exc:
            raise PrintProblem("print.failed", str(exc)) from None
        return ""
    command = printer_command()
    if command is None:
        raise PrintProblem("print.no_command")
    try:
        result = subprocess.run([*command, str(pdf)], capture_output=True, text=True,
                                timeout=COMMAND_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrintProblem("print.failed", str(exc)) from None
    said = (result.stderr or result.stdout).strip()
    if result.returncode != 0:
        no_printer = any(text in said.lower() for text in _NO_PRINTER)
        raise PrintProblem("print.no_printer" if no_printer else "print.failed",
                           said or f"{Path(command[0]).name} exit {result.returncode}")
    return result.stdout.strip()


def open_in_viewer(pdf: Path) -> None:
    """Show ``pdf`` in the system's PDF viewer; PrintProblem("print.no_renderer") when this
    computer has no way to."""
    if sys.platform == "win32":
        try:
            os.startfile(str(pdf))  # type: ignore[attr-defined]
        except OSError as exc:
            raise PrintProblem("print.no_renderer", str(exc)) from None
        return
    opener = shutil.which("open" if sys.platform == "darwin" else "xdg-open")
    if opener is None:
        raise PrintProblem("print.no_renderer")
    try:  # the viewer stays open: not waited for
        subprocess.Popen([opener, str(pdf)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise PrintProblem("print.no_renderer", str(exc)) from None


def renderer() -> str | None:
    """Ghostscript's program on PATH, or None."""
    for name in RENDERERS:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def render_pages(pdf: Path, folder: Path, dpi: int = PREVIEW_DPI) -> list[Path]:
    """Each page of ``pdf`` as a PNG in ``folder`` (emptied of earlier pages first), in
    order.  PrintProblem when no renderer is installed or it fails."""
    program = renderer()
    if program is None:
        raise PrintProblem("print.no_renderer")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    try:
        result = subprocess.run(
            [program, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m",
             f"-r{dpi}", "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4",
             f"-sOutputFile={folder / 'page-%03d.png'}", str(pdf)],
            capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrintProblem("print.render_failed", str(exc)) from None
    pages = sorted(folder.glob("page-*.png"))
    if result.returncode != 0 or not pages:
        raise PrintProblem("print.render_failed",
                           (result.stderr or result.stdout).strip()[:300])
    return pages


def run_in_thread(after: Callable[[int, Callable[[], None]], Any], work: Callable[[], Any],
                  done: Callable[[Any], None], failed: Callable[[PrintProblem], None],
                  *, poll_ms: int = 50, limit_s: float = COMMAND_SECONDS + 30) -> None:
    """``work()`` in a worker thread; ``done(result)`` or ``failed(problem)`` later in the
    thread of ``after`` (Tk's ``widget.after``), which polls for the answer (bounded)."""
    answers: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def worker() -> None:
        try:
            answers.put((True, work()))
        except PrintProblem as problem:
            answers.put((False, problem))
        except Exception as exc:  # a bug: said, not raised in a thread nobody watches
            answers.put((False, PrintProblem("print.failed", f"{type(exc).__name__}: {exc}")))

    polls = max(1, int(limit_s * 1000 / poll_ms))

    def poll(left: int) -> None:
        try:
            ok, value = answers.get_nowait()
        except queue.Empty:
            if left > 0:
                after(poll_ms, lambda: poll(left - 1))
            else:
                failed(PrintProblem("print.failed", "no answer"))
            return
        if ok:
            done(value)
        else:
            failed(value)
    threading.Thread(target=worker, name="console-print", daemon=True).start()
    after(poll_ms, lambda: poll(polls))
