"""The central server: an HTTP API (FastAPI) over its own SQLAlchemy database (SQLite file or PostgreSQL).

It keeps every synced record as versioned JSON with a server-assigned sequence number (``record``), each applied
mutation with its result (``applied_mutation``, for idempotent pushes), stored conflicts, and its registry of
desks and handling units with hashed tokens (``client``). It never imports the desk's UI.
"""
