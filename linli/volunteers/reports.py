"""The volunteer overview, figures per level, leaderboards and the certificate of service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone

from linli.core.dates import period
from linli.core.htmx import render_page
from linli.core.scoping import access_by_pk, can, restrict
from linli.regions.nodes import node_of, visible_ancestors

from . import stats
from .models import STAR_HOURS, Activity, SignUp, Task, Team, TeamMember, Volunteer


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
    name, start, end = period(request.GET)
    total, children = stats.figures(request.user, node, start, end)
    ctx = {
        "node": node,
        "ancestors": visible_ancestors(node, request.user),
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
