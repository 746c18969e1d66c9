"""The map of cases: what is in view, clustered on the server (``core.clusters``), as a
GeoJSON FeatureCollection for the page and the API alike.

A view holding many cases (a district's million) is clustered from the counts the
database keeps per status and map cell (``tallies.CELLS``), when the filters are ones
those counts answer (status, open, region) and the user's view is by region; otherwise,
and for a view with fewer than ``KEPT_FROM`` cases, the cases themselves are read."""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.db.models import Q, QuerySet, Sum

from linli.core import tally
from linli.core.clusters import View, clusters, from_base
from linli.core.models import Tally, region_q

from .models import OPEN_STATUSES, Case, Status

KEPT_FROM = 20_000  # cases in view from which the kept counts are read instead
SINGLES = 500  # single cases looked up, at most, on a map drawn from the counts
KEPT_FILTERS = {"status", "open", "region", "zoom"}


def case_features(qs: QuerySet[Case], view: View, *, user=None, params: Mapping | None = None) -> dict:
    """Clusters (``count`` > 1) and single cases (with their number, category and status)
    of ``qs`` inside the view. Cases without a point are not on the map. ``user`` and
    ``params`` (the list filters ``qs`` was made with) let a large view use the kept counts."""
    cells = _from_counts(qs, view, user, params) if user is not None and params is not None else None
    if cells is None:
        cells = clusters(qs, view)
    singles = {
        case.pk: case
        for case in Case.objects.filter(pk__in=[c["pk"] for c in cells if c["pk"]])
        .select_related("category")
        .only("pk", "number", "status", "warned", "category__name")
    }
    features = []
    for cell in cells:
        props: dict = {"count": cell["count"], "bbox": cell["bbox"]}
        case = singles.get(cell["pk"])
        if case is not None:
            props.update(
                id=case.pk,
                number=case.number,
                category=case.category.name,
                status=case.status,
                status_label=str(case.get_status_display()),
                warned=case.warned,
            )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [cell["lng"], cell["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _from_counts(qs: QuerySet[Case], view: View, user, params: Mapping) -> list[dict] | None:
    """The view's cells from the kept counts, or None when they cannot answer (or the
    view holds few enough cases to read)."""
    used = {k for k, v in params.items() if v not in (None, "", False)}
    if view.base_shift() is None or used - KEPT_FILTERS:
        return None
    where = tally.visible(user, Case)
    if where is False:
        return None
    rows = Tally.objects.filter(measure="case.cell")
    if where is not None:
        rows = rows.filter(where)
    if params.get("region"):
        rows = rows.filter(region_q(str(params["region"])))
    statuses: set[str] = set(Status.values)
    if params.get("status") in Status.values:
        statuses = {str(params["status"])}
    if params.get("open"):
        statuses &= set(OPEN_STATUSES)
    counts: dict[tuple[int, int], int] = {}
    for value, n in rows.values_list("value").annotate(n=Sum("n")).order_by():
        status, x, y = value.split(":")
        if status in statuses:
            key = (int(x), int(y))
            counts[key] = counts.get(key, 0) + n
    cells = from_base(counts, view)
    if sum(c["count"] for c in cells) < KEPT_FROM:
        return None
    _find_singles(qs, view, [c for c in cells if c["count"] == 1][:SINGLES])
    return cells


def _find_singles(qs: QuerySet[Case], view: View, cells: list[dict]) -> None:
    """Give each cell holding one case that case's pk (one query)."""
    if not cells:
        return
    inside = Q()
    for c in cells:
        west, south, east, north = c["bbox"]
        inside |= Q(lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north)
    width, height = view.cell
    by_cell = {c["cell"]: c for c in cells}
    for pk, lat, lng in qs.filter(inside).values_list("pk", "lat", "lng").order_by():
        assert lat is not None and lng is not None  # inside a box
        cell = by_cell.get((math.floor((lng + 180) / width), math.floor((lat + 90) / height)))
        if cell is not None:
            cell["pk"] = pk
