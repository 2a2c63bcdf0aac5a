"""The leaders' reception roster page (领导接访排班)."""
