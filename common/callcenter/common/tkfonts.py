"""A font that shows Chinese: the first CJK family Tk knows, else Tk's own default.

Both windows (the server console and the CRM client) use it.  It imports Tk, so although it
lives in ``callcenter.common`` it belongs to the GUI layer (tests/test_layers.py).
"""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Iterable
from typing import Final

#: In order of preference: Linux (Noto, WenQuanYi), then Windows (YaHei, SimSun).
CJK_FAMILIES: Final = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei",
                       "WenQuanYi Zen Hei", "Microsoft YaHei", "Microsoft YaHei UI", "SimSun")
NAMED_FONTS: Final = ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont",
                      "TkCaptionFont", "TkTooltipFont", "TkSmallCaptionFont", "TkIconFont",
                      "TkFixedFont")


def pick_family(available: Iterable[str]) -> str | None:
    """The preferred CJK family among ``available``, or None."""
    present = {name.lower(): name for name in available}
    for family in CJK_FAMILIES:
        if family.lower() in present:
            return present[family.lower()]
    return None


def apply_cjk_font(root: tk.Misc, size: int = 10) -> str | None:
    """Make Tk's named fonts use a CJK family (its name), or leave Tk's (None)."""
    family = pick_family(tkfont.families(root))
    if family is None:
        return None
    for name in NAMED_FONTS:
        try:
            font = tkfont.nametofont(name, root=root)
        except tk.TclError:  # a named font this Tk lacks
            continue
        font.configure(family=family, size=size)
    return family
