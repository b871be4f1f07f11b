"""Helpers that the workshop notebooks import."""
