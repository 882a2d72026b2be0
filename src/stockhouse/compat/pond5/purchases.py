"""Pond5 commands: purchases (see the package docstring for the layout)."""

from __future__ import annotations
