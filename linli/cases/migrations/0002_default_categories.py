"""The default two-level taxonomy (city management after GB/T 30428's event classes, and
community affairs); administrators edit it afterwards. Limits: accept / handle / verify,
"h" working hours, "d" working days."""

from django.db import migrations

# (code, name, [(code, name, level, accept, handle, verify)])
DEFAULT = [
    ("01", "市容环境", [
        ("0101", "暴露垃圾", "community", "2h", "4h", "4h"),
        ("0102", "积存垃圾渣土", "community", "2h", "1d", "4h"),
        ("0103", "道路不洁", "community", "2h", "4h", "4h"),
        ("0104", "乱堆物堆料", "community", "2h", "1d", "4h"),
        ("0105", "违章接坡", "subdistrict", "4h", "3d", "1d"),
    ]),
    ("02", "宣传广告", [
        ("0201", "非法小广告", "community", "2h", "1d", "4h"),
        ("0202", "违规户外广告", "subdistrict", "4h", "5d", "1d"),
    ]),
    ("03", "施工管理", [
        ("0301", "施工扰民", "subdistrict", "2h", "1d", "1d"),
        ("0302", "施工废弃料", "subdistrict", "4h", "2d", "1d"),
        ("0303", "无证掘路", "district", "4h", "3d", "1d"),
    ]),
    ("04", "街面秩序", [
        ("0401", "占道经营", "community", "2h", "4h", "4h"),
        ("0402", "店外经营", "community", "2h", "1d", "4h"),
        ("0403", "机动车乱停放", "subdistrict", "2h", "4h", "4h"),
        ("0404", "露天烧烤", "community", "2h", "4h", "4h"),
    ]),
    ("05", "突发事件", [
        ("0501", "路面塌陷", "district", "1h", "4h", "4h"),
        ("0502", "自来水管破裂", "district", "1h", "4h", "4h"),
        ("0503", "燃气泄漏", "district", "1h", "2h", "4h"),
        ("0504", "火情", "district", "1h", "2h", "4h"),
    ]),
    ("11", "邻里纠纷", [
        ("1101", "噪音扰民", "community", "4h", "3d", "1d"),
        ("1102", "漏水渗水纠纷", "community", "4h", "5d", "1d"),
        ("1103", "家庭矛盾", "community", "4h", "5d", "1d"),
    ]),
    ("12", "物业管理", [
        ("1201", "物业服务", "community", "4h", "5d", "1d"),
        ("1202", "电梯故障", "community", "2h", "2d", "1d"),
        ("1203", "供暖问题", "subdistrict", "4h", "2d", "1d"),
    ]),
    ("13", "设施维修", [
        ("1301", "路灯损坏", "subdistrict", "4h", "3d", "1d"),
        ("1302", "井盖缺损", "district", "2h", "1d", "4h"),
        ("1303", "公共设施损坏", "community", "4h", "5d", "1d"),
    ]),
    ("14", "环境卫生", [
        ("1401", "楼道堆物", "community", "4h", "2d", "1d"),
        ("1402", "垃圾清运不及时", "community", "4h", "1d", "4h"),
        ("1403", "绿化破坏", "subdistrict", "4h", "5d", "1d"),
    ]),
    ("15", "治安隐患", [
        ("1501", "消防通道堵塞", "community", "2h", "1d", "4h"),
        ("1502", "电动车楼道充电", "community", "2h", "1d", "4h"),
        ("1503", "可疑人员", "subdistrict", "1h", "4h", "4h"),
    ]),
    ("16", "民生诉求", [
        ("1601", "困难救助", "community", "4h", "5d", "2d"),
        ("1602", "就业帮扶", "community", "4h", "10d", "2d"),
        ("1603", "养老服务", "community", "4h", "5d", "2d"),
    ]),
    ("17", "政策咨询", [
        ("1701", "社保医保咨询", "community", "4h", "3d", "1d"),
        ("1702", "户籍证照咨询", "community", "4h", "3d", "1d"),
    ]),
]  # fmt: skip


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for code, name, children in DEFAULT:
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name})
        for c_code, c_name, level, accept, handle, verify in children:
            Category.objects.get_or_create(
                code=c_code,
                defaults={
                    "parent": parent, "name": c_name, "level": level,
                    "accept_limit": accept, "handle_limit": handle, "verify_limit": verify,
                },
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
