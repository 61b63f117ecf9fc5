"""The simulated PBX memory: parameters, persistence, the call-record buffer (B-7)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from callcenter.common.schema import Group, ParameterError, build_schema
from callcenter.pbxsim import memory as memory_module
from callcenter.pbxsim.engine import PendingRecord
from callcenter.pbxsim.memory import MAX_SEQUENCE, BufferFull, ParameterMemory

TZ = timezone(timedelta(hours=8))
START = datetime(2024, 5, 6, 10, 0, 0, tzinfo=TZ)


def pending(number: str = "02088886666", duration: int = 60) -> PendingRecord:
    return PendingRecord(START, duration, "001", "8001", "01", number, "OUT", "8001")


@pytest.fixture
def schema():
    return build_schema(24, 8)


def test_factory_defaults_and_get(schema):
    memory = ParameterMemory(schema)
    assert memory["extension.001.number"] == "8001"
    assert memory["extension.002.day_class"] == "11"
    assert memory.get("extension.001.no_such_setting", "x") == "x"
    assert memory.image() == schema.defaults()
    with pytest.raises(KeyError):
        memory["system.no_such_setting"]


def test_write_returns_canonical_value(schema):
    memory = ParameterMemory(schema)
    assert memory.write("extension.001.day_trunk_access", " 3,1 ") == "01,03"
    assert memory["extension.001.day_trunk_access"] == "01,03"


def test_bad_value_raises_and_changes_nothing(schema, tmp_path):
    state = tmp_path / "pbx.json"
    memory = ParameterMemory(schema, state)
    memory.write("extension.001.day_class", "41")
    before_file = state.read_bytes()
    before = memory.image()
    with pytest.raises(ParameterError) as info:
        memory.write("extension.001.day_class", "71")
    assert info.value.key == "extension.001.day_class"
    assert "allowed" in str(info.value)
    with pytest.raises(ParameterError):
        memory.write("extension.001.no_such_setting", "1")
    assert memory.image() == before
    assert state.read_bytes() == before_file


def test_inconsistent_write_is_refused(schema):
    memory = ParameterMemory(schema)
    memory.write("system.multiple_routes", "on")
    with pytest.raises(ParameterError, match="smart routing"):
        memory.write("system.smart_routing", "on")
    assert memory["system.smart_routing"] == "off"
    with pytest.raises(ParameterError, match="clash"):
        memory.write("extension.002.number", "8001")
    assert memory["extension.002.number"] == "8002"


def test_persistence_across_reopen(schema, tmp_path):
    state = tmp_path / "sub" / "pbx.json"
    memory = ParameterMemory(schema, state)
    memory.write("extension.003.number", "3003")
    first = memory.add_record(pending("111"))
    memory.add_record(pending("222"))
    memory.add_record(pending("333"))
    assert memory.acknowledge(first.sequence, first.sequence) == 1

    again = ParameterMemory(schema, state)
    assert again["extension.003.number"] == "3003"
    assert again.next_sequence == 4
    assert [r.number for r in again.unacked_records()] == ["222", "333"]
    assert again.records_issued == 3
    assert again.records_acked == 1
    assert again.unacked_records() == memory.unacked_records()
    assert again.add_record(pending()).sequence == 4


def test_missing_state_file_means_factory_defaults(schema, tmp_path):
    memory = ParameterMemory(schema, tmp_path / "new.json")
    assert memory.image() == schema.defaults()
    assert memory.next_sequence == 1
    assert not (tmp_path / "new.json").exists()


def test_write_is_atomic(schema, tmp_path, monkeypatch):
    state = tmp_path / "pbx.json"
    memory = ParameterMemory(schema, state)
    memory.write("extension.001.number", "601")
    good = state.read_text(encoding="utf-8")
    assert json.loads(good)["params"]["extension.001.number"] == "601"

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("callcenter.pbxsim.memory.json.dump", crash)
    with pytest.raises(OSError):
        memory.write("extension.001.number", "602")
    assert state.read_text(encoding="utf-8") == good  # the old file is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pbx.json"]  # no temp file left


def test_record_fields_and_sequence(schema):
    memory = ParameterMemory(schema)
    record = memory.add_record(PendingRecord(START, 61, "002", "8002", "03", "13800138000",
                                             "IN", "13800138000", "05", 7))
    assert record.sequence == 1
    assert record.start == "20240506100000"
    assert record.utc_offset_minutes == 480
    assert (record.duration, record.port, record.extension, record.trunk) == (61, "002",
                                                                            "8002", "03")
    assert (record.number, record.call_type, record.caller, record.account,
            record.ring_seconds) == ("13800138000", "IN", "13800138000", "05", 7)
    assert memory.add_record(pending()).sequence == 2
    assert memory.next_sequence == 3


def test_sequence_wraps_to_one(schema, tmp_path):
    state = tmp_path / "pbx.json"
    memory = ParameterMemory(schema, state)
    memory.next_sequence = MAX_SEQUENCE
    assert memory.add_record(pending()).sequence == MAX_SEQUENCE
    assert memory.next_sequence == 1
    assert ParameterMemory(schema, state).next_sequence == 1


def test_buffer_full_raises(schema):
    memory = ParameterMemory(schema, buffer_capacity=2)
    memory.add_record(pending())
    assert not memory.buffer_full()
    memory.add_record(pending())
    assert memory.buffer_full()
    with pytest.raises(BufferFull):
        memory.add_record(pending())
    assert memory.records_issued == 2
    assert memory.next_sequence == 3
    memory.acknowledge(1, 1)
    assert not memory.buffer_full()
    assert memory.add_record(pending()).sequence == 3


def test_acknowledge_ranges_and_repeats(schema):
    memory = ParameterMemory(schema)
    for _ in range(6):
        memory.add_record(pending())
    assert memory.acknowledge(2, 4) == 3
    assert [r.sequence for r in memory.unacked_records()] == [1, 5, 6]
    assert memory.acknowledge(2, 4) == 0  # a repeat counts nothing
    assert memory.acknowledge(3, 5) == 1  # only 5 was still waiting
    assert memory.acknowledge(100, 200) == 0  # never issued
    assert memory.records_acked == 4
    assert [r.sequence for r in memory.unacked_records()] == [1, 6]


def test_group_checksum_changes_only_for_its_group(schema):
    memory = ParameterMemory(schema)
    before = {g: memory.group_checksum(g) for g in Group}
    assert all(len(c) == 8 and c == c.upper() for c in before.values())
    memory.write("extension.005.day_class", "21")
    after = {g: memory.group_checksum(g) for g in Group}
    assert after[Group.EXTENSION] != before[Group.EXTENSION]
    assert all(after[g] == before[g] for g in Group if g != Group.EXTENSION)
    memory.write("restriction_code.06.code", "17951")
    assert memory.group_checksum("other") != before[Group.OTHER]
    memory.write("restriction_code.06.code", "")
    memory.write("extension.005.day_class", "11")
    assert {g: memory.group_checksum(g) for g in Group} == before


def test_row_values_in_wire_order(schema):
    memory = ParameterMemory(schema)
    row = schema.group_rows(Group.EXTENSION)[0]
    memory.write(row.keys[0], "555")
    values = memory.row_values(row)
    assert values == tuple(memory[k] for k in row.keys)
    assert values[0] == "555"


def test_factory_reset_keeps_records_and_sequence(schema, tmp_path):
    state = tmp_path / "pbx.json"
    memory = ParameterMemory(schema, state)
    memory.write("extension.001.number", "601")
    memory.add_record(pending())
    memory.factory_reset()
    assert memory.image() == schema.defaults()
    assert len(memory.unacked_records()) == 1
    assert memory.next_sequence == 2
    again = ParameterMemory(schema, state)
    assert again["extension.001.number"] == "8001"
    assert again.next_sequence == 2


def test_state_file_values_the_schema_refuses_keep_defaults(schema, tmp_path):
    state = tmp_path / "pbx.json"
    ParameterMemory(schema, state).write("extension.001.day_class", "21")
    data = json.loads(state.read_text(encoding="utf-8"))
    data["params"]["extension.001.night_class"] = "99"
    data["params"]["extension.001.unknown"] = "1"
    state.write_text(json.dumps(data), encoding="utf-8")
    memory = ParameterMemory(schema, state)
    assert memory["extension.001.day_class"] == "21"
    assert memory["extension.001.night_class"] == "11"
    assert "extension.001.unknown" not in memory.image()


def test_state_file_is_json(schema, tmp_path):
    state: Path = tmp_path / "pbx.json"
    memory = ParameterMemory(schema, state)
    memory.add_record(pending())
    data = json.loads(state.read_text(encoding="utf-8"))
    assert data["next_sequence"] == 2
    assert data["records"][0]["number"] == "02088886666"
