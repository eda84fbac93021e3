"""Revealing a household's full personal data: allowed, scoped, and always logged."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from layers.accounts.visibility import can_see_pii, visible_households
from layers.people.models import Household, PiiAccessLog


def reveal(user, household_id: int, *, via: str) -> Household:
    """The household with full values, after checking rights and logging the view.

    Raises Http404 when the household is not visible to the user, PermissionDenied when
    the user may see the household but not its full personal data.
    """
    household = get_object_or_404(visible_households(user), pk=household_id)
    if not can_see_pii(user):
        raise PermissionDenied("无权查看完整身份证号和电话 (no permission to view personal data)")
    PiiAccessLog.record(user, [household], via=via)
    return household
