"""The map page: grids coloured by an indicator, cases as server-side clusters filtered
like the case list, and a grid's card on click."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min
from django.http import JsonResponse

from linli.cases.models import Case, Category, HandlingLevel, Status
from linli.core.clusters import parse_view
from linli.core.errors import ServiceError
from linli.core.htmx import render_page
from linli.core.models import region_q
from linli.core.roles import Level
from linli.core.scoping import access_by_pk, can, restrict
from linli.regions.models import GridTeamMember, Region
from linli.regions.nodes import node_of

from . import figures, gridmap
from .measures import BY_KEY, format_value
from .views import period_of


@login_required
def map_page(request):
    node = node_of(request, departments=True)
    grids = restrict(Region.objects.filter(region_q(node.code), level=Level.GRID), request.user)
    extent = grids.aggregate(w=Min("west"), s=Min("south"), e=Max("east"), n=Max("north"))
    bounds = [[extent["s"], extent["w"]], [extent["n"], extent["e"]]] if extent["w"] is not None else None
    ctx = {
        "node": node,
        "bounds": bounds,
        "tile_url": settings.LINLI_TILE_URL,
        "indicators": list(gridmap.INDICATORS.items()),
        "indicator": request.GET.get("indicator", "residents"),
        "show_cases": can(request.user, Case, "view"),
        "statuses": Status.choices,
        "levels": HandlingLevel.choices,
        "categories": Category.objects.filter(parent__isnull=True),
        "f": {"region": node.code},
    }
    return render_page(request, "dashboard/map.html", ctx)


@login_required
def grid_data(request):
    """GeoJSON of the grids in view (``bbox``, ``zoom``) with ``indicator``'s value."""
    try:
        view = parse_view(request.GET.get("bbox"), request.GET.get("zoom"))
        area = region_q(request.GET["region"]) if request.GET.get("region") else None
        data = gridmap.features(request.user, view, request.GET.get("indicator", "residents"), area=area)
    except ServiceError as exc:
        return JsonResponse(exc.as_dict(), status=400)
    return JsonResponse(data)


@login_required
def grid_card(request, code):
    """A grid's card: its team, its figures now, links to its dashboard and lists."""
    grid = access_by_pk(Region.objects.filter(level=Level.GRID), request.user, code)
    board = figures.board(request.user, grid, period_of(request))
    keys = ("residents", "households", "cases_open", "cases_overdue", "coverage", "vol_volunteers")
    team = restrict(GridTeamMember.objects.filter(grid_region=grid), request.user)
    items = [
        {
            "label": BY_KEY[k].label,
            "text": format_value(BY_KEY[k], board.total.get(k)),
            "url": BY_KEY[k].url(grid.code, board.period),
        }
        for k in keys
    ]
    return render_page(request, "dashboard/_grid_card.html", {"grid": grid, "items": items, "team": team})
