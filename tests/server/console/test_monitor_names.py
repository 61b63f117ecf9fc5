"""实时监控 shows the name an admin gave an extension port (protocol 1.2) under its number:
the model from the snapshot, and the icons drawn under Xvfb."""

from __future__ import annotations

import tkinter as tk

from callcenter.server.console.monitor_model import ALL, MonitorModel
from callcenter.server.console.monitor_view import MonitorView
from callcenter.server.console.strings import Catalogue
from tests.server.console.console_support import pump_until
from tests.server.console.test_models import snapshot


def named(names: dict[str, str]) -> dict[str, object]:
    event = snapshot(3, 1)
    for ext in event["extensions"]:
        ext["name"] = names.get(ext["port"], "")
    return event


def test_the_model_keeps_the_names_of_each_snapshot() -> None:
    model = MonitorModel()
    assert model.apply(named({"001": "前台"})) == {ALL}
    assert (model.name_line("ext:001"), model.name_line("ext:002")) == ("前台", "")
    assert model.lines("ext:001") == ("001 8001", "")  # the number line is as before
    assert model.name_line("trunk:01") == model.name_line("park:1") == ""
    model.apply(named({"002": "销售一"}))  # a name change comes as a new snapshot
    assert (model.name_line("ext:001"), model.name_line("ext:002")) == ("", "销售一")


def test_the_icon_shows_the_name_under_the_number(tk_root: tk.Tk) -> None:
    model = MonitorModel()
    view = MonitorView(tk_root, model, Catalogue())
    view.pack(fill="both", expand=True)
    tk_root.geometry("800x600")
    view.refresh(model.apply(named({"001": "前台"})))
    pump_until(tk_root, lambda: view.icon_name("ext:001") == "前台", what="the name drawn")
    assert view.icon_text("ext:001") == ("001 8001", "")
    assert view.icon_name("ext:002") == ""
    view.refresh(model.apply(named({"002": "销售一"})))
    pump_until(tk_root, lambda: view.icon_name("ext:002") == "销售一",
               what="the new name drawn")
    assert view.icon_name("ext:001") == ""
    view.destroy()
