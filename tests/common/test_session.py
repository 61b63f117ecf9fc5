"""Link session of PBX serial protocol v1, on a simulated line with a simulated clock."""

from __future__ import annotations

import argparse
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.common.pbx.frame import (
    MAX_FRAME,
    NEED_DATA,
    BadFrame,
    Frame,
    FrameDecoder,
    LocalProtocolError,
    encode_frame,
)
from callcenter.common.pbx.line import (
    BAUD_RATES,
    LineSettings,
    LineSettingsError,
    add_line_arguments,
    line_settings_from_args,
)
from callcenter.common.pbx.messages import (
    Heartbeat,
    IdentifyRequest,
    ParameterWrite,
    StateRequest,
)
from callcenter.common.pbx.session import (
    MAX_QUEUED,
    LinkLost,
    LinkSession,
    MalformedMessage,
    MessageReceived,
    PeerReset,
)


def frames_in(data: bytes) -> list[Frame]:
    dec = FrameDecoder()
    dec.receive_data(data)
    return [f for f in dec.events() if isinstance(f, Frame)]


def delivered(session: LinkSession) -> list[object]:
    return [e.message for e in session.events() if isinstance(e, MessageReceived)]


class Line:
    """Two LinkSessions joined by a simulated, possibly noisy line and a simulated clock.

    Bytes written by one side are cut into chunks of random size; each chunk may be
    dropped, have one byte replaced, or be delivered twice.  Everything is seeded.
    """

    def __init__(self, seed: int = 0, *, corrupt: float = 0.0, drop: float = 0.0,
                 duplicate: float = 0.0, **session_args: float | int | None) -> None:
        self.rng = random.Random(seed)
        self.corrupt, self.drop, self.duplicate = corrupt, drop, duplicate
        self.now = 0.0
        self.pc = LinkSession(**session_args)  # type: ignore[arg-type]
        self.pbx = LinkSession(**session_args)  # type: ignore[arg-type]
        self.events: dict[str, list[object]] = {"pc": [], "pbx": []}
        self.wire_bytes = 0
        self.max_unacked = 0

    def side(self, name: str) -> LinkSession:
        return self.pc if name == "pc" else self.pbx

    def _carry(self, src: LinkSession, dst: LinkSession) -> bool:
        data = src.data_to_send()
        self.wire_bytes += len(data)
        self.max_unacked = max(self.max_unacked, len(src._unacked))
        i = 0
        while i < len(data):
            n = self.rng.randint(1, 120)
            chunk, i = bytearray(data[i:i + n]), i + n
            if self.rng.random() < self.drop:
                continue
            if self.rng.random() < self.corrupt:
                j = self.rng.randrange(len(chunk))
                chunk[j] = (chunk[j] + self.rng.randint(1, 255)) % 256
            dst.receive_data(bytes(chunk), self.now)
            if self.rng.random() < self.duplicate:
                dst.receive_data(bytes(chunk), self.now)
        return bool(data)

    def settle(self) -> None:
        """Carry bytes both ways until both sides are quiet; collect events."""
        for _ in range(1000):
            moved = self._carry(self.pc, self.pbx) | self._carry(self.pbx, self.pc)
            if not moved:
                break
        else:  # pragma: no cover - a livelock is a bug
            raise AssertionError("the sessions never fell quiet")
        self.events["pc"] += self.pc.events()
        self.events["pbx"] += self.pbx.events()

    def tick(self) -> None:
        """Advance the clock to the earliest deadline and fire the timers."""
        deadlines = [d for d in (self.pc.next_deadline(), self.pbx.next_deadline())
                     if d is not None]
        assert deadlines, "a session with a heartbeat always has a deadline"
        # A deadline in the past must be served by handle_timeout, not spin the transport.
        self.now = max(self.now, min(deadlines))
        self.pc.handle_timeout(self.now)
        self.pbx.handle_timeout(self.now)
        self.settle()

    def messages(self, name: str) -> list[object]:
        return [e.message for e in self.events[name]
                if isinstance(e, MessageReceived) and e.message != Heartbeat()]

    def lost(self) -> list[object]:
        return [e for e in self.events["pc"] + self.events["pbx"] if isinstance(e, LinkLost)]


