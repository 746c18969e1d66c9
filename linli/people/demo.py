"""A synthetic but realistic population for the demo district (Faker zh_CN).

Valid ID numbers whose address codes and birth dates fit (local people carry 集宁区's
code 150902 or a neighbouring county's; floating people a code from elsewhere),
households of realistic size and structure, special groups at plausible rates, and
floating population with residence permits — spread over every grid. Rows go through
the importer's batched writer, so the demo exercises the same path as a real import.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from faker import Faker
from stdnum.cn import ric

from linli.core.pii import blind_index
from linli.core.roles import Level
from linli.regions import divisions
from linli.regions.models import Building, Compound, HousingUnit, Region

from .codes import Education, MaritalStatus, PoliticalStatus, Relation, ResidenceType
from .importer import write_rows
from .models import FloatingInfo, GroupTag, Household, Resident, SpecialGroup

LOCAL_CODES = ["150902", "150902", "150902", "150921", "150922", "150923", "150981"]
HOUSEHOLD_SIZES = [1, 2, 3, 4, 5]
HOUSEHOLD_WEIGHTS = [22, 31, 26, 13, 8]
ETHNIC_WEIGHTS = {"01": 90, "02": 6, "03": 2, "11": 2}  # 汉, 蒙古, 回, 满


def make_id(rng: random.Random, area: str, birth: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _birth(rng: random.Random, today: dt.date, age_lo: int, age_hi: int) -> dt.date:
    age = rng.randint(age_lo, age_hi)
    return today - dt.timedelta(days=age * 365 + rng.randrange(365))


def _housing(rng: random.Random, grids: list[Region], units_needed: int) -> list[HousingUnit]:
    """Compounds, buildings and housing units enough for the population (reused when present)."""
    units = list(HousingUnit.objects.filter(building__grid_region__in=grids, households__isnull=True))
    per_grid = max(1, units_needed // len(grids) + 1)
    new_units = []
    for grid in grids:
        have = sum(1 for u in units if u.grid_id == grid.code)
        if have >= per_grid:
            continue
        compound, _ = Compound.objects.get_or_create(grid_region=grid, name=f"{grid.name.split('第')[0]}小区")
        floors, rooms = 6, 2
        b_count = (per_grid - have) // (floors * rooms * 2) + 1
        for b in range(b_count):
            building, _ = Building.objects.get_or_create(
                grid_region=grid,
                compound=compound,
                name=f"{grid.code[-3:]}-{b + 1}号楼",
                defaults={"floors": floors, "units": 2},
            )
            for unit in ("1", "2"):
                for floor in range(1, floors + 1):
                    for room in range(1, rooms + 1):
                        hu = HousingUnit(
                            building=building,
                            unit=unit,
                            floor=floor,
                            room=f"{floor}{room:02d}",
                            area=rng.choice([56, 72, 86, 98, 120]),
                        )
                        hu.fill_scope()
                        new_units.append(hu)
    HousingUnit.objects.bulk_create(new_units, batch_size=2000, ignore_conflicts=True)
    return list(HousingUnit.objects.filter(building__grid_region__in=grids, households__isnull=True))


@transaction.atomic
def seed_population(district_code: str, residents: int, *, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    today = dt.date.today()
    grids = list(Region.objects.filter(level=Level.GRID, district_id=district_code).order_by("code"))
    if not grids:
        return {"residents": 0}
    origins = [c for c, _n in divisions.under("") if len(c) == 6 and not c.startswith("15")]
    origins = rng.sample(origins, 200)
    avg = sum(s * w for s, w in zip(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS, strict=True)) / sum(HOUSEHOLD_WEIGHTS)
    units = _housing(rng, grids, int(residents / avg) + 1)
    rng.shuffle(units)
    prepared: list[dict] = []
    hh_no = Household.objects.count()
    ethnic = list(ETHNIC_WEIGHTS)
    used_ids: set[str] = set()
    eweights = list(ETHNIC_WEIGHTS.values())

    def person(unit, household_no, relation, age_lo, age_hi, male, surname=None, floating=False):
        birth = _birth(rng, today, age_lo, age_hi)
        area = rng.choice(origins) if floating else rng.choice(LOCAL_CODES)
        cid = make_id(rng, area, birth, male)
        while cid in used_ids:  # each person their own number
            birth -= dt.timedelta(days=1)
            cid = make_id(rng, area, birth, male)
        used_ids.add(cid)
        name = (surname or fake.last_name()) + (fake.first_name_male() if male else fake.first_name_female())
        age = today.year - birth.year
        rec = {
            "name": name,
            "citizen_id": cid,
            "bidx": blind_index(cid, "people.resident.citizen_id"),
            "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            if age >= 16 and rng.random() < 0.85
            else "",
            "ethnicity": rng.choices(ethnic, eweights)[0],
            "education": rng.choice([e.value for e in Education]) if age >= 16 else "",
            "political_status": PoliticalStatus.CPC
            if age >= 18 and rng.random() < 0.07
            else (PoliticalStatus.CYL if 14 <= age < 28 and rng.random() < 0.3 else PoliticalStatus.MASSES),
            "marital_status": (
                MaritalStatus.MARRIED
                if relation in (Relation.HEAD, Relation.SPOUSE) and age >= 22 and rng.random() < 0.8
                else MaritalStatus.SINGLE
            )
            if age >= 18
            else "",
            "occupation": fake.job()[:50] if 18 <= age < 60 and rng.random() < 0.7 else "",
            "employer": fake.company()[:100] if 18 <= age < 60 and rng.random() < 0.6 else "",
            "residence_type": ResidenceType.FLOATING
            if floating
            else (ResidenceType.PERMANENT if rng.random() < 0.1 else ResidenceType.REGISTERED),
            "household": household_no,
            "relation": relation,
            "housing_unit": unit,
            "registered_address": "" if floating else "内蒙古自治区乌兰察布市集宁区",
            "separated": rng.random() < 0.06,
            "birth_date": birth,
            "gender": "1" if male else "2",
            "age": age,
            "floating_origin": area if floating else "",
        }
        prepared.append(rec)
        return rec

    created = 0
    for unit in units:
        if created >= residents:
            break
        hh_no += 1
        number = f"D{hh_no:06d}"
        size = min(rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0], residents - created)
        floating = rng.random() < 0.12
        male = rng.random() < 0.6
        head_lo, head_hi = (
            (22, 45) if floating else ((60, 92) if size == 1 and rng.random() < 0.5 else (25, 80))
        )
        head = person(unit, number, Relation.HEAD, head_lo, head_hi, male, floating=floating)
        surname = head["name"][0]
        members = [head]
        if size >= 2:
            lo = max(20, head["age"] - 5)
            members.append(
                person(
                    unit, number, Relation.SPOUSE, lo, min(95, head["age"] + 5), not male, floating=floating
                )
            )
        for _i in range(max(0, size - 2) - (1 if size == 5 else 0)):
            child_hi = max(0, head["age"] - 22)
            child_lo = max(0, head["age"] - 40)
            members.append(
                person(
                    unit,
                    number,
                    rng.choice([Relation.SON, Relation.DAUGHTER]),
                    min(child_lo, child_hi),
                    child_hi,
                    rng.random() < 0.5,
                    surname,
                    floating,
                )
            )
        if size == 5:
            members.append(
                person(
                    unit,
                    number,
                    Relation.PARENT,
                    min(95, head["age"] + 22),
                    min(98, head["age"] + 35),
                    rng.random() < 0.4,
                    surname,
                    floating,
                )
            )
        created += len(members)

    result = write_rows(prepared, actor=None, filename="seed_demo")
    _seed_groups_and_floating(rng, fake, prepared, today)
    return {"residents": result.created, "updated": result.updated, "households": result.households}


def _seed_groups_and_floating(rng, fake, prepared, today) -> None:
    groups = {g.code: g for g in SpecialGroup.objects.all()}
    by_bidx = dict(
        Resident.objects.filter(citizen_id_bidx__in=[r["bidx"] for r in prepared]).values_list(
            "citizen_id_bidx", "pk"
        )
    )
    households: dict[tuple, list[dict]] = {}
    for rec in prepared:
        households.setdefault((rec["housing_unit"].pk, rec["household"]), []).append(rec)
    hh_ids = {
        (h.housing_unit_id, h.number): h
        for h in Household.objects.filter(housing_unit_id__in={k[0] for k in households})
    }
    tags, floating = [], []

    def tag(code, *, resident=None, household=None, reason="", **extra):
        tags.append(
            GroupTag(
                group=groups[code],
                resident_id=resident,
                household=household,
                start_date=today - dt.timedelta(days=rng.randrange(30, 2000)),
                reason=reason,
                care_level=rng.choice([1, 2, 2, 3]),
                **extra,
            )
        )

    for key, members in households.items():
        hh = hh_ids.get(key)
        adults = [m for m in members if m["age"] >= 18]
        if hh is None:
            continue
        if rng.random() < 0.03:
            tag("dibao", household=hh, reason="家庭人均收入低于当地低保标准")
        if adults and all(18 <= m["age"] < 60 for m in adults) and rng.random() < 0.005:
            tag("lingjiuye", household=hh, reason="法定劳动年龄内家庭成员均处于失业状况")
        for m in members:
            pk = by_bidx.get(m["bidx"])
            if pk is None:
                continue
            m["pk"] = pk
            if len(members) == 1 and m["age"] >= 65:
                tag("dujulaoren", resident=pk, reason="独自居住")
            elif len(members) == 2 and all(x["age"] >= 60 for x in members):
                tag("kongchao", resident=pk, reason="子女不在身边")
            if rng.random() < 0.06:
                tag(
                    "canji",
                    resident=pk,
                    reason="持残疾人证",
                    disability_category=rng.choice(["视力", "听力", "言语", "肢体", "智力", "精神"]),
                    disability_grade=rng.choice(["一级", "二级", "三级", "四级"]),
                )
            if 18 <= m["age"] < 60 and rng.random() < 0.03:
                tag("shiye", resident=pk, reason="登记失业")
            if m["age"] < 16 and rng.random() < 0.01:
                tag("liushou", resident=pk, reason="父母外出务工")
            if m["age"] >= 60 and rng.random() < 0.01:
                tag("youfu", resident=pk, reason="退役军人")
            if 18 <= m["age"] < 50 and rng.random() < 0.002:
                tag("bangjiao", resident=pk, reason="社区矫正期满")
            if m["age"] >= 70 and rng.random() < 0.01:
                tag("tekun", resident=pk, reason="无劳动能力、无生活来源")
            if m["floating_origin"]:
                arrival = today - dt.timedelta(days=rng.randrange(30, 3000))
                floating.append(
                    FloatingInfo(
                        resident_id=pk,
                        permit_number=f"{m['floating_origin']}{rng.randrange(10**8):08d}",
                        permit_issued=arrival + dt.timedelta(days=30),
                        permit_expires=arrival + dt.timedelta(days=30 + 365 * 3),
                        arrival_date=arrival,
                        origin_code=m["floating_origin"],
                        reason=rng.choice(["务工", "经商", "投亲", "就学"]),
                    )
                )
    scope = dict(
        Resident.objects.filter(pk__in=[t.resident_id for t in tags if t.resident_id]).values_list(
            "pk", "grid_id"
        )
    )
    grids = {g.code: g for g in Region.objects.filter(code__in=set(scope.values()))}
    for t in tags:
        owner = grids[scope[t.resident_id]] if t.resident_id else t.household  # type: ignore[index]
        for lvl in ("district", "subdistrict", "community", "grid"):
            setattr(t, f"{lvl}_id", getattr(owner, f"{lvl}_id"))
    GroupTag.objects.bulk_create(tags, batch_size=2000)
    FloatingInfo.objects.bulk_create(floating, batch_size=2000, ignore_conflicts=True)
