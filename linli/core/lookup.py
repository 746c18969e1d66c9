"""Choosing one record among very many: a search box instead of a dropdown.

A dropdown of every housing unit in a district is hundreds of thousands of options. A
model registers how to search it (``register``); ``ScopedModelForm`` then gives any
choice field over more than ``DROPDOWN_LIMIT`` records in scope a ``LookupWidget``: a
hidden input for the key and a search box that asks ``/lookup/<model>/?q=`` (htmx) for
at most ``RESULTS`` matches, within the user's scope like every other read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .scoping import restrict

DROPDOWN_LIMIT = 200
RESULTS = 20


@dataclass(frozen=True)
class Lookup:
    """``fields``: every word of the query must match one of them (containment)."""

    fields: tuple[str, ...]
    select_related: tuple[str, ...] = ()

    def search(self, qs: models.QuerySet, q: str) -> models.QuerySet:
        for word in q.split()[:5]:
            match = models.Q()
            for f in self.fields:
                match |= models.Q(**{f"{f}__icontains": word})
            qs = qs.filter(match)
        return qs


LOOKUPS: dict[str, Lookup] = {}


def register(model: type[models.Model], lookup: Lookup) -> None:
    LOOKUPS[model._meta.label_lower] = lookup


class LookupWidget(forms.HiddenInput):
    template_name = "core/widgets/lookup.html"

    def __init__(self, label: str, attrs=None):
        super().__init__(attrs)
        self.label = label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        queryset = self.choices.queryset if hasattr(self, "choices") else None
        current = ""
        if value not in (None, "") and queryset is not None:
            obj = queryset.filter(pk=value).first()
            current = str(obj) if obj is not None else ""
        context["lookup"] = {"url": reverse("lookup", args=[self.label]), "current": current}
        return context


def use_lookups(form: forms.BaseForm, user) -> None:
    """Swap dropdowns over more than DROPDOWN_LIMIT records for search boxes."""
    for field in form.fields.values():
        if not isinstance(field, forms.ModelChoiceField) or isinstance(field, forms.ModelMultipleChoiceField):
            continue
        qs = field.queryset
        if qs is None:
            continue
        label = qs.model._meta.label_lower
        if label not in LOOKUPS:
            continue
        if qs[: DROPDOWN_LIMIT + 1].count() <= DROPDOWN_LIMIT:
            if LOOKUPS[label].select_related:  # the options' labels without a query each
                field.queryset = qs.select_related(*LOOKUPS[label].select_related)
            continue
        widget = LookupWidget(label, attrs=field.widget.attrs)
        widget.choices = field.choices  # type: ignore[attr-defined]
        field.widget = widget


@login_required
def lookup_view(request, label: str):
    lookup = LOOKUPS.get(label)
    if lookup is None:
        raise Http404
    from django.apps import apps

    model = apps.get_model(label)
    q = request.GET.get("q", "").strip()
    results: list = []
    if q:
        qs = restrict(model._default_manager.select_related(*lookup.select_related), request.user, "view")
        results = list(lookup.search(qs, q)[:RESULTS])
    return render(
        request, "core/widgets/_lookup_results.html", {"results": results, "q": q, "empty": _("没有找到")}
    )
