"""The command centre over the API: the same figures as the pages (one computation,
``figures``), the departments' table, and the map's grid layer."""

import datetime as dt
import json
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from linli.core.clusters import parse_view
from linli.core.dates import period
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import region_q
from linli.core.scoping import restrict
from linli.regions.models import Region
from linli.regions.nodes import home_region

from . import figures, gridmap
from .measures import DEPARTMENTS, MEASURES, group_measures

router = Router(tags=["dashboard"])
PERIODS = "month (default), last_month, year or custom (with start and end)"


class BoardQuery(Schema):
    region: str | None = Field(None, description="region code; default: the caller's highest post")
    period: str = Field("month", description=PERIODS)
    start: dt.date | None = None
    end: dt.date | None = None


class NodeFigures(Schema):
    code: str
    name: str
    level: str
    figures: dict = Field(description="measure key -> value (rates as fractions 0–1, None when undefined)")


class MeasureOut(Schema):
    key: str
    label: str
    section: str
    kind: str


class BoardOut(Schema):
    period: str
    start: dt.date
    end: dt.date
    node: NodeFigures
    children: list[NodeFigures]
    measures: list[MeasureOut]


def _period(query) -> figures.Period:
    params = {"period": query.period}
    if query.start and query.end:
        params.update(start=query.start.isoformat(), end=query.end.isoformat())
    return figures.Period(*period(params))


def _plain(row: dict) -> dict:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def _node(region: Region, row: dict) -> dict:
    return {"code": region.code, "name": region.name, "level": region.level, "figures": _plain(row)}


@router.get("/board", response=BoardOut)
def board(request, query: Query[BoardQuery]):
    """A region node's figures and each child's: what its dashboard shows."""
    user = request.auth
    if query.region:
        node = restrict(Region.objects.filter(code=query.region), user).first()
    else:
        node = home_region(user)
    if node is None:
        raise ServiceError(ErrorCode.UNKNOWN_REGION, _("区域不存在或不在您的管辖范围内。"), field="region")
    p = _period(query)
    b = figures.board(user, node, p)
    return {
        "period": p.name,
        "start": p.first,
        "end": p.last,
        "node": _node(node, b.total),
        "children": [_node(child, row) for child, row in b.rows],
        "measures": [
            {"key": m.key, "label": str(m.label), "section": m.section, "kind": m.kind}
            for m in [*MEASURES, *group_measures(b.groups)]
        ],
    }


class DepartmentFigures(Schema):
    id: int
    name: str
    region_code: str
    figures: dict


class DepartmentsOut(Schema):
    start: dt.date
    end: dt.date
    total: dict
    departments: list[DepartmentFigures]
    measures: list[MeasureOut]


class PeriodQuery(Schema):
    period: str = Field("month", description=PERIODS)
    start: dt.date | None = None
    end: dt.date | None = None


@router.get("/departments", response=DepartmentsOut)
def departments(request, query: Query[PeriodQuery]):
    """Per department the caller may see: dispatched, waiting, overdue, on-time rates."""
    p = _period(query)
    total, rows = figures.departments(request.auth, p)
    return {
        "start": p.first,
        "end": p.last,
        "total": _plain(total),
        "departments": [
            {
                "id": r.department.pk,
                "name": r.department.name,
                "region_code": r.department.region_id,
                "figures": _plain(r.figures),
            }
            for r in rows
        ],
        "measures": [
            {"key": m.key, "label": str(m.label), "section": m.section, "kind": m.kind} for m in DEPARTMENTS
        ],
    }


class GridQuery(Schema):
    bbox: str = Field(description="west,south,east,north in WGS84 degrees")
    zoom: int = Field(description="web map zoom 0–20")
    indicator: str = Field("residents", description=", ".join(gridmap.INDICATORS))
    region: str | None = Field(None, description="only grids under this region code")


@router.get("/map/grids")
def map_grids(request, query: Query[GridQuery]):
    """GeoJSON FeatureCollection of the grids in view coloured by ``indicator`` (community
    points instead when more than 2,000 grids are in view)."""
    view = parse_view(query.bbox, query.zoom)
    area = region_q(query.region) if query.region else None
    data = gridmap.features(request.auth, view, query.indicator, area=area)
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/geo+json")
