"""The write path and search of the registry. Views, API, imports and commands call these."""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, QuerySet
from django.utils.translation import gettext as _
from pypinyin import Style, pinyin
from pypinyin.constants import PHRASES_DICT

from linli.core import audit
from linli.core.errors import ErrorCode, ServiceError
from linli.core.pii import normalize, pii_match, plain
from linli.core.scoping import ensure_in_scope, restrict
from linli.core.services import do_create, do_update
from linli.core.validators import citizen_id_birth_date, citizen_id_gender

from .codes import Gender, Relation, ResidenceType
from .models import FloatingInfo, GroupTag, Household, Move, NameToken, Resident, SpecialGroup

# Surnames read differently from the character's usual reading (姓氏异读).
SURNAME_INITIALS = {
    "单": "s",
    "曾": "z",
    "解": "x",
    "区": "o",
    "仇": "q",
    "朴": "p",
    "查": "z",
    "盖": "g",
    "缪": "m",
    "翟": "z",
    "尉": "y",
    "乐": "y",
    "覃": "q",
    "召": "s",
    "种": "c",
    "员": "y",
    "谌": "c",
    "繁": "p",
    "秘": "b",
    "长": "c",
    "尉迟": "y",
    "令": "l",
    "句": "g",
    "相": "x",
    "洗": "x",
    "冼": "x",
}
ADDRESS_WORDS = re.compile(r"小区|号楼|楼|单元|室|路|街|巷|苑|园|村|里|院|大厦|公寓|花园")
CJK = re.compile(r"[\u3400-\u9fff]")
PINYIN = "py:"  # the prefix of the initials' token
INITIALS_KEPT = 17  # what NameToken.token holds after the prefix
ADULT_AGE = 18


# --- search tokens --------------------------------------------------------------------


def name_tokens(name: str) -> set[str]:
    """A name's search tokens: its pairs of characters, its last character and its pinyin
    initials ("py:zsf"). Every character of a name but the last begins a pair, so the
    tokens that start with a character (``_starting``) find every name holding it, and
    those that start with "py:" and some initials every name whose initials begin so."""
    chars = [c for c in name if not c.isspace()]
    tokens = {a + b for a, b in zip(chars, chars[1:], strict=False)}
    if chars:
        tokens.add(chars[-1])
    initials = pinyin_initials(name)
    variants = {initials}
    if chars and chars[0] in SURNAME_INITIALS and initials:
        variants.add(SURNAME_INITIALS[chars[0]] + initials[1:])  # 单 as a surname is shàn
    tokens |= {PINYIN + v[:INITIALS_KEPT] for v in variants if v}
    return tokens


def pinyin_initials(name: str) -> str:
    """The name's pinyin initials as pypinyin reads the whole name ("张三" → "zs"; what
    has no pinyin left out), a character at a time (cached) unless two or more characters
    in a row form a word of pypinyin's phrase dictionary. Only such a word reads a
    character differently from the character alone (pypinyin splits a text into the
    dictionary's words and reads every other character by itself), and few names hold
    one: the whole pipeline costs 20–30 µs a name, a resident import's largest part of
    preparing a row after encryption."""
    n = len(name)
    if any(name[i:j] in PHRASES_DICT for i in range(n - 1) for j in range(i + 2, n + 1)):
        return _initials(name)
    return "".join(_char_initials(c) for c in name)


