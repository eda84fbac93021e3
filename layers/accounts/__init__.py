"""Roles, permissions, who sees which rows, revealing personal data."""
