"""Backup, restore and file transfer through the admin API, against the real hub, service,
store and simulator: backups named B + the site's yyyymmddhhmm, a restore of each group
that puts the value back in the simulator's memory, previews, refusals that write nothing,
cancel, and byte-exact chunked transfers."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.common.agent.admin_backup import CHUNK_BYTES
from callcenter.pbxsim.app import Simulator, SimulatorConfig
from callcenter.server.pbx import backup
from callcenter.server.pbx.image import ParameterImage
from callcenter.server.pbx.service import PbxService
from callcenter.server.store.audit import entries
from callcenter.server.store.settings import get_setting
from tests.server.hub.agent_client import AgentClient
from tests.server.pbxlink_support import wait_until

#: One key of each group, its factory value and another allowed one.
GROUP_KEYS = {
    "extension": ("extension.003.day_class", "31"),
    "trunk": ("trunk.02.route", "4"),
    "switches": ("system.delayed_ring_count", "3"),
    "other": ("trunk.03.chain_number", "12345"),
}
LONG = 60.0  # seconds a long request may take at most
ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    str(ROOT / d) for d in ("common", "pbxsim", "server", "crm_client"))}


def memory(sim: Simulator) -> dict[str, str]:
    return sim.call(lambda: dict(sim.pbx.memory.image()))


def set_at_pbx(sim: Simulator, key: str, value: str) -> None:
    """Change ``key`` as from a phone at the PBX."""
    sim.call(lambda: sim.pbx.program(key, value))


def program(sim: Simulator, service: PbxService, key: str, value: str) -> None:
    """Change ``key`` at the PBX as from a phone; wait until the service knows."""
    sim.call(lambda: sim.pbx.program(key, value))
    wait_until(lambda: service.image.params.get(key) == value, what=f"{key} = {value}")


def make_backup(admin: AgentClient, data_dir: Path) -> tuple[str, Path]:
    answer = admin.request("backup_create", timeout=LONG)
    assert answer["ok"], answer
    return answer["name"], data_dir / "backups" / answer["name"]


@pytest.fixture
def saved(admin: AgentClient, data_dir: Path, sim: Simulator,
          service: PbxService) -> Iterator[tuple[str, Path]]:
    """A fresh backup; after the test the simulator holds its values again."""
    name, path = make_backup(admin, data_dir)
    yield name, path
    before = json.loads(path.read_text("utf-8"))["params"]
    for key, value in before.items():
        if memory(sim)[key] != value:
            set_at_pbx(sim, key, value)
    assert memory(sim) == before


def test_backup_is_named_by_the_site_minute_and_holds_the_pbx(
        admin: AgentClient, data_dir: Path, sim: Simulator) -> None:
    zone = ZoneInfo(str(get_setting("timezone")))
    before = datetime.now(zone).strftime("%Y%m%d%H%M")
    name, path = make_backup(admin, data_dir)
    after = datetime.now(zone).strftime("%Y%m%d%H%M")
    assert re.fullmatch(r"B[0-9]{12}(-[0-9]+)?", name)
    assert before <= name[1:13] <= after
    data = json.loads(path.read_text("utf-8"))
    assert data["params"] == memory(sim)
    assert (data["extensions"], data["trunks"]) == (24, 8)
    assert set(data) == {"model", "firmware", "extensions", "trunks", "checksums", "params"}
    listed = admin.request("backup_list")["backups"]
    assert {"name": name, "size": path.stat().st_size} in [
        {"name": b["name"], "size": b["size"]} for b in listed]


def test_two_backups_in_one_minute_get_a_suffix(tmp_path: Path) -> None:
    image = ParameterImage("GW", "1", 24, 8, {}, {"extension.001.number": "8001"})
    when = datetime(2006, 3, 29, 9, 15, 42)
    first = backup.save_backup(image, tmp_path, when)
    second = backup.save_backup(image, tmp_path, when)
    third = backup.save_backup(image, tmp_path, when)
    assert [first.name, second.name, third.name] == [
        "B200603290915", "B200603290915-2", "B200603290915-3"]
    assert backup.open_backup(second).params == image.params
    assert [b.name for b in backup.list_backups(tmp_path)] == [
        "B200603290915", "B200603290915-2", "B200603290915-3"]


def test_backups_are_the_backup_modules(operator: AgentClient) -> None:
    asks: list[tuple[str, dict[str, Any]]] = [
        ("backup_list", {}), ("backup_create", {}),
        ("file_download", {"area": "backups", "name": "B200603290915"})]
    for action, params in asks:
        answer = operator.request(action, **params)
        assert answer["error"]["code"] == "forbidden", answer


@pytest.mark.parametrize("group", list(GROUP_KEYS))
def test_restore_of_each_group_puts_the_value_back(
        group: str, admin: AgentClient, saved: tuple[str, Path], sim: Simulator,
        service: PbxService) -> None:
    name, path = saved
    key, new = GROUP_KEYS[group]
    old = memory(sim)[key]
    assert old != new
    other_group = "trunk" if group == "extension" else "extension"
    other_key, other_new = GROUP_KEYS[other_group]
    program(sim, service, key, new)
    program(sim, service, other_key, other_new)

    preview = admin.request("restore_preview", area="backups", name=name)
    assert preview["ok"], preview
    assert (preview["extensions"], preview["trunks"]) == (24, 8)
    by_group = {g["group"]: g for g in preview["groups"]}
    assert by_group[group]["differ"] == 1 and by_group[group]["missing"] == 0
    assert by_group[group]["changes"] == [{"key": key, "pbx": new, "file": old}]
    group_size = by_group[group]["differ"] + by_group[group]["same"]
    assert group_size == sum(1 for k in json.loads(path.read_text())["params"]
                             if service.schema.group_of(k) == group)

    answer = admin.request("restore_apply", area="backups", name=name, groups=[group],
                           timeout=LONG)
    assert answer["ok"], answer
    assert answer["groups"] == [{"group": group, "written": 1, "unchanged": group_size - 1,
                                 "refused": 0, "invalid": 0, "not_sent": 0,
                                 "unconfirmed": 0}]
    assert answer["refused"] == []
    assert memory(sim)[key] == old
    assert memory(sim)[other_key] == other_new  # another group: left as it is
    assert any(e["job"] for e in admin.drain_events() if e.get("event") == "progress")


def test_restore_of_all_groups(admin: AgentClient, saved: tuple[str, Path], sim: Simulator,
                               service: PbxService) -> None:
    name, path = saved
    for key, new in GROUP_KEYS.values():
        program(sim, service, key, new)
    answer = admin.request("restore_apply", area="backups", name=name, timeout=LONG)
    assert answer["ok"], answer
    assert [g["group"] for g in answer["groups"]] == list(GROUP_KEYS)
    assert all(g["written"] == 1 for g in answer["groups"])
    assert memory(sim) == json.loads(path.read_text("utf-8"))["params"]


def _upload(admin: AgentClient, name: str, data: bytes) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    chunks = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
    offset = 0
    for index, chunk in enumerate(chunks):
        answer = admin.request("file_upload", name=name, offset=offset,
                               data=base64.b64encode(chunk).decode(),
                               final=index == len(chunks) - 1)
        assert answer["ok"], answer
        offset += len(chunk)
    return answer


def _download(client: AgentClient, area: str, name: str) -> bytes:
    out = b""
    for _ in range(1000):
        answer = client.request("file_download", area=area, name=name, offset=len(out))
        assert answer["ok"], answer
        out += base64.b64decode(answer["data"])
        if answer["eof"]:
            assert answer["size"] == len(out)
            return out
    raise AssertionError("no end of file after 1000 chunks")


def _refused(admin: AgentClient, sim: Simulator, name: str, words: str) -> None:
    before = memory(sim)
    for action in ("restore_preview", "restore_apply"):
        answer = admin.request(action, area="uploads", name=name, timeout=LONG)
        assert answer["error"]["code"] == "bad_request", answer
        assert name in answer["error"]["message"] and words in answer["error"]["message"]
    assert memory(sim) == before


def test_refusals_write_nothing(admin: AgentClient, saved: tuple[str, Path],
                                sim: Simulator, service: PbxService) -> None:
    _, path = saved
    key, new = GROUP_KEYS["extension"]
    program(sim, service, key, new)  # a difference the refused files must not undo
    data = json.loads(path.read_text("utf-8"))
    bigger = {**data, "extensions": 48}
    _upload(admin, "bigger.json", json.dumps(bigger).encode())
    _refused(admin, sim, "bigger.json", "48 extensions and 8 trunks, this one has 24 and 8")
    other_model = {**data, "model": "OTHER-PBX"}
    _upload(admin, "model.json", json.dumps(other_model).encode())
    _refused(admin, sim, "model.json", "model OTHER-PBX")
    _upload(admin, "corrupt.json", path.read_bytes()[:500])
    _refused(admin, sim, "corrupt.json", "not JSON")
    _upload(admin, "binary.bin", bytes(range(256)) * 8)
    _refused(admin, sim, "binary.bin", "binary")
    _upload(admin, "foreign.json", b'{"hello": "world"}')
    _refused(admin, sim, "foreign.json", "not a parameter image")
    bad_value = {**data, "params": {**data["params"], "extension.001.day_class": "99"}}
    _upload(admin, "damaged.json", json.dumps(bad_value).encode())
    _refused(admin, sim, "damaged.json", "extension.001.day_class")
    missing = admin.request("restore_apply", area="uploads", name="no-such-file")
    assert missing["error"]["code"] == "not_found"


def test_a_backup_of_a_larger_pbx_is_refused(admin: AgentClient, sim: Simulator,
                                             tmp_path: Path) -> None:
    """A real backup of a PBX with 32 extensions and 4 trunks (made by the command on that
    PBX's own port), restored on this 24 x 8 one: refused, nothing written."""
    made = tmp_path / "B200603290915"
    with Simulator(SimulatorConfig(seed=3, extensions=32, trunks=4)) as big:
        result = subprocess.run(
            [sys.executable, "-m", "callcenter.server", "pbx", "backup", "--pbx", big.url,
             "--out", str(made), "--data", str(tmp_path / "big-data")],
            capture_output=True, text=True, env=ENV, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{made}\n"
    _upload(admin, "big-pbx", made.read_bytes())
    _refused(admin, sim, "big-pbx", "32 extensions and 4 trunks, this one has 24 and 8")


def test_upload_then_restore(admin: AgentClient, saved: tuple[str, Path], sim: Simulator,
                             service: PbxService) -> None:
    name, path = saved
    key, new = GROUP_KEYS["trunk"]
    old = memory(sim)[key]
    program(sim, service, key, new)
    downloaded = _download(admin, "backups", name)
    assert downloaded == path.read_bytes()
    _upload(admin, "from-another-pc", downloaded)
    admin.drain_events()
    answer = admin.request("restore_apply", area="uploads", name="from-another-pc",
                           groups=["trunk"], timeout=LONG)
    assert answer["ok"] and answer["groups"][0]["written"] == 1, answer
    assert memory(sim)[key] == old
    # the write is announced and audited as the session's user's
    changed = admin.wait_event("parameter_changed", key=key, new=old)
    assert (changed["old"], changed["by"]) == (new, "admin-t")
    total, latest = entries(key=key, who="admin-t", limit=1)
    assert total >= 1 and (latest[0]["old"], latest[0]["new"]) == (new, old)


def test_transfer_round_trip_is_byte_exact(admin: AgentClient, operator: AgentClient,
                                           data_dir: Path) -> None:
    payload = os.urandom(2 * CHUNK_BYTES + 1234)
    answer = _upload(admin, "big.bin", payload)
    assert answer == {**answer, "name": "big.bin", "size": len(payload)}
    assert (data_dir / "uploads" / "big.bin").read_bytes() == payload
    assert not list((data_dir / "uploads").glob(".*.part"))
    exports = data_dir / "exports"
    exports.mkdir(exist_ok=True)
    (exports / "records-big.csv").write_bytes(payload)
    # exports belong to the records module, which operators may use by default
    assert _download(operator, "exports", "records-big.csv") == payload
    assert _download(admin, "exports", "records-big.csv") == payload
    empty = exports / "empty.csv"
    empty.write_bytes(b"")
    answer = admin.request("file_download", area="exports", name="empty.csv")
    assert answer["ok"] and answer["data"] == "" and answer["eof"] and answer["size"] == 0


def test_upload_checks(admin: AgentClient, data_dir: Path) -> None:
    chunk = base64.b64encode(b"x" * 10).decode()
    late = admin.request("file_upload", name="late.json", offset=10, data=chunk)
    assert late["error"]["code"] == "bad_request" and "offset" in late["error"]["message"]
    for bad in ("../etc", "a/b", ".hidden"):
        answer = admin.request("file_upload", name=bad, offset=0, data=chunk)
        assert answer["error"]["code"] == "bad_request", answer
    answer = admin.request("file_upload", name="a..b", offset=0, data=chunk)
    assert answer["error"]["code"] == "bad_request" and "'..'" in answer["error"]["message"]
    answer = admin.request("file_upload", name="x.json", offset=0, data="not base64!")
    assert answer["error"]["code"] == "bad_request"
    assert not (data_dir / "etc").exists()
    download = admin.request("file_download", area="backups", name="..")
    assert download["error"]["code"] == "bad_request"


def test_cancel_stops_a_restore(admin: AgentClient, saved: tuple[str, Path],
                                sim: Simulator, service: PbxService) -> None:
    name, _ = saved
    keys = [f"extension.{port:03d}.{field}" for port in range(1, 25)
            for field in ("day_class", "night_class", "over_limit_class")]
    for key in keys:
        set_at_pbx(sim, key, "51")
    assert all(memory(sim)[key] == "51" for key in keys)
    wait_until(lambda: all(service.image.params.get(k) == "51" for k in keys),
               what="the service knows the changes")
    # A slow PBX: the simulator's loop is held 20 ms at a time, so that the 72 writes take
    # seconds and the cancel comes between two of them, not after the last.
    slow = threading.Event()

    def slow_pbx() -> None:
        for _ in range(3000):  # at most a minute
            if slow.wait(0.002):
                return
            sim.call(lambda: time.sleep(0.02), timeout=10)

    holder = threading.Thread(target=slow_pbx)
    holder.start()
    try:
        admin.send({"type": "request", "id": "restore-1", "action": "restore_apply",
                    "area": "backups", "name": name, "groups": ["extension"]})
        admin.wait_event("progress", timeout=LONG, job="restore-1")
        for _ in range(200):  # the first progress event may still be of the reading
            event = admin.wait_event("progress", timeout=LONG, job="restore-1")
            if event["text"].startswith("extension."):
                break
        cancel = admin.request("cancel", job="restore-1")
        assert cancel["ok"] and cancel["cancelled"] is True, cancel
        answer = admin.read_response("restore-1", timeout=LONG)
    finally:
        slow.set()
        holder.join(15)
    assert answer.get("error", {}).get("code") == "cancelled", answer
    assert "written and read back" in answer["error"]["message"]
    left = [k for k in keys if memory(sim)[k] == "51"]
    assert left, "the cancel came too late to leave anything unwritten"


def test_an_upload_past_the_limit_is_dropped(admin: AgentClient, data_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("callcenter.server.hub.admin_backup.MAX_UPLOAD_BYTES", 100)
    chunk = base64.b64encode(b"y" * 60).decode()
    assert admin.request("file_upload", name="huge.json", offset=0, data=chunk)["ok"]
    answer = admin.request("file_upload", name="huge.json", offset=60, data=chunk, final=True)
    assert answer["error"]["code"] == "bad_request" and "huge.json" in answer["error"]["message"]
    assert not (data_dir / "uploads" / "huge.json").exists()
    assert not (data_dir / "uploads" / ".huge.json.part").exists()


def test_cancel_stops_a_backup_before_it_is_saved(admin: AgentClient, data_dir: Path) -> None:
    folder = data_dir / "backups"
    before = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    admin.send({"type": "request", "id": "backup-1", "action": "backup_create"})
    admin.wait_event("progress", timeout=LONG, job="backup-1")
    cancel = admin.request("cancel", job="backup-1")
    assert cancel["cancelled"] is True, "the backup finished before the cancel came"
    answer = admin.read_response("backup-1", timeout=LONG)
    assert answer["error"] == {"code": "cancelled", "message": "cancelled: nothing saved"}
    assert sorted(p.name for p in folder.iterdir()) == before
    # the link still serves the next one
    name, path = make_backup(admin, data_dir)
    assert path.is_file() and name not in before


def test_a_restore_judges_unchanged_by_what_it_read_not_by_the_image(
        sim: Simulator, service: PbxService) -> None:
    """The service's image learns a change made at the PBX from an event that may still be on
    its way when a restore starts; the values the restore has just read count over it, so a
    key the PBX holds differently is written, not skipped as unchanged."""
    key = "extension.010.day_class"
    assert service.image.params[key] == memory(sim)[key] == "11"
    stale = service.write_parameters([(key, "11")], who="test")
    assert stale[0].status == "unchanged"  # by the image: nothing to send
    sim.call(lambda: sim.pbx.memory.write(key, "51"))  # no event: the image stays behind
    [result] = service.write_parameters([(key, "11")], who="test", read_now={key: "51"})
    assert result.status == "written", result
    assert memory(sim)[key] == "11"
