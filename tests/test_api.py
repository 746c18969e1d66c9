import json
from pathlib import Path

import pytest
from django.test import Client

from linli.accounts.services import do_create_token, do_revoke_token
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, GRID_A, GRID_B
from linli.regions.models import GridTeamMember, Region

OPENAPI = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


@pytest.fixture
def api(users):
    def make(name):
        _t, key = do_create_token(users[name], "test", actor=None)
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return make


def test_requires_auth(db):
    r = Client().get("/api/v1/regions/")
    assert r.status_code == 401
    assert r.json()["code"] == "authentication_required"
    assert r["Content-Type"] == "application/problem+json"


def test_revoked_token_refused(users):
    token, key = do_create_token(users["staff"], "t", actor=None)
    do_revoke_token(token, actor=None)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/regions/").status_code == 401


def test_list_filter_and_scope(api):
    c = api("staff")
    codes = {r["code"] for r in c.get("/api/v1/regions/?limit=100").json()["items"]}
    assert codes == {COMMUNITY_A, GRID_A, GRID_A[:-1] + "2"}
    grids = c.get("/api/v1/regions/?level=grid").json()
    assert grids["count"] == 2
    assert c.get("/api/v1/regions/?name=恩和&level=community").json()["count"] == 1


def test_detail_children_404(api):
    c = api("operator")
    assert c.get(f"/api/v1/regions/{COMMUNITY_A}").json()["subdistrict_code"] == "150902001"
    kids = c.get(f"/api/v1/regions/{COMMUNITY_A}/children").json()
    assert {k["code"] for k in kids["items"]} == {GRID_A, GRID_A[:-1] + "2"}
    out = api("outsider").get(f"/api/v1/regions/{GRID_A}")
    assert out.status_code == 404 and out.json()["code"] == "not_found"
    assert api("outsider").get("/api/v1/regions/150902001002999").json() == out.json()


def test_locate(api):
    c = api("operator")
    assert c.get("/api/v1/regions/locate?lng=113.105&lat=41.005").json()["code"] == GRID_A
    outside = c.get("/api/v1/regions/locate?lng=113.9&lat=41.9")
    assert outside.status_code == 422 and outside.json()["code"] == "outside_grids"
    assert "不在任何网格内" in outside.json()["detail"]
    bad = c.get("/api/v1/regions/locate?lng=abc&lat=1")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    # in a grid, but not the caller's: same as not found
    assert api("outsider").get("/api/v1/regions/locate?lng=113.105&lat=41.005").status_code == 404


def test_team_is_masked(api, users):
    do_create(
        GridTeamMember(
            grid_region=Region.objects.get(code=GRID_A), role="leader", name="甲", phone="13912345678"
        ),
        actor=users["staff"],
    )
    body = api("grid_worker").get(f"/api/v1/regions/{GRID_A}/team").content.decode()
    assert "139****5678" in body and "13912345678" not in body
    assert api("outsider").get(f"/api/v1/regions/{GRID_A}/team").status_code == 404


def test_housing_lists_scoped(api, users):
    from linli.regions.models import Compound

    do_create(Compound(grid_region=Region.objects.get(code=GRID_B), name="乙小区"), actor=users["outsider"])
    assert api("staff").get("/api/v1/regions/housing/compounds").json()["count"] == 0
    assert api("outsider").get("/api/v1/regions/housing/compounds").json()["count"] == 1
    assert api("staff").get(f"/api/v1/regions/housing/compounds?region={GRID_B}").status_code == 404


def test_session_auth(client_for):
    assert client_for("staff").get("/api/v1/regions/").status_code == 200


def test_docs_served(client_for):
    assert client_for("staff").get("/api/v1/docs").status_code == 200


def test_openapi_document_is_committed(client_for):
    """API changes are deliberate: regenerate docs/openapi.json with `make openapi`."""
    current = client_for("staff").get("/api/v1/openapi.json").json()
    assert OPENAPI.exists(), "docs/openapi.json is missing: run `make openapi`"
    assert json.loads(OPENAPI.read_text()) == current, "the API changed: run `make openapi` and commit"
