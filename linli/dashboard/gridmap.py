"""The people's-situation map (民情地图): grids in view, coloured by an indicator.

Only grids whose bounding box meets the view are read. When more than
``core.clusters.MAX_FEATURES`` grids are in view, the response carries one point per
community instead (the grids' indicator summed, coverage recomputed), so no response
grows past the cap at any zoom. Each indicator is one query grouped by grid, through the
user's scope.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import mapping, shape

from linli.cases.models import OPEN_STATUSES, Case
from linli.core.clusters import MAX_FEATURES, View
from linli.core.errors import ErrorCode, ServiceError
from linli.core.roles import Level
from linli.core.scoping import restrict
from linli.people.models import GroupTag, Household, Resident, current_tag_q
from linli.regions.models import Region
from linli.visits import care

from . import tallied
from .figures import COVERAGE_DAYS

INDICATORS = {
    "residents": _("实有人口"),
    "cases_open": _("在办事件"),
    "cases_overdue": _("超期事件"),
    "coverage": _("走访覆盖率(近30天)"),
    "special_households": _("特殊人群户"),
}


def _per_grid(qs, codes: list[str], expr=None) -> dict[str, int]:
    rows = qs.filter(grid_id__in=codes).values("grid_id").annotate(n=expr or Count("pk")).order_by()
    return {r["grid_id"]: r["n"] for r in rows}


def values(user, indicator: str, codes: list[str], *, now: dt.datetime | None = None) -> dict:
    """{grid code: (value, households)} of ``indicator`` for the grids ``codes``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    households = restrict(Household.objects.filter(archived_at__isnull=True), user)
    kept = tallied.per_grid(user, indicator, codes, now)
    if kept is not None:
        found = kept
    elif indicator == "residents":
        found = _per_grid(restrict(Resident.objects.filter(archived_at__isnull=True), user), codes)
    elif indicator == "cases_open":
        found = _per_grid(restrict(Case.objects.filter(status__in=OPEN_STATUSES), user), codes)
    elif indicator == "cases_overdue":
        found = _per_grid(restrict(Case.objects.filter(due_at__lt=now), user), codes)
    elif indicator == "coverage":
        visited = care.recent_visits(user, COVERAGE_DAYS, now=now)
        return {
            "visited": _per_grid(visited, codes, Count("household", distinct=True)),
            "households": _per_grid(households, codes),
        }
    elif indicator == "special_households":
        current = current_tag_q(today)
        own = GroupTag.objects.filter(current, household=OuterRef("pk"))
        member = GroupTag.objects.filter(
            current, resident__household=OuterRef("pk"), resident__archived_at__isnull=True
        )
        found = _per_grid(households.filter(Exists(own) | Exists(member)), codes)
    else:
        raise ServiceError(ErrorCode.INVALID, _("未知的地图指标。"), field="indicator")
    return {"value": found}


def _value(indicator: str, data: dict, codes: list[str]) -> float | None:
    if indicator == "coverage":
        homes = sum(data["households"].get(c, 0) for c in codes)
        seen = sum(data["visited"].get(c, 0) for c in codes)
        return round(seen / homes, 4) if homes else None
    return sum(data["value"].get(c, 0) for c in codes)


def _tolerance(zoom: int) -> float:
    """Simplify outlines to about a screen pixel at this zoom (degrees)."""
    return 360.0 / (2**zoom) / 256


def features(user, view: View, indicator: str, *, area: Q | None = None) -> dict:
    """A GeoJSON FeatureCollection: grid outlines (or community points when too many
    grids are in view) with ``value`` of ``indicator``."""
    if indicator not in INDICATORS:
        raise ServiceError(ErrorCode.INVALID, _("未知的地图指标。"), field="indicator")
    grids = restrict(Region.objects.filter(level=Level.GRID, boundary__isnull=False), user).filter(
        east__gte=view.west, west__lte=view.east, north__gte=view.south, south__lte=view.north
    )
    if area is not None:
        grids = grids.filter(area)
    n = grids.count()
    if n > MAX_FEATURES:
        return _communities(user, grids, indicator)
    rows = list(grids.values_list("code", "name", "boundary").order_by("code"))
    data = values(user, indicator, [c for c, _n, _b in rows])
    tolerance = _tolerance(view.zoom)
    out = []
    for code, name, boundary in rows:
        geom = shape(boundary).simplify(tolerance, preserve_topology=True)
        out.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {"code": code, "name": name, "value": _value(indicator, data, [code])},
            }
        )
    return {"type": "FeatureCollection", "features": out, "level": "grid", "indicator": indicator}


def _communities(user, grids, indicator: str) -> dict:
    by_community: dict[str, list] = {}
    for code, community, lng, lat in grids.values_list(
        "code", "community_id", "centroid_lng", "centroid_lat"
    ):
        by_community.setdefault(community, []).append((code, lng, lat))
    names = dict(Region.objects.filter(code__in=list(by_community)).values_list("code", "name"))
    data = values(user, indicator, [c for items in by_community.values() for c, _x, _y in items])
    out = []
    for community, items in list(by_community.items())[:MAX_FEATURES]:
        points = [(x, y) for _c, x, y in items if x is not None and y is not None]
        if not points:
            continue
        out.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(sum(x for x, _y in points) / len(points), 6),
                        round(sum(y for _x, y in points) / len(points), 6),
                    ],
                },
                "properties": {
                    "code": community,
                    "name": names.get(community, community),
                    "grids": len(items),
                    "value": _value(indicator, data, [c for c, _x, _y in items]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": out, "level": "community", "indicator": indicator}
