"""Frame layer of PBX serial protocol v1: fixed vectors, resynchronisation, escaping, fuzz."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.common.pbx.frame import (
    ETX,
    MAX_FRAME,
    NEED_DATA,
    STX,
    BadFrame,
    Frame,
    FrameDecoder,
    LocalProtocolError,
    encode_frame,
    escape,
    unescape,
)


def crc16_xmodem(data: bytes) -> int:
    """Bit-by-bit CRC-16/XMODEM (poly 0x1021, init 0), independent of binascii."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


# (wire bytes, decoded frame); the same vectors appear in docs/pbx-protocol.md.
VECTORS: list[tuple[bytes, Frame]] = [
    (b"\x0200HBT\x0349E8", Frame(0, "HBT", ())),
    (b"\x0205IDQ|r=1\x031011", Frame(5, "IDQ", (("r", "1"),))),
    (b"\x0200RST\x034EB7", Frame(0, "RST", ())),
    (b"\x0203RST|a=1\x034CC7", Frame(3, "RST", (("a", "1"),))),
    (b"\x0204ACK\x0317E4", Frame(4, "ACK", ())),
    (b"\x0204NAK\x03AD6A", Frame(4, "NAK", ())),
    (b"\x021ACDR|q=12345|t=20240601093015|z=1920|d=95|p=001|x=8001|k=01|n=13800138000"
     b"|y=OUT|c=|a=|g=0\x03FF76",
     Frame(0x1A, "CDR", (("q", "12345"), ("t", "20240601093015"), ("z", "1920"), ("d", "95"),
                         ("p", "001"), ("x", "8001"), ("k", "01"), ("n", "13800138000"),
                         ("y", "OUT"), ("c", ""), ("a", ""), ("g", "0")))),
    (b"\x027FPWQ|r=7|k=extension.001.name|v=%E5%BC%A0%E4%B8%89%7C%E9%94%80%E5%94%AE%25"
     b"\x031FE2",
     Frame(0x7F, "PWQ", (("r", "7"), ("k", "extension.001.name"), ("v", "张三|销售%")))),
]
WIRE = [w for w, _ in VECTORS]
FRAMES = [f for _, f in VECTORS]


def decode_all(data: bytes, chunk: int | None = None) -> list[Frame | BadFrame]:
    dec = FrameDecoder()
    if chunk is None:
        dec.receive_data(data)
    else:
        for i in range(0, len(data), chunk):
            dec.receive_data(data[i:i + chunk])
    out: list[Any] = []
    while (ev := dec.next_event()) is not NEED_DATA:
        out.append(ev)
    return out


