"""Storage: SQLAlchemy 2 typed models, the SQLite engine, sessions and Alembic migrations."""
