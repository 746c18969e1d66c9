"""Points on a map, clustered on the server: only what is in view is read, and a response
never carries more than ``MAX_FEATURES`` features at any zoom.

The view (a bounding box and a web-map zoom level) is cut into square cells of about
``CELL_PX`` screen pixels, anchored at (-180, -90) so a cluster stays put while the map
pans. One GROUP BY returns, per cell, the number of points, their mean position and the
smallest id; cells holding one point come back as that point. When a very large screen
would need more cells than ``MAX_FEATURES``, the cells grow until they fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Avg, Count, F, FloatField, Func, Min, QuerySet, Value
from django.utils.translation import gettext as _

from .errors import ErrorCode, ServiceError

CELL_PX = 64
TILE_PX = 256
MAX_FEATURES = 2000
MAX_ZOOM = 20


@dataclass(frozen=True)
class View:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def cell(self) -> tuple[float, float]:
        """Cell width and height in degrees: CELL_PX at this zoom (the height shrinks with
        the Mercator stretch at the view's middle latitude, so cells look square)."""
        width = 360.0 / (2**self.zoom) * CELL_PX / TILE_PX
        height = width * math.cos(math.radians((self.south + self.north) / 2))
        while (self.east - self.west) / width * (self.north - self.south) / height > MAX_FEATURES * 0.9:
            width, height = width * 2, height * 2
        return width, height


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """ "west,south,east,north" in WGS84 degrees, or None for anything malformed."""
    try:
        west, south, east, north = (float(v) for v in str(text or "").split(","))
    except ValueError:
        return None
    if -180 <= west < east <= 180 and -90 <= south < north <= 90:  # NaN fails every comparison
        return west, south, east, north
    return None


def parse_view(bbox: str | None, zoom: str | int | None) -> View:
    """``bbox`` as "west,south,east,north" in WGS84 degrees; ``zoom`` 0–20."""
    box = parse_bbox(bbox)
    try:
        z = int(zoom if zoom is not None else "")
    except ValueError:
        z = -1
    if box is None or not 0 <= z <= MAX_ZOOM:
        raise ServiceError(
            ErrorCode.INVALID, _("地图范围无效：应为 bbox=西,南,东,北（经纬度）和 zoom=0–20。"), field="bbox"
        )
    return View(*box, z)


class CellIndex(Func):
    """floor((value - origin) / size) as an integer; the value is always above the origin,
    so SQLite's CAST (which truncates) is the floor there, without a Python function."""

    function = "FLOOR"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS INTEGER)", **extra)


def clusters(qs: QuerySet, view: View, lat: str = "lat", lng: str = "lng") -> list[dict]:
    """Cells of the view with their count, mean position, (for a single point) its pk and
    the cell's bounds: ``[{"count": n, "lat": …, "lng": …, "pk": id or None, "bbox": […]}]``."""
    width, height = view.cell
    inside = qs.filter(
        **{
            f"{lat}__gte": view.south,
            f"{lat}__lte": view.north,
            f"{lng}__gte": view.west,
            f"{lng}__lte": view.east,
        }
    ).order_by()
    rows = (
        inside.annotate(
            cx=CellIndex((F(lng) + Value(180.0)) / Value(width)),
            cy=CellIndex((F(lat) + Value(90.0)) / Value(height)),
        )
        .values("cx", "cy")
        .annotate(count=Count("pk"), mlat=Avg(lat), mlng=Avg(lng), first=Min("pk"))
        .values_list("cx", "cy", "count", "mlat", "mlng", "first")
    )
    return [
        {
            "count": n,
            "lat": round(y, 6),
            "lng": round(x, 6),
            "pk": first if n == 1 else None,
            # the cell, clipped to the view: what a click on the cluster lists
            "bbox": [
                round(max(view.west, cx * width - 180), 6),
                round(max(view.south, cy * height - 90), 6),
                round(min(view.east, (cx + 1) * width - 180), 6),
                round(min(view.north, (cy + 1) * height - 90), 6),
            ],
        }
        for cx, cy, n, y, x, first in rows[:MAX_FEATURES]
    ]
