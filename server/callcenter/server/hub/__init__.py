"""The agent hub (issue 4): agent protocol v1 (docs/agent-protocol.md) over TCP for CRM
clients, on top of the PBX service.  ``AgentHub`` is the controller (a thread with its own
asyncio loop), ``session`` the protocol side of one connection, ``handler`` the business
(accounts, call control, fan-out), ``state`` PBX notices -> protocol events.  docs/hub.md."""

from callcenter.server.hub.controller import AgentHub, format_address
from callcenter.server.hub.options import HubOptions
from callcenter.server.hub.tls import TlsConfigError, context_from_settings, server_context

__all__ = ["AgentHub", "HubOptions", "TlsConfigError", "context_from_settings",
           "format_address", "server_context"]
