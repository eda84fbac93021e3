"""Households, their tags, visits, masking and the personal-data view log."""
