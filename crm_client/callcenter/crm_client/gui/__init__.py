"""The CRM client's Tk window (thin views over the app layer)."""
