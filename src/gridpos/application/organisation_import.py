"""Use case: create the county company and its supply stations from the MIS, idempotently.

``GET /organisation`` names the county (its code, e.g. ``340828``) and its stations with their MIS
codes; the server's organisations get exactly those codes, which is how a synced customer's
``station_code`` finds its station. Running it again creates only what is missing and renames what
the MIS renamed; it never deletes (a station the MIS no longer lists keeps its history here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, select, update

from gridpos.adapters.db.organisations import OrganisationError
from gridpos.adapters.db.tables import organisations
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient
from gridpos.application.ports import Clock
from gridpos.domain.audit import AuditAction
from gridpos.protocol.mis import Organisation

ACTOR: Final[str] = "system:org-import"


@dataclass(frozen=True, slots=True)
class OrganisationImport:
    """What an import did: the county's id, and the codes created, renamed and left as they were."""

    county_id: int
    county_code: str
    created: tuple[str, ...]
    renamed: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.renamed)


def import_organisation(engine: Engine, client: MisClient, *, clock: Clock) -> OrganisationImport:
    """Read the MIS's organisation and create or rename the county and its stations.

    Raises :class:`~gridpos.adapters.mis.MisError` when the MIS cannot be read, and
    :class:`~gridpos.adapters.db.OrganisationError` (``organisation_level_invalid``) when one of
    the codes is already used here by a node of another level (nothing is written then).
    """
    return apply_organisation(engine, client.organisation(), clock=clock)


def apply_organisation(
    engine: Engine, organisation: Organisation, *, clock: Clock
) -> OrganisationImport:
    """Create or rename the county and its stations as ``organisation`` describes them, in one
    transaction, with an audit entry when anything changed.

    Raises :class:`~gridpos.adapters.db.OrganisationError` as :func:`import_organisation` does.
    """
    created: list[str] = []
    renamed: list[str] = []
    unchanged: list[str] = []
    with SqlUnitOfWork(engine, write=True) as uow:
        store = uow.organisations
        existing = {
            row.code: row
            for row in uow.connection.execute(
                select(organisations.c.id, organisations.c.code, organisations.c.name)
                .add_columns(organisations.c.level, organisations.c.parent_id)
                .where(
                    organisations.c.code.in_(
                        [organisation.county_code, *(s.code for s in organisation.stations)]
                    )
                )
            )
        }

        def ensure(code: str, name: str, level: str, parent_id: int | None) -> int:
            row = existing.get(code)
            if row is None:
                created.append(code)
                return store.add(code=code, name=name, level=level, parent_id=parent_id).id
            if row.level != level or (parent_id is not None and row.parent_id != parent_id):
                raise OrganisationError(
                    code="organisation_level_invalid",
                    field="code",
                    message_zh=f"机构编码 {code} 已被另一层级或上级的机构使用",
                    message_en=f"the code {code} is already used here at another place in the tree",
                    details={"code": code, "level": row.level, "wanted": level},
                )
            if row.name != name:
                uow.connection.execute(
                    update(organisations).where(organisations.c.id == row.id).values(name=name)
                )
                renamed.append(code)
            else:
                unchanged.append(code)
            return int(row.id)

        county_id = ensure(organisation.county_code, organisation.company_name_zh, "county", None)
        for station in organisation.stations:
            ensure(station.code, station.name_zh, "station", county_id)
        if created or renamed:
            uow.audit.append(
                occurred_at=clock.now(),
                actor=ACTOR,
                action=AuditAction.ORGANISATION_IMPORT_MIS,
                subject=organisation.county_code,
                details={"created": created, "renamed": renamed},
            )
        uow.commit()
    return OrganisationImport(
        county_id=county_id,
        county_code=organisation.county_code,
        created=tuple(created),
        renamed=tuple(renamed),
        unchanged=tuple(unchanged),
    )
