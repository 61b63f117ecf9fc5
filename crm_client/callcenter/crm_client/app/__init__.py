"""Use cases of the CRM client: what the window calls (screen pop, call log, messages, call
control).  ``CrmApp`` (crm_app.py) is the façade; one concept per module: ``pop`` the screen
pop, ``calls`` the call log recorder, ``log_writer`` its writer thread, ``missed`` the missed
calls, ``messages`` internal messages, ``control`` the call-control buttons, ``times`` the
hub's times."""

from callcenter.crm_client.app.control import ERROR_CODES, CallControl, ControlError
from callcenter.crm_client.app.crm_app import AppUpdate, CrmApp, LinkLike, default_link_factory
from callcenter.crm_client.app.messages import Message
from callcenter.crm_client.app.missed import MissedCall
from callcenter.crm_client.app.pop import Pop

__all__ = ["ERROR_CODES", "AppUpdate", "CallControl", "ControlError", "CrmApp", "LinkLike",
           "Message", "MissedCall", "Pop", "default_link_factory"]
