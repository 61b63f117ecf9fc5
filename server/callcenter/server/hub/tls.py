"""TLS for the agent hub: a server context from the certificate and key in the settings."""

from __future__ import annotations

import ssl
from pathlib import Path


class TlsConfigError(ValueError):
    """The TLS settings name files that cannot be used; the text says which and why."""


def server_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    """A TLS 1.2+ server context with ``cert`` (PEM, may hold the chain) and ``key`` (PEM)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"agent hub TLS: cannot load certificate {cert} with key {key}: "
                             f"{exc}") from None
    return context


def context_from_settings() -> ssl.SSLContext | None:
    """The context named by ``agent.tls_cert``/``agent.tls_key`` (open store), None if unset.

    Both must be set for TLS; one without the other is an error rather than a silent
    fall-back to plain TCP.
    """
    from callcenter.server.store.settings import get_setting  # noqa: PLC0415 - needs the store

    cert, key = str(get_setting("agent.tls_cert")), str(get_setting("agent.tls_key"))
    if not cert and not key:
        return None
    if not cert or not key:
        raise TlsConfigError("agent hub TLS: set both agent.tls_cert and agent.tls_key (or "
                             "neither, for plain TCP)")
    return server_context(cert, key)
