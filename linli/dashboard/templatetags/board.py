"""A board table's row of numbers in one pass: a district board has a few hundred
cells, and building each in Python costs a fraction of four template nodes per cell."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

LINKED = '<td class="text-end"><a href="{}" data-measure="{}">{}</a></td>'
PLAIN = '<td class="text-end">{}</td>'


@register.filter
def number_cells(row: list[dict]) -> SafeString:
    """The ``<td>`` of each cell (``views.cells``): its text, linked to the list it counts
    where it has one."""
    parts = [
        format_html(LINKED, c["url"], c["measure"].key, c["text"])
        if c["url"]
        else format_html(PLAIN, c["text"])
        for c in row
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html
