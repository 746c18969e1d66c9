"""The points ledger under real concurrency on SQLite: the demo server (its own process,
its file database, threaded) gets eight redemptions at the same moment from eight
threads; exactly as many succeed as the balance covers, and the balance and the stock
come out right. (On PostgreSQL the same is tested in tests/test_volunteers.py.)"""

import json
import random
import threading
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def _session(login) -> dict[str, str]:
    page = login("enhelu")  # community staff of 恩和路社区
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return {
        "Cookie": f"sessionid={cookies['sessionid']}; csrftoken={cookies.get('csrftoken', '')}",
        "X-CSRFToken": cookies.get("csrftoken", ""),
        "Content-Type": "application/json",
    }


def _call(url, headers, data=None):
    body = None if data is None else json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, headers=headers, method="GET" if data is None else "POST")  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - our own test server
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_simultaneous_redemptions_never_overspend(server_url, login):
    api = server_url + "/api/v1/volunteers/"
    headers = _session(login)
    mobile = f"139{random.randrange(10**8):08d}"
    status, v = _call(
        api + "volunteers", headers, {"name": "并发兑换测试", "phone": mobile, "community": "150902001001"}
    )
    assert status == 201, v
    status, rewards = _call(api + "rewards?limit=100", headers)
    item = max(rewards["items"], key=lambda r: r["stock"])
    price, stock = item["points"], item["stock"]
    assert stock >= 8
    status, _entry = _call(
        api + f"volunteers/{v['id']}/points", headers, {"points": 3 * price, "reason": "并发测试"}
    )
    assert status == 201

    barrier = threading.Barrier(8)
    results = []

    def redeem():
        barrier.wait(10)
        results.append(_call(api + f"volunteers/{v['id']}/redemptions", headers, {"reward": item["id"]}))

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(code for code, _ in results)
    assert codes == [201] * 3 + [422] * 5, results
    assert {body["code"] for code, body in results if code == 422} == {"insufficient_points"}
    _, after = _call(api + f"volunteers/{v['id']}", headers)
    assert after["points_balance"] == 0
    _, ledger = _call(api + f"volunteers/{v['id']}/points?limit=100", headers)
    assert sum(e["points"] for e in ledger["items"]) == 0 and len(ledger["items"]) == 4
    _, rewards = _call(api + "rewards?limit=100", headers)
    assert next(r for r in rewards["items"] if r["id"] == item["id"])["stock"] == stock - 3
