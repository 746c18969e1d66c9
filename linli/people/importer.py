"""Import of residents (and their households) from xlsx/csv: all rows or none.

Every row is validated like the form; errors name the row and the column. Re-importing
the same file changes nothing (upsert by ID number, through the blind index); the same
ID twice in one file is reported. ID numbers that Excel stored as numbers (precision
lost) are reported, never guessed. Rows are read, validated, encrypted and indexed here
(on two cores: ``core.pipeline``), then written in batches by ``import_writer``, so a
100,000-row file takes seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from linli.core import jobs, tally
from linli.core.bulk import large_cache, without_cycle_collection
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import SCOPE_FIELDS
from linli.core.pii import blind_index, encrypt, normalize
from linli.core.pipeline import prepared_chunks
from linli.core.roles import Level
from linli.core.scoping import restrict
from linli.core.tabular import open_table, save_error_report, was_number
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
from .import_writer import (
    PURPOSE_ID,
    PURPOSE_PHONE,
    ROW_FIELDS,
    ImportResult,
    Row,
    UnitRef,
    Writer,
    tokens_of,
    unit_ref,
)
from .models import Household, Resident
from .services import ADULT_AGE

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


CHUNK = 5000  # rows validated and written together
FIRST_CHUNK = 1000  # smaller, for the writer to start sooner
DEFAULTS = {
    "ethnicity": "01",
    "political_status": PoliticalStatus.MASSES.value,  # plain strings: they travel pickled
    "residence_type": ResidenceType.REGISTERED.value,
}


def pack(n: int, rec: dict) -> Row:
    """A validated record (``_Rows.row``, or the demo seeder's) as a ``Row``; the ID number
    and phone are encrypted and indexed here when they are not yet."""
    cid, phone = rec["citizen_id"], rec["phone"]
    if phone and "phone_enc" not in rec:
        rec["phone_enc"], rec["phone_bidx"] = encrypt(phone, PURPOSE_PHONE), blind_index(phone, PURPOSE_PHONE)
    values = (
        rec.get("citizen_id_enc") or encrypt(cid, PURPOSE_ID), rec["bidx"], rec.get("phone_enc"),
        rec.get("phone_bidx"), cid[-4:], *(rec[k] for k in ROW_FIELDS),
    )  # fmt: skip
    head = rec["relation"] == Relation.HEAD
    return Row(
        n,
        _place(rec),
        cid,
        rec["household"],
        head,
        phone,
        values,
        rec.get("tokens") or tokens_of(rec["name"]),
    )


def _place(rec: dict) -> tuple[str, str, str, str, str] | None:
    if not (rec.get("grid") and rec.get("building") and rec.get("room")):
        return None  # a required column missing (reported), or the demo's rows with their unit
    return (rec["grid"], rec["compound"], rec["building"], rec["unit"], rec["room"])


class _Units:
    """(grid, compound, building, unit, room) → housing unit, loaded a grid at a time as
    the file names them, limited to what the actor may add to."""

    def __init__(self, actor) -> None:
        self.actor = actor
        self.index: dict[tuple, UnitRef] = {}
        self.loaded: set[str] = set()

    def load(self, grid_codes: set[str]) -> None:
        wanted = grid_codes - self.loaded
        if not wanted:
            return
        self.loaded |= wanted
        units = HousingUnit.objects.filter(
            building__grid_region__code__in=wanted, building__grid_region__level=Level.GRID
        )
        if self.actor is not None:
            units = restrict(units, self.actor, "add")
        region = "building__grid_region__"
        rows = units.values_list(
            "pk", "building__grid_region_id", "building__compound__name", "building__name", "unit", "room",
            *(region + name for name in SCOPE_FIELDS),
        )  # fmt: skip
        for pk, grid, compound, building, unit, room, *scope in rows:
            self.index[(grid, compound or "", building, unit, room)] = UnitRef(pk, tuple(scope))


@dataclass
class _Rows:
    """Validation of rows like the resident form, needing no database: errors name row and
    column. Also encrypts and indexes what the writer stores, so that all of this can run
    in either process of the pipeline while a chunk before is written."""

    index: dict[str, int]
    today: dt.date = field(default_factory=dt.date.today)

    def __call__(self, chunk: list[tuple[int, list[str]]]) -> tuple[list[Row], list[dict]]:
        errors: list[dict] = []
        rows = []
        for n, cells in chunk:
            before = len(errors)
            rec = self.row(n, cells, errors)
            if len(errors) == before:
                rows.append(pack(n, rec))
            else:  # what the file-wide checks still need: the place and a valid ID number
                cid = rec["citizen_id"] if "bidx" in rec else ""
                rows.append(Row(n, _place(rec), cid, "", False, "", (), ()))
        return rows, errors

    def row(self, n: int, row: list[str], errors: list[dict]) -> dict:
        width = len(row)
        rec: dict = {k: (row[i] if i < width else "") for k, i in self.index.items()}
        for k in COLUMNS:
            rec.setdefault(k, "")

        def bad(key: str, msg: str) -> None:
            errors.append({"row": n, "column": COLUMNS[key], "message": msg})

        for key in REQUIRED:
            if not rec[key]:
                bad(key, _("不能为空"))
        if rec["citizen_id"]:
            self._citizen_id(rec, bad)
        if rec["phone"]:
            try:
                rec["phone"] = normalize(rec["phone"], "mobile")
            except ValidationError as exc:
                bad("phone", exc.messages[0])
            else:
                rec["phone_enc"] = encrypt(rec["phone"], PURPOSE_PHONE)
                rec["phone_bidx"] = blind_index(rec["phone"], PURPOSE_PHONE)
        for key, table in CODE_TABLES.items():
            value = rec[key]
            if not value:
                rec[key] = DEFAULTS.get(key, "")
            elif value in table:
                rec[key] = table[value]
            else:
                bad(key, _("“%(v)s”不是有效的%(c)s") % {"v": value, "c": COLUMNS[key]})
        sep = rec["separated"].lower()
        if sep not in YES and sep not in NO:
            bad("separated", _("应填“是”或“否”"))
        rec["separated"] = sep in YES
        if rec["relation"] == Relation.HEAD and rec.get("birth_date"):
            b = rec["birth_date"]
            age = self.today.year - b.year - ((self.today.month, self.today.day) < (b.month, b.day))
            if age < ADULT_AGE:
                bad("relation", _("未成年人不能作为户主"))
        if rec["name"]:
            rec["tokens"] = tokens_of(rec["name"])
        return rec

    @staticmethod
    def _citizen_id(rec: dict, bad: Callable[[str, str], None]) -> None:
        if was_number(rec["citizen_id"]):
            bad(
                "citizen_id", _("身份证号码被 Excel 存成了数字（后几位已丢失），请把该列设为“文本”后重新填写")
            )
            return
        try:
            cid = normalize(rec["citizen_id"], "citizen_id")
        except ValidationError as exc:
            bad("citizen_id", exc.messages[0])
            return
        rec["citizen_id"] = cid
        rec["bidx"] = blind_index(cid, PURPOSE_ID)
        rec["citizen_id_enc"] = encrypt(cid, PURPOSE_ID)
        rec["birth_date"] = citizen_id_birth_date(cid)
        rec["gender"] = (Gender.MALE if citizen_id_gender(cid) == "M" else Gender.FEMALE).value


@dataclass
class _Check:
    """What needs the whole file or the database: the same ID twice, and the housing unit
    (which must exist and be within the importer's scope)."""

    units: _Units
    errors: list[dict] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)

    def place(self, row: Row) -> UnitRef | None:
        """The row's housing unit (None, and an error, when it has none in scope)."""

        def bad(key: str, msg: str) -> None:
            self.errors.append({"row": row.n, "column": COLUMNS[key], "message": msg})

        if row.citizen_id:
            first = self.seen.setdefault(row.citizen_id, row.n)
            if first != row.n:
                bad("citizen_id", _("与第 %(r)d 行的身份证号码重复") % {"r": first})
        if row.place is None:
            return None
        unit = self.units.index.get(row.place)
        if unit is None:
            bad(
                "room",
                _("房屋不存在或不在您的管辖范围内：%(a)s") % {"a": " ".join(x for x in row.place[1:] if x)},
            )
        return unit


class _Rollback(Exception):
    pass


def import_residents(
    data: bytes, filename: str, *, actor, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Validate every row and write them in chunks inside one transaction; any error
    rolls the whole file back and raises ServiceError listing every error found.
    A file of more than one chunk is read and prepared on two cores, by a second process
    and by this one when it would wait and is the faster side, as the chunks before are
    written (``core.pipeline``)."""
    table = open_table(data, filename)
    index = {key: table.header.index(label) for key, label in COLUMNS.items() if label in table.header}
    missing = [COLUMNS[k] for k in REQUIRED if k not in index]
    if missing:
        raise ServiceError(ErrorCode.INVALID, _("缺少列：%(c)s") % {"c": "、".join(missing)})
    check = _Check(units=_Units(actor))
    writer = Writer(actor=actor, filename=filename)
    done = 0
    chunks = prepared_chunks(
        table.rows, CHUNK, _Rows(index=index), parallel=table.total > CHUNK, first=min(FIRST_CHUNK, CHUNK)
    )
    try:
        with (
            without_cycle_collection(),
            large_cache(),
            transaction.atomic(),
            tally.deferred(Resident),
            tally.deferred(Household),
        ):
            for rows, errors in chunks:
                check.errors += errors
                check.units.load({r.place[0] for r in rows if r.place})
                units = [check.place(r) for r in rows]
                if not check.errors:
                    writer.write(rows, units)  # type: ignore[arg-type]  # no errors: every row has its unit
                done += len(rows)
                if progress:
                    progress(done, table.total)
            if check.errors:
                raise _Rollback
            if not done:
                raise ServiceError(ErrorCode.INVALID, _("文件是空的。"))
            writer.finish()
    except _Rollback:
        errors = sorted(check.errors, key=lambda e: e["row"])  # a row's own errors, then the file's
        raise ServiceError(
            ErrorCode.IMPORT_FAILED, _("%(n)d 处错误，未导入任何数据。") % {"n": len(errors)}, errors=errors
        ) from None
    if progress:
        progress(table.total, table.total)
    return writer.result


def write_rows(prepared: list[dict], *, actor, filename: str) -> ImportResult:
    """Write rows that are already valid (shaped as ``_Rows.row`` returns them, the housing
    unit a ``HousingUnit``): the demo seeder's path into the same writer as a real import.
    Call inside a transaction."""
    writer = Writer(actor=actor, filename=filename)
    with tally.deferred(Resident), tally.deferred(Household):
        for i in range(0, len(prepared), CHUNK):
            part = prepared[i : i + CHUNK]
            writer.write([pack(0, rec) for rec in part], [unit_ref(rec["housing_unit"]) for rec in part])
    writer.finish()
    return writer.result


def summary(result: dict) -> str:
    return (
        _("导入完成：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d，新建户 %(households)d。")
        % result
    )


def _run(data: bytes, filename: str, *, actor, progress=None) -> dict:
    return import_residents(data, filename, actor=actor, progress=progress).as_dict()


# the background job that runs large resident imports (registered by the app's ready())
RUNNER = jobs.Runner(run=_run, summary=summary, report=save_error_report)


def template_header() -> list[str]:
    return list(COLUMNS.values())