def test_handshake_then_messages_both_ways() -> None:
    line = Line()
    line.pc.start(line.now)
    assert frames_in(line.pc.data_to_send()) == [Frame(0, "RST", ())]
    line.pc.start(line.now)
    line.pc.send(IdentifyRequest(1), line.now)
    line.settle()
    assert line.pc.synchronised and line.pbx.synchronised
    assert [type(e) for e in line.events["pbx"]] == [PeerReset, MessageReceived]
    assert line.messages("pbx") == [IdentifyRequest(1)]
    line.pbx.send(StateRequest(9), line.now)
    line.settle()
    assert line.messages("pc") == [StateRequest(9)]
    assert line.pc.backlog == line.pbx.backlog == 0


def test_wire_exchange_is_byte_exact() -> None:
    pc, pbx = LinkSession(), LinkSession()
    pc.start(0.0)
    pc.send(IdentifyRequest(1), 0.0)
    out = pc.data_to_send()
    assert out == b"\x0200RST\x034EB7"  # nothing else until the PBX answers the RST
    pbx.receive_data(out, 0.0)
    answer = pbx.data_to_send()
    assert answer == b"\x0200RST|a=1\x036183"
    pc.receive_data(answer, 0.1)
    out = pc.data_to_send()
    assert out == b"\x0200IDQ|r=1\x0367DD"
    pbx.receive_data(out, 0.2)
    assert pbx.data_to_send() == b"\x0200ACK\x039EE2"
    assert isinstance(pbx.next_event(), PeerReset)
    assert pbx.next_event() == MessageReceived(IdentifyRequest(1))
    assert pbx.next_event() is NEED_DATA


def run_traffic(line: Line, count: int, *, restart_pc: bool = True) -> None:
    """Each side sends ``count`` numbered messages; run until all are acknowledged."""
    if restart_pc:
        line.pc.start(line.now)
    for i in range(count):
        line.pc.send(ParameterWrite(i, "extension.001.name", f"张三|{i}%"), line.now)
        line.pbx.send(ParameterWrite(i, "trunk.01.name", f"外线,{i}"), line.now)
    line.settle()
    for _ in range(10_000):
        if not (line.pc.backlog or line.pbx.backlog) and line.pc.synchronised \
                and line.pbx.synchronised:
            break
        line.tick()
    else:
        raise AssertionError("traffic did not complete")


@pytest.mark.parametrize(("seed", "corrupt", "drop", "duplicate", "retries"), [
    (1, 0.0, 0.0, 0.0, 3),
    (2, 0.02, 0.0, 0.0, 3),
    (3, 0.02, 0.02, 0.02, 3),
    (4, 0.0, 0.05, 0.10, 3),
    (5, 0.20, 0.0, 0.0, 20),
    (6, 0.20, 0.05, 0.05, 20),
    (7, 0.10, 0.10, 0.10, 20),
])
def test_exactly_once_in_order_on_a_noisy_line(seed: int, corrupt: float, drop: float,
                                               duplicate: float, retries: int) -> None:
    line = Line(seed, corrupt=corrupt, drop=drop, duplicate=duplicate, max_retries=retries,
                window=8)
    run_traffic(line, 300)
    assert not line.lost()
    assert line.messages("pbx") == [ParameterWrite(i, "extension.001.name", f"张三|{i}%")
                                    for i in range(300)]
    assert line.messages("pc") == [ParameterWrite(i, "trunk.01.name", f"外线,{i}")
                                   for i in range(300)]
    assert line.max_unacked <= 8
    if corrupt:
        assert line.pc.counters.retransmissions > 0
        assert line.pbx.counters.bad_frames > 0


@pytest.mark.parametrize("seed", range(8))
def test_handshake_survives_loss_of_first_frames(seed: int) -> None:
    """Losing the RST and the first data frame must not let a later frame be taken first."""
    line = Line(seed, corrupt=0.3, drop=0.2, max_retries=50)
    run_traffic(line, 5)
    assert not line.lost()
    assert line.messages("pbx") == [ParameterWrite(i, "extension.001.name", f"张三|{i}%")
                                    for i in range(5)]


def test_rst_and_first_frame_lost_exactly() -> None:
    pc, pbx = LinkSession(), LinkSession()
    pc.start(0.0)
    pc.send(IdentifyRequest(1), 0.0)
    pc.send(IdentifyRequest(2), 0.0)
    frames = frames_in(pc.data_to_send())
    # Whatever went out before the answer, frame 1 alone must never be delivered.
    for f in frames:
        if f.type == "IDQ" and f.seq == 1:
            pbx.receive_data(encode_frame(f.seq, f.type, f.fields), 0.0)
    assert not [e for e in pbx.events() if isinstance(e, MessageReceived)]


