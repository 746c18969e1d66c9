"""Check the counts the database keeps (``core.tally``) against the tables, or rebuild
them (after changing TIME_ZONE, or restoring a table without its triggers)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from linli.core.tally import all_measures, attached, differences, install


class Command(BaseCommand):
    help = "核对（或 --rebuild 重建）数据库自动维护的统计数"

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="重建触发器并从数据重新统计")

    def handle(self, *args, **opts):
        measures = all_measures()
        if opts["rebuild"]:
            with transaction.atomic():
                install(measures)
            self.stdout.write(f"已重建 {len(measures)} 项统计。")
            return
        wrong = 0
        for m in measures:
            if not attached(m):
                wrong += 1
                self.stdout.write(f"{m.name}: 触发器缺失，统计数不再随数据更新")
            diff = differences(m)
            wrong += len(diff)
            for value, region, kept, counted in diff[:20]:
                self.stdout.write(f"{m.name} {value or '-'} {region}: 保存 {kept}，实际 {counted}")
        if wrong:
            raise CommandError(f"{wrong} 个统计数与数据不符；请运行 linli tallies --rebuild")
        self.stdout.write(f"{len(measures)} 项统计均与数据一致。")
