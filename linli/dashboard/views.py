"""The command centre's pages: a dashboard per region node (children side by side, one
click down, one click up), the departments' dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.dates import period as parse_period
from linli.core.htmx import render_page
from linli.core.models import AuditAction
from linli.core.roles import Role
from linli.core.scoping import user_posts
from linli.core.tabular import table_response
from linli.regions.nodes import home_region, node_of, visible_ancestors

from . import figures
from .measures import (
    BY_KEY,
    CASES,
    DEPARTMENTS,
    POPULATION,
    SECTIONS,
    VISITS,
    VOLUNTEERS,
    format_value,
    group_measures,
)


def period_of(request) -> figures.Period:
    return figures.Period(*parse_period(request.GET))


def cells(measures, row: dict, key, period: figures.Period) -> list[dict]:
    """What a table row shows: each measure's formatted value and the list it links to
    (none for a total of several departments)."""
    return [
        {
            "measure": m,
            "value": row.get(m.key),
            "text": format_value(m, row.get(m.key)),
            "url": m.url(key, period) if key is not None else None,
        }
        for m in measures
    ]


def sections(board: figures.Board) -> list[dict]:
    """The board laid out by section: the node's cells and one row of cells per child."""
    out = []
    for key, measures in (
        ("population", POPULATION + group_measures(board.groups)),
        ("cases", CASES),
        ("visits", VISITS),
        ("volunteers", VOLUNTEERS),
    ):
        out.append(
            {
                "key": key,
                "title": SECTIONS[key],
                "measures": measures,
                "total": cells(measures, board.total, board.node.code, board.period),
                "rows": [
                    (child, cells(measures, row, child.code, board.period)) for child, row in board.rows
                ],
            }
        )
    return out


CHART_MEASURES = ("residents", "cases_new", "cases_open", "cases_overdue", "coverage", "vol_hours")


@login_required
def home(request):
    """A region node's dashboard (the user's home node by default)."""
    if not request.GET.get("region") and home_region(request.user) is None:
        if any(p.role == Role.DEPARTMENT_HANDLER for p in user_posts(request.user)):
            return redirect("dashboard:departments")
        raise Http404
    node = node_of(request)
    period = period_of(request)
    board = figures.board(request.user, node, period)
    chart = {
        "names": [child.short_name for child, _row in board.rows],
        "series": [
            {
                "key": key,
                "name": str(BY_KEY[key].label),
                "data": [
                    (round(float(row[key]) * 100, 1) if key == "coverage" else float(row[key]))
                    if row.get(key) is not None
                    else None
                    for _child, row in board.rows
                ],
            }
            for key in CHART_MEASURES
        ],
    }
    ctx = {
        "node": node,
        "ancestors": visible_ancestors(node, request.user),
        "period": period,
        "sections": sections(board),
        "chart": chart,
    }
    return render_page(request, "dashboard/home.html", ctx)


@login_required
def departments(request):
    """Cases dispatched to each department the user may see, waiting, overdue, on time."""
    period = period_of(request)
    total, rows = figures.departments(request.user, period)
    if not rows:
        raise Http404
    if request.GET.get("format") == "xlsx":
        audit.record(
            AuditAction.EXPORT,
            None,
            actor=request.user,
            object_type="dashboard.departments",
            changes={"from": period.first.isoformat(), "to": period.last.isoformat()},
        )
        return table_response(
            [str(_("部门")), str(_("所属区域")), *[str(m.label) for m in DEPARTMENTS]],
            [
                [
                    r.department.name,
                    r.department.region.short_name,
                    *[c["text"] for c in cells(DEPARTMENTS, r.figures, None, period)],
                ]
                for r in rows
            ],
            "xlsx",
            f"{_('部门看板')}{period.first:%Y%m%d}-{period.last:%Y%m%d}",
        )
    ctx = {
        "period": period,
        "measures": DEPARTMENTS,
        "total": cells(DEPARTMENTS, total, None, period),
        "rows": [(r.department, cells(DEPARTMENTS, r.figures, r.department.pk, period)) for r in rows],
    }
    return render_page(request, "dashboard/departments.html", ctx)