def test_window_is_respected() -> None:
    pc, pbx = LinkSession(window=4), LinkSession(window=4)
    pc.start(0.0)
    pbx.receive_data(pc.data_to_send(), 0.0)
    pc.receive_data(pbx.data_to_send(), 0.0)
    for i in range(20):
        pc.send(IdentifyRequest(i), 0.0)
    sent = frames_in(pc.data_to_send())
    assert [f.seq for f in sent] == [0, 1, 2, 3]
    assert pc.backlog == 20
    pc.receive_data(encode_frame(1, "ACK"), 0.5)  # cumulative: 0 and 1
    assert [f.seq for f in frames_in(pc.data_to_send())] == [4, 5]
    pc.receive_data(encode_frame(5, "ACK"), 0.6)
    assert [f.seq for f in frames_in(pc.data_to_send())] == [6, 7, 8, 9]
    assert pc.backlog == 14
    with pytest.raises(ValueError, match="window"):
        LinkSession(window=0)
    with pytest.raises(ValueError, match="window"):
        LinkSession(window=65)


def synced_pair(**kw: float | int | None) -> tuple[LinkSession, LinkSession]:
    pc, pbx = LinkSession(**kw), LinkSession(**kw)  # type: ignore[arg-type]
    pc.start(0.0)
    pbx.receive_data(pc.data_to_send(), 0.0)
    pc.receive_data(pbx.data_to_send(), 0.0)
    pbx.events()
    return pc, pbx


def test_nak_triggers_retransmission_from_the_named_frame() -> None:
    pc, _ = synced_pair()
    for i in range(3):
        pc.send(IdentifyRequest(i), 0.0)
    assert [f.seq for f in frames_in(pc.data_to_send())] == [0, 1, 2]
    pc.receive_data(encode_frame(1, "NAK"), 0.5)
    again = frames_in(pc.data_to_send())
    assert [(f.seq, f.fields) for f in again] == [(1, (("r", "1"),)), (2, (("r", "2"),))]
    assert pc.counters.retransmissions == 2
    assert pc.backlog == 2  # the NAK acknowledged frame 0
    pc.receive_data(encode_frame(7, "NAK"), 0.6)  # names nothing we hold: ignored
    assert pc.data_to_send() == b""


def test_receiver_naks_a_gap_once_and_acks_duplicates() -> None:
    _, pbx = synced_pair()
    pbx.receive_data(encode_frame(0, "IDQ", [("r", "0")]), 0.0)
    assert frames_in(pbx.data_to_send()) == [Frame(0, "ACK", ())]
    pbx.receive_data(encode_frame(2, "IDQ", [("r", "2")]), 0.0)  # frame 1 went missing
    pbx.receive_data(encode_frame(3, "IDQ", [("r", "3")]), 0.0)
    assert frames_in(pbx.data_to_send()) == [Frame(1, "NAK", ())]  # one NAK, not two
    pbx.receive_data(encode_frame(0, "IDQ", [("r", "0")]), 0.0)  # a duplicate
    assert frames_in(pbx.data_to_send()) == [Frame(0, "ACK", ())]
    assert pbx.counters.duplicates == 1
    assert delivered(pbx) == [IdentifyRequest(0)]
    pbx.receive_data(b"\x0201IDQ|r=1\x030000", 0.0)  # bad check: NAK suppressed (sent one)
    assert pbx.data_to_send() == b""
    assert pbx.counters.bad_frames == 1
    assert isinstance(pbx.next_event(), BadFrame)


def test_timeout_retransmits_and_counts() -> None:
    pc, _ = synced_pair(ack_timeout=3.0, max_retries=3)
    pc.send(IdentifyRequest(1), 0.0)
    pc.send(IdentifyRequest(2), 0.0)
    pc.data_to_send()
    assert pc.next_deadline() == 3.0
    pc.handle_timeout(2.9)
    assert pc.data_to_send() == b""
    pc.handle_timeout(3.0)
    assert [f.seq for f in frames_in(pc.data_to_send())] == [0, 1]
    assert pc.counters.retransmissions == 2
    assert pc.counters.frames_sent == 2
    assert pc.next_deadline() == 6.0


