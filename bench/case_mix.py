"""The spread of a live system's cases over statuses and levels, shared by the benchmarks
that fill a database with cases (import after django.setup())."""

from linli.cases.models import HandlingLevel, Status

# (share, status, level) of the existing cases
MIX = [
    (0.06, Status.REPORTED, HandlingLevel.COMMUNITY),
    (0.08, Status.ACCEPTED, HandlingLevel.COMMUNITY),
    (0.03, Status.ACCEPTED, HandlingLevel.SUBDISTRICT),
    (0.02, Status.ACCEPTED, HandlingLevel.DISTRICT),
    (0.06, Status.DISPATCHED, HandlingLevel.DISTRICT),
    (0.05, Status.HANDLED, HandlingLevel.COMMUNITY),
    (0.65, Status.CLOSED, HandlingLevel.COMMUNITY),
    (0.05, Status.REJECTED, HandlingLevel.COMMUNITY),
]
