"""Search: one query model (query.py), one result type, two backends (Tantivy, PostgreSQL)."""