def test_silent_peer_gives_link_lost_in_time() -> None:
    hb, timeout, retries = 10.0, 3.0, 3
    pc, _ = synced_pair(ack_timeout=timeout, max_retries=retries, heartbeat_interval=hb)
    now = 0.0
    lost: list[object] = []
    sent: list[Frame] = []
    while not lost:
        deadline = pc.next_deadline()
        assert deadline is not None and deadline > now - 1e-9
        now = deadline
        pc.handle_timeout(now)
        sent += frames_in(pc.data_to_send())
        lost = [e for e in pc.events() if isinstance(e, LinkLost)]
        assert now < 100
    assert now <= hb + timeout * (retries + 1) + 1e-9
    assert [f.type for f in sent][:1 + retries] == ["HBT"] * (1 + retries)
    assert pc.counters.retransmissions == retries
    assert "no acknowledgement" in lost[0].reason  # type: ignore[attr-defined]
    assert pc.backlog == 0


def test_silent_peer_after_start_gives_link_lost() -> None:
    pc = LinkSession(ack_timeout=3.0, max_retries=3)
    pc.start(0.0)
    pc.send(IdentifyRequest(1), 0.0)
    now = 0.0
    lost: list[object] = []
    while not lost:
        deadline = pc.next_deadline()
        assert deadline is not None
        now = deadline
        pc.handle_timeout(now)
        lost = [e for e in pc.events() if isinstance(e, LinkLost)]
    assert now <= 10.0 + 3.0 * 4
    rsts = [f for f in frames_in(pc.data_to_send()) if f.type == "RST"]
    assert len(rsts) >= 1 + 3
    assert "RST" in lost[0].reason  # type: ignore[attr-defined]


def test_heartbeat_when_idle_and_answered() -> None:
    line = Line(heartbeat_interval=10.0)
    line.pc.start(0.0)
    line.settle()
    line.tick()
    assert line.now == pytest.approx(3.0) or line.now == pytest.approx(10.0)
    while line.now < 10.0:
        line.tick()
    assert line.now == pytest.approx(10.0)
    beats = [e for e in line.events["pbx"] + line.events["pc"]
             if e == MessageReceived(Heartbeat())]
    assert beats
    assert line.pc.backlog == line.pbx.backlog == 0
    for _ in range(20):
        line.tick()
    assert not line.lost()
    assert line.now <= 10.0 * 21


def test_no_heartbeat_without_interval_and_no_deadline() -> None:
    pc, _ = synced_pair(heartbeat_interval=None)
    assert pc.next_deadline() is None
    pc.handle_timeout(1000.0)
    assert pc.data_to_send() == b""


def test_restart_of_one_side_resynchronises() -> None:
    line = Line(11)
    run_traffic(line, 20)
    assert len(line.messages("pbx")) == 20
    # The PBX reboots mid-stream: a new session, while the PC keeps its numbering (now 20).
    line.pbx = LinkSession()
    line.pbx.start(line.now)
    line.events = {"pc": [], "pbx": []}
    line.settle()
    assert any(isinstance(e, PeerReset) for e in line.events["pc"])
    for i in range(30):
        line.pc.send(IdentifyRequest(i), line.now)
        line.pbx.send(StateRequest(i), line.now)
    line.settle()
    while line.pc.backlog or line.pbx.backlog:
        line.tick()
    assert line.messages("pbx") == [IdentifyRequest(i) for i in range(30)]
    assert line.messages("pc") == [StateRequest(i) for i in range(30)]
    assert not line.lost()


def test_restart_with_frames_in_flight_delivers_them_to_the_new_peer() -> None:
    pc, pbx = synced_pair()
    pc.send(IdentifyRequest(1), 0.0)
    pc.send(IdentifyRequest(2), 0.0)
    pc.data_to_send()  # lost with the old PBX
    pbx = LinkSession()
    pbx.start(1.0)
    pc.receive_data(pbx.data_to_send(), 1.0)
    pbx.receive_data(pc.data_to_send(), 1.0)  # RST a=1 announcing frame 0
    now = 1.0
    for _ in range(10):
        deadline = pc.next_deadline()
        assert deadline is not None
        now = max(now, deadline)
        pc.handle_timeout(now)
        pbx.receive_data(pc.data_to_send(), now)
        pc.receive_data(pbx.data_to_send(), now)
        if not pc.backlog:
            break
    assert delivered(pbx) == [IdentifyRequest(1), IdentifyRequest(2)]


def test_both_sides_start_at_once() -> None:
    line = Line(3)
    line.pc.start(0.0)
    line.pbx.start(0.0)
    line.pc.send(IdentifyRequest(1), 0.0)
    line.pbx.send(StateRequest(2), 0.0)
    line.settle()
    while line.pc.backlog or line.pbx.backlog:
        line.tick()
    assert line.messages("pbx") == [IdentifyRequest(1)]
    assert line.messages("pc") == [StateRequest(2)]


