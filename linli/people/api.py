"""Registry endpoints under /api/v1/people/: scoped and masked exactly like the pages."""

import datetime as dt

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from linli.core.scoping import access_by_pk, restrict

from . import services
from .models import Household, Resident
from .views import resident_filters

router = Router(tags=["people"])


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date | None
    citizen_id: str | None = Field(None, description="masked")
    phone: str | None = Field(None, description="masked")
    ethnicity: str
    political_status: str
    residence_type: str
    housing_unit_id: int
    household_id: int | None
    relation: str
    separated: bool
    grid_code: str | None = Field(None, alias="grid_id")
    community_code: str | None = Field(None, alias="community_id")
    archived_at: dt.date | None

    @staticmethod
    def resolve_citizen_id(obj):
        return obj.citizen_id.masked if obj.citizen_id else None

    @staticmethod
    def resolve_phone(obj):
        return obj.phone.masked if obj.phone else None


class ResidentQuery(Schema):
    q: str | None = Field(None, description="name, pinyin initials, ID number or its last 4, mobile, address")
    region: str | None = None
    group: str | None = Field(None, description="special group code, e.g. dujulaoren")
    age_min: int | None = None
    age_max: int | None = None
    residence_type: str | None = None
    archived: bool = False


@router.get("/residents", response=list[ResidentOut])
@paginate
def list_residents(request, query: Query[ResidentQuery]):
    qs = services.search_residents(request.auth, query.q or "", include_archived=query.archived)
    params = {k: str(v) for k, v in query.dict().items() if v not in (None, False)}
    params["archived"] = "1"  # search_residents already applied the archived choice
    return resident_filters(qs, params).order_by("id")


@router.get("/residents/{resident_id}", response=ResidentOut)
def resident_detail(request, resident_id: int):
    return access_by_pk(Resident, request.auth, resident_id)


class HouseholdOut(Schema):
    id: int
    housing_unit_id: int
    number: str
    kind: str
    head_id: int | None
    grid_code: str | None = Field(None, alias="grid_id")


@router.get("/households", response=list[HouseholdOut])
@paginate
def list_households(request, region: str | None = None):
    qs = restrict(Household.objects.filter(archived_at__isnull=True), request.auth)
    return resident_filters(qs, {"region": region, "archived": "1"}) if region else qs


@router.get("/households/{household_id}", response=HouseholdOut)
def household_detail(request, household_id: int):
    return access_by_pk(Household, request.auth, household_id)
