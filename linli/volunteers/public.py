"""The residents' pages of volunteer work, without an account: activities to sign up for,
applying to register, checking in at the venue with its code, one's own hours and
points, tasks and wishes to claim, and the commitments on public display. A volunteer
proves who they are with their number and phone (POST only, never in a URL); nothing
here shows anyone's phone, and a wisher appears by family name only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ServiceError
from linli.core.forms import add_service_error
from linli.core.roles import Level
from linli.regions.models import Region

from . import party, services
from .forms import CheckinForm, CompleteForm, IdentityForm, PublicApplyForm
from .models import Activity, Commitment, PartyMember, SignUp, Task, Volunteer


def _community(request):
    code = request.GET.get("community", "")
    return Region.objects.filter(code=code, level=Level.COMMUNITY).first() if code else None


def _under(qs, community):
    """Records of the community and of the subdistrict and district above it."""
    if community is None:
        return qs
    return qs.filter(region_id__in=[community.code, community.subdistrict_id, community.district_id])


def index(request):
    community = _community(request)
    now = timezone.now()
    activities = _under(
        Activity.objects.filter(status=Activity.Status.PUBLISHED, ends_at__gte=now), community
    )
    tasks = _under(Task.objects.filter(status=Task.Status.OPEN), community).select_related("resident")
    ctx = {
        "community": community,
        "communities": Region.objects.filter(level=Level.COMMUNITY).order_by("code"),
        "activities": activities.select_related("region").order_by("starts_at")[:50],
        "tasks": tasks[:50],
    }
    return render(request, "volunteers/public/index.html", ctx)


def apply(request):
    form = PublicApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        v = Volunteer(
            name=d["name"],
            phone=d["phone"],
            community=d["community"],
            talents=d["talents"],
            availability=",".join(d["availability"]),
            consent_contact=d["consent_contact"],
        )
        member = None
        if d["party"]:
            member = PartyMember(
                kind=d["party_kind"] or PartyMember.Kind.IN_SERVICE,
                work_unit=d["work_unit"],
                branch=d["branch"],
            )
        try:
            services.do_apply(v, skills=d["skills"], party=member)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            return render(request, "volunteers/public/applied.html", {"v": v})
    return render(request, "volunteers/public/apply.html", {"form": form})


def activity(request, pk):
    a = get_object_or_404(
        Activity.objects.select_related("region", "team"),
        pk=pk,
        status__in=[Activity.Status.PUBLISHED, Activity.Status.FINISHED],
    )
    form = IdentityForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            v = services.find_volunteer(form.cleaned_data["number"], form.cleaned_data["phone"])
            if request.POST.get("cancel"):
                signup = SignUp.objects.filter(activity=a, volunteer=v).select_related("activity").first()
                if signup is None:
                    raise ServiceError("invalid", _("您没有报名本次活动。"))
                done = services.do_cancel_signup(signup, actor=None)
            else:
                done = services.do_sign_up(a, v, actor=None)
        except ServiceError as exc:
            add_service_error(form, exc)
    signed = a.signups.filter(status=SignUp.Status.SIGNED).count()
    ctx = {"a": a, "form": form, "done": done, "signed": signed, "free": max(a.capacity - signed, 0)}
    return render(request, "volunteers/public/activity.html", ctx)


def checkin(request):
    form = CheckinForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    done = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            v = services.find_volunteer(d["number"], d["phone"])
            done = services.venue_check(d["code"], v)
        except ServiceError as exc:
            add_service_error(form, exc)
    return render(request, "volunteers/public/checkin.html", {"form": form, "done": done})


def me(request):
    """A volunteer's own record: hours, star level, points and what they signed up for."""
    form = IdentityForm(request.POST or None)
    v = None
    ctx: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            v = services.find_volunteer(form.cleaned_data["number"], form.cleaned_data["phone"])
        except ServiceError as exc:
            add_service_error(form, exc)
    if v is not None:
        ctx.update(
            v=v,
            entries=v.points.all()[:30],
            signups=v.signups.select_related("activity").exclude(status=SignUp.Status.CANCELLED)[:30],
            tasks=v.tasks.all()[:30],
        )
    return render(request, "volunteers/public/me.html", ctx)


def task(request, pk):
    t = get_object_or_404(
        Task.objects.select_related("region", "resident"),
        pk=pk,
        status__in=[Task.Status.OPEN, Task.Status.CLAIMED, Task.Status.DONE, Task.Status.CONFIRMED],
    )
    claiming = t.status == Task.Status.OPEN
    form = (IdentityForm if claiming else CompleteForm)(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            v = services.find_volunteer(d["number"], d["phone"])
            if claiming:
                done = party.do_claim(t, v, actor=None)
            else:
                done = party.do_complete(t, v, d["note"], actor=None)
        except ServiceError as exc:
            add_service_error(form, exc)
    return render(
        request, "volunteers/public/task.html", {"t": t, "form": form, "done": done, "claiming": claiming}
    )


def commitments(request):
    community = _community(request)
    qs = Commitment.objects.filter(public=True).select_related("region", "member__volunteer")
    if community is not None:
        qs = qs.filter(community_id=community.code)
    ctx = {
        "community": community,
        "communities": Region.objects.filter(level=Level.COMMUNITY).order_by("code"),
        "rows": qs.order_by("region_id", "member_id", "due_date")[:300],
    }
    return render(request, "volunteers/public/commitments.html", ctx)
