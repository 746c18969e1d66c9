"""Grid-work figures of the demo district, as each demo user sees them (issue 5's note).

Run on the demo database: ``DEBUG=1 .venv/bin/linli shell < bench/grid_work_numbers.py``
"""

import datetime as dt
import time

from linli.accounts.models import User
from linli.visits import care
from linli.visits.models import BuildingContact, CampaignTarget, Delivery, DutyShift, HomeService, Visit

today = dt.date.today()
print(
    f"visits {Visit.objects.count()}, home services {HomeService.objects.count()}, "
    f"deliveries {Delivery.objects.count()}, campaign targets {CampaignTarget.objects.count()}, "
    f"shifts {DutyShift.objects.count()}, building contacts {BuildingContact.objects.count()}"
)
for name in ("grid", "enhelu", "xintilu", "district"):
    u = User.objects.get(username=name)
    t = time.perf_counter()
    due = care.due_items(care.user_area(u), labels=30)
    t_due = time.perf_counter() - t
    t = time.perf_counter()
    cov = care.coverage(u, days=30)
    t_cov = time.perf_counter() - t
    prog = care.progress(u)
    households, visited = sum(r.households for r in cov), sum(r.visited for r in cov)
    overdue = sum(1 for i in due if i.due_on and i.due_on < today)
    print(
        f"{name}: due {len(due)} (overdue {overdue}) in {t_due * 1000:.0f} ms; progress {len(prog)} people; "
        f"coverage {len(cov)} grids, {visited}/{households} households visited in 30 days "
        f"({100 * visited / max(households, 1):.0f}%) in {t_cov * 1000:.0f} ms"
    )
enhelu = User.objects.get(username="enhelu")
for p in care.progress(enhelu):
    print("  ", p.user, p.post.region_id, f"{p.households}/{p.quota}", p.visits)
for r in care.coverage(enhelu, days=30):
    print(
        "  ", r.grid.code, r.grid.name, r.households, r.visited, f"{r.percent}%", r.care_due, r.care_overdue
    )
