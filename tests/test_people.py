import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from stdnum.cn import ric

from linli.core import audit
from linli.core.errors import ServiceError
from linli.core.models import AuditEntry
from linli.core.services import do_create
from linli.core.testing import COMMUNITY_A, DEFAULT_ALLOWED, GRID_A, GRID_B, ScopedViewSpec, scoped_view_tests
from linli.people import services
from linli.people.codes import Relation, ResidenceType
from linli.people.models import GroupTag, Household, Move, NameToken, Resident, SpecialGroup
from linli.people.views import HOUSEHOLDS, RESIDENTS, TAGS
from linli.regions.models import Building, HousingUnit, Region


def make_id(birth: str, seq: str = "001", area: str = "150902") -> str:
    body = area + birth + seq
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def unit(users, grid=GRID_A, room="101", building="人口测试楼"):
    g = Region.objects.get(code=grid)
    actor = users["staff"] if grid == GRID_A else users["outsider"]
    b = Building.objects.filter(grid_region=g, name=building).first() or do_create(
        Building(grid_region=g, name=building, floors=6), actor=actor
    )
    return do_create(HousingUnit(building=b, unit="1", floor=1, room=room), actor=actor)


def register(users, name, birth="19800101", seq="001", grid=GRID_A, room="101", **kw):
    actor = users["staff"] if grid == GRID_A else users["outsider"]
    hu = kw.pop("housing_unit", None) or unit(users, grid, room)
    r = Resident(name=name, citizen_id=make_id(birth, seq), housing_unit=hu, **kw)
    return services.do_register_resident(r, actor=actor)


def test_register_derives_from_id(users):
    r = register(users, "张三", birth="19800101", seq="011", phone="13812345678")
    assert (r.birth_date, r.gender, r.id_tail) == (dt.date(1980, 1, 1), "1", r.citizen_id.reveal()[-4:])
    assert r.grid_id == GRID_A and r.community_id == COMMUNITY_A
    assert str(r.citizen_id).startswith("1509") and "*" in str(r.citizen_id)
    assert set(NameToken.objects.filter(resident=r).values_list("token", flat=True)) == {
        "张三",
        "三",
        "py:zs",
    }
    entry = AuditEntry.objects.get(object_type="people.resident", object_id=str(r.pk))
    assert r.citizen_id.reveal() not in str(entry.changes)


def test_a_new_name_replaces_the_search_tokens(users):
    r = register(users, "张三", seq="012")
    before = audit.snapshot(r)
    r.name = "李四"
    services.do_update_resident(r, before, actor=users["staff"])
    assert set(NameToken.objects.filter(resident=r).values_list("token", flat=True)) == services.name_tokens(
        "李四"
    )
    assert r not in services.search_residents(users["staff"], "张三")
    assert list(services.search_residents(users["staff"], "李四")) == [r]


