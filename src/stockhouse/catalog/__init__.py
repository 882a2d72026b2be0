"""The catalog: media items and everything describing them, and the review workflow."""
