"""Roles a post can carry, and what each may do by default."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("区")
    SUBDISTRICT = "subdistrict", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


LEVEL_ORDER = [Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID]
CODE_LENGTH = {Level.DISTRICT: 6, Level.SUBDISTRICT: 9, Level.COMMUNITY: 12, Level.GRID: 15}


class Role(models.TextChoices):
    DISTRICT_OPERATOR = "district_operator", _("区级指挥中心操作员")
    SUBDISTRICT_OPERATOR = "subdistrict_operator", _("街道操作员")
    COMMUNITY_STAFF = "community_staff", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT_HANDLER = "department_handler", _("职能部门处置人员")


class SystemRole(models.TextChoices):
    """三员分立: an account is at most one of these, and then holds no post."""

    NONE = "", _("无")
    SYSADMIN = "sysadmin", _("系统管理员")
    AUDITOR = "auditor", _("安全审计员")


ROLE_LEVEL = {
    Role.DISTRICT_OPERATOR: Level.DISTRICT,
    Role.SUBDISTRICT_OPERATOR: Level.SUBDISTRICT,
    Role.COMMUNITY_STAFF: Level.COMMUNITY,
    Role.GRID_WORKER: Level.GRID,
}

REGION_ROLES = frozenset(ROLE_LEVEL)
STAFF_AND_ABOVE = frozenset({Role.DISTRICT_OPERATOR, Role.SUBDISTRICT_OPERATOR, Role.COMMUNITY_STAFF})

# The default policy of a scoped model; a model overrides ``scope_policy`` to differ.
DEFAULT_POLICY: dict[str, frozenset] = {
    "view": REGION_ROLES,
    "add": REGION_ROLES,
    "change": REGION_ROLES,
    "delete": STAFF_AND_ABOVE,
    "export": STAFF_AND_ABOVE,
    "reveal": REGION_ROLES,
    # an export with personal identifiers in full (audited with the fields it revealed)
    "export_plain": STAFF_AND_ABOVE,
}
ACTIONS = tuple(DEFAULT_POLICY)
# records that staff and above keep and grid workers of the area read
STAFF_ONLY: dict[str, frozenset] = {**DEFAULT_POLICY, "add": STAFF_AND_ABOVE, "change": STAFF_AND_ABOVE}