def test_name_tokens_are_one_btree_on_sqlite(db):
    """NameToken's table is only its key; on SQLite WITHOUT ROWID (migration 0010), on
    PostgreSQL compared by code point (migration 0012). A schema change that remakes the
    table (SQLite's ALTER) or the column would silently lose that."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT sql FROM sqlite_master WHERE name = 'people_nametoken'")
            assert cur.fetchone()[0].endswith("WITHOUT ROWID")
            cur.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people_nametoken'"
            )
            assert cur.fetchone()[0] == 0
        else:  # ranges of tokens by code point, as on SQLite (migration 0012)
            cur.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'people_nametoken' AND column_name = 'token'"
            )
            assert cur.fetchone()[0] == "C"
        tables = connection.introspection.get_constraints(cur, "people_nametoken")
    assert not any(c["foreign_key"] for c in tables.values())
    assert [c["columns"] for c in tables.values() if c["primary_key"]] == [["token", "resident_id"]]


def test_the_token_migration_fills_the_table_from_the_names(users):
    """Migration 0010 makes the table again, both ways, and fills it from the names."""
    fill = importlib.import_module("linli.people.migrations.0010_nametoken_key").fill
    people = [register(users, n, seq=seq, room=seq) for n, seq in (("王五", "013"), ("欧阳娜娜", "014"))]
    NameToken.objects.all().delete()
    fill(None, SimpleNamespace(connection=connection))  # it uses the schema editor's connection only
    for r in people:
        assert set(
            NameToken.objects.filter(resident=r).values_list("token", flat=True)
        ) == services.name_tokens(r.name)
    assert NameToken.objects.count() == sum(
        len(services.name_tokens(n)) for n in Resident.objects.values_list("name", flat=True)
    )


def test_the_range_migration_makes_the_tokens_again(users):
    """Migration 0012 replaces the tokens of the scheme before (every character and every
    prefix of the initials) by the present ones."""
    remake = importlib.import_module("linli.people.migrations.0012_name_tokens_by_range").remake_tokens
    r = register(users, "王小明", seq="015", room="015")
    NameToken.objects.bulk_create([NameToken(resident=r, token=t) for t in ("王", "小", "py:w", "py:wx")])
    remake(None, SimpleNamespace(connection=connection, execute=None))
    assert set(NameToken.objects.filter(resident=r).values_list("token", flat=True)) == {
        "王小",
        "小明",
        "明",
        "py:wxm",
    }


@pytest.mark.parametrize(
    "citizen_id,code",
    [("150902198001010010", "invalid_citizen_id"), ("150902198013010011", "invalid_citizen_id")],
)
def test_bad_ids_refused(users, citizen_id, code):
    n = Resident.objects.count()
    with pytest.raises(ServiceError) as exc:
        services.do_register_resident(
            Resident(name="坏号", citizen_id=citizen_id, housing_unit=unit(users)), actor=users["staff"]
        )
    assert exc.value.code == code and exc.value.field == "citizen_id"
    assert Resident.objects.count() == n


def test_duplicate_id_and_bad_phone(users):
    register(users, "李四", seq="021")
    with pytest.raises(ServiceError) as exc:
        register(users, "李四二", seq="021", room="102")
    assert exc.value.code == "duplicate"
    with pytest.raises(ServiceError) as exc:
        register(users, "王五", seq="031", room="103", phone="1381234567")
    assert exc.value.field == "phone"


def test_minor_cannot_head_household(users):
    hu = unit(users)
    hh = services.do_create_household(Household(housing_unit=hu), actor=users["staff"])
    with pytest.raises(ServiceError) as exc:
        register(
            users, "小明", birth="20150101", seq="041", housing_unit=hu, household=hh, relation=Relation.HEAD
        )
    assert "未成年人" in str(exc.value.message)
    adult = register(users, "老王", seq="051", housing_unit=hu, household=hh, relation=Relation.HEAD)
    hh.refresh_from_db()
    assert hh.head_id == adult.pk


def test_outside_scope_refused(users):
    hu = unit(users, GRID_B)
    with pytest.raises(ServiceError):
        services.do_register_resident(
            Resident(name="越界", citizen_id=make_id("19800101", "061"), housing_unit=hu),
            actor=users["staff"],
        )
    assert not Resident.objects.filter(name="越界").exists()


def test_search(users):
    zs = register(users, "张三", seq="071", phone="13900000001")
    zsf = register(users, "张三丰", seq="081", room="102")
    shan = register(users, "单雄信", seq="091", room="103")
    other = register(users, "张三", seq="101", grid=GRID_B)
    staff = users["staff"]

    def found(q, user=staff):
        return set(services.search_residents(user, q).values_list("pk", flat=True))

    assert found("张三") == {zs.pk, zsf.pk}  # the outsider's 张三 is not in staff's scope
    assert found("三丰") == {zsf.pk}
    assert found("张") == {zs.pk, zsf.pk}
    assert found("zs") == {zs.pk, zsf.pk}
    assert found("zsf") == {zsf.pk}
    assert found("sxx") == {shan.pk} and found("dxx") == {shan.pk}  # 单 as surname reads shàn
    assert found(zs.citizen_id.reveal()) == {zs.pk}
    assert found(zs.citizen_id.reveal().lower()) == {zs.pk}
    assert found(zsf.id_tail) == {zsf.pk}
    assert found("13900000001") == {zs.pk}
    assert found("人口测试楼") == {zs.pk, zsf.pk, shan.pk}
    assert found("张三", users["outsider"]) == {other.pk}
    assert found(other.citizen_id.reveal()) == set()


def test_search_matches_full_scan(users):
    names = ["王芳", "王芳芳", "李王芳", "王小芳", "芳", "欧阳芳芳"]
    for i, n in enumerate(names):
        register(users, n, seq=f"{200 + i}", room=f"2{i:02d}")
    for q in ("王芳", "芳", "芳芳", "欧阳", "王小芳", "小", "阳"):
        expected = set(Resident.objects.filter(name__contains=q).values_list("pk", flat=True))
        assert set(services.search_residents(users["operator"], q).values_list("pk", flat=True)) == expected


def test_moves_keep_history_and_move_out_archives(users):
    r = register(users, "搬家人", seq="301")
    new = unit(users, GRID_A, "601")
    services.do_move_resident(r, new, actor=users["staff"], moved_on=dt.date(2026, 1, 5), reason="换房")
    r.refresh_from_db()
    assert r.housing_unit == new
    with pytest.raises(ServiceError):
        services.do_move_resident(r, new, actor=users["staff"], moved_on=dt.date(2026, 1, 6))
    with pytest.raises(ServiceError):
        services.do_move_out(r, actor=users["staff"], moved_on=dt.date(2026, 2, 1), reason=" ")
    services.do_move_out(r, actor=users["staff"], moved_on=dt.date(2026, 2, 1), reason="迁往呼和浩特")
    r.refresh_from_db()
    assert r.archived_at == dt.date(2026, 2, 1)
    assert list(Move.objects.filter(resident=r).values_list("kind", flat=True)) == ["out", "within"]
    assert r.pk not in set(services.search_residents(users["staff"], "").values_list("pk", flat=True))
    # a grid worker cannot move someone into another grid
    other = register(users, "不能搬", seq="302", room="602")
    with pytest.raises(ServiceError):
        services.do_move_resident(
            other, unit(users, GRID_B, "603"), actor=users["grid_worker"], moved_on=dt.date(2026, 1, 5)
        )
    other.refresh_from_db()
    assert other.grid_id == GRID_A


def test_move_household_moves_members(users):
    hu = unit(users, room="701")
    hh = services.do_create_household(Household(housing_unit=hu), actor=users["staff"])
    a = register(users, "户主甲", seq="401", housing_unit=hu, household=hh, relation=Relation.HEAD)
    b = register(users, "配偶乙", seq="402", housing_unit=hu, household=hh, relation=Relation.SPOUSE)
    new = unit(users, room="702")
    services.do_move_household(hh, new, actor=users["staff"], moved_on=dt.date(2026, 3, 1))
    assert {x.housing_unit_id for x in Resident.objects.filter(pk__in=[a.pk, b.pk])} == {new.pk}


def test_tags_and_history(users):
    r = register(users, "独居者", birth="19400101", seq="501")
    alone = SpecialGroup.objects.get(code="dujulaoren")
    dibao = SpecialGroup.objects.get(code="dibao")
    tag = services.do_add_tag(
        GroupTag(group=alone, resident=r, start_date=dt.date(2025, 1, 1)), actor=users["staff"]
    )
    with pytest.raises(ServiceError) as exc:
        services.do_add_tag(
            GroupTag(group=alone, resident=r, start_date=dt.date(2025, 2, 1)), actor=users["staff"]
        )
    assert exc.value.code == "duplicate"
    with pytest.raises(ServiceError):  # 低保 is a household tag
        services.do_add_tag(
            GroupTag(group=dibao, resident=r, start_date=dt.date(2025, 1, 1)), actor=users["staff"]
        )
    services.do_end_tag(tag, actor=users["staff"], end_date=dt.date(2025, 6, 30))
    again = services.do_add_tag(
        GroupTag(group=alone, resident=r, start_date=dt.date(2026, 1, 1)), actor=users["staff"]
    )
    assert GroupTag.objects.filter(resident=r).count() == 2 and again.end_date is None


def test_list_filters(users, client_for):
    old = register(users, "高龄老人", birth="19400101", seq="601")
    young = register(
        users, "年轻人", birth="20000101", seq="602", room="102", residence_type=ResidenceType.FLOATING
    )
    c = client_for("staff")
    page = c.get("/people/residents/?group=gaoling").content.decode()
    assert "高龄老人" in page and "年轻人" not in page
    page = c.get("/people/residents/?age_min=20&age_max=30").content.decode()
    assert "年轻人" in page and "高龄老人" not in page
    page = c.get("/people/residents/?residence_type=floating").content.decode()
    assert "年轻人" in page and "高龄老人" not in page
    assert old and young


def test_api_masked_and_scoped(users, client_for):
    r = register(users, "接口人", seq="701", phone="13700000007")
    body = client_for("grid_worker").get("/api/v1/people/residents?q=接口人").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["phone"] == "137****0007" and r.citizen_id.reveal() not in str(body)
    assert client_for("outsider").get(f"/api/v1/people/residents/{r.pk}").status_code == 404


def _resident(u):
    return register(u, "生成测试人", seq="801", phone="13912345678")


def _household(u):
    return services.do_create_household(
        Household(housing_unit=unit(u, room="901"), number="生成测试户"), actor=u["staff"]
    )


def _tag(u):
    r = register(u, "生成标签人", seq="802", room="902")
    return services.do_add_tag(
        GroupTag(
            group=SpecialGroup.objects.get(code="kongchao"),
            resident=r,
            start_date=dt.date(2025, 1, 1),
            reason="生成测试标签",
        ),
        actor=u["staff"],
    )


def _resident_form(obj):
    return {
        "name": "表单新人",
        "citizen_id": make_id("19900101", "811"),
        "phone": "13512345678",
        "ethnicity": "01",
        "political_status": "13",
        "residence_type": "registered",
        "housing_unit": obj.housing_unit_id,
    }


SPECS = {
    "residents": ScopedViewSpec(RESIDENTS, _resident, _resident_form, DEFAULT_ALLOWED),
    "households": ScopedViewSpec(
        HOUSEHOLDS,
        _household,
        lambda o: {"housing_unit": o.housing_unit_id, "number": "表单新户", "kind": "family"},
        DEFAULT_ALLOWED,
    ),
    "tags": ScopedViewSpec(
        TAGS,
        _tag,
        lambda o: {
            "group": SpecialGroup.objects.get(code="canji").pk,
            "resident": o.resident_id,
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "care_level": 2,
        },
        DEFAULT_ALLOWED,
        label=lambda o: o.resident.name,
    ),
}
TestPeopleViews = scoped_view_tests(SPECS)


def test_move_page(users, client_for):
    r = register(users, "页面迁移", seq="901")
    target = unit(users, room="903")
    url = f"/people/residents/{r.pk}/move/"
    assert client_for("outsider").get(url).status_code == 404
    c = client_for("grid_worker")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    bad = c.post(url, {"kind": "within", "to_unit": target.pk, "moved_on": future})
    assert bad.status_code == 200 and "不能晚于今天" in bad.content.decode()
    outside = unit(users, GRID_B, room="904")
    assert c.post(url, {"kind": "within", "to_unit": outside.pk, "moved_on": "2026-01-01"}).status_code == 200
    ok = c.post(url, {"kind": "within", "to_unit": target.pk, "moved_on": "2026-01-01", "reason": "换房"})
    assert ok.status_code == 302
    r.refresh_from_db()
    assert r.housing_unit == target
    out = c.post(url, {"kind": "out", "moved_on": "2026-02-01", "reason": "迁往外省"})
    assert out.status_code == 302
    r.refresh_from_db()
    assert r.archived_at == dt.date(2026, 2, 1)
    assert c.get(url).status_code == 404  # archived: nothing more to move


def test_rare_readings_do_not_pollute_initials(users):
    qi = register(users, "祁淑珍", seq="951")
    assert set(services.search_residents(users["staff"], "qsz")) == {qi}
    assert qi not in set(services.search_residents(users["staff"], "zs"))  # 祁 is not read zhǐ in names


def test_pinyin_initials_read_names_as_pypinyin_reads_them_whole():
    """Read a character at a time unless the name holds a word of pypinyin's phrase
    dictionary: the same initials as the whole pipeline, for ordinary names, names that
    hold such a word (长江: cháng, not zhǎng), and names with other characters."""
    from faker import Faker
    from pypinyin import Style, pinyin
    from pypinyin.constants import PHRASES_DICT

    def whole(name):
        return "".join(r[0] for r in pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()

    fake = Faker("zh_CN")
    fake.seed_instance(11)
    names = [fake.name() for _n in range(3000)]
    words = ["张长江", "李朝阳", "王重庆", "单于", "欧阳长江", "长孙无忌", "司马相如", "曾参", "乐乐"]
    others = ["阿卜杜·艾力", "A张三", "张 三", "张3", "", "  "]
    assert {"长江", "朝阳", "重庆"} <= PHRASES_DICT.keys()  # so these names take the whole pipeline
    for name in [*names, *words, *others]:
        assert services.pinyin_initials(name) == whole(name), name
    assert services.pinyin_initials("张长江") == "zcj"
    assert "py:zcj" in services.name_tokens("张长江")


def test_seed_demo_population(db):
    from django.core.management import call_command

    from linli.core.validators import validate_citizen_id
    from linli.people.models import FloatingInfo

    call_command("seed_demo", "--district", "150902", "--residents", "300", "--cases", "30", "--seed", "7")
    people = Resident.objects.filter(district_id="150902")
    assert people.count() == 300
    for r in people[:50]:
        assert validate_citizen_id(r.citizen_id.reveal()) == r.citizen_id.reveal()
        assert r.birth_date == ric.get_birth_date(r.citizen_id.reveal())
    heads = Household.objects.filter(district_id="150902", head__isnull=False)
    assert heads.exists() and all(h.head.age() >= 18 for h in heads[:50])
    assert FloatingInfo.objects.filter(resident__district_id="150902").exists()
    call_command("seed_demo", "--district", "150902", "--residents", "300", "--if-empty")
    assert people.count() == 300


def test_building_view(users, client_for, django_assert_max_num_queries):
    hu = unit(users, room="301", building="楼栋图测试楼")
    hu2 = unit(users, room="302", building="楼栋图测试楼")
    hh = services.do_create_household(Household(housing_unit=hu), actor=users["staff"])
    old = register(
        users,
        "楼栋图老人",
        birth="19400101",
        seq="961",
        housing_unit=hu,
        household=hh,
        relation=Relation.HEAD,
    )
    services.do_add_tag(
        GroupTag(
            group=SpecialGroup.objects.get(code="dujulaoren"), resident=old, start_date=dt.date(2025, 1, 1)
        ),
        actor=users["staff"],
    )
    services.do_add_tag(
        GroupTag(group=SpecialGroup.objects.get(code="dibao"), household=hh, start_date=dt.date(2025, 1, 1)),
        actor=users["staff"],
    )
    c = client_for("grid_worker")
    url = f"/people/buildings/{hu.building_id}/"
    with django_assert_max_num_queries(12):
        page = c.get(url).content.decode()
    assert "楼栋图老人" in page and "独居老人" in page and "低保" in page and "空置" in page
    assert hu2.room in page
    assert client_for("outsider").get(url).status_code == 404


def test_unmasked_export_needs_permission_and_is_audited(users, client_for):
    r = register(users, "明文导出人", seq="971", phone="13711112222")
    cid = r.citizen_id.reveal()
    masked = client_for("staff").get("/people/residents/?q=明文导出人&export=csv").content.decode("utf-8-sig")
    assert cid not in masked and "137****2222" in masked
    assert client_for("grid_worker").get("/people/residents/?export=csv&plain=1").status_code == 404
    plain = (
        client_for("staff")
        .get("/people/residents/?q=明文导出人&export=csv&plain=1")
        .content.decode("utf-8-sig")
    )
    assert cid in plain and "13711112222" in plain
    entry = AuditEntry.objects.filter(action="export", object_type="people.resident").latest("id")
    assert entry.actor == users["staff"] and entry.changes["unmasked"] == ["citizen_id", "phone"]
    assert entry.changes["rows"] == 1


def test_list_query_count_constant_in_page_size(users, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for("staff")
    for i in range(3):
        register(users, f"计数甲{i}", seq=f"{300 + i:03d}", birth="19660101", room=f"8{i:02d}")
    with CaptureQueriesContext(connection) as few:
        c.get("/people/residents/")
    for i in range(3, 30):
        register(users, f"计数乙{i}", seq=f"{300 + i:03d}", birth="19660101", room=f"8{i:02d}")
    with CaptureQueriesContext(connection) as many:
        page = c.get("/people/residents/").content.decode()
    assert page.count("计数") == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_list_pages_keep_order_and_masking(users, client_for, monkeypatch):
    """Later pages fetch the page's keys first and then the rows: same rows, same order,
    same cells (masked, localized) as the first page's plain query gives."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core import views as core_views

    monkeypatch.setattr(core_views, "PAGE_SIZE", 4)
    made = [
        register(
            users, f"翻页{i}", seq=f"{400 + i:03d}", birth="19700203", room=f"9{i:02d}", phone="13812345678"
        )
        for i in range(10)
    ]
    c = client_for("staff")
    seen, counts = [], []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as q:
            html = c.get(f"/people/residents/?q=翻页&page={page}").content.decode()
        counts.append(len(q.captured_queries))
        seen += [int(pk) for pk in re.findall(r'href="/people/residents/(\d+)/"', html)]
        assert "1970年2月3日" in html and "138****5678" in html and "13812345678" not in html
    assert seen == [r.pk for r in made]
    assert counts[1] == counts[2] == counts[0] + 1  # the keys, then the rows


