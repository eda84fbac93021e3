"""Incident categories, incidents and their lifecycle."""
