"""One helper that picks the full page or the partial (NetBox's utilities/htmx.py)."""

from django.shortcuts import render


def is_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.boosted and not htmx.history_restore_request


def render_page(request, template: str, context: dict, partial: str | None = None, **kwargs):
    """Render ``partial`` for an htmx request when given, else the full ``template``."""
    name = partial if partial and is_partial(request) else template
    return render(request, name, context, **kwargs)