def test_floating_population(users, client_for):
    from linli.people.models import FloatingInfo
    from linli.regions.models import PartnerUnit

    r = register(users, "外来务工", seq="991")
    partner = do_create(
        PartnerUnit(
            region=Region.objects.get(code=COMMUNITY_A), name="集宁建材厂", credit_code="91110000600037341L"
        ),
        actor=users["staff"],
    )
    url = f"/people/residents/{r.pk}/floating/"
    assert client_for("outsider").get(url).status_code == 404
    c = client_for("grid_worker")
    bad = c.post(
        url,
        {
            "permit_number": "JN2026001",
            "permit_issued": "2026-01-01",
            "permit_expires": "2025-01-01",
            "origin_code": "130102",
        },
    )
    assert bad.status_code == 200 and "须晚于签发日期" in bad.content.decode()
    unknown = c.post(url, {"permit_number": "JN2026001", "origin_code": "999999"})
    assert "不存在" in unknown.content.decode() and not FloatingInfo.objects.filter(pk=r.pk).exists()
    soon = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    ok = c.post(
        url,
        {
            "permit_number": "JN2026001",
            "permit_issued": "2024-01-01",
            "permit_expires": soon,
            "arrival_date": "2023-12-01",
            "origin_code": "130102",
            "reason": "务工",
        },
    )
    assert ok.status_code == 302
    r.refresh_from_db()
    assert r.residence_type == "floating" and r.floating.permit_number == "JN2026001"
    # found by permit, by workplace, and by a permit about to expire
    assert set(services.search_residents(users["staff"], "JN2026001")) == {r}
    staff = client_for("staff")
    staff.post(
        url,
        {
            "permit_number": "JN2026001",
            "permit_issued": "2024-01-01",
            "permit_expires": soon,
            "origin_code": "130102",
            "employer_unit": partner.pk,
        },
    )
    assert "外来务工" in staff.get("/people/residents/?employer=建材").content.decode()
    assert "外来务工" in staff.get("/people/residents/?permit_expiring=30").content.decode()
    assert "外来务工" not in staff.get("/people/residents/?permit_expiring=5").content.decode()
    assert AuditEntry.objects.filter(object_type="people.floatinginfo", object_id=str(r.pk)).count() == 2
    detail = staff.get(f"/people/residents/{r.pk}/").content.decode()
    assert detail.count('id="floating"') == 1 and "JN2026001" in detail


