"""The blocking agent-protocol client against the real hub: progress reaches the request's
callback and the event stream alike, so no seq number goes missing."""

from __future__ import annotations

import time
from typing import Any

from callcenter.common.agent.client import HubClient, RequestFailed, parse_address
from callcenter.server.hub import AgentHub
from tests.server.admin.conftest import TOKEN


def test_parse_address() -> None:
    assert parse_address("pbx-pc") == ("pbx-pc", 7600)
    assert parse_address("10.0.0.5:7700") == ("10.0.0.5", 7700)
    assert parse_address("[::1]:7601") == ("::1", 7601)
    for bad in ("", ":7600", "host:0", "host:x", "[::1"):
        try:
            parse_address(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was taken")


def test_progress_goes_to_the_callback_and_keeps_seq_whole(hub: AgentHub) -> None:
    events: list[dict[str, Any]] = []
    host, port = hub.address
    with HubClient(host, port, on_event=events.append) as client:
        client.login("cli:test", token=TOKEN)
        progress: list[tuple[int, int]] = []
        answer = client.request("verify", force=True, timeout=60,
                                on_progress=lambda d, t, _text: progress.append((d, t)))
        assert answer["rows_read"] > 0 and progress
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            time.sleep(0.01)
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap
        assert any(e["event"] == "progress" for e in events)
        try:
            client.request("parameters_write", values={})
        except RequestFailed as exc:
            assert exc.code == "bad_request"
        else:
            raise AssertionError("an empty batch was taken")
