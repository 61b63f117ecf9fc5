"""资料备份: the model without Tk, then the page under Xvfb on the real embedded service and
simulator: back up, change, restore a group through the page, a foreign file refused, a
backup saved on the console's disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from callcenter.pbxsim.app import Simulator
from callcenter.server.console.backup_model import BackupModel, upload_name
from tests.server.console.console_support import PASSWORD, pump_until

if TYPE_CHECKING:
    import tkinter as tk

    from callcenter.server.console.app import ConsoleApp
    from callcenter.server.console.connection import ServiceAddress
    from callcenter.server.console.pages.backup import BackupPage
    from callcenter.server.runtime import ServerRuntime


def test_local_file_names_become_names_the_service_takes() -> None:
    assert upload_name(Path("/x/B200603290915")) == "B200603290915"
    assert upload_name(Path("/x/我的 备份.json")) == "_____.json"
    assert upload_name(Path("/x/.hidden")) == "hidden"
    assert len(upload_name(Path("/x/" + "a" * 300))) == 100


class FakeRequest:
    """A request's handle, as ``connection.Job``: its progress callback, its cancel."""

    def __init__(self, on_progress: Callable[[int, int, str], None] | None) -> None:
        self.on_progress = on_progress
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeConnection:
    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self.requests: list[FakeRequest] = []

    def request(self, action: str, on_done: Callable[[dict[str, Any]], None],
                on_error: Callable[[str, str], None], *,
                on_progress: Callable[[int, int, str], None] | None = None,
                timeout: float | None = None, **params: Any) -> FakeRequest:
        self.asked.append((action, params))
        self.requests.append(FakeRequest(on_progress))
        if action == "restore_apply":
            group = params["groups"][0]
            self.answers.append((on_done, ({"groups": [{"group": group, "written": 2}],
                                            "refused": []},)))
        elif action == "restore_preview":
            self.answers.append((on_done, ({"groups": []},)))
        return self.requests[-1]

    def answer(self) -> None:
        callback, args = self.answers.pop(0)
        callback(*args)


def test_a_restore_goes_group_by_group_and_a_cancel_stops_between_groups() -> None:
    connection = FakeConnection()
    model = BackupModel(connection)
    model.selected = ("backups", "B1")
    job = model.restore(["extension", "trunk", "other"])
    assert job is not None and [a for a, _ in connection.asked] == ["restore_apply"]
    under_way = connection.requests[-1]
    assert under_way.on_progress is not None
    under_way.on_progress(1, 3, "extension.001.day_class")  # its own progress
    assert job.text == "extension.001.day_class"
    model.cancel()
    assert under_way.cancelled  # the service is asked to stop it, through its handle
    connection.answer()  # the group under way ends; the next is not sent
    assert job.finished and model.message == "cancelled"
    assert [p["groups"] for a, p in connection.asked if a == "restore_apply"] == [
        ["extension"]]


# ---------------------------------------------------------------------- the page, Xvfb
@pytest.fixture
def app(tk_root: tk.Tk, address: ServiceAddress,
        account: Callable[..., str]) -> Iterator[ConsoleApp]:
    from callcenter.server.console.app import ConsoleApp

    tk_root.geometry("1024x720")
    console = ConsoleApp(tk_root, address, embedded=True, user=account("boss"),
                         password=PASSWORD, _utest=True)
    console.confirm = lambda title, text: True
    console.start()
    pump_until(tk_root, lambda: bool(console.window.modules), what="the main window")
    yield console
    console.close()


def memory(sim: Simulator) -> dict[str, str]:
    return sim.call(lambda: dict(sim.pbx.memory.image()))


def open_backup(app: ConsoleApp) -> BackupPage:
    from callcenter.server.console.pages.backup import BackupPage

    app.show_page("backup")
    page = app.pages["backup"]
    assert isinstance(page, BackupPage)
    return page


def test_back_up_change_and_restore_the_extension_group_through_the_page(
        app: ConsoleApp, sim: Simulator) -> None:
    page = open_backup(app)
    before = memory(sim)["extension.003.day_class"]
    page.button_create.invoke()
    pump_until(app.root, lambda: page.model.job is not None and page.model.job.finished,
               timeout=60, what="the backup made")
    assert "已备份" in page.status.cget("text"), page.status.cget("text")
    name = str(page.model.message_fields["name"])
    pump_until(app.root, lambda: page.backups.exists(name), what="the backup listed")
    # a change made after the backup (as another console would)
    changed = "31" if before != "31" else "41"
    app.connection.request("parameters_write", lambda _a: None, lambda _c, _m: None,
                           values={"extension.003.day_class": changed})
    pump_until(app.root, lambda: memory(sim)["extension.003.day_class"] == changed,
               what="the change in the PBX")
    page.backups.selection_set(name)  # as a click on the list
    pump_until(app.root, lambda: page.model.preview is not None
               and page.model.selected == ("backups", name), what="the comparison")
    pump_until(app.root, lambda: page.groups.exists("extension")
               and int(page.groups.set("extension", "differ")) >= 1, what="a difference")
    page.groups.selection_set("extension")
    app.root.update()

    def names() -> list[str]:
        return [page.changes.item(i, "text") for i in page.changes.get_children()]
    # named by the schema's labels (read once, as 参数设置 reads it), not by their keys
    pump_until(app.root, lambda: "分机003 白天服务等级" in names(), what="the setting named")
    assert not [n for n in names() if n.startswith("extension.")]
    row = page.changes.get_children()[names().index("分机003 白天服务等级")]
    assert page.changes.item(row, "values")[0] == changed
    assert page.changes.item(row, "tags") == ("extension.003.day_class",)
    app.set_language("en")
    try:
        assert page.changes.item(page.changes.get_children()[0], "text").startswith("Ext. ")
    finally:
        app.set_language("zh")
    page.button_restore_group.invoke()
    pump_until(app.root, lambda: page.model.job is not None and page.model.job.finished
               and page.model.job.action == "restore_apply", timeout=60,
               what="the restore")
    assert memory(sim)["extension.003.day_class"] == before
    assert "恢复完成" in page.status.cget("text")


def test_a_foreign_file_is_refused_clearly_and_nothing_written(
        app: ConsoleApp, sim: Simulator, tmp_path: Path) -> None:
    page = open_backup(app)
    junk = tmp_path / "not-a-backup.json"
    junk.write_text('{"hello": "world"}', encoding="utf-8")
    before = memory(sim)
    page.upload_file(junk)
    pump_until(app.root, lambda: bool(page.model.error), what="the refusal")
    text = page.status.cget("text")
    assert text.startswith("该文件不能恢复：") and "not-a-backup.json" in text
    assert "Traceback" not in text
    assert memory(sim) == before


def test_a_backup_is_saved_on_the_console_disk(
        app: ConsoleApp, runtime: ServerRuntime, tmp_path: Path) -> None:
    page = open_backup(app)
    page.create()
    pump_until(app.root, lambda: page.model.job is not None and page.model.job.finished,
               timeout=60, what="the backup made")
    name = str(page.model.message_fields["name"])
    target = tmp_path / "copy.json"
    page.download_to(name, target)
    pump_until(app.root, lambda: page.model.job is not None and page.model.job.finished
               and page.model.job.action == "file_download", what="the download")
    assert target.read_bytes() == (Path(runtime.data_dir) / "backups" / name).read_bytes()
    assert str(target) in page.status.cget("text")
