"""The map of cases: server-side clusters of what is in view, never more than 2,000
features, filtered and scoped like the list, on the page and the API."""

import math

import pytest
from django.test import override_settings

from linli.cases import mapping
from linli.cases.models import Case, Status
from linli.cases.queries import case_filters
from linli.cases.services import report_case
from linli.core import clusters
from linli.core.errors import ServiceError
from linli.core.scoping import restrict
from linli.core.testing import GRID_A
from tests.test_api import api  # noqa: F401  (fixture)
from tests.test_cases import intake

VIEW = "113.09,40.99,113.14,41.02"  # the three test grids and some space around them


def _cases(users, points):
    return [report_case(intake(lng=x, lat=y), actor=users["staff"])[0] for x, y in points]


def _data(c, bbox=VIEW, zoom=13, **filters):
    r = c.get("/cases/map/data/", {"bbox": bbox, "zoom": zoom, **filters})
    assert r.status_code == 200, r.content
    return r.json()["features"]


def test_clusters_split_as_the_map_zooms_in(users, client_for):
    near = [(113.1010, 41.0010), (113.1011, 41.0011), (113.1012, 41.0012)]
    far = [(113.1090, 41.0090)]
    made = _cases(users, near + far)
    staff = client_for("staff")
    wide = _data(staff, zoom=13)  # a cell is ~0.011° wide: the four cases fall in one or two cells
    assert sum(f["properties"]["count"] for f in wide) == 4 and len(wide) <= 2
    # a phone-sized view at zoom 19 (~0.00017° cells): the near three apart, each a single case
    close = _data(staff, bbox="113.1005,41.0005,113.1020,41.0018", zoom=19)
    assert len(close) == 3 and all(f["properties"]["count"] == 1 for f in close)
    assert {f["properties"]["id"] for f in close} == {c.pk for c in made[:3]}  # only what is in view
    (far_case,) = _data(staff, bbox="113.105,41.005,113.11,41.01", zoom=17)
    one = far_case["properties"]
    assert one["id"] == made[3].pk and one["number"] == made[3].number and one["status"] == Status.REPORTED
    assert far_case["geometry"]["coordinates"] == [113.109, 41.009]


def test_a_cluster_lists_its_cases(users, client_for):
    made = _cases(users, [(113.1010, 41.0010), (113.1011, 41.0011)])
    staff = client_for("staff")
    (cluster,) = _data(staff, zoom=12)
    assert cluster["properties"]["count"] == 2 and "id" not in cluster["properties"]
    w, s, e, n = cluster["properties"]["bbox"]
    assert w <= 113.1010 <= e and s <= 41.0010 <= n
    listed = staff.get(
        "/cases/", {"bbox": ",".join(map(str, cluster["properties"]["bbox"]))}
    ).content.decode()
    assert all(c.number in listed for c in made)
    outside = staff.get("/cases/", {"bbox": "113.12,41.0,113.13,41.01"}).content.decode()
    assert not any(c.number in outside for c in made)


def test_scoped_and_filtered_like_the_list(users, client_for):
    (case,) = _cases(users, [(113.105, 41.005)])
    assert _data(client_for("outsider")) == []  # another community's staff
    assert _data(client_for("handler")) == []  # not dispatched to their department
    assert len(_data(client_for("operator"))) == 1
    staff = client_for("staff")
    assert _data(staff, status="closed") == []
    assert len(_data(staff, status="reported")) == 1
    case.lat = case.lng = None  # a case known only by its address is not on the map
    case.save()
    assert _data(staff) == []


@pytest.mark.parametrize(
    "bbox,zoom",
    [
        ("", 12),
        ("1,2,3", 12),
        ("113.2,41,113.1,41.1", 12),
        ("a,b,c,d", 12),
        (VIEW, 30),
        (VIEW, "x"),
        ("nan,41,113.1,41.1", 12),
        ("-190,0,10,10", 3),
    ],
)
def test_bad_views_are_refused_with_a_message(client_for, bbox, zoom):
    r = client_for("staff").get("/cases/map/data/", {"bbox": bbox, "zoom": zoom})
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "地图范围无效" in r.json()["message"]


