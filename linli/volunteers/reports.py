"""The volunteer overview, figures per level, leaderboards and the certificate of service."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone

from linli.core.dates import parse_day
from linli.core.htmx import render_page
from linli.core.roles import LEVEL_ORDER, ROLE_LEVEL
from linli.core.scoping import access_by_pk, can, restrict, user_posts
from linli.regions.models import Region

from . import stats
from .models import STAR_HOURS, Activity, SignUp, Task, Team, TeamMember, Volunteer

PERIODS = ("month", "last_month", "year", "custom")


def period(request, today: dt.date | None = None) -> tuple[str, dt.date, dt.date]:
    """This month (default), last month, this year, or ?start=&end= (ISO dates)."""
    today = today or timezone.localdate()
    name = request.GET.get("period", "month")
    first = today.replace(day=1)
    if name == "last_month":
        end = first - dt.timedelta(days=1)
        return name, end.replace(day=1), end
    if name == "year":
        return name, today.replace(month=1, day=1), today
    if name == "custom":
        lo, hi = parse_day(request.GET.get("start", "")), parse_day(request.GET.get("end", ""))
        if lo is None or hi is None:
            return "month", first, today
        return name, min(lo, hi), max(lo, hi)
    return "month", first, today


def home_region(user) -> Region | None:
    """The highest region among the user's posts."""
    posts = [p for p in user_posts(user) if p.role in ROLE_LEVEL and p.region_id]
    posts.sort(key=lambda p: LEVEL_ORDER.index(ROLE_LEVEL[p.role]))
    return posts[0].region if posts else None


def node_of(request) -> Region:
    code = request.GET.get("region")
    if code:
        return access_by_pk(Region, request.user, code)
    region = home_region(request.user)
    if region is None:
        raise Http404
    return region


@login_required
def overview(request):
    """Where a community worker starts: what waits for them, what is coming up."""
    user = request.user
    now = timezone.now()
    ctx = {
        "pending": restrict(
            Volunteer.objects.filter(status=Volunteer.Status.PENDING), user, "verify"
        ).count(),
        "upcoming": restrict(
            Activity.objects.filter(status=Activity.Status.PUBLISHED, ends_at__gte=now), user
        ).order_by("starts_at")[:10],
        "to_confirm": restrict(Task.objects.filter(status=Task.Status.DONE), user, "confirm").count(),
        "open_tasks": restrict(Task.objects.filter(status=Task.Status.OPEN), user).count(),
        "can_add": can(user, Activity, "add"),
    }
    return render_page(request, "volunteers/overview.html", ctx)


@login_required
def stats_page(request):
    node = node_of(request)
    name, start, end = period(request)
    total, children = stats.figures(request.user, node, start, end)
    ctx = {
        "node": node,
        "ancestors": [
            r for r in node.ancestors() if restrict(Region.objects.filter(pk=r.pk), request.user).exists()
        ],
        "total": total,
        "children": children,
        "period": name,
        "start": start,
        "end": end,
        "chart": {
            "names": [c.region.short_name for c in children if c.region],
            "volunteers": [c.volunteers for c in children],
            "active": [c.active_90 for c in children],
            "hours": [float(c.hours) for c in children],
        },
    }
    return render_page(request, "volunteers/stats.html", ctx)


@login_required
def leaderboard(request):
    """Points earned and hours served, per community (or any node) and per team."""
    user = request.user
    team = None
    if request.GET.get("team"):
        team = access_by_pk(Team, user, request.GET["team"])
        ids = TeamMember.objects.filter(team=team).values("volunteer_id")
        qs = restrict(Volunteer.objects.filter(pk__in=ids), user)
        node = team.region
    else:
        node = node_of(request)
        qs = restrict(Volunteer.objects.filter(**{f"{node.level}_id": node.code}), user)
    order = "-hours" if request.GET.get("by") == "hours" else "-points_earned"
    rows = qs.filter(status=Volunteer.Status.ACTIVE).select_related("community").order_by(order, "name")[:50]
    teams = restrict(Team.objects.filter(**{f"{node.level}_id": node.code}), user)[:100]
    ctx = {"rows": rows, "node": node, "team": team, "teams": teams, "by": request.GET.get("by", "points")}
    return render_page(request, "volunteers/leaderboard.html", ctx)


@login_required
def certificate(request, pk):
    """志愿服务证明: the person's record of service, to print."""
    v = access_by_pk(Volunteer.objects.select_related("community"), request.user, pk)
    if v.status != Volunteer.Status.ACTIVE and v.status != Volunteer.Status.LEFT:
        raise Http404
    signups = (
        SignUp.objects.filter(volunteer=v, hours__isnull=False)
        .select_related("activity")
        .order_by("activity__starts_at")
    )
    tasks = Task.objects.filter(claimed_by=v, status=Task.Status.CONFIRMED).order_by("confirmed_at")
    next_star = next((h for h in STAR_HOURS if h > v.hours), None)
    ctx = {"v": v, "signups": signups, "tasks": tasks, "today": timezone.localdate(), "next_star": next_star}
    return render_page(request, "volunteers/certificate.html", ctx)
