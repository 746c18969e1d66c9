import json
import re

import pytest

pytestmark = pytest.mark.browser


def test_grid_worker_lands_on_grid_and_reveals_a_phone(login, server_url):
    page = login("grid")
    assert re.search(r"/visits/$", page.url)  # the due-list is a worker's landing page
    page.goto(server_url + "/regions/150902001001001/")
    assert page.locator("h1").inner_text().startswith("恩和路社区第1网格")
    # the team list shows masked phones
    assert "139****0001" in page.content()
    page.goto(server_url + "/regions/team/")
    page.locator("table a").first.click()
    masked = page.locator("#pii-phone").inner_text()
    assert "****" in masked
    page.get_by_role("button", name="查看").click()
    page.wait_for_function("!document.querySelector('#pii-phone').innerText.includes('*')")
    assert re.fullmatch(r"1\d{10}", page.locator("#pii-phone").inner_text().strip())


def test_staff_draws_a_grid_on_the_map(login, server_url):
    page = login("enhelu")
    page.goto(server_url + "/regions/150902001001/")
    page.click("#add-grid")
    page.fill("#id_name", "浏览器绘制网格")
    box = page.locator("#map").bounding_box()
    assert box
    # three clicks inside the visible map draw a triangle; the field receives GeoJSON
    for dx, dy in ((0.2, 0.2), (0.3, 0.2), (0.25, 0.3)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    geo = json.loads(page.input_value("#id_boundary"))
    assert geo["type"] == "Polygon" and len(geo["coordinates"][0]) == 4
    page.fill(
        "#id_boundary",
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[113.30, 41.30], [113.31, 41.30], [113.31, 41.31], [113.30, 41.31], [113.30, 41.30]]
                ],
            }
        ),
    )
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/regions/150902001001\d{3}/$"))
    assert "浏览器绘制网格" in page.locator("h1").inner_text()
    page.wait_for_selector("path.leaflet-interactive")  # the saved boundary is drawn


def test_region_search_and_language_switch(login, server_url):
    page = login("district")
    page.goto(server_url + "/regions/")
    page.fill("#region-search", "恩和")
    page.wait_for_selector("#region-results >> text=恩和路社区居民委员会")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("#lang-switch")


def test_outsider_gets_404(login, server_url):
    page = login("tiyuchang")
    resp = page.goto(server_url + "/regions/150902001001001/")
    assert resp is not None and resp.status == 404


def test_staff_reports_a_case_finds_it_on_the_map_and_accepts_it_in_bulk(login, server_url):
    page = login("enhelu")
    page.goto(server_url + "/cases/new/")
    value = page.locator("#id_category option", has_text="乱堆物堆料").get_attribute("value")
    page.select_option("#id_category", value)
    page.fill("#id_description", "浏览器上报：楼道口堆放杂物")
    # a point in the middle of the community's first grid (the form's map shows them)
    page.evaluate(
        """() => {
          const ring = JSON.parse(document.getElementById("grids").textContent).features[0].geometry.coordinates[0];
          const n = ring.length - 1;
          document.getElementById("id_lng").value = ring.slice(0, n).reduce((s, p) => s + p[0], 0) / n;
          document.getElementById("id_lat").value = ring.slice(0, n).reduce((s, p) => s + p[1], 0) / n;
        }"""
    )
    page.click("#case-form button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    number = re.search(r"编号 (\d+)", page.content())
    assert number
    page.goto(server_url + "/cases/map/")
    page.wait_for_function("document.getElementById('map-status').textContent.trim().startsWith('1 ')")
    page.locator(".leaflet-interactive").first.click()
    page.wait_for_selector(f".leaflet-popup-content >> text={number.group(1)}")
    page.goto(server_url + "/cases/")
    page.check(f"input[name=ids][aria-label='{number.group(1)}']")
    page.select_option("#bulk-form select[name=action]", "accept")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("text=已对 1 个事件立案")


def test_grid_worker_day_visit_becomes_case_and_leader_sees_progress(login, server_url, page):
    """On a phone: the due-list landing page, a visit recorded, its finding turned into a
    case; the community's leader sees it in the worker's quota progress."""

    def visits_of_liu_yang() -> int:
        page.goto(server_url + "/visits/progress/")
        return int(page.locator("#progress tr", has_text="网格员 刘洋").locator("td").nth(5).inner_text())

    login("enhelu")
    before = visits_of_liu_yang()
    assert page.locator("#progress-chart canvas").count() == 1  # ECharts drew the chart
    page.context.clear_cookies()
    login("grid")
    assert re.search(r"/visits/$", page.url)
    assert page.locator("#due-list").is_visible() and page.locator("#my-progress").is_visible()
    page.click("#record-visit")
    page.wait_for_url(re.compile(r"/visits/new/$"))
    page.select_option("#id_household", index=1)
    page.fill("#id_met", "户主本人")
    page.fill("#id_findings", "浏览器走访：单元门禁损坏")
    page.click("#visit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/visits/diary/\d+/$"))
    assert "浏览器走访：单元门禁损坏" in page.content()
    page.select_option("#to-case select[name=category]", index=1)
    page.click("#to-case button")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    assert "浏览器走访：单元门禁损坏" in page.content()
    page.context.clear_cookies()
    login("enhelu")
    assert visits_of_liu_yang() == before + 1