def frames_only(events: list[Frame | BadFrame]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


# ---------------------------------------------------------------------------- vectors

@pytest.mark.parametrize(("wire", "frame"), VECTORS)
def test_encode_matches_vector(wire: bytes, frame: Frame) -> None:
    assert encode_frame(frame.seq, frame.type, frame.fields) == wire


@pytest.mark.parametrize("wire", WIRE)
def test_crc_is_crc16_xmodem_over_seq_to_etx(wire: bytes) -> None:
    etx = wire.index(ETX)
    assert wire[0] == STX
    assert wire[etx + 1:] == f"{crc16_xmodem(wire[1:etx + 1]):04X}".encode()


@pytest.mark.parametrize(("wire", "frame"), VECTORS)
@pytest.mark.parametrize("chunk", [None, 1, 2, 3, 7])
def test_vector_decodes_whole_and_in_pieces(wire: bytes, frame: Frame, chunk: int | None) -> None:
    assert decode_all(wire, chunk) == [frame]


@pytest.mark.parametrize("chunk", [None, 1, 5, 64])
def test_all_vectors_back_to_back(chunk: int | None) -> None:
    assert decode_all(b"".join(WIRE), chunk) == FRAMES


@pytest.mark.parametrize("trailer", [b"", b"\x02", b"\x0200HB", b"garbage", b"\x03\x03",
                                     b"\xff\xfe\x00", b"\x02\x02\x02"])
@pytest.mark.parametrize("chunk", [None, 1])
def test_vectors_followed_by_trailing_bytes(trailer: bytes, chunk: int | None) -> None:
    for wire, frame in VECTORS:
        dec = FrameDecoder()
        data = wire + trailer
        for piece in ([data] if chunk is None else [data[i:i + 1] for i in range(len(data))]):
            dec.receive_data(piece)
        assert dec.next_event() == frame
        rest = dec.events()  # only skipped bytes; an unfinished frame is waited for
        assert all(isinstance(e, BadFrame) for e in rest)
        assert len(rest) == (2 if trailer == b"\x02\x02\x02" else 0)


def test_need_data_until_last_crc_digit() -> None:
    dec = FrameDecoder()
    wire = WIRE[1]
    for b in wire[:-1]:
        dec.receive_data(bytes([b]))
        assert dec.next_event() is NEED_DATA
    dec.receive_data(wire[-1:])
    assert dec.next_event() == FRAMES[1]
    assert repr(NEED_DATA) == "NEED_DATA"


def test_end_of_stream_reports_partial_frame() -> None:
    dec = FrameDecoder()
    dec.receive_data(WIRE[1][:6])
    dec.receive_data(b"")
    ev = dec.next_event()
    assert isinstance(ev, BadFrame)
    assert "end of stream" in ev.reason
    dec.receive_data(b"")  # idempotent
    assert dec.next_event() is NEED_DATA


def test_events_takes_everything() -> None:
    dec = FrameDecoder()
    dec.receive_data(b"".join(WIRE))
    assert dec.events() == FRAMES
    assert dec.events() == []


# ---------------------------------------------------------------------------- resync

@pytest.mark.parametrize("chunk", [None, 1, 3])
def test_garbage_between_frames_is_skipped(chunk: int | None) -> None:
    data = b"noise\x00\xff" + WIRE[0] + b"\x03\x03ABC" + WIRE[1] + b"\r\n" + WIRE[2]
    dec = FrameDecoder()
    for i in range(0, len(data), chunk or len(data)):
        dec.receive_data(data[i:i + (chunk or len(data))])
    assert dec.events() == FRAMES[:3]
    assert dec.bytes_skipped == len(b"noise\x00\xff") + len(b"\x03\x03ABC") + 2


@pytest.mark.parametrize("chunk", [None, 1])
def test_truncated_frame_cut_by_new_stx(chunk: int | None) -> None:
    data = WIRE[6][:30] + WIRE[1]
    events = decode_all(data, chunk)
    assert len(events) == 2
    assert isinstance(events[0], BadFrame)
    assert "new STX" in events[0].reason
    assert events[0].raw == WIRE[6][:30]
    assert events[1] == FRAMES[1]


@pytest.mark.parametrize("chunk", [None, 1])
def test_truncated_inside_crc_then_new_frame(chunk: int | None) -> None:
    data = WIRE[1][:-2] + WIRE[2]  # the check digits are cut: the next STX lands in them
    events = decode_all(data, chunk)
    assert isinstance(events[0], BadFrame)
    assert events[1:] == [FRAMES[2]]


@pytest.mark.parametrize("position", range(1, 14))
def test_crc_error_is_reported_and_next_frame_decodes(position: int) -> None:
    bad = bytearray(WIRE[1])
    bad[position] ^= 0x01
    events = decode_all(bytes(bad) + WIRE[0])
    assert events[-1] == FRAMES[0]
    assert all(isinstance(e, BadFrame) for e in events[:-1])
    assert events[:-1], "the corrupted frame must not pass"


def test_crc_mismatch_reason_and_lowercase_crc() -> None:
    wire = WIRE[0][:-4] + b"0000"
    [ev] = decode_all(wire)
    assert isinstance(ev, BadFrame)
    assert "CRC" in ev.reason
    assert ev.raw == wire
    # Non-hex check digits are a mismatch, not an exception.
    [ev] = decode_all(WIRE[0][:-4] + b"+9E8")
    assert isinstance(ev, BadFrame)
    [ev] = decode_all(WIRE[0][:-4] + b"4_E8")
    assert isinstance(ev, BadFrame)


def frame_with_body(body: bytes) -> bytes:
    """Wrap any body in STX/ETX with a correct CRC (to reach the parser behind the check)."""
    return bytes([STX]) + body + bytes([ETX]) + f"{crc16_xmodem(body + bytes([ETX])):04X}".encode()


@pytest.mark.parametrize("body", [b"0HBT", b"00hbt", b"zzHBT", b"00HB1", b"00HBT|", b"00HBT|x",
                                  b"00HBT|=1", b"00HBT|k\xe9=1", b"00HBT|" + b"k" * 33 + b"=1",
                                  b"00HBTX", b"00HBT|a=\xff"])
def test_intact_but_malformed_frame_is_badframe(body: bytes) -> None:
    events = decode_all(frame_with_body(body) + WIRE[0])
    assert isinstance(events[0], BadFrame)
    assert events[1:] == [FRAMES[0]]


@pytest.mark.parametrize("chunk", [1, 100, 4096, 20000])
def test_over_long_frame_is_dropped_and_buffer_stays_bounded(chunk: int) -> None:
    body = b"00PWQ|v=" + b"A" * (2 * MAX_FRAME)
    data = frame_with_body(body) + WIRE[1]
    dec = FrameDecoder()
    for i in range(0, len(data), chunk):
        dec.receive_data(data[i:i + chunk])
        assert len(dec._buf) <= MAX_FRAME
    events = dec.events()
    assert isinstance(events[0], BadFrame)
    assert "too long" in events[0].reason
    assert len(events[0].raw) <= MAX_FRAME
    assert frames_only(events) == [FRAMES[1]]


def test_endless_stx_flood_stays_bounded() -> None:
    dec = FrameDecoder()
    for _ in range(200):
        dec.receive_data(b"\x02" * 100 + b"A" * 50)
        assert len(dec._buf) <= MAX_FRAME
        dec.events()
    dec.receive_data(WIRE[0])
    assert frames_only(dec.events()) == [FRAMES[0]]


def test_largest_frame_passes() -> None:
    head = len(encode_frame(0, "PWQ", [("v", "")]))
    wire = encode_frame(0, "PWQ", [("v", "x" * (MAX_FRAME - head))])
    assert len(wire) == MAX_FRAME
    assert decode_all(wire, 1000) == [Frame(0, "PWQ", (("v", "x" * (MAX_FRAME - head)),))]
    with pytest.raises(LocalProtocolError, match="exceeds"):
        encode_frame(0, "PWQ", [("v", "x" * (MAX_FRAME - head + 1))])


# ---------------------------------------------------------------------------- escaping

@pytest.mark.parametrize(("text", "escaped"), [
    ("", ""),
    ("13800138000", "13800138000"),
    ("a|b", "a%7Cb"),
    ("100%", "100%25"),
    ("%41", "%2541"),
    ("a=b;c,d", "a=b;c,d"),
    ("tab\there\r\n", "tab%09here%0D%0A"),
    ("\x00\x02\x03\x7f", "%00%02%03%7F"),
    ("张三", "%E5%BC%A0%E4%B8%89"),
    ("销售部 8001", "%E9%94%80%E5%94%AE%E9%83%A8 8001"),
])
def test_escape_vectors(text: str, escaped: str) -> None:
    assert escape(text) == escaped
    assert unescape(escaped) == text


def test_unescape_keeps_malformed_escapes() -> None:
    assert unescape("50%") == "50%"
    assert unescape("%4") == "%4"
    assert unescape("%zz1") == "%zz1"
    assert unescape("%e5%bc%a0") == "张"  # lower-case hex is accepted on input
    assert unescape("%FF") == "\ufffd"  # invalid UTF-8 never raises


@given(st.text())
def test_escape_round_trip_and_seven_bit(text: str) -> None:
    escaped = escape(text)
    assert all(0x20 <= ord(c) < 0x7F for c in escaped)
    assert "|" not in escaped
    assert unescape(escaped) == text


# ---------------------------------------------------------------------------- encoder

@pytest.mark.parametrize(("seq", "type_code", "fields", "match"), [
    (-1, "HBT", [], "sequence"),
    (256, "HBT", [], "sequence"),
    (0, "HB", [], "type"),
    (0, "HBTX", [], "type"),
    (0, "hbt", [], "type"),
    (0, "AB1", [], "type"),
    (0, "A|B", [], "type"),
    (0, "ÄBC", [], "type"),
    (0, "HBT", [("", "x")], "key"),
    (0, "HBT", [("a=b", "x")], "key"),
    (0, "HBT", [("a|b", "x")], "key"),
    (0, "HBT", [("名", "x")], "key"),
    (0, "HBT", [("k" * 33, "x")], "key"),
    (0, "HBT", [("v", "\ud800")], "UTF-8"),
])
def test_encode_frame_rejects_what_the_wire_cannot_carry(seq: int, type_code: str,
                                                         fields: list[tuple[str, str]],
                                                         match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        encode_frame(seq, type_code, fields)


keys = st.from_regex(r"[A-Za-z0-9_.]{1,32}", fullmatch=True)
frames = st.builds(
    Frame,
    seq=st.integers(0, 255),
    type=st.from_regex(r"[A-Z]{3}", fullmatch=True),
    fields=st.lists(st.tuples(keys, st.text(max_size=40)), max_size=8).map(tuple),
)


@given(st.lists(frames, min_size=1, max_size=5), st.integers(1, 50))
def test_round_trip_any_frames_any_chunking(sent: list[Frame], chunk: int) -> None:
    data = b"".join(encode_frame(f.seq, f.type, f.fields) for f in sent)
    assert all(b < 0x80 for b in data)  # 7-bit clean, whatever the text
    assert decode_all(data, chunk) == sent


@given(frames, st.binary(max_size=30), st.binary(max_size=30))
def test_frame_survives_garbage_around_it(frame: Frame, before: bytes, after: bytes) -> None:
    wire = encode_frame(frame.seq, frame.type, frame.fields)
    # Garbage before may hold an unfinished frame; an STX-free gap lets the decoder resync.
    before = before.replace(b"\x02", b"") if before else before
    events = decode_all(before + wire + after)
    assert frame in frames_only(events)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_fuzz_decoder_never_raises_and_stays_bounded(chunks: list[bytes]) -> None:
    dec = FrameDecoder()
    for chunk in chunks:
        dec.receive_data(chunk)
        assert len(dec._buf) <= MAX_FRAME
        for ev in dec.events():
            assert isinstance(ev, Frame | BadFrame)
    dec.receive_data(b"")
    assert not dec._buf


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"\x02", b"\x03", b"|", b"=", b"%", b"00", b"HBT", b"A",
                                 b"49E8", b"\x0200HBT\x0349E8"]), max_size=60))
def test_fuzz_decoder_with_protocol_shaped_bytes(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    whole = decode_all(data)
    assert decode_all(data, 1) == whole  # chunking never changes what is decoded
    for ev in frames_only(whole):
        assert ev == FRAMES[0]
