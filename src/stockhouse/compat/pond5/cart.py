"""Pond5 commands: cart (see the package docstring for the layout)."""

from __future__ import annotations