def test_link_lost_then_recovery_without_silent_loss() -> None:
    """After LinkLost the numbering restarts; the peer must not mistake new frames for old."""
    pc, pbx = synced_pair(max_retries=1, ack_timeout=1.0)
    for i in range(5):
        pc.send(IdentifyRequest(i), 0.0)
        pbx.receive_data(pc.data_to_send(), 0.0)
        pc.receive_data(pbx.data_to_send(), 0.0)
    assert delivered(pbx) == [IdentifyRequest(i) for i in range(5)]
    pc.send(IdentifyRequest(5), 0.0)
    now = 0.0
    while not [e for e in pc.events() if isinstance(e, LinkLost)]:
        pc.data_to_send()  # the line is dead: everything is lost, the RST too
        deadline = pc.next_deadline()
        assert deadline is not None
        now = deadline
        pc.handle_timeout(now)
    pc.data_to_send()
    # The line comes back; new messages are numbered from 0 again on the PC side.
    for i in range(100, 103):
        pc.send(IdentifyRequest(i), now)
    for _ in range(20):
        pbx.receive_data(pc.data_to_send(), now)
        pc.receive_data(pbx.data_to_send(), now)
        if not pc.backlog:
            break
        deadline = pc.next_deadline()
        assert deadline is not None
        now = max(now, deadline)
        pc.handle_timeout(now)
    got = delivered(pbx)
    assert got == [IdentifyRequest(i) for i in range(100, 103)]
    assert not pc.backlog


def test_nak_storm_does_not_cause_unbounded_output() -> None:
    pc, _ = synced_pair(window=8, max_retries=3)
    for i in range(8):
        pc.send(ParameterWrite(i, "system.name", "x" * 50), 0.0)
    first = len(pc.data_to_send())
    storm = encode_frame(0, "NAK") * 5000
    pc.receive_data(storm, 0.1)
    out = pc.data_to_send()
    assert len(out) <= first * 4 * 3
    pc.receive_data(storm, 0.2)
    assert pc.data_to_send() == b""
    # The timer then decides: the storm did not acknowledge anything.
    now = 0.2
    for _ in range(10):
        deadline = pc.next_deadline()
        assert deadline is not None
        now = deadline
        pc.handle_timeout(now)
        if any(isinstance(e, LinkLost) for e in pc.events()):
            break
    else:
        raise AssertionError("a NAK storm without progress must end in LinkLost")


def test_malformed_message_is_an_event_and_acknowledged() -> None:
    _, pbx = synced_pair()
    pbx.receive_data(encode_frame(0, "XYZ", [("a", "1")]), 0.0)
    pbx.receive_data(encode_frame(1, "IDQ", [("r", "x")]), 0.0)
    pbx.receive_data(encode_frame(2, "IDQ", [("r", "²")]), 0.0)
    events = pbx.events()
    assert [type(e) for e in events] == [MalformedMessage] * 3
    assert "'r'" in events[1].reason  # type: ignore[union-attr]
    assert frames_in(pbx.data_to_send())[-1] == Frame(2, "ACK", ())


def test_send_queue_is_bounded() -> None:
    pc = LinkSession(window=1)
    pc.start(0.0)
    for i in range(MAX_QUEUED):  # nothing leaves before the PBX answers the RST
        pc.send(IdentifyRequest(i), 0.0)
    with pytest.raises(LocalProtocolError, match="queue full"):
        pc.send(IdentifyRequest(0), 0.0)


def test_end_of_stream_is_harmless() -> None:
    _pc, pbx = synced_pair()
    pbx.receive_data(b"\x0200ID", 0.0)
    pbx.receive_data(b"", 0.0)
    assert isinstance(pbx.next_event(), BadFrame)
    pbx.receive_data(b"", 0.0)
    assert pbx.next_event() is NEED_DATA


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=15), st.booleans())
def test_fuzz_session_never_raises(chunks: list[bytes], started: bool) -> None:
    s = LinkSession()
    if started:
        s.start(0.0)
    now = 0.0
    for chunk in chunks:
        now += 0.5
        s.receive_data(chunk, now)
        s.handle_timeout(now)
        s.events()
        assert len(s._decoder._buf) <= MAX_FRAME
    assert len(s.data_to_send()) < 64 * 1024


