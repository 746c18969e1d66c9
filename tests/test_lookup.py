"""Choice fields over many records become search boxes; the search is scoped."""

from linli.core import lookup
from linli.core.testing import GRID_B
from tests.test_people import register, unit


def test_long_dropdowns_become_scoped_search_boxes(users, client_for, monkeypatch):
    r = register(users, "查房甲", seq="971")
    target = unit(users, room="971")
    other = unit(users, GRID_B, room="972")  # another community: out of the grid worker's scope
    c = client_for("grid_worker")
    url = f"/people/residents/{r.pk}/move/"
    assert "<select" in c.get(url).content.decode()  # few units: a dropdown
    monkeypatch.setattr(lookup, "DROPDOWN_LIMIT", 1)
    page = c.get(url).content.decode()
    assert (
        'name="to_unit"' in page and "data-lookup-search" in page and "/lookup/regions.housingunit/" in page
    )
    assert "<option" not in page.split('name="to_unit"')[1].split("</div>")[0]
    found = c.get("/lookup/regions.housingunit/", {"q": "人口测试楼 971"}).content.decode()
    assert f'data-lookup-pick="{target.pk}"' in found
    assert (
        f'data-lookup-pick="{other.pk}"'
        not in c.get("/lookup/regions.housingunit/", {"q": "972"}).content.decode()
    )
    assert "没有找到" in c.get("/lookup/regions.housingunit/", {"q": "不存在的楼"}).content.decode()
    # the hidden key posts like the dropdown did, and is still checked against the scope
    assert c.post(url, {"kind": "within", "to_unit": other.pk, "moved_on": "2026-01-01"}).status_code == 200
    ok = c.post(url, {"kind": "within", "to_unit": target.pk, "moved_on": "2026-01-01"})
    assert ok.status_code == 302
    # the edit form of a resident shows the current unit's name in the search box
    edit = c.get(f"/people/residents/{r.pk}/edit/").content.decode()
    assert "人口测试楼 1单元971" in edit
    assert c.get("/lookup/people.nosuch/", {"q": "x"}).status_code == 404
    assert (
        client_for("outsider")
        .get("/lookup/regions.housingunit/", {"q": "971"})
        .content.decode()
        .count("data-lookup-pick")
        == 0
    )
