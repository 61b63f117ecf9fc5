"""Shared by the server, the CRM client and the PBX simulator: codecs and the parameter schema."""
