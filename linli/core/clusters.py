"""Points on a map, clustered on the server: only what is in view is read, and a response
never carries more than ``MAX_FEATURES`` features at any zoom.

The view (a bounding box and a web-map zoom level) is cut into cells of about
``CELL_PX`` screen pixels, anchored at (-180, -90) so a cluster stays put while the map
pans, square at ``LINLI_MAP_LATITUDE``. One GROUP BY returns, per cell, the number of
points, their mean position and the smallest id; cells holding one point come back as
that point. When a very large screen would need more cells than ``MAX_FEATURES``, the
cells grow until they fit.

Cells nest: each is four cells of the next zoom, so counts kept per cell of
``BASE_ZOOM`` (``base_cell``) add up to the cells of any zoom at or below it
(``View.base_shift``, ``from_base``): a district's map need not read a million points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, F, FloatField, Func, Min, QuerySet, Value
from django.utils.translation import gettext as _

from .errors import ErrorCode, ServiceError

CELL_PX = 64
TILE_PX = 256
MAX_FEATURES = 2000
MAX_ZOOM = 20
BASE_ZOOM = 13


def cell_size(zoom: int) -> tuple[float, float]:
    """Width and height in degrees of a cell at ``zoom`` (CELL_PX wide there)."""
    width = 360.0 / (2**zoom) * CELL_PX / TILE_PX
    return width, width * math.cos(math.radians(settings.LINLI_MAP_LATITUDE))


def base_cell() -> tuple[float, float]:
    return cell_size(BASE_ZOOM)


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
        the Mercator stretch, so cells look square), doubled until the view fits."""
        width, height = cell_size(self.zoom)
        while (self.east - self.west) / width * (self.north - self.south) / height > MAX_FEATURES * 0.9:
            width, height = width * 2, height * 2
        return width, height

    def base_shift(self) -> int | None:
        """How many times a cell of this view halves to a ``BASE_ZOOM`` cell (None when
        the view's cells are smaller than those)."""
        shift = round(math.log2(self.cell[0] / base_cell()[0]))
        return shift if shift >= 0 else None


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


def from_base(counts: dict[tuple[int, int], int], view: View) -> list[dict]:
    """The view's cells from counts per ``BASE_ZOOM`` cell ({(cx, cy): n}): every cell
    that meets the view, whole (its ``bbox`` is the cell, so listing it finds its
    ``count``), at the mean of its base cells' centres weighted by their counts."""
    shift = view.base_shift()
    assert shift is not None
    bw, bh = base_cell()
    width, height = view.cell
    lo_x, hi_x = int((view.west + 180) // width), int((view.east + 180) // width)
    lo_y, hi_y = int((view.south + 90) // height), int((view.north + 90) // height)
    cells: dict[tuple[int, int], list[float]] = {}
    for (bx, by), n in counts.items():
        key = (bx >> shift, by >> shift)
        if n and lo_x <= key[0] <= hi_x and lo_y <= key[1] <= hi_y:
            acc = cells.setdefault(key, [0, 0.0, 0.0])
            acc[0] += n
            acc[1] += n * ((by + 0.5) * bh - 90)
            acc[2] += n * ((bx + 0.5) * bw - 180)
    out = [
        {
            "count": n,
            "lat": round(lat / n, 6),
            "lng": round(lng / n, 6),
            "pk": None,
            "cell": (cx, cy),
            "bbox": [
                round(cx * width - 180, 6),
                round(cy * height - 90, 6),
                round((cx + 1) * width - 180, 6),
                round((cy + 1) * height - 90, 6),
            ],
        }
        for (cx, cy), (n, lat, lng) in cells.items()
    ]
    return out[:MAX_FEATURES]
