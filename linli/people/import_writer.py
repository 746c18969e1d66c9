"""The writing half of a resident import (``importer``): validated rows (``Row``, as the
preparing process sends them) become residents, households, name tokens and audit
entries, with executemany or COPY; residents already stored (by their ID's blind index)
are updated with a field diff in the audit log.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.bulk import insert_rows, reserve_ids, select_in, update_column
from linli.core.models import SCOPE_FIELDS, AuditAction, AuditEntry
from linli.core.pii import blind_index, plain
from linli.regions.models import HousingUnit

from .models import Household, NameToken, Resident
from .services import index_name, name_tokens

# Resident fields an import row sets directly (besides ID, phone, housing unit and household).
ROW_FIELDS = (
    "name", "ethnicity", "education", "political_status", "marital_status", "occupation", "employer",
    "residence_type", "relation", "registered_address", "separated", "birth_date", "gender",
)  # fmt: skip
UPDATABLE = [*ROW_FIELDS, "phone", "housing_unit", "household", "id_tail"]
PURPOSE_ID = "people.resident.citizen_id"
PURPOSE_PHONE = "people.resident.phone"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    households: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "households": self.households,
        }


@functools.lru_cache(maxsize=65536)
def tokens_of(name: str) -> tuple[str, ...]:
    return tuple(sorted(name_tokens(name)))


class Row(NamedTuple):
    """A row as the writer needs it, compact for the trip from the preparing process
    (plain strings, tuples and dates: they unpickle several times faster than enum
    members and sets).
    ``values`` are the new resident's columns from ``citizen_id`` on (``NEW_FIELDS``),
    encrypted and indexed; empty when the row has errors, as then nothing is written."""

    n: int  # the spreadsheet's row number
    place: tuple[str, str, str, str, str] | None  # grid code, compound, building, unit, room
    citizen_id: str  # valid and normalised, else ""
    household: str  # 户号
    head: bool
    phone: str
    values: tuple
    tokens: tuple[str, ...]

    @property
    def bidx(self) -> str:
        return self.values[1]

    @property
    def name(self) -> str:
        return self.values[5]

    def fields(self) -> dict:
        """ROW_FIELDS by name (for updating a resident already stored)."""
        return dict(zip(ROW_FIELDS, self.values[5:], strict=True))


class UnitRef(NamedTuple):
    """What the writer needs of a housing unit: its key and its district, subdistrict,
    community and grid."""

    pk: int
    scope: tuple


def unit_ref(unit: HousingUnit) -> UnitRef:
    g = unit.building.grid_region
    return UnitRef(unit.pk, tuple(getattr(g, f"{name}_id") for name in SCOPE_FIELDS))


# a new resident's columns: what the writer knows, then ``Row.values``
NEW_FIELDS = (
    "id", "housing_unit", "household", "district", "subdistrict", "community", "grid",
    "citizen_id", "citizen_id_bidx", "phone", "phone_bidx", "id_tail", *ROW_FIELDS,
)  # fmt: skip
AUDIT_FIELDS = (
    "at",
    "actor",
    "actor_name",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Writer:
    """Writes validated chunks: households found or created, new residents inserted with
    executemany (encrypted and indexed here), changed ones updated with a field diff in
    the audit log, name tokens for search."""

    def __init__(self, *, actor, filename: str) -> None:
        self.filename = filename
        self.actor = actor if actor is not None and actor.is_authenticated else None
        self.actor_name = self.actor.get_username() if self.actor else "system"
        self.ip = audit.current_ip.get()
        self.result = ImportResult()
        self.heads: dict[int, int] = {}  # household id → its head, for households not new
        self.now = timezone.now()

    def write(self, rows: list[Row], units: list[UnitRef]) -> None:
        existing: dict[str, Resident] = {}
        known = list(self._ids([r.bidx for r in rows]).values())  # from the index alone
        for i in range(0, len(known), 900):  # whole records only for those to update
            for res in Resident.objects.filter(pk__in=known[i : i + 900]):
                existing[res.citizen_id_bidx] = res  # type: ignore[attr-defined]
        new = [r.bidx for r in rows if r.bidx not in existing]
        ids = dict(zip(new, reserve_ids(Resident, len(new)), strict=True))  # no second lookup
        for bidx, res in existing.items():
            ids[bidx] = res.pk
        heads = {
            (unit.pk, r.household): ids[r.bidx]
            for r, unit in zip(rows, units, strict=True)
            if r.household and r.head
        }
        households = self._households(rows, units, heads)
        new_rows, new_names, updates, audits = [], [], [], []
        for r, unit in zip(rows, units, strict=True):
            household = households.get((unit.pk, r.household)) if r.household else None
            found = existing.get(r.bidx)
            if found is None:
                pk = ids[r.bidx]
                new_rows.append((pk, unit.pk, household, *unit.scope, *r.values))
                new_names.append((pk, r.name, r.tokens))
            else:
                changed = self._update(found, r, unit, household)
                if changed:
                    updates.append(found)
                    audits.append(self._audit(AuditAction.UPDATE, found.pk, found.name, changed))
                else:
                    self.result.unchanged += 1
        insert_rows(Resident, NEW_FIELDS, new_rows)  # counted at the end (tally.deferred)
        self.result.created += len(new_rows)
        if updates:
            Resident.objects.bulk_update(
                updates,
                [*UPDATABLE, "phone_bidx", "district", "subdistrict", "community", "grid"],
                batch_size=1000,
            )
            self.result.updated += len(updates)
        for res, a in zip(updates, audits, strict=True):
            if "name" in a[-1]:
                index_name(res, a[-1]["name"][0])  # the diff holds the name before
        # in key order: into the token key's B-tree in one sweep (at 10⁵ rows, 0.65 s in
        # the residents' order, 0.45 s sorted)
        tokens = sorted((t, pk) for pk, _name, own in new_names for t in own)
        insert_rows(NameToken, ("token", "resident"), tokens)
        created = {"import": self.filename}  # one object for every row: converted once
        audits += [self._audit(AuditAction.CREATE, pk, name, created) for pk, name, _t in new_names]
        insert_rows(AuditEntry, AUDIT_FIELDS, audits)

    def _update(self, res: Resident, row: Row, unit: UnitRef, household: int | None) -> dict:
        before = audit.snapshot(res)
        for k, v in row.fields().items():
            setattr(res, k, v)
        res.housing_unit_id = unit.pk  # type: ignore[attr-defined]
        res.household_id = household  # type: ignore[attr-defined]
        res.id_tail = row.citizen_id[-4:]
        if row.phone and plain(res.phone) != row.phone:
            res.phone = row.phone
        for name, value in zip(SCOPE_FIELDS, unit.scope, strict=True):
            setattr(res, f"{name}_id", value)
        changed = audit.diff(before, audit.snapshot(res))
        if changed:
            res.phone_bidx = blind_index(plain(res.phone), PURPOSE_PHONE) if res.phone else None  # type: ignore[attr-defined]
        return changed

    def _households(
        self, rows: list[Row], units: list[UnitRef], heads: dict[tuple[int, str], int]
    ) -> dict[tuple[int, str], int]:
        """(housing unit id, 户号) → household id, creating the missing households with
        their heads (``heads``: the same key → resident id; the constraint is checked at
        commit, when the residents are in). Heads of households that already existed are
        set at the end (``finish``), the file's last one for each."""
        scopes = {u.pk: u.scope for u in units}
        wanted = {(u.pk, r.household) for r, u in zip(rows, units, strict=True) if r.household}
        found = self._household_ids(wanted)
        for key, hid in found.items():
            if key in heads:
                self.heads[hid] = heads[key]
        missing = sorted(wanted - set(found))
        if missing:
            made = dict(zip(missing, reserve_ids(Household, len(missing)), strict=True))
            insert_rows(  # counted at the end (tally.deferred)
                Household,
                ("id", "housing_unit", "number", "head", "district", "subdistrict", "community", "grid"),
                [
                    (pk, unit_id, number, heads.get((unit_id, number)), *scopes[unit_id])
                    for (unit_id, number), pk in made.items()
                ],
            )
            self.result.households += len(made)
            found.update(made)
        return found

    @staticmethod
    def _household_ids(keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        out: dict[tuple[int, str], int] = {}
        sql = f"SELECT id, housing_unit_id, number FROM {_table(Household)} WHERE number <> '' AND housing_unit_id"  # noqa: S608
        for pk, unit_id, number in select_in(sql, sorted({k[0] for k in keys})):
            if (unit_id, number) in keys:
                out.setdefault((unit_id, number), pk)
        return out

    @staticmethod
    def _ids(bidxs: list[str]) -> dict[str, int]:
        """ID blind index → resident id, for those of ``bidxs`` already stored."""
        sql = f"SELECT citizen_id_bidx, id FROM {_table(Resident)} WHERE citizen_id_bidx"  # noqa: S608
        return dict(select_in(sql, bidxs))

    def _audit(self, action: str, pk: int, name: str, changes: dict) -> tuple:
        return (
            self.now, self.actor.pk if self.actor else None, self.actor_name, self.ip, action, "people.resident", str(pk), name, changes,
        )  # fmt: skip

    def finish(self) -> None:
        """Heads of household, then one import entry in the audit log."""
        update_column(Household, "head", self.heads.items())
        audit.record(
            AuditAction.IMPORT,
            actor=self.actor,
            object_type="people.resident",
            object_repr=_("导入居民 %(f)s") % {"f": self.filename},
            changes=self.result.as_dict(),
            actor_name="system",
        )
