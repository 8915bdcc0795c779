"""The organisation tree: adding nodes, and the subtree an operator may see.

Every node keeps the materialised path of ids from the root (``/1/5/23/``); the subtree of a
node is every node whose path starts with its path — one indexed prefix match, however deep.
Paths hold only digits and slashes, so a path is a LIKE pattern with nothing to escape.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gridpos.adapters.db.tables import organisations
from gridpos.adapters.db.tables.organisation import ORGANISATION_LEVELS
from gridpos.domain.errors import DomainError


class OrganisationError(DomainError):
    """An organisation that cannot be added or found.

    Codes: ``organisation_unknown``, ``organisation_code_taken``, ``organisation_level_invalid``.
    """

    code = "organisation_error"


@dataclass(frozen=True, slots=True)
class Organisation:
    """One node of the tree."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    disabled: bool


class OrganisationStore:
    """The organisation tree, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, *, code: str, name: str, level: str, parent_id: int | None) -> Organisation:
        """Add a node under ``parent_id`` (None for a root) and return it.

        Raises :class:`OrganisationError`: ``organisation_level_invalid`` for an unknown level or
        one not below the parent's; ``organisation_unknown`` for a missing parent;
        ``organisation_code_taken`` for a code already in use. Nothing is written then.
        """
        if level not in ORGANISATION_LEVELS:
            raise _level_invalid(level, allowed=ORGANISATION_LEVELS)
        parent_path = "/"
        if parent_id is not None:
            parent = self.get(parent_id)
            below = ORGANISATION_LEVELS[ORGANISATION_LEVELS.index(parent.level) + 1 :]
            if level not in below:
                raise _level_invalid(level, allowed=below)
            parent_path = parent.path
        try:
            with self._connection.begin_nested():
                new_id = self._connection.execute(
                    insert(organisations)
                    .values(code=code, name=name, level=level, parent_id=parent_id, path="")
                    .returning(organisations.c.id)
                ).scalar_one()
                path = f"{parent_path}{new_id}/"
                self._connection.execute(
                    update(organisations).where(organisations.c.id == new_id).values(path=path)
                )
        except IntegrityError as exc:
            # PostgreSQL names the constraint, SQLite the column
            if any(
                name in str(exc.orig) for name in ("uq_organisations_code", "organisations.code")
            ):
                raise OrganisationError(
                    code="organisation_code_taken",
                    field="code",
                    message_zh=f"机构编码 {code} 已被使用",
                    message_en=f"the organisation code {code} is already in use",
                    details={"code": code},
                ) from exc
            raise
        return Organisation(
            id=int(new_id),
            code=code,
            name=name,
            level=level,
            parent_id=parent_id,
            path=path,
            disabled=False,
        )

    def get(self, org_id: int) -> Organisation:
        """The node ``org_id``. Raises :class:`OrganisationError` (``organisation_unknown``)."""
        row = self._connection.execute(
            select(organisations).where(organisations.c.id == org_id)
        ).first()
        if row is None:
            raise OrganisationError(
                code="organisation_unknown",
                field="org_id",
                message_zh=f"机构 {org_id} 不存在",
                message_en=f"there is no organisation {org_id}",
                details={"org_id": org_id},
            )
        return Organisation(
            id=int(row.id),
            code=row.code,
            name=row.name,
            level=row.level,
            parent_id=row.parent_id,
            path=row.path,
            disabled=bool(row.disabled),
        )

    def subtree_ids(self, root_id: int) -> list[int]:
        """The ids of ``root_id`` and every node below it, in id order.

        Raises :class:`OrganisationError` (``organisation_unknown``).
        """
        root = self.get(root_id)
        return [
            int(org_id)
            for org_id in self._connection.execute(
                select(organisations.c.id)
                .where(organisations.c.path.like(f"{root.path}%"))
                .order_by(organisations.c.id)
            ).scalars()
        ]

    def in_subtree(self, column: ColumnElement[int], root_id: int) -> ColumnElement[bool]:
        """A condition: ``column`` (an organisation id) lies in the subtree of ``root_id``.

        For scoping queries of other tables, e.g. ``customers.c.station_org_id``.
        Raises :class:`OrganisationError` (``organisation_unknown``).
        """
        root = self.get(root_id)
        return column.in_(
            select(organisations.c.id).where(organisations.c.path.like(f"{root.path}%"))
        )


def _level_invalid(level: str, *, allowed: tuple[str, ...]) -> OrganisationError:
    return OrganisationError(
        code="organisation_level_invalid",
        field="level",
        message_zh=f"机构层级 {level} 不正确，可选：{'、'.join(allowed) or '无'}",
        message_en=(
            f"the level {level} is not allowed here; allowed: {', '.join(allowed) or 'none'}"
        ),
        details={"level": level, "allowed": list(allowed)},
    )
