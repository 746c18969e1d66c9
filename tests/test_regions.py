import io
import json

import pytest
from openpyxl import Workbook

from linli.core.errors import ServiceError
from linli.core.testing import COMMUNITY_A, COMMUNITY_B, GRID_A, GRID_B, square
from linli.regions import divisions
from linli.regions.housing_import import import_housing, template_header
from linli.regions.models import Building, Compound, HousingUnit, Region
from linli.regions.services import do_create_grid, do_update_grid, import_grids, load_regions, locate


def test_load_district_matches_nbs_exactly(db):
    load_regions(["150902"])
    expected = {c: n for c, n in divisions.under("150902") if len(c) in (6, 9, 12)}
    got = dict(
        Region.objects.filter(code__startswith="150902").exclude(level="grid").values_list("code", "name")
    )
    assert got == expected
    assert Region.objects.filter(district_id="150902", level="subdistrict").count() == 10
    assert Region.objects.filter(district_id="150902", level="community").count() == 105
    assert Region.objects.get(code="150902").context_name == "内蒙古自治区乌兰察布市"
    assert Region.objects.get(code="150902001001").name == "恩和路社区居民委员会"


def test_load_is_idempotent_and_reports(db):
    first = load_regions(["150902"])
    again = load_regions(["150902"])
    assert again.added == [] and again.changed == [] and len(again.kept) == 116
    assert len(first.added) + len(first.kept) == 116
    Region.objects.filter(code="150902002").update(name="改过的名字")
    fixed = load_regions(["150902"])
    assert fixed.changed == ["150902002"]
    assert Region.objects.get(code="150902002").name == "桥东街道"


def test_load_whole_city(db):
    report = load_regions(["3303"])
    districts = Region.objects.filter(level="district", code__startswith="3303")
    assert districts.count() == 12
    assert len(report.added) == sum(1 for c, _ in divisions.under("3303") if len(c) in (6, 9, 12))
    assert Region.objects.filter(code__startswith="3303", level="community").count() > 2000


def test_scope_columns_filled(db):
    c = Region.objects.get(code=COMMUNITY_A)
    assert (c.district_id, c.subdistrict_id, c.community_id, c.grid_id) == (
        "150902",
        "150902001",
        COMMUNITY_A,
        None,
    )
    g = Region.objects.get(code=GRID_A)
    assert g.grid_id == GRID_A and g.community_id == COMMUNITY_A


@pytest.mark.parametrize(
    "code,message", [("15090", "格式错误"), ("abc123", "格式错误"), ("999999", "未找到")]
)
def test_load_bad_codes(db, code, message):
    with pytest.raises(ServiceError) as exc:
        load_regions([code])
    assert message in str(exc.value.message)


def test_grid_codes_sequence_and_duplicates(users):
    a = Region.objects.get(code=COMMUNITY_A)
    g = do_create_grid(a, "第三网格", actor=users["staff"])
    assert g.code == COMMUNITY_A + "003"
    with pytest.raises(ServiceError) as exc:
        do_create_grid(a, "重复", code=GRID_A, actor=users["staff"])
    assert exc.value.code == "duplicate"
    for bad in ("150902001002009", "15090200100100", "150902001001000"):
        with pytest.raises(ServiceError) as exc:
            do_create_grid(a, "坏编码", code=bad, actor=users["staff"])
        assert exc.value.code == "invalid_code"


@pytest.mark.parametrize(
    "boundary,code",
    [
        ("not json", "invalid_geometry"),
        ({"type": "Point", "coordinates": [113.1, 41.0]}, "invalid_geometry"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[113.2, 41.2], [113.21, 41.21], [113.2, 41.21], [113.21, 41.2], [113.2, 41.2]]
                ],
            },
            "invalid_geometry",
        ),  # bow-tie
        (square(-70.0, 41.0), "invalid_geometry"),  # outside China / lat-lng swapped
        (square(113.105, 41.0), "overlapping_grid"),  # half over grid A
    ],
)
def test_bad_boundaries_change_nothing(users, boundary, code):
    a = Region.objects.get(code=COMMUNITY_A)
    n = Region.objects.count()
    with pytest.raises(ServiceError) as exc:
        do_create_grid(a, "坏边界", boundary=boundary, actor=users["staff"])
    assert exc.value.code == code
    assert Region.objects.count() == n


