"""The SQLite project file: schema migrations and rows <-> models."""

from qualmine.storage.database import open_database, transaction

__all__ = ["open_database", "transaction"]
