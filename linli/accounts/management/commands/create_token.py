from django.core.management.base import BaseCommand, CommandError

from linli.accounts.models import User
from linli.accounts.services import do_create_token


class Command(BaseCommand):
    help = "为用户创建 API 令牌（只显示这一次）。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username, name, **opts):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在。")
        _token, key = do_create_token(user, name, actor=None)
        self.stdout.write(key)
