from django.core.management.base import BaseCommand

from linli.accounts.demo import setup_demo


class Command(BaseCommand):
    help = "建立演示区（集宁区 150902）：区划、网格、部门、房屋与各角色演示账号。可重复运行。"

    def handle(self, *args, **opts):
        accounts = setup_demo(self.stdout)
        self.stdout.write("\n演示账号 / demo accounts:")
        for username, password, role in accounts:
            self.stdout.write(f"  {username:<10} {password}   {role}")
