"""Code tables of GB/T 31000-2015 and the national standards it cites.

Stored values are the standards' codes, so exports and exchanges need no mapping.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# GB/T 3304-1991 民族 (the 56 groups, plus 97/98)
ETHNICITIES = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族",
    "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族",
    "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族",
    "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族",
    "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]  # fmt: skip
ETHNICITY_CHOICES = [(f"{i:02d}", name) for i, name in enumerate(ETHNICITIES, start=1)] + [
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]


class PoliticalStatus(models.TextChoices):
    """GB/T 4762-1984 政治面貌."""

    CPC = "01", _("中共党员")
    CPC_PROBATIONARY = "02", _("中共预备党员")
    CYL = "03", _("共青团员")
    RCCK = "04", _("民革党员")
    CDL = "05", _("民盟盟员")
    CNDCA = "06", _("民建会员")
    CAPD = "07", _("民进会员")
    CPWDP = "08", _("农工党党员")
    CZGP = "09", _("致公党党员")
    JSS = "10", _("九三学社社员")
    TDSGL = "11", _("台盟盟员")
    INDEPENDENT = "12", _("无党派人士")
    MASSES = "13", _("群众")


class Education(models.TextChoices):
    """GB/T 4658-2006 学历 (first level)."""

    POSTGRADUATE = "10", _("研究生")
    BACHELOR = "20", _("大学本科")
    COLLEGE = "30", _("大学专科")
    VOCATIONAL = "40", _("中等职业教育")
    HIGH_SCHOOL = "60", _("普通高级中学")
    JUNIOR = "70", _("初级中学")
    PRIMARY = "80", _("小学")
    OTHER = "90", _("其他")


class MaritalStatus(models.TextChoices):
    """GB/T 2261.2-2003 婚姻状况."""

    SINGLE = "10", _("未婚")
    MARRIED = "20", _("已婚")
    WIDOWED = "30", _("丧偶")
    DIVORCED = "40", _("离婚")
    UNKNOWN = "90", _("未说明")


class Relation(models.TextChoices):
    """GB/T 4761-2008 家庭关系 (与户主关系)."""

    HEAD = "02", _("户主")
    SPOUSE = "10", _("配偶")
    SON = "20", _("儿子")
    DAUGHTER = "30", _("女儿")
    GRANDCHILD = "40", _("孙子女")
    PARENT = "50", _("父母")
    GRANDPARENT = "60", _("祖父母或外祖父母")
    SIBLING = "70", _("兄弟姐妹")
    OTHER_RELATIVE = "97", _("其他亲属")
    NON_RELATIVE = "99", _("非亲属")


class ResidenceType(models.TextChoices):
    """人口类别 (GB/T 31000: 户籍人口 / 流动人口 / 境外人员)."""

    REGISTERED = "registered", _("户籍")
    PERMANENT = "permanent", _("常住")
    FLOATING = "floating", _("流动")
    FOREIGN = "foreign", _("境外")


class Gender(models.TextChoices):
    """GB/T 2261.1-2003 性别."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")
