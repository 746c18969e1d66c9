"""The rows of a case list (the lists and the to-do pages, 50 rows a page) in one pass:
eight cells of template nodes per row were the larger part of these pages' time; built
here with ``format_html`` they cost a fraction of it. ``cases/_table.html`` has the rest."""

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()

CHECK = (
    '<td><input class="form-check-input" type="checkbox" name="ids" value="{}" form="bulk-form" '
    'aria-label="{}"></td>'
)
ROW = (
    '\n<tr>{}<td><a href="{}">{}</a></td><td>{}</td><td>{}{}</td>\n<td>{}</td><td>{}</td>\n'
    "<td>{}</td><td>{}</td></tr>\n"
)
CARDS = {
    "red": ('<span class="badge text-bg-danger">{}</span>', _("红牌")),
    "yellow": ('<span class="badge text-bg-warning">{}</span>', _("黄牌")),
}


def _when(value, fmt: str) -> str:
    return dateformat.format(timezone.localtime(value), fmt)


@register.simple_tag(takes_context=True)
def case_rows(context, cases) -> SafeString:
    """A ``<tr>`` per case (``status_label`` and ``level_label`` set by the view): a box to
    select it where the page has bulk actions, its number linked, category, status with the
    supervision card, level, department, time limit (red once past ``now``), reported."""
    bulk, now = context.get("bulk_actions"), context["now"]
    rows = []
    for c in cases:
        card = ""
        if c.warned in CARDS:
            markup, label = CARDS[c.warned]
            card = format_html(" " + markup, label)
        due: str = "—"
        if c.due_at:
            late = "text-danger fw-bold" if c.due_at < now else ""
            due = format_html('<span class="{}">{}</span>', late, _when(c.due_at, "m-d H:i"))
        rows.append(
            format_html(
                ROW,
                format_html(CHECK, c.pk, c.number) if bulk else "",
                reverse("cases:detail", args=[c.pk]),
                c.number,
                c.category.name,
                c.status_label,
                card,
                c.level_label,
                (c.department.name if c.department_id else "") or "—",
                due,
                _when(c.created_at, "Y-m-d H:i"),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every part is escaped by format_html
