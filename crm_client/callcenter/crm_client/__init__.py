"""The CRM agent client (callcenter-crm): the agent's desk beside the call-center server."""