link_frames = st.builds(lambda seq, t, a: encode_frame(seq, t, [("a", a)] if a else []),
                        st.integers(0, 255), st.sampled_from(["ACK", "NAK", "RST"]),
                        st.sampled_from(["", "1", "2", "x"]))
data_frames = st.builds(lambda seq, t, r: encode_frame(seq, t, [("r", r)]),
                        st.integers(0, 255), st.sampled_from(["IDQ", "STQ", "HBT", "QQQ"]),
                        st.sampled_from(["1", "x", "²", ""]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(link_frames, data_frames, st.binary(max_size=20)), max_size=40))
def test_fuzz_session_with_valid_frames_never_raises(pieces: list[bytes]) -> None:
    pc, _pbx = synced_pair(window=4)
    for i in range(6):
        pc.send(IdentifyRequest(i), 0.0)
    now = 0.0
    for piece in pieces:
        now += 0.25
        pc.receive_data(piece, now)
        pc.handle_timeout(now)
        pc.events()
        assert len(pc._unacked) <= 4
    out = pc.data_to_send()
    assert all(b < 0x80 for b in out)


# ---------------------------------------------------------------------------- line settings

def test_line_settings_defaults_and_bits_per_byte() -> None:
    s = LineSettings()
    assert (s.baud, s.bytesize, s.parity, s.stopbits) == (9600, 8, "N", 1)
    assert s.bits_per_byte == 10
    assert s.bytes_per_second == 960.0
    assert LineSettings(bytesize=7, parity="E", stopbits=1).bits_per_byte == 10
    assert LineSettings(bytesize=8, parity="O", stopbits=2).bits_per_byte == 12
    assert LineSettings(baud=115200).bytes_per_second == 11520.0
    assert s.serial_kwargs() == {"baudrate": 9600, "bytesize": 8, "parity": "N", "stopbits": 1}
    assert LineSettings.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"baud": 9601}, "baud"),
    ({"baud": 300}, "baud"),
    ({"bytesize": 6}, "bytesize"),
    ({"parity": "M"}, "parity"),
    ({"parity": "n"}, "parity"),
    ({"stopbits": 3}, "stopbits"),
])
def test_line_settings_errors_name_the_setting(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(LineSettingsError, match=named):
        LineSettings(**kwargs)  # type: ignore[arg-type]


def test_line_settings_from_dict_normalises_and_rejects() -> None:
    assert LineSettings.from_dict({"baud": "19200", "parity": "e", "junk": 1}) == \
        LineSettings(baud=19200, parity="E")
    with pytest.raises(LineSettingsError, match="line settings"):
        LineSettings.from_dict({"baud": "fast"})
    with pytest.raises(LineSettingsError, match="stopbits"):
        LineSettings.from_dict({"stopbits": "3"})


def test_argparse_helpers() -> None:
    parser = argparse.ArgumentParser()
    add_line_arguments(parser)
    args = parser.parse_args(["--baud", "115200", "--parity", "o"])
    assert line_settings_from_args(args) == LineSettings(baud=115200, parity="O")
    assert line_settings_from_args(parser.parse_args([])) == LineSettings()
    assert str(BAUD_RATES[0]) in parser.format_help()

    parser = argparse.ArgumentParser()
    add_line_arguments(parser, defaults_none=True)
    saved = LineSettings(baud=2400, bytesize=7, parity="E", stopbits=2)
    args = parser.parse_args(["--stopbits", "1"])
    assert args.baud is None
    assert line_settings_from_args(args, saved) == LineSettings(2400, 7, "E", 1)
    with pytest.raises(LineSettingsError, match="bytesize"):
        line_settings_from_args(parser.parse_args(["--bytesize", "9"]))


def test_a_message_too_big_for_a_frame_is_refused_at_send_and_takes_no_number() -> None:
    from callcenter.common.pbx.frame import LocalProtocolError
    from callcenter.common.pbx.messages import ParameterWrite
    from callcenter.common.pbx.session import LinkSession, MessageReceived

    sender, receiver = LinkSession(), LinkSession()
    with pytest.raises(LocalProtocolError):
        sender.send(ParameterWrite(1, "system.x", "9" * 5000), 0.0)
    sender.send(ParameterWrite(2, "system.x", "1"), 0.0)
    receiver.receive_data(sender.data_to_send(), 0.0)
    got = [e.message for e in receiver.events() if isinstance(e, MessageReceived)]
    assert got == [ParameterWrite(2, "system.x", "1")]
    assert sender.counters.frames_sent == 1
