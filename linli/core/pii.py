"""Personal identifiers: validated, stored encrypted (SM4-GCM), found by a keyed
blind index (HMAC-SM3), shown masked, revealed only by an audited action.

A ``PersonalDataField`` holds the ciphertext; it adds a companion column
``<name>_bidx`` with the blind index, used for exact lookups and uniqueness
(``Model.objects.filter(pii_match("phone", "13800138000"))``). In Python the
attribute is a ``Secret``: printing, formatting or serialising it gives the masked
form; only ``.reveal()`` gives the value, and views call that through
``core.services.reveal_field`` which writes the audit row.
"""

from __future__ import annotations

import base64
import functools
import os
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import Q

from . import validators

KINDS = {
    "citizen_id": validators.validate_citizen_id,
    "mobile": validators.validate_mobile,
    "text": lambda v: str(v).strip(),
}


# --- keys -------------------------------------------------------------------------


def _parse_ring(text: str) -> list[tuple[str, bytes]]:
    ring = []
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        version, _, hexkey = part.partition(":")
        key = bytes.fromhex(hexkey)
        if len(key) < 32:
            raise ImproperlyConfigured("Each LINLI_PII_KEYS key must be at least 32 bytes (64 hex digits).")
        ring.append((version, key))
    return ring


@functools.cache
def key_ring() -> list[tuple[str, bytes]]:
    """[(version, master key)], current first. From LINLI_PII_KEYS, else the key file.

    With DEBUG on and no key at all, a key file is generated (the demo); in
    production a missing key is a configuration error.
    """
    text = settings.LINLI_PII_KEYS
    path = settings.LINLI_PII_KEY_FILE
    if not text and os.path.exists(path):
        with open(path) as fh:
            text = fh.read()
    if not text:
        if not settings.DEBUG:
            raise ImproperlyConfigured("LINLI_PII_KEYS (or LINLI_PII_KEYS_FILE) must be set.")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        text = f"k1:{secrets.token_hex(32)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
    ring = _parse_ring(text)
    if not ring:
        raise ImproperlyConfigured("LINLI_PII_KEYS holds no key.")
    return ring


def _subkey(master: bytes, purpose: bytes, length: int) -> bytes:
    h = hmac.HMAC(master, hashes.SM3())
    h.update(b"linli/" + purpose)
    return h.finalize()[:length]


@functools.cache
def _enc_key(version: str) -> algorithms.SM4:
    """The cipher of a key version (made once: an import encrypts 10⁵ values)."""
    for v, master in key_ring():
        if v == version:
            return algorithms.SM4(_subkey(master, b"sm4-gcm", 16))
    raise ImproperlyConfigured(f"Personal-data key version {version!r} is not in the key ring.")


@functools.cache
def _index_mac() -> hmac.HMAC:
    """The keyed hash every blind index starts from; each index hashes a copy (which
    skips the key schedule: half the cost of one index)."""
    return hmac.HMAC(_subkey(key_ring()[0][1], b"blind-index", 32), hashes.SM3())


def reset_key_cache() -> None:
    key_ring.cache_clear()
    _enc_key.cache_clear()
    _index_mac.cache_clear()


# --- primitives -------------------------------------------------------------------


