"""Generic write operations that domain services build on.

Each runs in one transaction: validate, write, re-check scope (so a record cannot
be moved out of the actor's reach), write the audit row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from . import audit
from .errors import ErrorCode, PermissionDenied, ServiceError
from .models import SCOPE_FIELDS, AuditAction
from .pii import PersonalDataField, Secret
from .scoping import can, ensure_in_scope, in_scope


def _validate(obj: models.Model) -> None:
    try:
        obj.full_clean(exclude=[f for f in SCOPE_FIELDS if hasattr(obj, f"{f}_id")])
    except ValidationError as exc:
        raise ServiceError(
            ErrorCode.INVALID,
            "; ".join(exc.messages),
            errors=[{"field": k, "messages": v} for k, v in exc.message_dict.items()],
        ) from exc


def normalise_personal_fields(obj: models.Model) -> None:
    """Validate and normalise every personal-data field (raises ServiceError naming the field)."""
    from .pii import normalize

    for f in obj._meta.concrete_fields:
        if isinstance(f, PersonalDataField):
            value = getattr(obj, f.attname)
            if value:
                try:
                    setattr(obj, f.attname, normalize(value.reveal(), f.kind))
                except ValidationError as exc:
                    raise ServiceError(
                        exc.code or ErrorCode.INVALID, f"{f.verbose_name}: {exc.messages[0]}", field=f.name
                    ) from exc


def do_create(obj: models.Model, *, actor, validate: bool = True) -> models.Model:
    normalise_personal_fields(obj)
    if validate:
        _validate(obj)
    try:
        with transaction.atomic():
            obj.save()
            ensure_in_scope(obj, actor, "add")
            audit.record_create(obj, actor=actor)
    except IntegrityError as exc:
        raise ServiceError(ErrorCode.DUPLICATE, _("与已有记录重复。")) from exc
    return obj


def do_update(obj: models.Model, before: dict, *, actor, validate: bool = True) -> models.Model:
    """``before`` is ``audit.snapshot(obj)`` taken when the record was fetched in scope."""
    normalise_personal_fields(obj)
    if validate:
        _validate(obj)
    try:
        with transaction.atomic():
            obj.save()
            ensure_in_scope(obj, actor, "change")
            audit.record_update(obj, before, actor=actor)
    except IntegrityError as exc:
        raise ServiceError(ErrorCode.DUPLICATE, _("与已有记录重复。")) from exc
    return obj


def do_save(obj, before: dict | None = None, *, actor):
    """``do_create`` when ``before`` is None, else ``do_update`` (for services that check
    a record the same way whether it is new or changed)."""
    if before is None:
        return do_create(obj, actor=actor)
    return do_update(obj, before, actor=actor)


def do_delete(obj: models.Model, *, actor) -> None:
    if actor is not None and not in_scope(obj, actor, "delete"):
        raise PermissionDenied()
    before = audit.snapshot(obj)
    try:
        with transaction.atomic():
            audit.record_delete(obj, before, actor=actor)
            obj.delete()
    except ProtectedError as exc:
        raise ServiceError(ErrorCode.IN_USE, _("该记录仍被其他数据引用，不能删除。")) from exc


def reveal_field(obj: models.Model, field_name: str, *, actor) -> str:
    """The plaintext of a personal-data field, for a permitted actor; audited."""
    field = obj._meta.get_field(field_name)
    if not isinstance(field, PersonalDataField) or not can(actor, type(obj), "reveal"):
        raise PermissionDenied()
    if not in_scope(obj, actor, "reveal"):
        raise PermissionDenied()
    value = getattr(obj, field.attname)
    with transaction.atomic():
        audit.record(AuditAction.REVEAL, obj, actor=actor, changes={"field": field_name})
    return value.reveal() if isinstance(value, Secret) else ""
