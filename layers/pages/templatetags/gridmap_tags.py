"""Template filters: masking for display, and small helpers."""

from django import template

from layers.people import masking

register = template.Library()


@register.filter
def mask_name(value: str) -> str:
    return masking.mask_name(value)


@register.filter
def make_list_words(value: str) -> list[str]:
    return value.split()


@register.filter
def person_name(user) -> str:
    """A user as people read them: the full name in Chinese order (family name first),
    the login name only when no name is recorded."""
    if user is None:
        return "—"
    name = f"{user.last_name}{user.first_name}".strip()
    return name or user.get_username()


@register.simple_tag
def unread_notifications(user) -> int:
    """The bell's count: the user's unread notifications."""
    from layers.incidents.notifications import unread_count

    return unread_count(user)
