"""Grid geometry: validating boundaries and locating a point to its grid.

Locating uses a shapely STRtree over every grid boundary, cached per process and
rebuilt when the grids change (a cheap version query: count and last update), so
several web processes each stay correct.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import threading

from django.db import connection
from django.db.models import Count, Max
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from linli.core.errors import ErrorCode, ServiceError
from linli.core.roles import Level

# China's bounding box (WGS84), loosely: anything outside is a mistake.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
# Two grids may share an edge and differ by a drawing tolerance, not more.
MAX_OVERLAP_RATIO = 0.02


def parse_boundary(value) -> BaseGeometry:
    """A Polygon or MultiPolygon from GeoJSON (text, a geometry or a Feature)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ServiceError(
                ErrorCode.INVALID_GEOMETRY, _("边界不是有效的 GeoJSON：%(e)s") % {"e": exc.msg}
            ) from exc
    if not isinstance(value, dict):
        raise ServiceError(ErrorCode.INVALID_GEOMETRY, _("边界应为 GeoJSON 对象。"))
    if value.get("type") == "Feature":
        value = value.get("geometry") or {}
    if value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ServiceError(
            ErrorCode.INVALID_GEOMETRY,
            _("边界必须是多边形（Polygon 或 MultiPolygon），而不是 %(t)s。") % {"t": value.get("type")},
        )
    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ServiceError(ErrorCode.INVALID_GEOMETRY, _("边界坐标格式错误。")) from exc
    if geom.is_empty or geom.area == 0:
        raise ServiceError(ErrorCode.INVALID_GEOMETRY, _("边界面积为零。"))
    if not geom.is_valid:
        raise ServiceError(
            ErrorCode.INVALID_GEOMETRY, _("边界自相交或不闭合：%(r)s") % {"r": explain_validity(geom)}
        )
    minx, miny, maxx, maxy = geom.bounds
    if minx < LNG_RANGE[0] or maxx > LNG_RANGE[1] or miny < LAT_RANGE[0] or maxy > LAT_RANGE[1]:
        raise ServiceError(
            ErrorCode.INVALID_GEOMETRY, _("边界坐标超出中国范围（应为 WGS84 经纬度，经度在前）。")
        )
    return geom


def check_overlaps(geom: BaseGeometry, others: list[tuple[str, str, BaseGeometry]]) -> None:
    """Refuse a boundary that overlaps another grid by more than a drawing tolerance."""
    for code, name, other in others:
        if not geom.intersects(other):
            continue
        shared = geom.intersection(other).area
        ratio = shared / min(geom.area, other.area)
        if ratio > MAX_OVERLAP_RATIO:
            raise ServiceError(
                ErrorCode.OVERLAPPING_GRID,
                _("边界与网格 %(name)s（%(code)s）重叠 %(pct).0f%%。")
                % {"name": name, "code": code, "pct": ratio * 100},
            )


class _GridIndex:
    def __init__(self):
        self.lock = threading.Lock()
        self.version = None
        self.tree: STRtree | None = None
        self.codes: list[str] = []
        self.geoms: list[BaseGeometry] = []
        self.regions: dict = {}  # code -> the grid's Region

    @functools.cached_property
    def _version_sql(self) -> tuple[str, tuple]:
        """The version query, compiled once: it runs before every lookup (each intake)."""
        from .models import Region

        qs = (
            Region.objects.filter(level=Level.GRID, boundary__isnull=False)
            .order_by()
            .values("level")
            .annotate(n=Count("code"), last=Max("updated_at"))
            .values_list("n", "last")
        )
        return qs.query.sql_with_params()

    def _current_version(self):
        """(grids with a boundary, their latest change): a new value means reload."""
        sql, params = self._version_sql
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return tuple(cur.fetchone() or ())

    def get(self):
        from .models import Region

        version = self._current_version()
        with self.lock:
            if version != self.version:
                grids = list(Region.objects.filter(level=Level.GRID, boundary__isnull=False))
                self.codes = [g.code for g in grids]
                self.geoms = [shape(g.boundary) for g in grids]
                self.tree = STRtree(self.geoms) if self.geoms else None
                self.regions = {g.code: g for g in grids}
                self.version = version
            return self.tree, self.codes, self.geoms, self.regions


grid_index = _GridIndex()


def locate_grid(lng: float, lat: float):
    """The grid (a copy of the cached Region) containing the point, or None."""
    tree, codes, _geoms, regions = grid_index.get()
    if tree is None:
        return None
    pt = Point(lng, lat)
    hits = sorted(codes[i] for i in tree.query(pt, predicate="intersects"))
    return copy.copy(regions[hits[0]]) if hits else None


def grid_features(grids, limit: int) -> dict:
    """A GeoJSON FeatureCollection of the grids in ``grids`` (already scoped) for a map."""
    rows = grids.filter(boundary__isnull=False).values_list("code", "name", "boundary")[:limit]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": boundary, "properties": {"code": code, "name": name}}
            for code, name, boundary in rows
        ],
    }


# --- GCJ-02 -----------------------------------------------------------------------------
# Phone map SDKs in China (AMap, Tencent, WeChat's location API) give GCJ-02 points: WGS84
# shifted by a published, non-linear formula (a few hundred metres). Linli stores WGS84;
# ``gcj02_to_wgs84`` inverts the shift by fixed-point iteration (to about 1e-7 degrees).
_A = 6378245.0
_EE = 0.00669342162296594323


def _shift(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lng, d_lat


def _in_china(lng: float, lat: float) -> bool:
    return LNG_RANGE[0] <= lng <= LNG_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if not _in_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _shift(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """The WGS84 point whose GCJ-02 form is (lng, lat)."""
    if not _in_china(lng, lat):
        return lng, lat
    x, y = lng, lat
    for _i in range(10):
        gx, gy = wgs84_to_gcj02(x, y)
        x, y = x - (gx - lng), y - (gy - lat)
        if abs(gx - lng) < 1e-9 and abs(gy - lat) < 1e-9:
            break
    return round(x, 7), round(y, 7)


COORDINATE_SYSTEMS = ("wgs84", "gcj02")


def to_wgs84(lng: float | None, lat: float | None, crs: str = "wgs84") -> tuple[float | None, float | None]:
    """A point in ``crs`` (wgs84 or gcj02) as WGS84; None stays None."""
    if crs not in COORDINATE_SYSTEMS:
        raise ServiceError(ErrorCode.INVALID, _("坐标系应为 wgs84 或 gcj02。"), field="crs")
    if lng is None or lat is None or crs == "wgs84":
        return lng, lat
    return gcj02_to_wgs84(lng, lat)
