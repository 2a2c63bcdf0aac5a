"""Accounts and roles, permissions enforced in the core, the hash-chained audit trail, protection at rest."""

DEMO_PASSWORD = "demo1234"
"""The password of the demo district's accounts (README); never used outside ``reception.demo`` (and the login
dialog's hint on a demo desk). Here, not in ``accounts``, so that the hint needs no SQLAlchemy."""
