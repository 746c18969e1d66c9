"""Spreadsheet import of compounds, buildings and housing units (all rows or none)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.roles import Level
from linli.core.scoping import restrict
from linli.core.tabular import read_table

from .models import Building, Compound, HousingUnit, Region

COLUMNS = {
    "grid": "网格编码",
    "compound": "小区",
    "building": "楼栋",
    "floors": "楼栋层数",
    "unit": "单元",
    "floor": "楼层",
    "room": "房号",
    "area": "面积",
    "usage": "用途",
}
REQUIRED = ("grid", "building", "floor", "room")
USAGE_BY_LABEL = {str(label): value for value, label in HousingUnit.Usage.choices}


def template_header() -> list[str]:
    return list(COLUMNS.values())


def import_housing(data: bytes, filename: str, *, actor) -> dict:
    header, rows = read_table(data, filename)
    index = {key: header.index(label) for key, label in COLUMNS.items() if label in header}
    missing = [COLUMNS[k] for k in REQUIRED if k not in index]
    if missing:
        raise ServiceError(ErrorCode.INVALID, _("缺少列：%(c)s") % {"c": "、".join(missing)})

    grids_qs = Region.objects.filter(level=Level.GRID)
    if actor is not None:
        grids_qs = restrict(grids_qs, actor, "add")
    codes = {r[index["grid"]] for r in rows if len(r) > index["grid"]}
    grids = {g.code: g for g in grids_qs.filter(code__in=codes)}

    errors: list[dict] = []
    clean: list[dict] = []
    seen: dict[tuple, int] = {}
    for n, row in enumerate(rows, start=2):

        def cell(key: str, row=row) -> str:
            i = index.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        def bad(key: str, msg: str, n=n) -> None:
            errors.append({"row": n, "column": COLUMNS[key], "message": msg})

        rec: dict = {k: cell(k) for k in COLUMNS}
        for key in REQUIRED:
            if not rec[key]:
                bad(key, _("不能为空"))
        grid = grids.get(rec["grid"])
        if rec["grid"] and grid is None:
            bad("grid", _("网格编码 %(c)s 不存在或不在您的管辖范围内") % {"c": rec["grid"]})
        try:
            rec["floor"] = int(rec["floor"]) if rec["floor"] else None
        except ValueError:
            bad("floor", _("楼层应为整数"))
        try:
            rec["floors"] = int(rec["floors"]) if rec["floors"] else None
            if rec["floors"] is not None and rec["floors"] < 1:
                raise ValueError
        except ValueError:
            bad("floors", _("楼栋层数应为正整数"))
            rec["floors"] = None
        if isinstance(rec["floor"], int) and rec["floors"] and rec["floor"] > rec["floors"]:
            bad("floor", _("楼层超过楼栋层数"))
        try:
            rec["area"] = Decimal(rec["area"]) if rec["area"] else None
            if rec["area"] is not None and not (0 < rec["area"] < 100000):
                raise InvalidOperation
        except InvalidOperation:
            bad("area", _("面积应为正数"))
        if rec["usage"]:
            if rec["usage"] not in USAGE_BY_LABEL:
                bad("usage", _("用途应为：%(u)s") % {"u": "、".join(USAGE_BY_LABEL)})
            rec["usage"] = USAGE_BY_LABEL.get(rec["usage"], "")
        dedup = (rec["grid"], rec["compound"], rec["building"], rec["unit"], rec["room"])
        if rec["room"] and dedup in seen:
            bad("room", _("与第 %(r)d 行重复") % {"r": seen[dedup]})
        seen.setdefault(dedup, n)
        rec["grid_obj"] = grid
        clean.append(rec)
    if errors:
        raise ServiceError(
            ErrorCode.IMPORT_FAILED, _("%(n)d 处错误，未导入任何数据。") % {"n": len(errors)}, errors=errors
        )

    counts = {"compounds": 0, "buildings": 0, "housing_units": 0, "kept": 0}
    with transaction.atomic():
        compounds: dict[tuple, Compound] = {}
        buildings: dict[tuple, Building] = {}
        for rec in clean:
            grid = rec["grid_obj"]
            compound = None
            if rec["compound"]:
                ck = (grid.code, rec["compound"])
                if ck not in compounds:
                    compounds[ck], created = Compound.objects.get_or_create(
                        grid_region=grid, name=rec["compound"]
                    )
                    counts["compounds"] += created
                compound = compounds[ck]
            bk = (grid.code, rec["compound"], rec["building"])
            if bk not in buildings:
                b, created = Building.objects.get_or_create(
                    grid_region=grid,
                    compound=compound,
                    name=rec["building"],
                    defaults={"floors": rec["floors"] or max(1, rec["floor"])},
                )
                counts["buildings"] += created
                buildings[bk] = b
            b = buildings[bk]
            needed = max(rec["floors"] or 0, rec["floor"])
            if b.floors < needed:
                b.floors = needed
                b.save(update_fields=["floors", "updated_at"])
            unit, created = HousingUnit.objects.get_or_create(
                building=b,
                unit=rec["unit"],
                room=rec["room"],
                defaults={"floor": rec["floor"], "area": rec["area"], "usage": rec["usage"] or "residential"},
            )
            if created:
                counts["housing_units"] += 1
            else:
                counts["kept"] += 1
        audit.record(
            AuditAction.IMPORT,
            actor=actor,
            object_type="regions.housingunit",
            object_repr=_("导入房屋 %(f)s") % {"f": filename},
            changes=counts,
            actor_name="system",
        )
    return counts
