"""Masking of personal data for display (PIPL): ID numbers, phone numbers, names.

Full values stay in the database; everything shown to a user goes through these
functions unless the user holds ``people.view_household_pii`` (see layers.accounts.visibility).
"""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """Keep the first 4 and last 4 characters of an ID number: 5101**********1234."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number: 138****5678.

    Landlines (e.g. 028-86651234) keep the area code and the last 2 digits.
    """
    value = (value or "").strip()
    if not value:
        return ""
    if "-" in value:
        area, _, number = value.partition("-")
        return f"{area}-{'*' * max(len(number) - 2, 0)}{number[-2:]}"
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """Keep the family name: 张** (a one-character given name becomes 张*)."""
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)