def test_shared_edges_allowed(users):
    a = Region.objects.get(code=COMMUNITY_A)
    g = do_create_grid(a, "相邻", boundary=square(113.10, 41.01), actor=users["staff"])
    assert g.boundary["type"] == "Polygon"


def test_grid_worker_cannot_create_grids_and_outsider_not_in_a(users):
    from linli.core.errors import OutOfScope

    a = Region.objects.get(code=COMMUNITY_A)
    for name in ("grid_worker", "outsider"):
        with pytest.raises(OutOfScope):
            do_create_grid(a, "越权", actor=users[name])
    assert not Region.objects.filter(name="越权").exists()


def test_locate(db):
    assert locate(113.105, 41.005).code == GRID_A
    assert locate(113.125, 41.005).code == GRID_B
    with pytest.raises(ServiceError) as exc:
        locate(113.5, 41.5)
    assert exc.value.code == "outside_grids" and "不在任何网格内" in str(exc.value.message)


def test_locate_sees_new_boundaries(users):
    g = Region.objects.get(code=GRID_A)
    do_update_grid(g, boundary=square(113.30, 41.30), actor=users["staff"])
    assert locate(113.305, 41.305).code == GRID_A
    with pytest.raises(ServiceError):
        locate(113.105, 41.005)


def fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feat(code, name, community, geom):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "community": community},
        "geometry": geom,
    }


def test_import_grids_all_or_nothing(db):
    good = feat(COMMUNITY_B + "002", "体育场第2网格", COMMUNITY_B, square(113.13, 41.0))
    bad_type = feat(COMMUNITY_B + "003", "点", COMMUNITY_B, {"type": "Point", "coordinates": [113.1, 41.0]})
    unknown = feat("150902001099001", "无", "150902001099", square(113.15, 41.0))
    dup = feat(COMMUNITY_B + "002", "重复", COMMUNITY_B, square(113.16, 41.0))
    with pytest.raises(ServiceError) as exc:
        import_grids(fc(good, bad_type, unknown, dup))
    assert [e["index"] for e in exc.value.errors] == [1, 2, 3]
    assert not Region.objects.filter(code=COMMUNITY_B + "002").exists()
    assert import_grids(fc(good)) == {"added": 1, "updated": 0, "kept": 0}
    assert import_grids(fc(good)) == {"added": 0, "updated": 0, "kept": 1}


def test_import_grids_overlap_within_file(db):
    one = feat(COMMUNITY_B + "002", "a", COMMUNITY_B, square(113.13, 41.0))
    two = feat(COMMUNITY_B + "003", "b", COMMUNITY_B, square(113.135, 41.0))
    with pytest.raises(ServiceError) as exc:
        import_grids(fc(one, two))
    assert {e["code"] for e in exc.value.errors} == {"overlapping_grid"}


def test_import_grids_not_a_collection(db):
    for doc in ("{", json.dumps({"type": "Polygon"})):
        with pytest.raises(ServiceError):
            import_grids(doc)


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(template_header())
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_housing_import_and_reimport(users):
    rows = [
        [GRID_A, "恩和小区", "1号楼", 6, "1", 3, "301", 89.5, "住宅"],
        [GRID_A, "恩和小区", "1号楼", 6, "1", 3, "302", "", ""],
    ]
    data = xlsx(rows)
    assert import_housing(data, "h.xlsx", actor=users["staff"]) == {
        "compounds": 1,
        "buildings": 1,
        "housing_units": 2,
        "kept": 0,
    }
    assert import_housing(data, "h.xlsx", actor=users["staff"])["kept"] == 2
    assert HousingUnit.objects.filter(building__compound__name="恩和小区").count() == 2


