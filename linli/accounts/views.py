"""Login, home per role, password change, API tokens, the audit log for auditors."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.core.errors import ServiceError
from linli.core.htmx import render_page
from linli.core.models import AuditAction, AuditEntry
from linli.core.roles import Role
from linli.core.scoping import user_posts
from linli.core.views import Crud

from . import services
from .models import ApiToken, Department


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form):
        messages.success(self.request, _("密码已修改。"))
        return super().form_valid(form)


@login_required
def home(request):
    """Each role lands where its work is: grid and community workers on their due-list,
    operators on their dashboard, handlers on their department's region, auditors on the
    audit log."""
    user = request.user
    if user.is_auditor:
        return redirect("accounts:audit_log")
    posts = user_posts(user)
    if any(p.role in (Role.GRID_WORKER, Role.COMMUNITY_STAFF) for p in posts):
        return redirect("visits:home")
    if any(p.role in (Role.SUBDISTRICT_OPERATOR, Role.DISTRICT_OPERATOR) for p in posts):
        return redirect("dashboard:home")
    if posts:
        region = posts[0].home_region
        return redirect("regions:detail", region.code)
    return redirect("regions:tree")


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("用途"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.do_create_token(
                request.user, form.cleaned_data["name"], actor=request.user
            )
        except ServiceError as exc:
            form.add_error("name", str(exc.message))
    items = ApiToken.objects.filter(user=request.user)
    return render_page(request, "accounts/tokens.html", {"form": form, "tokens": items, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request, pk):
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    services.do_revoke_token(token, actor=request.user)
    messages.success(request, _("令牌已吊销。"))
    return redirect("accounts:tokens")


@login_required
def audit_log(request):
    """The audit log, for auditors only (read-only everywhere)."""
    if not request.user.is_auditor:
        raise Http404
    qs = AuditEntry.objects.all()
    f = request.GET
    if f.get("actor"):
        qs = qs.filter(actor_name__icontains=f["actor"])
    if f.get("action"):
        qs = qs.filter(action=f["action"])
    if f.get("object_type"):
        qs = qs.filter(object_type=f["object_type"])
    if f.get("object_id"):
        qs = qs.filter(object_id=f["object_id"])
    if f.get("ip"):
        qs = qs.filter(ip=f["ip"])
    start, end = parse_date(f.get("from", "") or ""), parse_date(f.get("to", "") or "")
    if start:
        qs = qs.filter(at__date__gte=start)
    if end:
        qs = qs.filter(at__date__lte=end)
    page = Paginator(qs, 50).get_page(f.get("page"))
    return render_page(
        request,
        "accounts/audit_log.html",
        {"page": page, "actions": AuditAction.choices, "f": f},
        partial="accounts/_audit_table.html",
    )


DEPARTMENTS = Crud(
    Department,
    ["region", "name", "short_name", "phone"],
    ["name", "short_name", "region", "phone"],
    search=["name"],
    select_related=("region",),
)
