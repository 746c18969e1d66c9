"""Open311 GeoReport v2: what a third-party client does — discover, list services, read a
definition, submit a request with its api_key, read it back by id and by token — in JSON
and XML, with the specification's error shape."""

from defusedxml import ElementTree as ET
from django.test import Client

from linli.accounts.services import do_create_token
from linli.cases import workflow
from linli.cases.models import Case


def test_client_lists_submits_and_reads_back(users):
    c = Client()
    disc = c.get("/open311/discovery.json").json()
    assert disc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert c.get("/open311/v2/").json()["endpoints"][0]["formats"] == ["application/json", "text/xml"]
    assert ET.fromstring(c.get("/open311/discovery.xml").content).find("endpoints/endpoint/url") is not None
    services = c.get("/open311/v2/services.json").json()
    noise = next(s for s in services if s["service_code"] == "1101")
    assert noise == {
        "service_code": "1101", "service_name": "噪音扰民", "description": "邻里纠纷 / 噪音扰民",
        "metadata": False, "type": "realtime", "keywords": ["邻里纠纷"], "group": "邻里纠纷",
    }  # fmt: skip
    xml = ET.fromstring(c.get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and xml.find("service/service_code") is not None
    assert c.get("/open311/v2/services/1101.json").json() == {"service_code": "1101", "attributes": []}
    missing = c.get("/open311/v2/services/9999.json")
    assert missing.status_code == 404 and missing.json() == [
        {"code": 404, "description": "service_code not found"}
    ]

    _t, key = do_create_token(users["grid_worker"], "open311 client", actor=None)
    form = {
        "api_key": key, "service_code": "1101", "lat": "41.005", "long": "113.105",
        "description": "楼上深夜噪音", "first_name": "明", "last_name": "李", "phone": "13612345678",
    }  # fmt: skip
    assert c.post("/open311/v2/requests.json", {**form, "api_key": "wrong"}).status_code == 403
    bad = c.post("/open311/v2/requests.json", {**form, "lat": "30", "long": "100"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    assert c.post("/open311/v2/requests.json", {**form, "service_code": "nope"}).status_code == 404
    created = c.post("/open311/v2/requests.json", form)
    assert created.status_code == 201
    number = created.json()[0]["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.channel == "api" and case.reporter_name == "李 明"
    # read back: public fields without a key, the full request with one; never the reporter
    public = c.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert public["status"] == "open" and public["service_code"] == "1101" and public["description"] is None
    assert public["lat"] == 41.005 and "phone" not in public
    full = c.get(f"/open311/v2/requests/{number}.json", {"api_key": key}).json()[0]
    assert full["description"] == "楼上深夜噪音" and "13612345678" not in str(full)
    xml = ET.fromstring(c.get(f"/open311/v2/requests/{number}.xml", {"api_key": key}).content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == number
    listed = c.get("/open311/v2/requests.json", {"service_code": "1101", "status": "open"}).json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert c.get("/open311/v2/requests.json", {"status": "closed"}).json() == []
    assert (
        c.get("/open311/v2/requests.json", {"service_request_id": number}).json()[0]["service_request_id"]
        == number
    )
    assert c.get("/open311/v2/requests.json", {"start_date": "yesterday"}).status_code == 400
    token = c.get(f"/open311/v2/tokens/{case.tracking_code}.json").json()
    assert token == [{"service_request_id": number, "token": case.tracking_code}]
    assert c.get("/open311/v2/requests/nope.json").status_code == 404
    # the status follows the case
    case = workflow.act(case, "accept", actor=users["staff"])
    case = workflow.act(case, "handle", actor=users["staff"], note="已调解")
    workflow.act(case, "verify", actor=users["grid_worker"])
    closed = c.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "已结案"
    # another community's key sees only the public fields
    _t2, other = do_create_token(users["outsider"], "other", actor=None)
    assert c.get(f"/open311/v2/requests/{number}.json", {"api_key": other}).json()[0]["description"] is None