def test_housing_import_errors_name_row_and_column(users):
    rows = [
        [GRID_A, "恩和小区", "1号楼", 6, "1", 3, "301", 89.5, "住宅"],
        [GRID_A, "恩和小区", "1号楼", 6, "1", 9, "901", "", ""],
        [GRID_B, "体育场小区", "2号楼", 6, "1", 1, "101", "", ""],
        [GRID_A, "恩和小区", "1号楼", 6, "1", 3, "301", "", "别墅"],
    ]
    with pytest.raises(ServiceError) as exc:
        import_housing(xlsx(rows), "h.xlsx", actor=users["staff"])
    errs = {(e["row"], e["column"]) for e in exc.value.errors}
    assert (3, "楼层") in errs  # above the building's floors
    assert (4, "网格编码") in errs  # grid B is outside community A's staff scope
    assert (5, "用途") in errs and (5, "房号") in errs
    assert not Compound.objects.filter(name="恩和小区").exists()
    assert not Building.objects.filter(name="1号楼").exists()


def test_housing_import_csv_and_bad_files(users):
    csv = ("\ufeff" + ",".join(template_header()) + f"\n{GRID_A},,门面房,1,,1,A01,,商铺\n").encode()
    assert import_housing(csv, "h.csv", actor=users["staff"])["housing_units"] == 1
    with pytest.raises(ServiceError) as exc:
        import_housing(b"hello", "h.txt", actor=users["staff"])
    assert exc.value.code == "unsupported_file"
    with pytest.raises(ServiceError):
        import_housing(b"not a zip", "h.xlsx", actor=users["staff"])
    with pytest.raises(ServiceError) as exc:
        import_housing("网格编码\n1\n".encode(), "h.csv", actor=users["staff"])
    assert "缺少列" in str(exc.value.message)


def test_region_pages(client_for):
    c = client_for("operator")
    page = c.get("/regions/150902001/").content.decode()
    assert "恩和路社区" in page and "新体路街道" in page
    assert c.get("/regions/?q=恩和").content.decode().count("恩和路社区居民委员会") == 1
    assert c.get("/regions/?q=150902001002").status_code == 200
    # the operator of 新体路 sees nothing of 桥东街道
    assert "桥东街道" not in c.get("/regions/?q=桥东").content.decode()


def test_region_page_counts_children(client_for, users):
    import_housing(
        xlsx([[GRID_A, "恩和小区", "1号楼", 6, "1", 3, "301", "", ""]]), "h.xlsx", actor=users["staff"]
    )
    page = client_for("operator").get(f"/regions/{COMMUNITY_A}/").content.decode()
    assert 'data-count="网格">2<' in page and 'data-count="房屋">1<' in page


def test_region_detail_out_of_scope_is_404(client_for):
    c = client_for("outsider")
    assert c.get(f"/regions/{COMMUNITY_A}/").status_code == 404
    assert c.get(f"/regions/{GRID_A}/").status_code == 404
    assert c.get(f"/regions/{COMMUNITY_B}/").status_code == 200
    assert c.get("/regions/150902099/").status_code == 404  # does not exist: same answer


def test_grid_form_create_and_errors(client_for):
    c = client_for("staff")
    url = f"/regions/{COMMUNITY_A}/grid/"
    bad = c.post(
        url, {"name": "新网格", "boundary": '{"type":"LineString","coordinates":[[113,41],[113.1,41]]}'}
    )
    assert bad.status_code == 200 and "多边形" in bad.content.decode()
    assert not Region.objects.filter(name="新网格").exists()
    ok = c.post(url, {"name": "新网格", "boundary": json.dumps(square(113.10, 41.02))})
    assert ok.status_code == 302 and Region.objects.filter(name="新网格", community_id=COMMUNITY_A).exists()
    assert client_for("grid_worker").get(url).status_code == 404
    assert client_for("outsider").get(url).status_code == 404


def test_housing_import_page(client_for):
    c = client_for("staff")
    assert c.get("/regions/housing/import/?template=xlsx").status_code == 200
    rows = xlsx([[GRID_B, "体育场小区", "2号楼", 6, "1", 1, "101", "", ""]])
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = c.post("/regions/housing/import/", {"file": SimpleUploadedFile("h.xlsx", rows)})
    assert resp.status_code == 200 and "不在您的管辖范围内" in resp.content.decode()
    assert not Compound.objects.filter(name="体育场小区").exists()
    assert client_for("handler").get("/regions/housing/import/").status_code == 404
