"""Headquarters: the service every store's terminals sync with (FastAPI; PostgreSQL or SQLite)."""
