"""The status bar's facts without Tk: PBX link and port, data verification, connected CRM
clients, the user, and whether the console is connected to the service at all.

Fed by the hub's events (``snapshot``, ``link``, ``agent_joined``/``agent_left``,
``verification_progress``/``verification_done``) and by the ``link_state`` answer when the
session may ask for it; ``texts()`` turns the facts into the catalogue's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.server.console.strings import Catalogue


@dataclass
class Verification:
    state: str = ""  # "" unknown, never, running, done, failed
    done: int = 0
    total: int = 0


class StatusModel:
    """What the status bar shows (see the module docstring)."""

    def __init__(self) -> None:
        self.link_up: bool | None = None
        self.url = ""
        self.verification = Verification()
        self.agents: set[tuple[str, str]] = set()  # (user, extension) of CRM agents
        self.agents_known = False
        self.user = ""
        self.connection = "connecting"  # connecting, connected, lost

    def apply(self, event: dict[str, Any]) -> bool:
        """Apply one hub event; whether anything shown changed."""
        name = event.get("event")
        if name == "snapshot":
            if event.get("part", 1) == 1:
                self.agents = set()
            self.agents |= {(str(a.get("user", "")), str(a.get("extension", "")))
                            for a in event.get("agents") or ()}
            self.agents_known = True
            self.link_up = event.get("link") == "up"
            return True
        if name == "link":
            self.link_up = event.get("state") == "up"
            return True
        if name == "agent_joined":
            self.agents.add((str(event.get("user", "")), str(event.get("extension", ""))))
            return True
        if name == "agent_left":
            self.agents.discard((str(event.get("user", "")), str(event.get("extension", ""))))
            return True
        if name == "verification_progress":
            self.verification = Verification("running", int(event.get("done", 0)),
                                             int(event.get("total", 0)))
            return True
        if name == "verification_done":
            self.verification = Verification("done", self.verification.total,
                                             self.verification.total)
            return True
        return False

    def apply_link_state(self, result: dict[str, Any]) -> None:
        """The ``link_state`` answer: the port, up or down, the last verification."""
        self.url = str(result.get("url", ""))
        if "up" in result:
            self.link_up = bool(result["up"])
        verification = result.get("verification")
        if isinstance(verification, dict):
            self.verification = Verification(str(verification.get("state", "")),
                                             int(verification.get("done", 0)),
                                             int(verification.get("total", 0)))

    def texts(self, catalogue: Catalogue) -> dict[str, str]:
        """The status bar's fields: ``link``, ``verification``, ``clients``, ``user``."""
        if self.connection != "connected":
            link = catalogue.text("status.service_lost") if self.connection == "lost" \
                else catalogue.text("status.link_unknown")
        elif self.link_up is None:
            link = catalogue.text("status.link_unknown")
        else:
            link = catalogue.text("status.link_up" if self.link_up else "status.link_down",
                                  url=self.url).rstrip()
        state = self.verification.state
        if state in ("never", "done", "failed"):
            verification = catalogue.text(f"status.verify_{state}")
        elif state == "running":
            verification = catalogue.text("status.verify_running", done=self.verification.done,
                                          total=self.verification.total or "?")
        else:
            verification = catalogue.text("status.verify_unknown")
        clients = catalogue.text("status.clients",
                                 count=len(self.agents) if self.agents_known else "—")
        user = catalogue.text("status.user", user=self.user) if self.user \
            else catalogue.text("status.no_user")
        return {"link": link, "verification": verification, "clients": clients, "user": user}
