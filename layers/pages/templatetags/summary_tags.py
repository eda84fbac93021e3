"""Template filters of the summary pages: figures and their change against the previous period."""

from django import template

from layers.summaries import figures

register = template.Library()


@register.filter
def figure_value(fig: figures.Figure, which: str = "current") -> str:
    """A figure's value for people: '87.5%' for rates, a whole number otherwise, '—' unknown."""
    v = fig.current if which == "current" else fig.previous
    if v is None:
        return "—"
    return figures.percent(v) if fig.is_rate else f"{int(v)}"


@register.filter
def figure_change(fig: figures.Figure) -> str:
    """The change against the previous period: '+3', '−2.5个百分点', '—'."""
    d = fig.change
    if d is None:
        return "—"
    if fig.is_rate:
        points = d * 100
        return "持平" if abs(points) < 0.05 else f"{'+' if points > 0 else '−'}{abs(points):.1f}个百分点"
    return "持平" if d == 0 else f"{'+' if d > 0 else '−'}{abs(int(d))}"


@register.filter
def delta(current: int, previous: int) -> str:
    d = int(current) - int(previous)
    return "持平" if d == 0 else f"{'+' if d > 0 else '−'}{abs(d)}"
