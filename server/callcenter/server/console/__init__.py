"""The server console (Tk): a client of the service's admin API (docs/console.md).

It imports only the agent-protocol client and the catalogue, never the store, the link or
the hub, so the same console works in the service's process and on any PC of the LAN.
Views (``main_window``, ``monitor_view``, ``dialogs``) are thin; the models
(``connection``, ``status_model``, ``monitor_model``, ``credentials``, ``strings``) hold
the state and logic and are tested without Tk.
"""
