"""URLs for B3 only: the product's, plus one bare Django view that writes what an intake
writes (the case, its number, its event, an audit row) with none of the checks, and a
no-op the load generator hits once its input runs out. Never deployed."""

import json

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from linli.cases.models import Case, CaseEvent, Channel
from linli.core import audit
from linli.core.bulk import reserve_ids
from linli.core.models import AuditAction
from linli.regions.models import Region
from linli.urls import urlpatterns as product_urls


@csrf_exempt
def bare_intake(request):
    data = json.loads(request.body)
    with transaction.atomic():
        grid = Region.objects.get(code=data["grid"])
        case = Case(
            pk=reserve_ids(Case, 1)[0],
            channel=Channel.API,
            category_id=data["category_id"],
            description=data["description"],
            lat=data["lat"],
            lng=data["lng"],
            region=grid,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        case.number = f"{timezone.localdate():%Y%m%d}{case.pk:07d}"
        case.fill_scope()
        case.save(force_insert=True)
        CaseEvent.objects.create(case=case, action="report", to_status=case.status, level=case.level)
        audit.record(AuditAction.CREATE, case, actor=None, actor_name="bench")
    return JsonResponse({"id": case.pk}, status=201)


urlpatterns = [
    *product_urls,
    path("bench/bare-intake", bare_intake),
    path("bench/filler", lambda request: HttpResponse(status=204)),
]
