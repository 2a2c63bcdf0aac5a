"""Accounts and roles, permissions enforced in the core, the hash-chained audit trail, protection at rest."""

DEMO_PASSWORD = "demo1234"
"""The password of the demo district's accounts (README); never used outside ``reception.demo`` (and the login
dialog's hint on a demo desk). Here, not in ``accounts``, so that the hint needs no SQLAlchemy."""

AT_REST_SETTING = "security"
AT_REST_VERSION = 2
"""The protection-at-rest step's version (``reception.security.atrest``), stored in the ``security`` setting once the
step has run. 1: petitioner rows encrypted; 2: also the personal fields of outbox rows and stored conflicts. Here so
that the start-up's pre-check (``reception.startstate``) reads it without importing the crypto."""
