"""The visit counts the database keeps (``core.tally``): by the local day and month of
the visit, so a dashboard's "visits in the period" is its whole months plus the days at
either end, as for the cases."""

from linli.core.tally import by_day

MEASURES = by_day("visit.day", "visits_visit", "visited_at")