def test_household_list_reads_values(users, client_for):
    """The households list reads value rows, not records: the unit named from its four
    fields as ``str`` names it, the head by name, an empty cell without a head; the
    export gives the same cells."""
    from linli.regions.models import Compound

    headless = services.do_create_household(
        Household(housing_unit=unit(users, room="777"), number="值列表户甲"), actor=users["staff"]
    )
    hh = services.do_create_household(
        Household(housing_unit=unit(users, room="778"), number="值列表户乙"), actor=users["staff"]
    )
    register(users, "户主丙", seq="779", housing_unit=hh.housing_unit, household=hh, relation=Relation.HEAD)
    c = client_for("staff")
    html = c.get("/people/households/?q=值列表户").content.decode()
    rows = {
        n: html.split(n)[0].rsplit("<tr>", 1)[1] + n + html.split(n)[1].split("</tr>")[0]
        for n in ("值列表户甲", "值列表户乙")
    }
    assert str(hh.housing_unit) == "人口测试楼 1单元778" and str(hh.housing_unit) in rows["值列表户乙"]
    assert "户主丙" in rows["值列表户乙"] and "<td></td>" in rows["值列表户甲"]
    assert str(headless.housing_unit) in rows["值列表户甲"]
    csv = c.get("/people/households/?q=值列表户&export=csv").content.decode("utf-8-sig")
    assert "人口测试楼 1单元778" in csv and "户主丙" in csv
    # the label is the one __str__ gives, with or without a compound or a unit
    compound = do_create(
        Compound(grid_region=Region.objects.get(code=GRID_A), name="值小区"), actor=users["staff"]
    )
    b = do_create(
        Building(grid_region=compound.grid_region, compound=compound, name="3号楼", floors=6),
        actor=users["staff"],
    )
    for u in ("", "2"):
        hu = do_create(HousingUnit(building=b, unit=u, floor=1, room=f"10{u or 1}"), actor=users["staff"])
        assert (
            str(hu)
            == HousingUnit.label("值小区", "3号楼", u, hu.room)
            == f"值小区 3号楼 {u + '单元' if u else ''}{hu.room}"
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_list_dates_as_django_formats_them(language):
    """Lists format dates from the language's DATE_FORMAT without Django's formatter when
    it has only numeric parts; the text is the same."""
    from django.template import Context
    from django.template.base import render_value_in_context
    from django.utils import formats, translation

    from linli.core.listing import date_template

    assert date_template("Y-m-d") == "{0.year:04d}-{0.month:02d}-{0.day:02d}"
    assert date_template(r"Y\年n\月") == "{0.year:04d}年{0.month}月" and date_template("N j, Y") is None
    with translation.override(language):
        template = date_template(formats.get_format("DATE_FORMAT"))
        for day in (dt.date(1940, 1, 2), dt.date(2026, 12, 31)):
            expected = render_value_in_context(day, Context())
            assert template is None or template.format(day) == expected
    assert (template is None) == (language == "en")  # "N j, Y": month names are Django's


def test_resident_page_tags_moves_and_queries(users, client_for):
    """The resident's page reads its own and its household's tags in one query and shows
    each under its heading; moves name their units (compound, building, room) without a
    query per move."""
    from django.test.utils import CaptureQueriesContext

    hu = unit(users, room="311", building="详情测试楼")
    hh = services.do_create_household(Household(housing_unit=hu), actor=users["staff"])
    r = register(
        users, "详情老人", birth="19400101", seq="971", housing_unit=hu, household=hh, relation=Relation.HEAD
    )
    group = SpecialGroup.objects.get
    services.do_add_tag(
        GroupTag(group=group(code="dujulaoren"), resident=r, start_date=dt.date(2025, 1, 1)),
        actor=users["staff"],
    )
    services.do_add_tag(
        GroupTag(group=group(code="dibao"), household=hh, start_date=dt.date(2025, 1, 1)),
        actor=users["staff"],
    )
    c = client_for("staff")
    url = f"/people/residents/{r.pk}/"
    with CaptureQueriesContext(connection) as before:
        page = c.get(url).content.decode()
    own, household = page.split("家庭标签")
    assert "独居老人" in own.split("特殊人群标签")[1] and "低保" not in own
    assert "低保" in household.split("同户成员")[0] and "独居老人" not in household
    for room in ("312", "313", "314"):
        services.do_move_resident(
            r,
            unit(users, room=room, building="详情测试楼"),
            actor=users["staff"],
            moved_on=dt.date(2026, 1, int(room[-1])),
        )
    with CaptureQueriesContext(connection) as after:
        page = c.get(url).content.decode()
    moves = page.split("迁移记录")[1]
    assert (
        "详情测试楼 1单元311 → 详情测试楼 1单元312" in moves
        and "详情测试楼 1单元313 → 详情测试楼 1单元314" in moves
    )
    assert len(after) <= len(before) + 2  # the moves' two sides of units, not a query per move
