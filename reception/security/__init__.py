"""Accounts and roles, permissions enforced in the core, the hash-chained audit trail, protection at rest."""
