"""PBX serial protocol v1: framing, messages, link session (all sans-I/O)."""
