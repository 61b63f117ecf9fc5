"""The CRM agent client (a later issue)."""
