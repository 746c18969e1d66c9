"""The database refuses UPDATE and DELETE on the points ledger; the first skills list."""

from django.db import migrations

from linli.core.appendonly import append_only

SKILLS = {
    "able": ["水电维修", "家电维修", "理发", "缝补", "医疗护理", "法律咨询", "心理疏导", "电脑手机", "驾驶"],
    "talent": ["书法", "绘画", "摄影", "写作", "教育辅导", "外语", "手工", "烹饪"],
    "artist": ["歌唱", "舞蹈", "戏曲", "乐器", "曲艺", "主持"],
}


def add_skills(apps, schema_editor):
    Skill = apps.get_model("volunteers", "Skill")
    for kind, names in SKILLS.items():
        for i, name in enumerate(names):
            Skill.objects.get_or_create(name=name, defaults={"kind": kind, "sort": i})


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]

    operations = [
        append_only("volunteers_pointentry"),
        migrations.RunPython(add_skills, migrations.RunPython.noop),
    ]
