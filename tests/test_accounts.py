from linli.accounts.models import ApiToken
from linli.core.models import AuditEntry
from linli.core.testing import PASSWORD


def test_home_lands_on_region(client_for):
    # workers land on their due-list (民情日记), operators on their dashboard
    assert client_for("grid_worker").get("/accounts/home/").url == "/visits/"
    assert client_for("staff").get("/accounts/home/").url == "/visits/"
    assert client_for("operator").get("/accounts/home/").url == "/dashboard/"
    assert client_for("handler").get("/accounts/home/").url == "/regions/150902/"
    assert client_for("auditor").get("/accounts/home/").url == "/accounts/audit/"
    assert client_for("sysadmin").get("/accounts/home/").url == "/regions/"


def test_login_required(client):
    assert client.get("/regions/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(client_for, users):
    c = client_for("staff")
    bad = c.post("/accounts/password/", {"old_password": "wrong", "new_password1": "x", "new_password2": "x"})
    assert bad.status_code == 200
    ok = c.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Xq7-linli-2026!", "new_password2": "Xq7-linli-2026!"},
    )
    assert ok.status_code == 302


def test_tokens_page(client_for, users):
    c = client_for("staff")
    page = c.post("/accounts/tokens/", {"name": "集成测试"}).content.decode()
    token = ApiToken.objects.get(user=users["staff"], name="集成测试")
    assert 'id="new-key"' in page and token.prefix in page
    assert AuditEntry.objects.filter(action="token_create", object_id=str(token.pk)).exists()
    assert client_for("outsider").post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert c.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_language_switch(client_for):
    c = client_for("staff")
    assert "区域" in c.get("/regions/").content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/regions/"})
    page = c.get("/regions/").content.decode()
    assert 'lang="en"' in page and "Search by name or code" in page and "按名称或代码搜索" not in page


def test_create_token_command(users):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_token", "operator", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("lnl_") and ApiToken.objects.filter(digest=ApiToken.digest_of(key)).exists()


def test_bounded_paginator_counts_at_most_the_limit(db, monkeypatch):
    from linli.core import listing
    from linli.regions.models import Region

    monkeypatch.setattr(listing, "COUNT_LIMIT", 5)
    many = listing.BoundedPaginator(Region.objects.all(), 2)
    assert many.count == 6 and many.capped
    few = listing.BoundedPaginator(Region.objects.filter(level="grid"), 2)
    assert few.count == Region.objects.filter(level="grid").count() and not few.capped


def test_the_menu_is_rendered_once_per_language_and_url_prefix(users, client_for):
    """The menu's links come from a cached fragment: in each language, and under the
    prefix the site is served at."""
    from django.urls import set_script_prefix

    c = client_for("staff")
    plain = c.get("/people/residents/").content.decode()
    assert 'href="/people/residents/">居民<' in plain
    set_script_prefix("/linli/")  # as the WSGI handler does for SCRIPT_NAME (the test client does not)
    try:
        prefixed = c.get("/people/residents/", SCRIPT_NAME="/linli").content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/linli/people/residents/">居民<' in prefixed
    c.post("/i18n/setlang/", {"language": "en"})
    english = c.get("/people/residents/").content.decode()
    assert 'href="/people/residents/">Residents<' in english


def test_sessions_and_users_read_by_prepared_statements_end_as_djangos_do(client, users):
    """The session (core.sessions) and the user (accounts.backends) of each request are
    read with prepared statements: a live session signs in; an expired one, a deleted
    one and a deactivated user leave the request anonymous, as Django's own reads do."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from linli.accounts import backends
    from linli.core import sessions

    def signed_in():
        return client.get("/regions/").status_code == 200

    assert client.login(username="staff", password=PASSWORD)
    key = client.session.session_key
    assert signed_in()
    assert sessions._by_key._plans and backends._by_pk._plans, "read through the prepared statements"
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert not signed_in()

    assert client.login(username="staff", password=PASSWORD)
    assert signed_in()
    Session.objects.all().delete()
    assert not signed_in()

    assert client.login(username="staff", password=PASSWORD)
    users["staff"].is_active = False
    users["staff"].save(update_fields=["is_active"])
    assert not signed_in()
