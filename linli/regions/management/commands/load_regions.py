from django.core.management.base import BaseCommand

from linli.core.commands import service_errors
from linli.regions.services import load_regions


class Command(BaseCommand):
    help = "加载国家统计局 2023 年区划代码：区县（6 位）、街道乡镇（9 位）或整个地级市（4 位）。"

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="+", help="150902 / 150902001 / 3303")

    def handle(self, *args, codes, **opts):
        with service_errors():
            report = load_regions(codes)
        self.stdout.write(
            f"added {len(report.added)}, changed {len(report.changed)}, kept {len(report.kept)}"
        )
        for label, items in (("added", report.added), ("changed", report.changed)):
            if items and opts["verbosity"] > 1:
                self.stdout.write(f"{label}: {' '.join(items)}")
