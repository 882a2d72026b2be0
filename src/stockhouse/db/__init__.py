"""Database: engine and sessions (engine.py), the declarative base (base.py), migrations."""

from stockhouse.db.base import Base, UTCDateTime, utcnow
from stockhouse.db.engine import Database

__all__ = ["Base", "Database", "UTCDateTime", "utcnow"]
