"""Generate last month's reports (xlsx and PDF) for every subdistrict and community: run
it on the 1st of each month (cron or a systemd timer; see docs/dashboard.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from linli.core.roles import Level
from linli.dashboard.reports import LEVELS, do_generate_report
from linli.dashboard.reportviews import month_of
from linli.regions.models import Region


class Command(BaseCommand):
    help = "生成上月（或 --month YYYY-MM）各街道、社区的月报（xlsx 和 PDF）"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM（默认上月）")
        parser.add_argument("--district", help="只生成这个区（6 位代码）")

    def handle(self, *args, **opts):
        month = month_of(opts.get("month"))
        if month is None:
            raise CommandError("--month 应为 YYYY-MM")
        nodes = Region.objects.filter(level__in=LEVELS).order_by("code")
        if opts.get("district"):
            nodes = nodes.filter(district_id=opts["district"])
        n = 0
        for node in nodes.iterator():
            for fmt in ("xlsx", "pdf"):
                do_generate_report(node, month, fmt, actor=None)
                n += 1
        self.stdout.write(f"{month:%Y-%m}: {n} reports ({Level.SUBDISTRICT}, {Level.COMMUNITY})")
