import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from linli.core import audit
from linli.core.models import AppendOnlyError, AuditEntry
from linli.core.services import do_create, do_delete, do_update
from linli.core.testing import GRID_A, PASSWORD
from linli.regions.models import Compound, Region


@pytest.fixture
def entry(db):
    return audit.record("export", actor=None, actor_name="x", object_type="t")


def test_database_refuses_update(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET actor_name = 'evil' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "x"


def test_database_refuses_delete(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_queryset_update_and_delete_refused(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor_name="evil")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_model_refuses_change(entry):
    entry.actor_name = "evil"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_create_update_delete_written_with_diff(users):
    staff = users["staff"]
    c = do_create(Compound(grid_region=Region.objects.get(code=GRID_A), name="审计小区"), actor=staff)
    pk = c.pk
    before = audit.snapshot(c)
    c.address = "新地址"
    do_update(c, before, actor=staff)
    do_delete(c, actor=staff)
    rows = list(AuditEntry.objects.filter(object_type="regions.compound", object_id=str(pk)).order_by("id"))
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert rows[1].changes == {"address": ["", "新地址"]}
    assert rows[2].changes["before"]["name"] == "审计小区"
    assert all(r.actor == staff for r in rows)


def test_logins_logouts_and_failures_with_address(users):
    c = Client(REMOTE_ADDR="10.1.2.3")
    c.post("/accounts/login/", {"username": "staff", "password": "wrong"})
    c.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    c.post("/accounts/logout/")
    rows = list(AuditEntry.objects.filter(action__in=["login", "login_failed", "logout"]).order_by("id"))
    assert [(r.action, r.actor_name, r.ip) for r in rows] == [
        ("login_failed", "staff", "10.1.2.3"),
        ("login", "staff", "10.1.2.3"),
        ("logout", "staff", "10.1.2.3"),
    ]


def test_audit_log_page_only_for_auditors(client_for, entry):
    assert client_for("auditor").get("/accounts/audit/?action=export").status_code == 200
    for name in ("staff", "operator", "sysadmin", "district_op"):
        assert client_for(name).get("/accounts/audit/").status_code == 404


def test_audit_log_filters(client_for, entry):
    audit.record("export", actor=None, actor_name="other", object_type="t")
    page = client_for("auditor").get("/accounts/audit/?actor=other").content.decode()
    assert "other" in page and ">x<" not in page


def test_audit_not_in_admin(client_for):
    c = client_for("sysadmin")
    assert c.get("/admin/").status_code == 200
    assert c.get("/admin/core/auditentry/").status_code in (403, 404)
    assert client_for("auditor").get("/admin/").status_code == 302  # not an admin user
