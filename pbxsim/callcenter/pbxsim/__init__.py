"""The PBX simulator: a stand-in for the real exchange, speaking the same serial protocol."""
