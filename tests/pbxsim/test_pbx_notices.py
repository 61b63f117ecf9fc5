"""What the PBX tells the PC unasked, over a real TCP link with the tests' PC client:
``ParameterChanged`` for a setting programmed at the PBX, and refusals of requests it
cannot decode (so the PC need not wait for its timeout)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from callcenter.common.pbx import messages as m
from callcenter.common.pbx.frame import Frame, FrameDecoder
from callcenter.pbxsim.app import Simulator
from callcenter.pbxsim.control import ControlClient
from tests.pbxsim.pcclient import PcClient

DOCS = Path(__file__).resolve().parents[2] / "docs"
QUICK = 2.0  # an answer that comes at all comes at once on loopback; far below any PC timeout


@dataclass(frozen=True)
class _Raw(m.Message):
    """A request with exactly the given fields, valid or not (what a buggy PC might send)."""

    TYPE: ClassVar[str] = ""
    fields: tuple[tuple[str, str], ...]

    def to_fields(self) -> m.Fields:
        return list(self.fields)


def raw(type_code: str, *fields: tuple[str, str]) -> m.Message:
    cls = type(f"Raw{type_code}", (_Raw,), {"TYPE": type_code})
    message: m.Message = cls(tuple(fields))
    return message


def _no_message(pc: PcClient, kind: type[m.Message], seconds: float = 0.5) -> bool:
    pc.pump(seconds)
    return not any(isinstance(msg, kind) for msg in pc.inbox)


# ------------------------------------------------------------------ ParameterChanged

def test_parameter_set_at_the_pbx_is_reported_to_the_pc(sim: Simulator,
                                                        control: ControlClient) -> None:
    with PcClient(sim.url) as pc:
        before = pc.identify()
        answer = control.request({"cmd": "set", "key": "extension.003.day_class",
                                  "value": "21"})
        assert answer == {"ok": True, "key": "extension.003.day_class", "value": "21"}
        change = pc.wait_for(lambda msg: isinstance(msg, m.ParameterChanged), QUICK,
                             "ParameterChanged")
        assert change == m.ParameterChanged("extension.003.day_class", "21")

        # The value is sent as stored (canonical text), and the switches group changes too.
        assert control.request({"cmd": "set", "key": "system.night", "value": "ON"})["ok"]
        change = pc.wait_for(lambda msg: isinstance(msg, m.ParameterChanged), QUICK,
                             "ParameterChanged")
        assert change == m.ParameterChanged("system.night", "on")
        after = pc.identify()
        assert after.checksum("extension") != before.checksum("extension")
        assert after.checksum("switches") != before.checksum("switches")
        assert after.checksum("trunk") == before.checksum("trunk")

        # No change, no notice: the same value again, a refused value, the PC's own write.
        assert control.request({"cmd": "set", "key": "extension.003.day_class",
                                "value": "21"})["ok"]
        assert not control.request({"cmd": "set", "key": "extension.003.day_class",
                                    "value": "99"})["ok"]
        result = pc.request(lambda r: m.ParameterWrite(r, "extension.004.day_class", "31"),
                            m.ParameterWriteResult)
        assert result.ok
        assert _no_message(pc, m.ParameterChanged)
        assert pc.identify().checksum("extension") != after.checksum("extension")


def test_change_while_no_pc_listens_shows_in_the_checksum_only(sim: Simulator,
                                                               control: ControlClient) -> None:
    with PcClient(sim.url) as pc:
        before = pc.identify().checksum("trunk")
    assert control.request({"cmd": "set", "key": "trunk.01.route", "value": "3"})["ok"]
    with PcClient(sim.url) as pc:
        assert pc.identify().checksum("trunk") != before
        assert _no_message(pc, m.ParameterChanged)


def test_documented_pch_example_names_a_real_key(sim: Simulator) -> None:
    example = b"\x0214PCH|k=system.night|v=on\x033DC3"
    assert example.decode().replace("\x02", "\\x02").replace("\x03", "\\x03") in (
        DOCS / "pbx-protocol.md").read_text(encoding="utf-8")
    decoder = FrameDecoder()
    decoder.receive_data(example)
    (frame,) = decoder.events()
    assert isinstance(frame, Frame)
    message = m.message_from_fields(frame.type, list(frame.fields))
    assert isinstance(message, m.ParameterChanged)
    assert message.key in sim.pbx.memory.schema
    assert sim.call(lambda: sim.pbx.memory.write(message.key, message.value)) == "on"


# ------------------------------------------------------------------ malformed requests

def test_call_control_with_a_bad_park_slot_is_refused_at_once(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        answer = pc.request(lambda r: m.CallControl(r, "park", "002", slot=7),
                            m.CallControlResult, QUICK)
        assert not answer.ok
        assert "field 's' must be in 0..6, got 7" in answer.error
        assert answer.call_id == 0
        # The link carries on: the next request is answered as usual.
        assert pc.request(lambda r: m.CallControl(r, "offhook", "002"),
                          m.CallControlResult).ok


def test_malformed_parameter_and_clock_requests_are_refused(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        write = pc.request(lambda r: raw("PWQ", ("r", str(r)), ("k", "extension.001.number")),
                           m.ParameterWriteResult, QUICK)
        assert (write.ok, write.key, write.value) == (False, "extension.001.number", "8001")
        assert "missing field 'v'" in write.error
        read = pc.request(lambda r: raw("PRQ", ("r", str(r)), ("g", "E"), ("o", "0"),
                                        ("c", "300")), m.ParameterWriteResult, QUICK)
        assert not read.ok and "field 'c' must be in 1..256" in read.error
        clock = pc.request(lambda r: raw("CKQ", ("r", str(r)), ("t", "soon")),
                           m.ClockSetResult, QUICK)
        assert not clock.ok and "field 't'" in clock.error
        action = pc.request(lambda r: raw("CCQ", ("r", str(r)), ("a", "fly"), ("p", "001")),
                            m.CallControlResult, QUICK)
        assert not action.ok and "field 'a'" in action.error
    assert sim.call(lambda: sim.pbx.memory["extension.001.number"]) == "8001"


def test_malformed_request_without_a_readable_id_is_only_logged(sim: Simulator) -> None:
    with PcClient(sim.url) as pc:
        pc.identify()
        pc.send(raw("CCQ", ("a", "park"), ("p", "002"), ("s", "7")))
        pc.send(raw("CCQ", ("r", "-1"), ("a", "park"), ("p", "002"), ("s", "7")))
        pc.send(raw("CCQ", ("r", "99999999999"), ("a", "park"), ("p", "002"), ("s", "7")))
        assert _no_message(pc, m.CallControlResult)
        assert pc.identify().model == "GW-SIM"
