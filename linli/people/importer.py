"""Import of residents (and their households) from xlsx/csv: all rows or none.

Every row is validated like the form; errors name the row and the column. Re-importing
the same file changes nothing (upsert by ID number, through the blind index); the same
ID twice in one file is reported. ID numbers that Excel stored as numbers (precision
lost) are reported, never guessed. Writes are batched: prepared rows are encrypted and
indexed in Python, then bulk inserted, so a 100,000-row file takes seconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction, AuditEntry
from linli.core.pii import Secret, blind_index, normalize, plain
from linli.core.roles import Level
from linli.core.scoping import restrict
from linli.core.tabular import read_table, was_number, write_table
from linli.core.validators import citizen_id_birth_date, citizen_id_gender
from linli.regions.models import HousingUnit

from .codes import (
    ETHNICITY_CHOICES,
    Education,
    Gender,
    MaritalStatus,
    PoliticalStatus,
    Relation,
    ResidenceType,
)
from .models import Household, NameToken, Resident
from .services import ADULT_AGE, name_tokens

COLUMNS = {
    "name": "姓名",
    "citizen_id": "公民身份号码",
    "phone": "联系电话",
    "ethnicity": "民族",
    "education": "学历",
    "political_status": "政治面貌",
    "marital_status": "婚姻状况",
    "occupation": "职业",
    "employer": "服务处所",
    "residence_type": "人口类别",
    "household": "户号",
    "relation": "与户主关系",
    "grid": "网格编码",
    "compound": "小区",
    "building": "楼栋",
    "unit": "单元",
    "room": "房号",
    "registered_address": "户籍地址",
    "separated": "人户分离",
}
REQUIRED = ("name", "citizen_id", "grid", "building", "room")
TEMPLATE_EXAMPLE = [
    "张三",
    "150902198001010114",
    "13800138000",
    "汉族",
    "大学本科",
    "群众",
    "已婚",
    "教师",
    "集宁一中",
    "户籍",
    "H0001",
    "户主",
    "150902001001001",
    "恩和小区",
    "1号楼",
    "1",
    "101",
    "内蒙古乌兰察布市集宁区恩和路18号",
    "否",
]
# Resident fields an import row sets directly (besides ID, phone, housing unit and household).
ROW_FIELDS = (
    "name", "ethnicity", "education", "political_status", "marital_status", "occupation", "employer",
    "residence_type", "relation", "registered_address", "separated", "birth_date", "gender",
)  # fmt: skip
UPDATABLE = [*ROW_FIELDS, "phone", "housing_unit", "household", "id_tail"]


def _choices(choices) -> dict[str, str]:
    """Label or code → code."""
    table = {}
    for code, label in choices:
        table[str(label)] = code
        table[code] = code
    return table


CODE_TABLES = {
    "ethnicity": _choices(ETHNICITY_CHOICES),
    "education": _choices(Education.choices),
    "political_status": _choices(PoliticalStatus.choices),
    "marital_status": _choices(MaritalStatus.choices),
    "residence_type": _choices(ResidenceType.choices),
    "relation": _choices(Relation.choices),
}
YES = {"是", "y", "yes", "1", "true"}
NO = {"否", "n", "no", "0", "false", ""}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    households: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "households": self.households,
        }


@functools.lru_cache(maxsize=65536)
def _tokens(name: str) -> frozenset[str]:
    return frozenset(name_tokens(name))


def _unit_index(actor, grid_codes: set[str]) -> dict[tuple, HousingUnit]:
    units = HousingUnit.objects.filter(
        building__grid_region__code__in=grid_codes, building__grid_region__level=Level.GRID
    )
    if actor is not None:
        units = restrict(units, actor, "add")
    index = {}
    for u in units.select_related("building__compound", "building__grid_region"):
        b = u.building
        compound = b.compound.name if b.compound is not None else ""
        index[(b.grid_region_id, compound, b.name, u.unit, u.room)] = u
    return index


def import_residents(
    data: bytes, filename: str, *, actor, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    header, rows = read_table(data, filename)
    index = {key: header.index(label) for key, label in COLUMNS.items() if label in header}
    missing = [COLUMNS[k] for k in REQUIRED if k not in index]
    if missing:
        raise ServiceError(ErrorCode.INVALID, _("缺少列：%(c)s") % {"c": "、".join(missing)})
    purpose_id = "people.resident.citizen_id"
    purpose_phone = "people.resident.phone"
    grid_col = index["grid"]
    units = _unit_index(actor, {r[grid_col].strip() for r in rows if len(r) > grid_col})
    today = dt.date.today()

    errors: list[dict] = []
    prepared: list[dict] = []
    seen: dict[str, int] = {}
    total = len(rows)
    for n, row in enumerate(rows, start=2):
        if progress and n % 5000 == 0:
            progress(n, total)

        def raw(key: str, row=row) -> str:
            i = index.get(key)
            return row[i] if i is not None and i < len(row) else ""

        def bad(key: str, msg: str, n=n) -> None:
            errors.append({"row": n, "column": COLUMNS[key], "message": msg})

        rec: dict = {k: raw(k).strip() for k in COLUMNS}
        for key in REQUIRED:
            if not rec[key]:
                bad(key, _("不能为空"))
        cid_raw = raw("citizen_id")
        if rec["citizen_id"]:
            if was_number(cid_raw):
                bad(
                    "citizen_id",
                    _("身份证号码被 Excel 存成了数字（后几位已丢失），请把该列设为“文本”后重新填写"),
                )
            else:
                try:
                    cid = normalize(rec["citizen_id"], "citizen_id")
                except ValidationError as exc:
                    bad("citizen_id", exc.messages[0])
                else:
                    rec["citizen_id"] = cid
                    rec["bidx"] = blind_index(cid, purpose_id)
                    if cid in seen:
                        bad("citizen_id", _("与第 %(r)d 行的身份证号码重复") % {"r": seen[cid]})
                    seen.setdefault(cid, n)
                    rec["birth_date"] = citizen_id_birth_date(cid)
                    rec["gender"] = Gender.MALE if citizen_id_gender(cid) == "M" else Gender.FEMALE
        if rec["phone"]:
            try:
                rec["phone"] = normalize(rec["phone"], "mobile")
            except ValidationError as exc:
                bad("phone", exc.messages[0])
        for key, table in CODE_TABLES.items():
            value = rec[key]
            if not value:
                rec[key] = {
                    "ethnicity": "01",
                    "political_status": PoliticalStatus.MASSES,
                    "residence_type": ResidenceType.REGISTERED,
                }.get(key, "")
            elif value in table:
                rec[key] = table[value]
            else:
                bad(key, _("“%(v)s”不是有效的%(c)s") % {"v": value, "c": COLUMNS[key]})
        sep = rec["separated"].lower()
        if sep not in YES | NO:
            bad("separated", _("应填“是”或“否”"))
        rec["separated"] = sep in YES
        if rec["relation"] == Relation.HEAD and rec.get("birth_date"):
            b = rec["birth_date"]
            age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
            if age < ADULT_AGE:
                bad("relation", _("未成年人不能作为户主"))
        if rec["grid"] and rec["building"] and rec["room"]:
            unit_key = (rec["grid"], rec["compound"], rec["building"], rec["unit"], rec["room"])
            rec["housing_unit"] = units.get(unit_key)
            if rec["housing_unit"] is None:
                bad(
                    "room",
                    _("房屋不存在或不在您的管辖范围内：%(a)s")
                    % {"a": " ".join(x for x in unit_key[1:] if x)},
                )
        prepared.append(rec)
    if errors:
        raise ServiceError(
            ErrorCode.IMPORT_FAILED, _("%(n)d 处错误，未导入任何数据。") % {"n": len(errors)}, errors=errors
        )
    with transaction.atomic():
        result = _write(prepared, actor=actor, purpose_phone=purpose_phone, filename=filename)
    if progress:
        progress(total, total)
    return result


def _write(prepared: list[dict], *, actor, purpose_phone: str, filename: str) -> ImportResult:
    result = ImportResult()
    existing: dict[str, Resident] = {}
    bidxs = [r["bidx"] for r in prepared]
    for i in range(0, len(bidxs), 900):
        for res in Resident.objects.filter(citizen_id_bidx__in=bidxs[i : i + 900]):
            existing[res.citizen_id_bidx] = res  # type: ignore[attr-defined]
    # households: (housing unit, 户号) → Household, created when missing
    wanted = {(r["housing_unit"].pk, r["household"]) for r in prepared if r["household"]}
    households: dict[tuple, Household] = {}
    unit_ids = list({k[0] for k in wanted})
    for i in range(0, len(unit_ids), 900):
        for h in Household.objects.filter(housing_unit_id__in=unit_ids[i : i + 900]).exclude(number=""):
            households[(h.housing_unit_id, h.number)] = h
    units_by_pk = {r["housing_unit"].pk: r["housing_unit"] for r in prepared}
    new_households = []
    for key in wanted - set(households):
        h = Household(housing_unit=units_by_pk[key[0]], number=key[1])
        h.fill_scope()
        households[key] = h
        new_households.append(h)
    Household.objects.bulk_create(new_households, batch_size=1000)
    result.households = len(new_households)

    creates: list[Resident] = []
    updates: list[Resident] = []
    audits: list[AuditEntry] = []
    ip = audit.current_ip.get()
    actor_user = actor if actor is not None and actor.is_authenticated else None
    for rec in prepared:
        values = {k: rec[k] for k in ROW_FIELDS}
        values["housing_unit"] = rec["housing_unit"]
        values["household"] = (
            households.get((rec["housing_unit"].pk, rec["household"])) if rec["household"] else None
        )
        values["id_tail"] = rec["citizen_id"][-4:]
        found = existing.get(rec["bidx"])
        if found is None:
            res = Resident(citizen_id=Secret(rec["citizen_id"], "citizen_id"), **values)
            res.phone = rec["phone"] or None  # bulk_create runs pre_save: encrypted and indexed there
            res.fill_scope()
            creates.append(res)
            continue
        res = found
        before = audit.snapshot(res)
        for k, v in values.items():
            setattr(res, k, v)
        if rec["phone"] and plain(res.phone) != rec["phone"]:
            res.phone = rec["phone"]
        res.fill_scope()
        changed = audit.diff(before, audit.snapshot(res))
        if changed:
            res.phone_bidx = blind_index(plain(res.phone), purpose_phone) if res.phone else None  # type: ignore[attr-defined]
            updates.append(res)
            audits.append(
                AuditEntry(
                    actor=actor_user,
                    actor_name=actor_user.get_username() if actor_user else "system",
                    ip=ip,
                    action=AuditAction.UPDATE,
                    object_type="people.resident",
                    object_id=str(res.pk),
                    object_repr=res.name,
                    changes=changed,
                )
            )
        else:
            result.unchanged += 1
    Resident.objects.bulk_create(creates, batch_size=1000)
    if updates:
        Resident.objects.bulk_update(
            updates,
            [*UPDATABLE, "phone", "phone_bidx", "district", "subdistrict", "community", "grid"],
            batch_size=1000,
        )
    result.created, result.updated = len(creates), len(updates)
    # search tokens for new residents and renamed ones
    renamed = [
        r for r in updates if "name" in {k for a in audits if a.object_id == str(r.pk) for k in a.changes}
    ]
    if renamed:
        NameToken.objects.filter(resident__in=renamed).delete()
    NameToken.objects.bulk_create(
        [NameToken(resident=r, token=t) for r in [*creates, *renamed] for t in _tokens(r.name)],
        batch_size=5000,
    )
    for r in creates:
        audits.append(
            AuditEntry(
                actor=actor_user,
                actor_name=actor_user.get_username() if actor_user else "system",
                ip=ip,
                action=AuditAction.CREATE,
                object_type="people.resident",
                object_id=str(r.pk),
                object_repr=r.name,
                changes={"import": filename},
            )
        )
    AuditEntry.objects.bulk_create(audits, batch_size=2000)
    # heads of household
    heads = {}
    for res in [*creates, *updates]:
        if res.household_id and res.relation == Relation.HEAD:
            heads[res.household_id] = res.pk
    for hid, rid in heads.items():
        Household.objects.filter(pk=hid).exclude(head_id=rid).update(head_id=rid)
    audit.record(
        AuditAction.IMPORT,
        actor=actor,
        object_type="people.resident",
        object_repr=_("导入居民 %(f)s") % {"f": filename},
        changes=result.as_dict(),
        actor_name="system",
    )
    return result


# Error reports are copies of the uploaded file (personal data in full): kept only
# briefly, readable by the server's user alone, and only offered to the uploader's session.
ERROR_REPORT_TTL = 3600


def _report_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "import-errors"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def save_error_report(data: bytes, filename: str, errors: list[dict], *, replaces: str | None = None) -> str:
    """Write the uploaded rows with an error column; returns the report's id. Reports older
    than ERROR_REPORT_TTL, and the one this replaces, are deleted."""
    folder = _report_dir()
    cutoff = time.time() - ERROR_REPORT_TTL
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff or old.stem == replaces:
            old.unlink(missing_ok=True)
    header, rows = read_table(data, filename)
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e["row"], []).append(f"{e['column']}：{e['message']}")
    out = [[*r, "；".join(by_row.get(n, []))] for n, r in enumerate(rows, start=2)]
    report_id = uuid.uuid4().hex
    path = folder / f"{report_id}.xlsx"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(write_table([*header, _("错误")], out, "xlsx"))
    return report_id


def load_error_report(report_id: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{32}", report_id):
        return None
    path = _report_dir() / f"{report_id}.xlsx"
    if not path.exists() or path.stat().st_mtime < time.time() - ERROR_REPORT_TTL:
        return None
    return path.read_bytes()


def template_header() -> list[str]:
    return list(COLUMNS.values())