def test_never_more_than_2000_features(users):
    template = _cases(users, [(113.105, 41.005)])[0]
    rows = []
    for i in range(3000):  # a 60 × 50 lattice inside grid A, 0.00015° apart
        x, y = 113.1001 + (i % 60) * 0.00015, 41.0001 + (i // 60) * 0.00015
        rows.append(
            Case(
                number=f"T{i:07d}",
                tracking_code=f"T{i:07d}",
                channel=template.channel,
                category=template.category,
                description="x",
                lat=y,
                lng=x,
                region=template.region,
                district=template.district,
                subdistrict=template.subdistrict,
                community=template.community,
                grid=template.grid,
            )
        )
    Case.objects.bulk_create(rows)
    qs = Case.objects.all()
    # every zoom from the whole world to the closest, and a huge screen at the closest zoom
    for zoom in range(0, 21):
        cells = clusters.clusters(qs, clusters.View(-180, -85, 180, 85, zoom))
        assert len(cells) <= clusters.MAX_FEATURES and sum(c["count"] for c in cells) == 3001
    view = clusters.View(113.0, 40.9, 113.2, 41.1, 20)
    width, height = view.cell
    assert math.ceil(0.2 / width) * math.ceil(0.2 / height) <= clusters.MAX_FEATURES
    cells = clusters.clusters(qs, view)
    assert len(cells) <= clusters.MAX_FEATURES and sum(c["count"] for c in cells) == 3001


def test_parse_view():
    v = clusters.parse_view("113.1,41.0,113.2,41.1", "12")
    assert (v.west, v.south, v.east, v.north, v.zoom) == (113.1, 41.0, 113.2, 41.1, 12)
    with pytest.raises(ServiceError):
        clusters.parse_view(None, None)


def test_map_page_and_api(users, client_for, api):  # noqa: F811
    _cases(users, [(113.105, 41.005)])
    page = client_for("staff").get("/cases/map/").content.decode()
    assert 'id="case-map"' in page and 'id="map-bounds"' in page and 'name="status"' in page
    assert 'data-tiles=""' in page  # no tile server configured: a blank background
    with override_settings(LINLI_TILE_URL="https://tile.example/{z}/{x}/{y}.png"):
        tiled = client_for("staff").get("/cases/map/").content.decode()
    assert 'data-tiles="https://tile.example/{z}/{x}/{y}.png"' in tiled
    assert client_for("sysadmin").get("/cases/map/").status_code == 404
    r = api("staff").get("/api/v1/cases/map", {"bbox": VIEW, "zoom": 19})
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    assert [f["properties"]["count"] for f in r.json()["features"]] == [1]
    assert api("outsider").get("/api/v1/cases/map", {"bbox": VIEW, "zoom": 19}).json()["features"] == []
    bad = api("staff").get("/api/v1/cases/map", {"bbox": "1,2", "zoom": 3})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def _by_cell(features, view):
    """{cell of the view: (count, id of a single case)} from a response's features."""
    width, height = view.cell
    out = {}
    for f in features:
        lng, lat = f["geometry"]["coordinates"]
        key = (math.floor((lng + 180) / width), math.floor((lat + 90) / height))
        assert key not in out
        out[key] = (f["properties"]["count"], f["properties"].get("id"))
    return out


@pytest.mark.parametrize("zoom", [8, 11, 13])
def test_a_large_view_is_drawn_from_the_kept_counts_alike(users, monkeypatch, zoom):
    """The counts kept per status and cell (``tallies.CELLS``) give every cell the count
    (and a single case its id) that reading the cases gives, whoever looks and with every
    filter the counts answer; other filters, and handlers, read the cases."""

    points = [(113.1010, 41.0010), (113.1011, 41.0011), (113.1090, 41.0090), (113.125, 41.005)]
    made = [report_case(intake(lng=x, lat=y), actor=users["district_op"])[0] for x, y in points * 8]
    for i, case in enumerate(made[4:]):  # spread over the view (where intake would refuse some)
        Case.objects.filter(pk=case.pk).update(lng=112.6 + i * 0.0313, lat=40.6 + (i * 7 % 29) * 0.0301)
    Case.objects.filter(pk__in=[c.pk for c in made[::3]]).update(status=Status.ACCEPTED)
    Case.objects.filter(pk=made[1].pk).update(lat=41.05, lng=113.15)  # moved on the map
    view = clusters.View(112.5, 40.5, 113.5, 41.5, zoom)
    monkeypatch.setattr(mapping, "KEPT_FROM", 0)
    compared = 0
    for who in ("district_op", "operator", "staff", "grid_worker"):
        for params in ({}, {"status": "accepted"}, {"open": "1"}, {"region": GRID_A}, {"status": "bad"}):
            qs = case_filters(restrict(Case.objects.all(), users[who]), params)
            live = mapping.case_features(qs, view)["features"]
            kept_cells = mapping._from_counts(qs, view, users[who], params)
            assert kept_cells is not None, (who, params)
            kept = mapping.case_features(qs, view, user=users[who], params=params)["features"]
            assert _by_cell(kept, view) == _by_cell(live, view), (who, params)
            compared += bool(live)
    assert compared > 10
    qs = restrict(Case.objects.all(), users["handler"])
    assert mapping._from_counts(qs, view, users["handler"], {}) is None  # not by region
    qs = restrict(Case.objects.all(), users["staff"])
    assert mapping._from_counts(qs, view, users["staff"], {"category": "1"}) is None
    assert mapping._from_counts(qs, clusters.View(113.0, 41.0, 113.1, 41.1, 15), users["staff"], {}) is None
