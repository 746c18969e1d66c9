"""Region endpoints: list, detail, children, locate-a-point; grid team and housing lists."""

from typing import Annotated

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema
from ninja.pagination import paginate

from linli.core.scoping import access_by_pk, restrict

from . import services
from .models import Building, Compound, GridTeamMember, HousingUnit, Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent_id")
    centroid_lng: float | None
    centroid_lat: float | None


class RegionDetailOut(RegionOut):
    context_name: str
    district_code: str | None = Field(None, alias="district_id")
    subdistrict_code: str | None = Field(None, alias="subdistrict_id")
    community_code: str | None = Field(None, alias="community_id")
    boundary: dict | None


class RegionFilter(FilterSchema):
    parent: Annotated[str | None, FilterLookup("parent_id")] = None
    level: Annotated[str | None, FilterLookup("level")] = None
    name: Annotated[str | None, FilterLookup("name__contains")] = None


@router.get("/", response=list[RegionOut])
@paginate
def list_regions(request, filters: Query[RegionFilter]):
    return filters.filter(restrict(Region.objects.all(), request.auth))


@router.get("/locate", response=RegionDetailOut)
def locate_point(request, lng: float, lat: float):
    """The grid that contains a WGS84 point (lng, lat); 422 `outside_grids` when none does."""
    grid = services.locate(lng, lat)
    return access_by_pk(Region, request.auth, grid.code)


@router.get("/{code}", response=RegionDetailOut)
def region_detail(request, code: str):
    return access_by_pk(Region, request.auth, code)


@router.get("/{code}/children", response=list[RegionOut])
@paginate
def region_children(request, code: str):
    region = access_by_pk(Region, request.auth, code)
    return restrict(Region.objects.filter(parent=region), request.auth)


class TeamMemberOut(Schema):
    id: int
    grid_code: str = Field(alias="grid_region_id")
    role: str
    name: str
    phone: str | None
    organisation: str

    @staticmethod
    def resolve_phone(obj):
        return obj.phone.masked if obj.phone else None


@router.get("/{code}/team", response=list[TeamMemberOut])
def grid_team(request, code: str):
    grid = access_by_pk(Region, request.auth, code)
    return restrict(GridTeamMember.objects.filter(grid_region=grid), request.auth)


class CompoundOut(Schema):
    id: int
    name: str
    grid_code: str = Field(alias="grid_region_id")
    address: str


class BuildingOut(Schema):
    id: int
    name: str
    grid_code: str = Field(alias="grid_region_id")
    compound_id: int | None
    floors: int
    units: int


class HousingUnitOut(Schema):
    id: int
    building_id: int
    unit: str
    floor: int
    room: str
    usage: str


def _in_region(qs, user, code: str | None):
    qs = restrict(qs, user)
    if code:
        region = get_object_or_404(restrict(Region.objects.all(), user), code=code)
        qs = qs.filter(**{f"{region.level}_id": region.code})
    return qs


@router.get("/housing/compounds", response=list[CompoundOut])
@paginate
def list_compounds(request, region: str | None = None, q: str | None = None):
    qs = _in_region(Compound.objects.all(), request.auth, region)
    return qs.filter(Q(name__contains=q)) if q else qs


@router.get("/housing/buildings", response=list[BuildingOut])
@paginate
def list_buildings(request, region: str | None = None, compound: int | None = None):
    qs = _in_region(Building.objects.all(), request.auth, region)
    return qs.filter(compound_id=compound) if compound else qs


@router.get("/housing/units", response=list[HousingUnitOut])
@paginate
def list_housing_units(request, region: str | None = None, building: int | None = None):
    qs = _in_region(HousingUnit.objects.all(), request.auth, region)
    return qs.filter(building_id=building) if building else qs
