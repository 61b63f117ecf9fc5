"""The CRM client's own data: customers, call log, phonebooks, messages, monitor icons (peewee)."""
