"""Stockhouse: a self-hosted stock-media marketplace with five wire-compatible APIs."""

__version__ = "0.1.0"
