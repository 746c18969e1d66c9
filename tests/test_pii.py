import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from django.core.exceptions import ValidationError
from django.db import connection

from linli.core import pii
from linli.core.models import AuditEntry
from linli.core.services import do_create, reveal_field
from linli.core.testing import GRID_A
from linli.core.validators import (
    citizen_id_birth_date,
    citizen_id_gender,
    validate_citizen_id,
    validate_mobile,
)
from linli.regions.models import GridTeamMember, GridTeamRole, Region

VALID_ID = "11010519491231002X"


def test_encrypt_roundtrip_and_nonce():
    a = pii.encrypt("13800138000", "p")
    b = pii.encrypt("13800138000", "p")
    assert a != b  # a fresh nonce each time
    assert a.startswith("k1$")
    assert pii.decrypt(a, "p") == "13800138000"


def test_ciphertext_bound_to_purpose():
    token = pii.encrypt("13800138000", "accounts.user.phone")
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag from cryptography
        pii.decrypt(token, "regions.gridteammember.phone")


def test_blind_index_is_keyed_and_deterministic():
    assert pii.blind_index("x", "p") == pii.blind_index("x", "p")
    assert pii.blind_index("x", "p") != pii.blind_index("x", "q")
    assert len(pii.blind_index("x", "p")) == 64
    # HMAC-SM3 under the key ring's blind-index subkey (each index hashes a copy of one
    # keyed hash: the stored indexes must not change with that)
    h = hmac.HMAC(pii._subkey(pii.key_ring()[0][1], b"blind-index", 32), hashes.SM3())
    h.update(b"p\x00x")
    assert pii.blind_index("x", "p") == h.finalize().hex()


def test_mask_shapes():
    assert pii.mask("150902199001011234", "citizen_id") == "1509**********1234"
    assert pii.mask("13812345678", "mobile") == "138****5678"


def test_secret_never_prints_plaintext():
    s = pii.Secret("13812345678", "mobile")
    assert str(s) == "138****5678"
    assert repr(s) == "138****5678"
    assert f"{s}" == "138****5678"
    assert "13812345678" not in str([s]) + str({"a": s})
    assert s.reveal() == "13812345678"
    assert s == "13812345678"


@pytest.mark.parametrize(
    "value,message",
    [
        ("110105194912310021", "校验位"),
        ("11010519491331002X", "出生日期"),
        ("1101051949123100", "18 位"),
        ("11010530991231002X", "晚于今天"),
    ],
)
def test_invalid_citizen_ids(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_citizen_id(value)
    assert message in exc.value.messages[0]


def test_citizen_id_derivations():
    assert validate_citizen_id(" 11010519491231002x ") == VALID_ID
    assert citizen_id_birth_date(VALID_ID) == dt.date(1949, 12, 31)
    assert citizen_id_gender(VALID_ID) == "F"
    assert citizen_id_gender("110105198001010016") == "M"


@pytest.mark.parametrize("value", ["1381234567", "23812345678", "138123456789", "abc"])
def test_invalid_mobiles(value):
    with pytest.raises(ValidationError):
        validate_mobile(value)


def test_mobile_normalised():
    assert validate_mobile("+86 138-1234-5678") == "13812345678"


@pytest.fixture
def member(users):
    m = GridTeamMember(
        grid_region=Region.objects.get(code=GRID_A),
        role=GridTeamRole.POLICE,
        name="周警官",
        phone="138 1234 5678",
    )
    return do_create(m, actor=users["staff"])


def test_stored_encrypted_with_blind_index(member):
    with connection.cursor() as cur:
        cur.execute("SELECT phone, phone_bidx FROM regions_gridteammember WHERE id = %s", [member.pk])
        raw, bidx = cur.fetchone()
    assert "13812345678" not in raw and raw.startswith("k1$")
    assert bidx == pii.blind_index("13812345678", "regions.gridteammember.phone")
    again = GridTeamMember.objects.get(pk=member.pk)
    assert again.phone.reveal() == "13812345678"
    assert str(again.phone) == "138****5678"


def test_exact_lookup_through_blind_index(member):
    found = GridTeamMember.objects.filter(pii.pii_match(GridTeamMember, "phone", "13812345678"))
    assert list(found) == [member]
    assert not GridTeamMember.objects.filter(pii.pii_match(GridTeamMember, "phone", "13812345679")).exists()


def test_invalid_phone_refused_and_nothing_saved(users):
    from linli.core.errors import ServiceError

    before = GridTeamMember.objects.count()
    m = GridTeamMember(
        grid_region=Region.objects.get(code=GRID_A), role=GridTeamRole.POLICE, name="x", phone="12345"
    )
    with pytest.raises(ServiceError) as exc:
        do_create(m, actor=users["staff"])
    assert "联系电话" in str(exc.value.message)
    assert GridTeamMember.objects.count() == before


def test_audit_never_holds_plaintext(member):
    entry = AuditEntry.objects.filter(object_type="regions.gridteammember", object_id=str(member.pk)).get()
    assert "13812345678" not in str(entry.changes)
    assert "138****5678" in str(entry.changes)


def test_reveal_is_audited_and_scoped(member, users):
    assert reveal_field(member, "phone", actor=users["grid_worker"]) == "13812345678"
    assert AuditEntry.objects.filter(
        action="reveal", object_id=str(member.pk), actor=users["grid_worker"]
    ).exists()
    from linli.core.errors import PermissionDenied

    for name in ("outsider", "handler", "auditor"):
        with pytest.raises(PermissionDenied):
            reveal_field(member, "phone", actor=users[name])


def test_reveal_view(member, client_for):
    url = f"/reveal/regions.gridteammember/{member.pk}/phone/"
    assert client_for("staff").post(url).content.decode().count("13812345678") == 1
    assert client_for("outsider").post(url).status_code == 404
    assert client_for("staff").get(url).status_code == 405
    assert client_for("staff").post(f"/reveal/regions.gridteammember/{member.pk}/name/").status_code == 404


def test_current_district_codes_accepted():
    """stdnum's own place table lacks 150902 (集宁区); the check character is what counts."""
    assert validate_citizen_id("150902198001010114")[-4:] == "0114"
    with pytest.raises(ValidationError) as exc:
        validate_citizen_id("990902198001010110")  # no such province; check character fitted
    assert exc.value.messages[0] == "身份证号码的地址码无效。"
