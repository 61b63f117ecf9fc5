"""Agent protocol v1 (server <-> CRM clients), sans-I/O.

``codec`` frames JSON Lines (bytes <-> JSON objects), ``catalog`` declares every
action, event, field and error code as data, and ``messages`` validates and builds
the messages.  The contract is ``docs/agent-protocol.md``; the asyncio hub and the
CRM client do the I/O on top of these.
"""

from callcenter.common.agent.catalog import (
    ACTIONS,
    DEFAULT_PORT,
    EVENTS,
    PROTOCOL_VERSION,
    ROLES,
    ActionSpec,
    ErrorCode,
    EventSpec,
    FieldSpec,
)
from callcenter.common.agent.codec import (
    MAX_LINE,
    NEED_DATA,
    EndOfStream,
    InvalidLine,
    LineDecoder,
    LineTooLong,
    LocalProtocolError,
    ObjectLine,
    encode,
)
from callcenter.common.agent.messages import (
    ErrorInfo,
    Event,
    Hello,
    Login,
    ProtocolError,
    Request,
    Response,
    check_access,
    event,
    format_time,
    hello,
    response_error,
    response_ok,
    validate_client_message,
    validate_event,
    validate_hello,
    validate_login,
    validate_request,
    validate_response,
    validate_result,
    validate_server_message,
)

__all__ = [
    "ACTIONS", "DEFAULT_PORT", "EVENTS", "MAX_LINE", "NEED_DATA", "PROTOCOL_VERSION", "ROLES",
    "ActionSpec", "EndOfStream", "ErrorCode", "ErrorInfo", "Event", "EventSpec", "FieldSpec",
    "Hello", "InvalidLine", "LineDecoder", "LineTooLong", "LocalProtocolError", "Login",
    "ObjectLine", "ProtocolError", "Request", "Response", "check_access", "encode", "event",
    "format_time", "hello", "response_error", "response_ok", "validate_client_message",
    "validate_event", "validate_hello", "validate_login", "validate_request",
    "validate_response", "validate_result", "validate_server_message",
]
