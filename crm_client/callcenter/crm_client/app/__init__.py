"""Use cases of the CRM client: what the window calls (screen pop, call log, messages, call control)."""