def _initials(text: str) -> str:
    return "".join(r[0] for r in pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()


@functools.lru_cache(maxsize=32768)
def _char_initials(char: str) -> str:
    return _initials(char)


def _starting(prefix: str) -> Q:
    """The residents with a token that starts with ``prefix``: one range of the token key
    (compared by code point on both databases: the column is COLLATE "C" on PostgreSQL)."""
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return _holding(NameToken.objects.filter(token__gte=prefix, token__lt=after))


def _holding(tokens: QuerySet) -> Q:
    """The residents of ``tokens``. On PostgreSQL ``id = ANY(ARRAY(tokens))``: the ids are
    read first, then the residents by key in key order, fifty for a page. With ``IN`` its
    planner walks the residents' key from the start and looks each one up among the
    tokens (a merge join): for initials held by one resident in 400, 20,000 rows for a
    page of fifty, 19 ms instead of 2."""
    ids = tokens.values("resident_id")
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    from django.contrib.postgres.expressions import ArraySubquery

    any_of = Func(F("pk"), ArraySubquery(ids), arg_joiner=" = ANY(", template="%(expressions)s)")
    return Q(ExpressionWrapper(any_of, output_field=BooleanField()))


def index_name(resident: Resident, old_name: str = "") -> None:
    """The tokens of the resident's name, those of ``old_name`` (the name before) gone."""
    if old_name:
        NameToken.objects.filter(token__in=name_tokens(old_name), resident=resident).delete()
    NameToken.objects.bulk_create([NameToken(resident=resident, token=t) for t in name_tokens(resident.name)])


# --- residents ---------------------------------------------------------------------


def prepare_resident(resident: Resident) -> None:
    """Validate and derive what follows from the ID number; raises ServiceError naming the field."""
    resident.name = (resident.name or "").strip()
    if not resident.name:
        raise ServiceError(ErrorCode.INVALID, _("请填写姓名。"), field="name")
    if resident.citizen_id:
        try:
            value = normalize(plain(resident.citizen_id), "citizen_id")
        except ValidationError as exc:
            raise ServiceError(ErrorCode.INVALID_CITIZEN_ID, exc.messages[0], field="citizen_id") from exc
        resident.citizen_id = value
        resident.birth_date = citizen_id_birth_date(value)
        resident.gender = Gender.MALE if citizen_id_gender(value) == "M" else Gender.FEMALE
        resident.id_tail = value[-4:]
        clash = Resident.objects.filter(pii_match(Resident, "citizen_id", value)).exclude(pk=resident.pk)
        if clash.exists():
            raise ServiceError(ErrorCode.DUPLICATE, _("该公民身份号码已登记。"), field="citizen_id")
    else:
        resident.id_tail = ""
    if resident.phone:
        try:
            resident.phone = normalize(plain(resident.phone), "mobile")
        except ValidationError as exc:
            raise ServiceError(ErrorCode.INVALID_MOBILE, exc.messages[0], field="phone") from exc
    if resident.household_id and resident.relation == Relation.HEAD:
        age = resident.age()
        if age is not None and age < ADULT_AGE:
            raise ServiceError(ErrorCode.INVALID, _("未成年人不能作为户主。"), field="relation")


def do_register_resident(resident: Resident, *, actor) -> Resident:
    prepare_resident(resident)
    with transaction.atomic():
        do_create(resident, actor=actor)
        index_name(resident)
        if resident.household_id and resident.relation == Relation.HEAD:
            Household.objects.filter(pk=resident.household_id).update(head=resident)
    return resident


def do_update_resident(resident: Resident, before: dict, *, actor) -> Resident:
    prepare_resident(resident)
    with transaction.atomic():
        do_update(resident, before, actor=actor)
        if before.get("name") != resident.name:
            index_name(resident, before.get("name") or "")
        if resident.household_id and resident.relation == Relation.HEAD:
            Household.objects.filter(pk=resident.household_id).update(head=resident)
    return resident


def do_create_household(household: Household, *, actor) -> Household:
    return do_create(household, actor=actor)  # type: ignore[return-value]


def _record_move(
    *, actor, kind, moved_on, reason, resident=None, household=None, from_unit=None, to_unit=None
):
    if moved_on > dt.date.today():
        raise ServiceError(ErrorCode.INVALID, _("迁移日期不能晚于今天。"), field="moved_on")
    move = Move(
        resident=resident,
        household=household,
        kind=kind,
        from_unit=from_unit,
        to_unit=to_unit,
        moved_on=moved_on,
        reason=reason,
    )
    move.save()
    audit.record_create(move, actor=actor)
    return move


def do_move_resident(resident: Resident, to_unit, *, actor, moved_on: dt.date, reason: str = "") -> Move:
    """Move a resident to another housing unit in the district; the history is kept."""
    if to_unit.pk == resident.housing_unit_id:
        raise ServiceError(ErrorCode.INVALID, _("新房屋与原房屋相同。"), field="to_unit")
    with transaction.atomic():
        before = audit.snapshot(resident)
        from_unit = resident.housing_unit
        resident.housing_unit = to_unit
        do_update(resident, before, actor=actor, validate=False)
        return _record_move(
            actor=actor,
            kind=Move.Kind.WITHIN,
            moved_on=moved_on,
            reason=reason,
            resident=resident,
            from_unit=from_unit,
            to_unit=to_unit,
        )


def do_move_household(household: Household, to_unit, *, actor, moved_on: dt.date, reason: str = "") -> Move:
    """Move a household and every member living with it."""
    with transaction.atomic():
        before = audit.snapshot(household)
        from_unit = household.housing_unit
        household.housing_unit = to_unit
        do_update(household, before, actor=actor, validate=False)
        for member in household.members.filter(archived_at__isnull=True, housing_unit=from_unit):
            mb = audit.snapshot(member)
            member.housing_unit = to_unit
            do_update(member, mb, actor=actor, validate=False)
        return _record_move(
            actor=actor,
            kind=Move.Kind.WITHIN,
            moved_on=moved_on,
            reason=reason,
            household=household,
            from_unit=from_unit,
            to_unit=to_unit,
        )


def do_move_out(resident: Resident, *, actor, moved_on: dt.date, reason: str) -> Move:
    """Moving out of the district archives the resident; nothing is deleted."""
    if resident.archived_at:
        raise ServiceError(ErrorCode.INVALID, _("该居民已迁出。"))
    if not reason.strip():
        raise ServiceError(ErrorCode.INVALID, _("请填写迁出原因。"), field="reason")
    with transaction.atomic():
        before = audit.snapshot(resident)
        resident.archived_at = moved_on
        resident.archive_reason = reason.strip()
        do_update(resident, before, actor=actor, validate=False)
        return _record_move(
            actor=actor,
            kind=Move.Kind.OUT,
            moved_on=moved_on,
            reason=reason,
            resident=resident,
            from_unit=resident.housing_unit,
        )


# --- special groups ------------------------------------------------------------------


def do_add_tag(tag: GroupTag, *, actor) -> GroupTag:
    """Put a resident or a household in a special group (history is kept; see do_end_tag)."""
    group = tag.group
    if (tag.resident_id is None) == (tag.household_id is None):
        raise ServiceError(ErrorCode.INVALID, _("标签须属于一位居民或一户。"), field="resident")
    if group.applies_to == SpecialGroup.AppliesTo.HOUSEHOLD and tag.household_id is None:
        raise ServiceError(
            ErrorCode.INVALID, _("“%(g)s”是家庭标签，请选择户。") % {"g": group.name}, field="household"
        )
    if group.applies_to == SpecialGroup.AppliesTo.RESIDENT and tag.resident_id is None:
        raise ServiceError(
            ErrorCode.INVALID, _("“%(g)s”是个人标签，请选择居民。") % {"g": group.name}, field="resident"
        )
    if tag.start_date > dt.date.today():
        raise ServiceError(ErrorCode.INVALID, _("开始日期不能晚于今天。"), field="start_date")
    if tag.end_date and tag.end_date < tag.start_date:
        raise ServiceError(ErrorCode.INVALID, _("结束日期早于开始日期。"), field="end_date")
    owner = {"resident_id": tag.resident_id} if tag.resident_id else {"household_id": tag.household_id}
    current = GroupTag.objects.filter(group=group, end_date__isnull=True, **owner).exclude(pk=tag.pk)
    if current.exists():
        raise ServiceError(ErrorCode.DUPLICATE, _("已有该类别的有效标签。"), field="group")
    return do_create(tag, actor=actor)  # type: ignore[return-value]


def do_end_tag(tag: GroupTag, *, actor, end_date: dt.date) -> GroupTag:
    if end_date < tag.start_date:
        raise ServiceError(ErrorCode.INVALID, _("结束日期早于开始日期。"), field="end_date")
    before = audit.snapshot(tag)
    tag.end_date = end_date
    return do_update(tag, before, actor=actor)  # type: ignore[return-value]


# --- search ---------------------------------------------------------------------------


def search_residents(user, q: str, *, include_archived: bool = False) -> QuerySet[Resident]:
    """Scoped search by name (1–2 characters exactly, longer by containment), pinyin
    initials, full ID number, its last four characters, mobile number or address."""
    qs = restrict(Resident.objects.all(), user)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    q = q.strip()
    if not q:
        return qs
    compact = re.sub(r"\s", "", q).upper()
    if re.fullmatch(r"\d{17}[\dX]", compact):
        return qs.filter(pii_match(Resident, "citizen_id", compact))
    if re.fullmatch(r"1[3-9]\d{9}", compact):
        return qs.filter(pii_match(Resident, "phone", compact))
    if re.fullmatch(r"[\dX]{4}", compact):
        return qs.filter(id_tail=compact)
    if re.fullmatch(r"[A-Za-z]{1,6}", q):
        return qs.filter(_starting(PINYIN + q.lower()))
    if CJK.search(q):
        chars = [c for c in q if not c.isspace()]
        if len(chars) == 1:
            by_name = _starting(chars[0])
        elif len(chars) == 2:
            by_name = _holding(NameToken.objects.filter(token=chars[0] + chars[1]))
        else:
            pair = chars[0] + chars[1]
            by_name = _holding(NameToken.objects.filter(token=pair)) & Q(name__contains=q)
        if len(chars) <= 2 or not ADDRESS_WORDS.search(q):
            return qs.filter(by_name)
        # an address (恩和小区, 3号楼 …): compounds and buildings are few, so look them up first
        from linli.regions.models import Building

        buildings = Building.objects.filter(Q(compound__name__contains=q) | Q(name__contains=q))
        return qs.filter(by_name | Q(housing_unit__building__in=buildings.values("pk")))
    # a residence-permit number, a room number or a building
    return qs.filter(
        Q(floating__permit_number=q) | Q(housing_unit__room=q) | Q(housing_unit__building__name__contains=q)
    )


def do_save_floating(info: FloatingInfo, *, actor) -> FloatingInfo:
    """Record or update a floating resident's permit, arrival, origin and workplace."""
    from linli.regions import divisions

    today = dt.date.today()
    if info.arrival_date and info.arrival_date > today:
        raise ServiceError(ErrorCode.INVALID, _("来本地日期不能晚于今天。"), field="arrival_date")
    if info.permit_issued and info.permit_expires and info.permit_expires <= info.permit_issued:
        raise ServiceError(ErrorCode.INVALID, _("居住证有效期须晚于签发日期。"), field="permit_expires")
    if info.origin_code and not divisions.names_for({info.origin_code}):
        raise ServiceError(
            ErrorCode.UNKNOWN_REGION,
            _("户籍地区划代码 %(c)s 不存在。") % {"c": info.origin_code},
            field="origin_code",
        )
    resident = info.resident
    with transaction.atomic():
        existing = FloatingInfo.objects.filter(pk=resident.pk).first()
        before = audit.snapshot(existing) if existing else None
        info.save()
        ensure_in_scope(resident, actor, "change")
        if before is None:
            audit.record_create(info, actor=actor)
        else:
            audit.record_update(info, before, actor=actor)
        if resident.residence_type != ResidenceType.FLOATING:
            rb = audit.snapshot(resident)
            resident.residence_type = ResidenceType.FLOATING
            do_update(resident, rb, actor=actor, validate=False)
    return info
