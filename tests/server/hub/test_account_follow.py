"""Open sessions follow account changes (issue 10, item 4): within a second a removed
account's sessions end, and so do those of an account whose role, bound port or must-change
flag changed, also when ``callcenter-server accounts`` makes the change in another process.
Each ended session gets one last response with ``id`` null naming the reason, then the hub
closes the connection.  Before: the sessions went on (a removed admin still ran admin
actions)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from callcenter.server.accounts.service import change_account
from callcenter.server.hub import AgentHub
from callcenter.server.pbx.service import PbxService
from tests.server.hub.agent_client import AgentClient

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def accounts_cli(service: PbxService, *args: str, stdin: str | None = None) -> None:
    """``callcenter-server accounts ...`` in another process, on the service's data folder."""
    result = subprocess.run(
        [sys.executable, "-m", "callcenter.server", "accounts", *args, "--data",
         str(service.data_dir)], input=stdin, capture_output=True, text=True, env=ENV,
        timeout=60, check=False)
    assert result.returncode == 0, result


def last_words(client: AgentClient) -> dict[str, object]:
    """The hub ends the session: its last response (``id`` null), then the close."""
    assert client.closed_by_hub(5), "the session went on"
    last = [r for r in client.responses if r.get("id") is None]
    assert len(last) == 1, client.responses
    error = last[0]["error"]
    assert isinstance(error, dict)
    return error


def test_a_removed_account_loses_its_sessions_at_once(
        hub: AgentHub, agent: Callable[..., AgentClient], service: PbxService) -> None:
    doomed = agent("follow-doomed", "014", role="admin")
    bystander = agent("follow-bystander", "015")
    assert doomed.request("whoami")["ok"]
    accounts_cli(service, "remove", "follow-doomed")
    error = last_words(doomed)
    assert error["code"] == "auth_failed" and "removed" in str(error["message"])
    assert bystander.request("ping")["ok"]  # nobody else is touched
    with AgentClient(hub.address) as again:
        assert again.login("follow-doomed", extension="014")["error"]["code"] == "auth_failed"


def test_must_change_from_another_process_ends_the_sessions(
        hub: AgentHub, agent: Callable[..., AgentClient], service: PbxService) -> None:
    client = agent("follow-reset", "016")
    accounts_cli(service, "passwd", "follow-reset", "--must-change", "--password-stdin",
                 stdin="temporary-pw\n")
    assert last_words(client)["code"] == "password_change_required"
    with AgentClient(hub.address) as again:
        answer = again.login("follow-reset", password="temporary-pw", extension="016")
        assert answer["ok"] and answer["must_change_password"] is True
        assert again.request("agents")["error"]["code"] == "password_change_required"


def test_a_plain_password_reset_keeps_the_sessions(
        hub: AgentHub, agent: Callable[..., AgentClient], service: PbxService) -> None:
    """Documented: only --must-change (or remove) ends the sessions of a reset account."""
    client = agent("follow-plain", "017")
    accounts_cli(service, "passwd", "follow-plain", "--password-stdin", stdin="new-pw-123\n")
    assert hub.call(lambda: None) is None
    with AgentClient(hub.address) as probe:  # the change has been seen by the hub
        assert probe.login("follow-plain", password="new-pw-123", extension="017")["ok"]
    assert client.request("ping")["ok"]
    assert not client.closed_by_hub(1.5)  # three polls later, still open


def test_role_and_port_changes_end_the_sessions(
        hub: AgentHub, agent: Callable[..., AgentClient]) -> None:
    operator = agent("follow-role", "018", role="operator")
    bound = agent("follow-port", "019", role="operator")
    # no extension: a port binding spares it
    console = agent("follow-port", "", role="operator", create=False)
    change_account("follow-role", role="agent")
    error = last_words(operator)
    assert error["code"] == "auth_failed" and "role" in str(error["message"])
    change_account("follow-port", port="020")
    error = last_words(bound)
    assert error["code"] == "forbidden" and "020" in str(error["message"])
    assert console.request("ping")["ok"]
    change_account("follow-port", port="")  # as it was, for a rerun of the module
