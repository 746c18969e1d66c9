from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.6667 → "66.67%"; nothing to divide by → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.2f}%"