def encrypt(plaintext: str, purpose: str) -> str:
    """``version$base64(nonce | ciphertext | tag)``; the purpose is bound as associated data."""
    version = key_ring()[0][0]
    nonce = os.urandom(12)
    enc = Cipher(_enc_key(version), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(purpose.encode())
    body = enc.update(plaintext.encode()) + enc.finalize()
    return f"{version}${base64.b64encode(nonce + body + enc.tag).decode()}"


def decrypt(token: str, purpose: str) -> str:
    version, _, b64 = token.partition("$")
    raw = base64.b64decode(b64)
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(_enc_key(version), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(purpose.encode())
    return (dec.update(body) + dec.finalize()).decode()


def blind_index(value: str, purpose: str) -> str:
    h = _index_mac().copy()
    h.update(purpose.encode() + b"\x00" + value.encode())
    return h.finalize().hex()


def mask(value: str, kind: str) -> str:
    head, tail = settings.LINLI_MASKS.get(kind, (1, 0))
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + (value[-tail:] if tail else "")


def normalize(value: str, kind: str) -> str:
    """Validate and normalise; raises django ValidationError with a clear message."""
    return KINDS[kind](value)


class Secret:
    """A personal identifier in memory. Masked wherever it is turned into text."""

    __slots__ = ("_value", "kind")

    def __init__(self, value: str, kind: str):
        self._value = value
        self.kind = kind

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value, self.kind)

    def __str__(self) -> str:
        return self.masked

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return isinstance(other, str) and self._value == other

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)


# --- the model field -----------------------------------------------------------------


class _SecretDescriptor:
    def __init__(self, field: PersonalDataField):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance.__dict__.get(self.field.attname)

    def __set__(self, instance, value):
        if value is None or value == "":
            value = None
        elif not isinstance(value, Secret):
            value = Secret(str(value), self.field.kind)
        instance.__dict__[self.field.attname] = value


class PersonalDataField(models.TextField):
    """An encrypted personal identifier with a blind-index companion column."""

    # what django-stubs tells mypy about the attribute: set str or Secret, get a Secret
    _pyi_private_set_type: Secret | str | None  # type: ignore[assignment]
    _pyi_private_get_type: Secret | None  # type: ignore[assignment]

    def __init__(self, *args, kind: str = "text", unique_index: bool = False, **kwargs):
        """``unique_index``: no two rows share the value (the companion index is unique;
        rows without a value are allowed any number of times)."""
        if kind not in KINDS:
            raise ValueError(f"unknown personal-data kind {kind!r}")
        self.kind = kind
        self.unique_index = unique_index
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        if self.unique_index:
            kwargs["unique_index"] = True
        return name, path, args, kwargs

    @property
    def index_attname(self) -> str:
        return f"{self.name}_bidx"

    @property
    def purpose(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _SecretDescriptor(self))
        # Models rendered from migrations ("__fake__") get the companion from the migration.
        if cls.__module__ != "__fake__" and not cls._meta.abstract:
            index = models.CharField(
                max_length=64,
                null=True,
                blank=True,
                editable=False,
                db_index=not self.unique_index,
                unique=self.unique_index,
            )
            cls.add_to_class(f"{name}_bidx", index)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Secret(decrypt(value, self.purpose), self.kind)

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(str(value), self.kind)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None:
            setattr(model_instance, self.index_attname, None)
        else:
            setattr(model_instance, self.index_attname, blind_index(value.reveal(), self.purpose))
        return value

    def get_prep_value(self, value: Any):
        if value is None or value == "":
            return None
        plain = value.reveal() if isinstance(value, Secret) else str(value)
        return encrypt(plain, self.purpose)

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value:
            try:
                normalize(value.reveal() if isinstance(value, Secret) else value, self.kind)
            except ValidationError as exc:
                raise ValidationError(exc.messages, code=exc.code) from exc

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        from django import forms

        return forms.CharField(required=not self.blank, max_length=64, label=self.verbose_name)


def plain(value: Secret | str | None) -> str:
    """The plaintext of a personal-data attribute (empty for None), for validation code."""
    if value is None:
        return ""
    return value.reveal() if isinstance(value, Secret) else str(value)


def pii_match(model: type[models.Model], field_name: str, value: str) -> Q:
    """A filter for the rows whose field equals ``value`` (exact, via the blind index)."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, PersonalDataField)
    try:
        plain = normalize(value, field.kind)
    except ValidationError:
        plain = str(value).strip()
    return Q(**{field.index_attname: blind_index(plain, field.purpose)})


def personal_fields(model: type[models.Model]) -> list[PersonalDataField]:
    return [f for f in model._meta.get_fields() if isinstance(f, PersonalDataField)]
