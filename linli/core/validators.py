"""Validators for identifiers of Chinese public life (python-stdnum where it has them)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc

from .errors import ErrorCode

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# GB/T 2260 province-level codes (the first two digits of every address code).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


SPACE_RE = re.compile(r"\s")
CITIZEN_ID_RE = re.compile(r"\d{17}[\dX]")


def normalize_citizen_id(value: str) -> str:
    return SPACE_RE.sub("", str(value)).upper()


def validate_citizen_id(value: str) -> str:
    """A valid 18-character resident identity number (GB 11643), normalised."""
    v = normalize_citizen_id(value)
    if not CITIZEN_ID_RE.fullmatch(v):
        raise ValidationError(
            _("身份证号码应为 18 位（最后一位可为 X）。"), code=ErrorCode.INVALID_CITIZEN_ID
        )
    # characters 7-14, digits by the pattern above (not stdnum's get_birth_date: it cleans
    # the number again first, 4 µs of every imported row)
    try:
        birth = citizen_id_birth_date(v)
    except ValueError as exc:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code=ErrorCode.INVALID_CITIZEN_ID) from exc
    if birth > dt.date.today():
        raise ValidationError(_("身份证号码中的出生日期晚于今天。"), code=ErrorCode.INVALID_CITIZEN_ID)
    # The check character (GB 11643). Not ric.is_valid(): it also looks the address code up
    # in stdnum's own table, which lacks many current and historical codes (150902 among them).
    if v[-1] != ric.calc_check_digit(v):
        raise ValidationError(_("身份证号码校验位错误。"), code=ErrorCode.INVALID_CITIZEN_ID)
    if v[:2] not in PROVINCE_CODES:
        raise ValidationError(_("身份证号码的地址码无效。"), code=ErrorCode.INVALID_CITIZEN_ID)
    return v


def citizen_id_birth_date(value: str) -> dt.date:
    """The birth date of a valid ID number (characters 7–14)."""
    v = normalize_citizen_id(value)
    return dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def citizen_id_gender(value: str) -> str:
    """'M' or 'F' from the 17th character (odd is male)."""
    return "M" if int(normalize_citizen_id(value)[16]) % 2 else "F"


def validate_mobile(value: str) -> str:
    v = re.sub(r"[\s-]", "", str(value))
    if v.startswith("+86"):
        v = v[3:]
    if not MOBILE_RE.fullmatch(v):
        raise ValidationError(_("手机号码应为 11 位、以 1 开头的大陆手机号。"), code=ErrorCode.INVALID_MOBILE)
    return v


def validate_credit_code(value: str) -> str:
    """Unified social credit code (统一社会信用代码, GB 32100)."""
    v = re.sub(r"\s", "", str(value)).upper()
    if not uscc.is_valid(v):
        raise ValidationError(
            _("统一社会信用代码无效（18 位，校验位不符）。"), code=ErrorCode.INVALID_CREDIT_CODE
        )
    return v
