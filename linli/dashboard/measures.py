"""What the dashboard shows: each measure's label, kind and the list it counts (a number
links to exactly the records it counts; tests/test_dashboard.py checks they agree)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .figures import AGE_BANDS, COVERAGE_DAYS, Period

COUNT, RATE, HOURS = "count", "rate", "hours"
SECTIONS = {
    "population": _("人口与住户"),
    "cases": _("民情诉求与事件"),
    "visits": _("走访"),
    "volunteers": _("志愿服务"),
}


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    section: str
    kind: str = COUNT
    url_name: str | None = None
    params: tuple[
        tuple[str, str], ...
    ] = ()  # values may name {key} (the node's code, the department's id), {first}, {last}, {month}

    def url(self, key, period: Period) -> str | None:
        if not self.url_name:
            return None
        names = {
            "key": key,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "month": period.month.strftime("%Y-%m"),
            "period": period.name,
        }
        query = [(k, v.format(**names)) for k, v in self.params]
        return f"{_path(self.url_name, get_language(), get_script_prefix())}?{urlencode(query)}"


@lru_cache(maxsize=128)
def _path(url_name: str, language: str | None, prefix: str) -> str:
    """``reverse`` once per list (a board links a few hundred numbers to a dozen lists)."""
    return reverse(url_name)


def _m(key, label, section, kind=COUNT, url_name=None, **params) -> Measure:
    return Measure(key, label, section, kind, url_name, tuple(params.items()))


REGION = {"region": "{key}"}
AREA = {"area": "{key}"}
DAYS = {"from": "{first}", "to": "{last}"}

POPULATION = [
    _m("residents", _("实有人口"), "population", url_name="people:resident_list", **REGION),
    _m(
        "registered",
        _("户籍人口"),
        "population",
        url_name="people:resident_list",
        **REGION,
        residence_type="registered",
    ),
    _m(
        "permanent",
        _("常住人口"),
        "population",
        url_name="people:resident_list",
        **REGION,
        residence_type="permanent",
    ),
    _m(
        "floating",
        _("流动人口"),
        "population",
        url_name="people:resident_list",
        **REGION,
        residence_type="floating",
    ),
    *[
        _m(
            key,
            label,
            "population",
            url_name="people:resident_list",
            **REGION,
            age_min=str(young),
            **({"age_max": str(old)} if old is not None else {}),
        )
        for (key, young, old), label in zip(
            AGE_BANDS, [_("0–17岁"), _("18–59岁"), _("60–79岁"), _("80岁及以上")], strict=True
        )
    ],
    _m("households", _("户数"), "population", url_name="people:household_list", **REGION),
]
CASES = [
    _m("cases_new", _("新上报"), "cases", url_name="cases:list", **REGION, **DAYS),
    _m("cases_open", _("在办"), "cases", url_name="cases:list", **REGION, open="1"),
    _m("cases_overdue", _("超期"), "cases", url_name="cases:list", **REGION, overdue="1"),
    _m(
        "cases_closed",
        _("本期结案"),
        "cases",
        url_name="cases:list",
        **REGION,
        closed_from="{first}",
        closed_to="{last}",
    ),
    _m("accepted", _("立案数"), "cases", url_name="cases:indicators", **REGION, **DAYS),
    _m("closure_rate", _("结案率"), "cases", RATE, "cases:indicators", **REGION, **DAYS),
    _m("on_time_closure_rate", _("按期结案率"), "cases", RATE, "cases:indicators", **REGION, **DAYS),
    _m("satisfaction_rate", _("满意率"), "cases", RATE, "cases:indicators", **REGION, **DAYS),
    _m(
        "average_handling_hours",
        _("平均处置时长(工作小时)"),
        "cases",
        HOURS,
        "cases:indicators",
        **REGION,
        **DAYS,
    ),
    _m("per_10k_residents", _("每万人立案数"), "cases", HOURS, "cases:indicators", **REGION, **DAYS),
]
VISITS = [
    _m("visits", _("走访次数"), "visits", url_name="visits:visit_list", **REGION, **DAYS),
    _m(
        "households_visited",
        _("近30天入户走访户数"),
        "visits",
        url_name="visits:coverage",
        **REGION,
        days=str(COVERAGE_DAYS),
    ),
    _m("coverage", _("走访覆盖率"), "visits", RATE, "visits:coverage", **REGION, days=str(COVERAGE_DAYS)),
    _m("quota_met", _("民情日记达标人数"), "visits", url_name="visits:progress", **REGION, month="{month}"),
    _m("quota_rate", _("民情日记达标率"), "visits", RATE, "visits:progress", **REGION, month="{month}"),
]
VOLUNTEERS = [
    _m(
        "vol_volunteers",
        _("注册志愿者"),
        "volunteers",
        url_name="volunteers:volunteer_list",
        **AREA,
        status="active",
    ),
    _m(
        "vol_active_90",
        _("近90天活跃"),
        "volunteers",
        url_name="volunteers:volunteer_list",
        **AREA,
        status="active",
        active_days="90",
    ),
    _m(
        "vol_party_members",
        _("报到党员"),
        "volunteers",
        url_name="volunteers:partymember_list",
        **AREA,
        active="1",
    ),
    _m(
        "vol_hours",
        _("服务时长(小时)"),
        "volunteers",
        HOURS,
        "volunteers:stats",
        region="{key}",
        period="custom",
        start="{first}",
        end="{last}",
    ),
    _m(
        "vol_activities",
        _("开展活动"),
        "volunteers",
        url_name="volunteers:activity_list",
        **AREA,
        **DAYS,
        held="1",
    ),
    _m(
        "vol_points_issued",
        _("发放积分"),
        "volunteers",
        url_name="volunteers:pointentry_list",
        **AREA,
        **DAYS,
        flow="issued",
    ),
]
MEASURES = [*POPULATION, *CASES, *VISITS, *VOLUNTEERS]

DEPT = {"department": "{key}"}
DEPARTMENTS = [
    _m(
        "dispatched",
        _("本期派遣"),
        "cases",
        url_name="cases:list",
        **DEPT,
        dispatched_from="{first}",
        dispatched_to="{last}",
    ),
    _m("waiting", _("待处置"), "cases", url_name="cases:list", **DEPT, status="dispatched"),
    _m("overdue", _("超期"), "cases", url_name="cases:list", **DEPT, status="dispatched", overdue="1"),
    _m("accepted", _("立案数"), "cases", url_name="cases:indicators", **DEPT, **DAYS),
    _m("on_time_handling_rate", _("按期处置率"), "cases", RATE, "cases:indicators", **DEPT, **DAYS),
    _m("on_time_closure_rate", _("按期结案率"), "cases", RATE, "cases:indicators", **DEPT, **DAYS),
    _m("rework_rate", _("返工率"), "cases", RATE, "cases:indicators", **DEPT, **DAYS),
    _m("satisfaction_rate", _("满意率"), "cases", RATE, "cases:indicators", **DEPT, **DAYS),
    _m(
        "average_handling_hours",
        _("平均处置时长(工作小时)"),
        "cases",
        HOURS,
        "cases:indicators",
        **DEPT,
        **DAYS,
    ),
]
BY_KEY = {m.key: m for m in MEASURES}


def group_measures(groups) -> list[Measure]:
    """One measure per special group (members now, as the resident list counts them)."""
    return [
        _m(f"group_{g.code}", g.name, "population", url_name="people:resident_list", **REGION, group=g.code)
        for g in groups
    ]


def format_value(measure: Measure, value) -> str:
    if value is None:
        return "—"
    if measure.kind == RATE:
        return f"{value * 100:.1f}%"
    if measure.kind == HOURS:
        return f"{float(value):g}"
    return str(value)
