"""The administrator's screens: first-run setup, reference data, desks and accounts (管理 menu)."""
