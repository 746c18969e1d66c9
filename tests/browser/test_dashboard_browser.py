"""The command centre in a real browser: the chart draws, a child's name drills down,
the map colours the grids in view and a click opens the grid's card."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_operator_drills_down_and_opens_a_grid_card(login, server_url):
    page = login("district")
    assert re.search(r"/dashboard/$", page.url)  # operators land on their dashboard
    page.wait_for_selector("#board-chart canvas")
    residents = page.locator("#section-population [data-measure=residents]").first.inner_text()
    assert int(residents) > 0
    page.locator("#table-population a.drill").first.click()
    page.wait_for_url(re.compile(r"\?region=\d{9}&"))
    assert page.locator("#breadcrumb a").count() == 1  # back up to the district
    page.goto(server_url + "/dashboard/map/?indicator=coverage")
    # the map reloads its grids on every move: wait for the last load to be drawn
    page.wait_for_selector("#situation-map[aria-busy=false] path.leaflet-interactive")
    assert "走访覆盖率" in page.locator("#map-legend").inner_text()
    page.locator("#situation-map path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector("#grid-card .grid-card")
    assert "网格看板" in page.locator("#grid-card").inner_text()
    page.select_option("#indicator", "residents")
    page.wait_for_function("document.getElementById('map-legend').innerText.includes('实有人口')")


def test_the_served_board_agrees_with_its_lists(login, server_url):
    """On the real server the board's two groups of counts run on two connections at once
    (core/parallel.py; a test's transaction keeps them on one): each total that links to a
    list, from either group, is the number of rows that list shows."""
    page = login("district")
    links = page.locator("a[data-measure]").evaluate_all(
        "els => els.filter(e => !e.closest('table'))"
        ".map(e => [e.dataset.measure, e.innerText.replace(/,/g, ''), e.getAttribute('href')])"
    )
    checked = set()
    for measure, text, href in links:
        if measure in (
            "residents",
            "households",
            "visits",
            "vol_volunteers",
            "cases_open",
        ) or measure.startswith("group_"):
            page.goto(server_url + href)
            found = re.search(r"共 (\d+) 条", page.content())
            assert found and int(found.group(1)) == int(text), (measure, text, href)
            checked.add(measure.split("_")[0])
    assert {"residents", "households", "visits", "group", "cases"} <= checked
