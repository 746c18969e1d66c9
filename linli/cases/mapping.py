"""The map of cases: what is in view, clustered on the server (``core.clusters``), as a
GeoJSON FeatureCollection for the page and the API alike."""

from __future__ import annotations

from django.db.models import QuerySet

from linli.core.clusters import View, clusters

from .models import Case


def case_features(qs: QuerySet[Case], view: View) -> dict:
    """Clusters (``count`` > 1) and single cases (with their number, category and status)
    of ``qs`` inside the view. Cases without a point are not on the map."""
    cells = clusters(qs, view)
    singles = {
        case.pk: case
        for case in Case.objects.filter(pk__in=[c["pk"] for c in cells if c["pk"]])
        .select_related("category")
        .only("pk", "number", "status", "warned", "category__name")
    }
    features = []
    for cell in cells:
        props: dict = {"count": cell["count"], "bbox": cell["bbox"]}
        case = singles.get(cell["pk"])
        if case is not None:
            props.update(
                id=case.pk,
                number=case.number,
                category=case.category.name,
                status=case.status,
                status_label=str(case.get_status_display()),
                warned=case.warned,
            )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [cell["lng"], cell["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}
