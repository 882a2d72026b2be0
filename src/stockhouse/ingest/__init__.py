"""Ingest: turning a received file into a catalog item (detect, analyse, render, dedupe)."""
