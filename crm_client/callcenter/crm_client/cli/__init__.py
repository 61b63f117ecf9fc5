"""callcenter-crm: the command line (bulk import/export) and the start of the window."""

from callcenter.crm_client.cli.main import main

__all__ = ["main"]
