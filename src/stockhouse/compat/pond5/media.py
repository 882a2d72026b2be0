"""Pond5 commands: media (see the package docstring for the layout)."""

from __future__ import annotations
