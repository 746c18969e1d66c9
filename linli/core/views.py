"""Generic scoped views: list (with export), detail, create, edit, delete, reveal.

An app describes a model once with a ``Crud`` and gets its five URLs. Every view
fetches through ``core.scoping`` and writes through ``core.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any, cast

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import audit
from .errors import ServiceError
from .forms import ScopedModelForm, add_service_error
from .htmx import render_page
from .listing import PK_MARK, BoundedPaginator, Label, cell_reader, display, list_rows, value_plan
from .models import AuditAction
from .pii import PersonalDataField
from .scoping import access_by_pk, can, restrict
from .services import do_create, do_delete, do_update, reveal_field
from .tabular import table_response

PAGE_SIZE = 50


@dataclass
class Crud:
    model: type[models.Model]
    form_fields: list[str]
    columns: list[str]
    search: list[str] = field(default_factory=list)
    select_related: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)  # GET param -> lookup
    form_class: type[ScopedModelForm] | None = None
    # hooks: the app's own write path, search, filters and detail extras
    create_service: Callable | None = None  # (obj, *, actor)
    update_service: Callable | None = None  # (obj, before, *, actor)
    delete_service: Callable | None = None  # (obj, *, actor)
    search_function: Callable | None = None  # (user, q) -> scoped queryset
    filter_function: Callable | None = None  # (queryset, GET) -> queryset
    detail_template: str = "core/object_detail.html"
    detail_context: Callable | None = None  # (request, obj) -> dict
    exclude_from_detail: tuple[str, ...] = ()
    # extra buttons on the list page for users who may add: (label, url name)
    list_actions: tuple[tuple[Any, str], ...] = ()
    # links from a record's page to other views of it: (label, url name taking its pk)
    detail_links: tuple[tuple[Any, str], ...] = ()
    # where records are created when not by the generic form (a page of the app's own)
    add_url_name: str | None = None
    # related columns shown from a few related fields (see listing.Label): when every
    # related column has one, lists and exports read values, not model instances
    list_labels: dict[str, Label] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.model._meta.model_name  # type: ignore[return-value]

    @property
    def app_label(self) -> str:
        return self.model._meta.app_label

    def url(self, view: str, *args) -> str:
        return reverse(f"{self.app_label}:{self.name}_{view}", args=args)

    @property
    def url_add(self) -> str:
        return reverse(self.add_url_name) if self.add_url_name else self.url("add")

    def records(self, *, plain: bool = False) -> tuple[Callable | None, list[Callable[[Any], Any]]]:
        """How the list reads its rows and one reader per column over them: when every
        column can be read as values, a function turning a queryset into ``values_list``
        rows (the pk first); else None, and the readers read model instances."""
        plan = value_plan(self.model, self.columns, self.list_labels, plain=plain)
        if plan is not None:
            paths, readers = plan
            return (lambda qs: qs.values_list(*paths)), readers
        fields = [cast(models.Field, self.model._meta.get_field(c)) for c in self.columns]
        return None, [cell_reader(f, plain=plain) for f in fields]

    def get_form_class(self):
        if self.form_class:
            return self.form_class
        meta = type("Meta", (), {"model": self.model, "fields": self.form_fields})
        return type(f"{self.model.__name__}Form", (ScopedModelForm,), {"Meta": meta})

    def queryset(self, user, action="view"):
        qs = self.model._default_manager.all()
        if self.select_related:  # select_related() without names would follow every foreign key
            qs = qs.select_related(*self.select_related)
        return restrict(qs, user, action)

    # --- views -----------------------------------------------------------------
    def list_view(self, request):
        qs = self.queryset(request.user)
        term = request.GET.get("q", "").strip()
        if term and self.search_function:
            qs = self.search_function(request.user, term)
            if self.select_related:
                qs = qs.select_related(*self.select_related)
        elif term and self.search:
            cond = Q()
            for f in self.search:
                cond |= Q(**{f"{f}__icontains": term})
            qs = qs.filter(cond)
        for param, lookup in self.filters.items():
            value = request.GET.get(param)
            if value:
                try:
                    qs = qs.filter(**{lookup: value})
                except (ValueError, ValidationError):  # ?building=abc matches nothing, not a 500
                    qs = qs.none()
        if self.filter_function:
            qs = self.filter_function(qs, request.GET)
        fmt = request.GET.get("export")
        if fmt in ("csv", "xlsx"):
            return self.export(request, qs, fmt)
        as_rows, readers = self.records()
        page = BoundedPaginator(qs, PAGE_SIZE, rows=as_rows).get_page(request.GET.get("page"))
        key = itemgetter(0) if as_rows else attrgetter("pk")
        rows = list_rows(page.object_list, readers, self.url("detail", PK_MARK), key)
        headers = [self.model._meta.get_field(c).verbose_name for c in self.columns]
        ctx = {
            "crud": self,
            "page": page,
            "rows": rows,
            "headers": headers,
            "q": term,
            "opts": self.model._meta,
            "actions": [(label, reverse(name)) for label, name in self.list_actions]
            if can(request.user, self.model, "add")
            else [],
            "can_add": can(request.user, self.model, "add"),
            "can_export": can(request.user, self.model, "export"),
            "can_export_plain": can(request.user, self.model, "export_plain")
            and any(isinstance(self.model._meta.get_field(c), PersonalDataField) for c in self.columns),
        }
        return render_page(request, "core/object_list.html", ctx, partial="core/_object_table.html")

    def export(self, request, qs, fmt):
        """Masked by default; ``plain=1`` needs the export_plain permission and is audited
        with the personal fields it reveals."""
        plain = request.GET.get("plain") == "1"
        action = "export_plain" if plain else "export"
        if not can(request.user, self.model, action):
            raise Http404
        qs = restrict(restrict(qs, request.user, "export"), request.user, action)
        headers = [str(self.model._meta.get_field(c).verbose_name) for c in self.columns]
        as_rows, readers = self.records(plain=plain)
        records = as_rows(qs) if as_rows else qs
        rows = [[read(o) for read in readers] for o in records.iterator(chunk_size=2000)]
        revealed = [c for c in self.columns if isinstance(self.model._meta.get_field(c), PersonalDataField)]
        audit.record(
            AuditAction.EXPORT,
            actor=request.user,
            object_type=self.model._meta.label_lower,
            object_repr=_("导出%(m)s") % {"m": self.model._meta.verbose_name},
            changes={
                "rows": len(rows),
                "format": fmt,
                "query": request.GET.urlencode(),
                "unmasked": revealed if plain else [],
            },
        )
        return table_response(headers, rows, fmt, str(self.model._meta.verbose_name_plural))

    def detail_view(self, request, pk):
        obj = access_by_pk(self.queryset(request.user), request.user, pk)
        fields = []
        for f in self.model._meta.concrete_fields:
            if (
                f.name in self.form_fields or f.name in self.columns
            ) and f.name not in self.exclude_from_detail:
                fields.append((f, display(obj, f.name), isinstance(f, PersonalDataField)))
        ctx = {
            "crud": self,
            "obj": obj,
            "fields": fields,
            "opts": self.model._meta,
            "can_change": can(request.user, self.model, "change"),
            "can_delete": can(request.user, self.model, "delete"),
            "can_reveal": can(request.user, self.model, "reveal"),
        }
        ctx["links"] = [(label, reverse(name, args=[obj.pk])) for label, name in self.detail_links]
        if self.detail_context:
            ctx.update(self.detail_context(request, obj))
        return render_page(request, self.detail_template, ctx)

    def edit_view(self, request, pk=None):
        if pk is None:
            if not can(request.user, self.model, "add"):
                raise Http404
            if self.add_url_name:
                return redirect(self.url_add + (f"?{request.GET.urlencode()}" if request.GET else ""))
            obj = self.model()
            before = None
        else:
            obj = access_by_pk(self.queryset(request.user, "change"), request.user, pk, "change")
            before = audit.snapshot(obj)
        Form = self.get_form_class()
        initial = {k: v for k, v in request.GET.items() if k in self.form_fields} if pk is None else {}
        if pk is not None:
            for f in obj._meta.concrete_fields:
                if isinstance(f, PersonalDataField) and f.name in self.form_fields:
                    initial[f.name] = ""  # never prefill plaintext; empty keeps the old value
        form = Form(request.POST or None, instance=obj, user=request.user, initial=initial)
        if request.method == "POST" and form.is_valid():
            obj = form.save(commit=False)
            if pk is not None:
                for f in obj._meta.concrete_fields:
                    if (
                        isinstance(f, PersonalDataField)
                        and f.name in self.form_fields
                        and not form.cleaned_data.get(f.name)
                    ):
                        setattr(
                            obj, f.attname, getattr(self.model._default_manager.get(pk=obj.pk), f.attname)
                        )
            try:
                if pk is None:
                    (self.create_service or do_create)(obj, actor=request.user)
                else:
                    (self.update_service or do_update)(obj, before or {}, actor=request.user)
            except ServiceError as exc:
                add_service_error(form, exc)
                for e in exc.errors:
                    fname = e.get("field")
                    for msg in e.get("messages", []):
                        form.add_error(fname if fname in form.fields else None, msg)
            else:
                messages.success(request, _("已保存。"))
                return redirect(self.url("detail", obj.pk))
        return render_page(
            request,
            "core/object_form.html",
            {"crud": self, "form": form, "obj": obj, "opts": self.model._meta},
        )

    def delete_view(self, request, pk):
        obj = access_by_pk(self.queryset(request.user, "delete"), request.user, pk, "delete")
        if request.method == "POST":
            try:
                (self.delete_service or do_delete)(obj, actor=request.user)
            except ServiceError as exc:
                messages.error(request, str(exc.message))
                return redirect(self.url("detail", pk))
            messages.success(request, _("已删除。"))
            return redirect(self.url("list"))
        return render_page(
            request, "core/object_confirm_delete.html", {"crud": self, "obj": obj, "opts": self.model._meta}
        )

    def urls(self, prefix: str) -> list:
        lr = login_required
        return [
            path(f"{prefix}/", lr(self.list_view), name=f"{self.name}_list"),
            path(f"{prefix}/add/", lr(self.edit_view), name=f"{self.name}_add"),
            path(f"{prefix}/<int:pk>/", lr(self.detail_view), name=f"{self.name}_detail"),
            path(f"{prefix}/<int:pk>/edit/", lr(self.edit_view), name=f"{self.name}_edit"),
            path(f"{prefix}/<int:pk>/delete/", lr(self.delete_view), name=f"{self.name}_delete"),
        ]


def run_service(request, fn, ok):
    """Run a service behind a button: its result, with ``ok`` as the page's message, or
    None with the refusal's message (nothing changed)."""
    try:
        result = fn()
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return None
    messages.success(request, ok)
    return result


def message_form_errors(request, form) -> None:
    """A small form behind a button was invalid: its first error per field as messages."""
    for errors in form.errors.values():
        messages.error(request, errors[0])


@login_required
@require_POST
def reveal_view(request, label: str, pk: str, field_name: str):
    """Show one personal identifier in full, for a permitted user; audited."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise Http404 from exc
    obj = access_by_pk(model, request.user, pk, "reveal")
    try:
        value = reveal_field(obj, field_name, actor=request.user)
    except (ServiceError, FieldDoesNotExist) as exc:
        raise Http404 from exc
    return HttpResponse(f'<span class="font-monospace">{escape(value)}</span>')
