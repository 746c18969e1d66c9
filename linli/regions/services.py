"""The write path for regions: loading official codes, grids, housing, teams, partners."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import AuditAction
from linli.core.roles import Level
from linli.core.scoping import ensure_in_scope
from linli.core.services import do_create, do_delete, do_update

from . import divisions, geo
from .models import Region

LEVEL_BY_LENGTH = {6: Level.DISTRICT, 9: Level.SUBDISTRICT, 12: Level.COMMUNITY}


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("新增 %(a)d，修改 %(c)d，保持 %(k)d") % {
            "a": len(self.added),
            "c": len(self.changed),
            "k": len(self.kept),
        }


def _parent_code(code: str) -> str | None:
    return {9: code[:6], 12: code[:9]}.get(len(code))


def load_regions(codes: list[str], *, actor=None) -> LoadReport:
    """Load districts (6 digits), subdistricts (9) or whole cities (4) from the NBS data.

    Idempotent: names and parents are brought in line, nothing else is touched.
    """
    wanted: dict[str, str] = {}
    for raw in codes:
        code = raw.strip()
        if not re.fullmatch(r"\d{4}|\d{6}|\d{9}", code):
            raise ServiceError(
                ErrorCode.INVALID_CODE,
                _("代码 %(c)s 格式错误：应为 4 位（地级市）、6 位（区县）或 9 位（街道乡镇）数字。")
                % {"c": raw},
            )
        rows = [(c, n) for c, n in divisions.under(code) if len(c) in (6, 9, 12)]
        if len(code) == 9:  # a subdistrict comes with its district, its parent
            rows += [(c, n) for c, n in divisions.under(code[:6]) if len(c) == 6]
        if not any(c.startswith(code) for c, _n in rows):
            raise ServiceError(
                ErrorCode.UNKNOWN_REGION, _("未找到区划代码 %(c)s（2023 年统计用区划代码）。") % {"c": code}
            )
        wanted.update(rows)
    context = divisions.names_for({c[:2] for c in wanted} | {c[:4] for c in wanted})

    report = LoadReport()
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.filter(code__in=list(wanted))}
        created: dict[str, Region] = {}
        changed: list[Region] = []
        for code in sorted(wanted, key=lambda c: (len(c), c)):
            name = wanted[code]
            level = LEVEL_BY_LENGTH[len(code)]
            parent_code = _parent_code(code)
            ctx = ""
            if level == Level.DISTRICT:
                city = context.get(code[:4], "")
                ctx = context.get(code[:2], "") + ("" if city in ("", "市辖区", "县") else city)
            region = existing.get(code)
            parent = existing.get(parent_code or "") or created.get(parent_code or "")
            if region is None:
                region = Region(code=code, name=name, level=level, parent=parent, context_name=ctx)
                region.fill_scope()
                created[code] = region
                report.added.append(code)
            elif (region.name, region.parent_id, region.context_name) != (name, parent_code, ctx):
                region.name, region.parent, region.context_name = name, parent, ctx
                region.fill_scope()
                changed.append(region)
                report.changed.append(code)
            else:
                report.kept.append(code)
        Region.objects.bulk_create(list(created.values()), batch_size=2000)
        if changed:
            Region.objects.bulk_update(
                changed,
                ["name", "parent", "context_name", "district", "subdistrict", "community"],
                batch_size=2000,
            )
        audit.record(
            AuditAction.IMPORT,
            actor=actor,
            object_type="regions.region",
            object_id=",".join(codes)[:64],
            object_repr=_("加载区划代码 %(c)s") % {"c": " ".join(codes)},
            changes={"added": len(report.added), "changed": len(report.changed), "kept": len(report.kept)},
            actor_name="system",
        )
    return report


# --- grids ------------------------------------------------------------------------


def _sibling_geoms(district_code: str, exclude: str | None = None):
    qs = Region.objects.filter(level=Level.GRID, district_id=district_code, boundary__isnull=False)
    if exclude:
        qs = qs.exclude(code=exclude)
    from shapely.geometry import shape

    return [(c, n, shape(b)) for c, n, b in qs.values_list("code", "name", "boundary")]


def next_grid_code(community: Region) -> str:
    last = (
        Region.objects.filter(parent=community, level=Level.GRID)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    seq = int(last[-3:]) + 1 if last else 1
    if seq > 999:
        raise ServiceError(ErrorCode.INVALID_CODE, _("该社区的网格编号已用完。"))
    return f"{community.code}{seq:03d}"


def _apply_boundary(grid: Region, boundary) -> None:
    if boundary in (None, "", {}):
        grid.boundary = None
        grid.centroid_lng = grid.centroid_lat = None
        return
    geom = geo.parse_boundary(boundary)
    geo.check_overlaps(geom, _sibling_geoms(grid.district_id or "", exclude=grid.code))
    grid.boundary = json.loads(json.dumps(geom.__geo_interface__))
    c = geom.representative_point()
    grid.centroid_lng, grid.centroid_lat = round(c.x, 6), round(c.y, 6)


def _check_grid_code(code: str, community: Region) -> None:
    if not re.fullmatch(r"\d{15}", code) or not code.startswith(community.code) or code.endswith("000"):
        raise ServiceError(
            ErrorCode.INVALID_CODE,
            _("网格编码 %(c)s 无效：应为社区代码 %(p)s 加 3 位序号（001–999）。")
            % {"c": code, "p": community.code},
            field="code",
        )


def do_create_grid(community: Region, name: str, *, actor, boundary=None, code: str | None = None) -> Region:
    if community.level != Level.COMMUNITY:
        raise ServiceError(ErrorCode.INVALID, _("网格只能建在社区之下。"), field="parent")
    if not name.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写网格名称。"), field="name")
    with transaction.atomic():
        code = code or next_grid_code(community)
        _check_grid_code(code, community)
        if Region.objects.filter(code=code).exists():
            raise ServiceError(ErrorCode.DUPLICATE, _("网格编码 %(c)s 已存在。") % {"c": code}, field="code")
        grid = Region(code=code, name=name.strip(), level=Level.GRID, parent=community)
        grid.fill_scope()
        _apply_boundary(grid, boundary)
        do_create(grid, actor=actor)
    return grid


def do_update_grid(grid: Region, *, actor, name: str | None = None, boundary=...) -> Region:
    before = audit.snapshot(grid)
    with transaction.atomic():
        if name is not None:
            if not name.strip():
                raise ServiceError(ErrorCode.INVALID, _("请填写网格名称。"), field="name")
            grid.name = name.strip()
        if boundary is not ...:
            old = grid.boundary
            _apply_boundary(grid, boundary)
            if old != grid.boundary:
                before["boundary"] = "…"
        do_update(grid, before, actor=actor)
    return grid


def do_delete_region(region: Region, *, actor) -> None:
    if region.level != Level.GRID:
        raise ServiceError(ErrorCode.INVALID, _("只能删除网格；区、街道、社区来自官方区划代码。"))
    with transaction.atomic():
        # a grid's own scope column points at itself; release it so PROTECT guards only real users
        Region.objects.filter(pk=region.pk).update(grid=None)
        do_delete(region, actor=actor)


def import_grids(data: bytes | str, *, actor=None) -> dict:
    """Import a GeoJSON FeatureCollection of grids (properties: code, name, community).

    Everything is checked first; any bad feature (reported by index) means nothing
    is written. Existing codes are updated, so re-importing a file changes nothing.
    """
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ServiceError(ErrorCode.INVALID_GEOMETRY, _("文件不是有效的 GeoJSON。")) from exc
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise ServiceError(ErrorCode.INVALID_GEOMETRY, _("文件应为 GeoJSON FeatureCollection。"))
    features = doc["features"]
    communities = {
        r.code: r
        for r in Region.objects.filter(
            level=Level.COMMUNITY,
            code__in=[
                str((f.get("properties") or {}).get("community", "")) for f in features if isinstance(f, dict)
            ],
        )
    }
    errors: list[dict] = []
    planned: list[tuple[int, str, str, Region, BaseGeometry]] = []
    seen: dict[str, int] = {}
    for i, feat in enumerate(features):
        props = (feat.get("properties") or {}) if isinstance(feat, dict) else {}
        code = str(props.get("code", "")).strip()
        name = str(props.get("name", "")).strip()
        community = communities.get(str(props.get("community", "")).strip())
        try:
            if community is None:
                raise ServiceError(
                    ErrorCode.UNKNOWN_REGION, _("社区代码 %(c)s 不存在。") % {"c": props.get("community", "")}
                )
            if actor is not None:
                ensure_in_scope(community, actor, "add")
            _check_grid_code(code, community)
            if code in seen:
                raise ServiceError(
                    ErrorCode.DUPLICATE,
                    _("网格编码 %(c)s 与第 %(j)d 个要素重复。") % {"c": code, "j": seen[code]},
                )
            if not name:
                raise ServiceError(ErrorCode.INVALID, _("缺少网格名称 (name)。"))
            geom = geo.parse_boundary(feat)
        except ServiceError as exc:
            errors.append({"index": i, "code": exc.code, "message": str(exc.message)})
            continue
        seen[code] = i
        planned.append((i, code, name, community, geom))
    # overlaps among the file's grids and with grids already stored elsewhere
    if not errors:
        stored = {}
        for dcode in {c.district_id for _i, _c, _n, c, _g in planned}:
            stored.update({c: (c, n, g) for c, n, g in _sibling_geoms(dcode or "")})
        for i, code, _name, _community, geom in planned:
            others = [v for k, v in stored.items() if k != code and k not in seen]
            others += [(c2, n2, g2) for _j, c2, n2, _cm, g2 in planned if c2 != code]
            try:
                geo.check_overlaps(geom, others)
            except ServiceError as exc:
                errors.append({"index": i, "code": exc.code, "message": str(exc.message)})
    if errors:
        raise ServiceError(
            ErrorCode.IMPORT_FAILED,
            _("%(n)d 个要素有错误，未导入任何网格。") % {"n": len(errors)},
            errors=errors,
        )
    added = updated = kept = 0
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.filter(code__in=list(seen))}
        for _i, code, name, community, geom in planned:
            boundary = json.loads(json.dumps(geom.__geo_interface__))
            grid = existing.get(code)
            c = geom.representative_point()
            if grid is None:
                grid = Region(
                    code=code,
                    name=name,
                    level=Level.GRID,
                    parent=community,
                    boundary=boundary,
                    centroid_lng=round(c.x, 6),
                    centroid_lat=round(c.y, 6),
                )
                grid.save()
                audit.record_create(grid, actor=actor)
                added += 1
            elif grid.name != name or grid.boundary != boundary or grid.parent_id != community.code:
                before = audit.snapshot(grid)
                grid.name, grid.boundary, grid.parent = name, boundary, community
                grid.centroid_lng, grid.centroid_lat = round(c.x, 6), round(c.y, 6)
                grid.save()
                audit.record_update(grid, before, actor=actor)
                updated += 1
            else:
                kept += 1
    return {"added": added, "updated": updated, "kept": kept}


def locate(lng: float, lat: float, *, within=None) -> Region:
    """The grid containing a WGS84 point; a clear error when it is outside every grid."""
    grid = geo.locate_grid(lng, lat)
    if grid is None:
        raise ServiceError(
            ErrorCode.OUTSIDE_GRIDS,
            _("该位置（%(lng).6f, %(lat).6f）不在任何网格内。") % {"lng": lng, "lat": lat},
        )
    return grid
