from django.core.management.base import BaseCommand

from linli.cases.supervision import supervise


class Command(BaseCommand):
    help = "督办：时限将到的事件黄牌、已超期的红牌，并通知办理人（宜每 5–10 分钟运行一次）。"

    def handle(self, *args, **options):
        counts = supervise()
        self.stdout.write(f"yellow {counts['yellow']}, red {counts['red']}")
