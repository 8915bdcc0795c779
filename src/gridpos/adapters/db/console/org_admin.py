"""Admin queries of the organisation tree: one page of a subtree, rename, move, disable.

Adding a node is :meth:`~gridpos.adapters.db.organisations.OrganisationStore.add`. A subtree page
is ordered by ``path``: since ``/`` sorts before every digit, that order lists each node right
before its descendants (a pre-order walk of the tree), so a page of it reads as a tree. On
PostgreSQL the order is taken in the "C" collation, where punctuation is not ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal, or_, select, update
from sqlalchemy.orm import aliased

from gridpos.adapters.db.tables import organisations


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    """A node as the tree page shows it."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    parent_name: str | None
    path: str
    disabled: bool

    @property
    def depth(self) -> int:
        """How many nodes lie above this one in the whole tree (0 for a root)."""
        return self.path.count("/") - 2


def _row(row: Any) -> OrganisationRow:
    return OrganisationRow(
        id=int(row.id),
        code=row.code,
        name=row.name,
        level=row.level,
        parent_id=None if row.parent_id is None else int(row.parent_id),
        parent_name=row.parent_name,
        path=row.path,
        disabled=bool(row.disabled),
    )


class OrganisationAdmin:
    """The organisation tree for the console, through one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _path_order(self) -> ColumnElement[str]:
        if self._connection.dialect.name == "postgresql":
            return organisations.c.path.collate("C")
        return organisations.c.path

    def page(
        self,
        *,
        root_path: str,
        search: str | None,
        level: str | None,
        disabled: bool | None,
        offset: int,
        limit: int,
    ) -> tuple[list[OrganisationRow], int]:
        """One page of the subtree at ``root_path`` in tree order, and how many nodes match.

        ``search`` matches code or name anywhere (case-insensitive); ``level`` and ``disabled``
        filter when given.
        """
        parent = aliased(organisations)
        conditions: list[ColumnElement[bool]] = [organisations.c.path.startswith(root_path)]
        if search:
            conditions.append(
                or_(
                    organisations.c.code.icontains(search, autoescape=True),
                    organisations.c.name.icontains(search, autoescape=True),
                )
            )
        if level:
            conditions.append(organisations.c.level == level)
        if disabled is not None:
            conditions.append(organisations.c.disabled.is_(disabled))
        total = int(
            self._connection.execute(
                select(func.count()).select_from(organisations).where(*conditions)
            ).scalar_one()
        )
        rows = self._connection.execute(
            select(
                organisations.c.id,
                organisations.c.code,
                organisations.c.name,
                organisations.c.level,
                organisations.c.parent_id,
                parent.c.name.label("parent_name"),
                organisations.c.path,
                organisations.c.disabled,
            )
            .select_from(organisations.outerjoin(parent, parent.c.id == organisations.c.parent_id))
            .where(*conditions)
            .order_by(self._path_order())
            .offset(offset)
            .limit(limit)
        )
        return [_row(row) for row in rows], total

    def by_code(self, code: str) -> OrganisationRow | None:
        """The node with ``code``, or None."""
        return self._one(organisations.c.code == code)

    def by_id(self, org_id: int) -> OrganisationRow | None:
        """The node ``org_id``, or None."""
        return self._one(organisations.c.id == org_id)

    def _one(self, condition: ColumnElement[bool]) -> OrganisationRow | None:
        parent = aliased(organisations)
        row = self._connection.execute(
            select(
                organisations.c.id,
                organisations.c.code,
                organisations.c.name,
                organisations.c.level,
                organisations.c.parent_id,
                parent.c.name.label("parent_name"),
                organisations.c.path,
                organisations.c.disabled,
            )
            .select_from(organisations.outerjoin(parent, parent.c.id == organisations.c.parent_id))
            .where(condition)
        ).first()
        return None if row is None else _row(row)

    def choices(self, *, root_path: str, limit: int) -> list[OrganisationRow]:
        """Enabled nodes of the subtree in tree order (for pickers), at most ``limit``."""
        rows, _ = self.page(
            root_path=root_path, search=None, level=None, disabled=False, offset=0, limit=limit
        )
        return rows

    def enabled_children(self, org_id: int) -> int:
        """How many enabled nodes sit directly below ``org_id``."""
        return int(
            self._connection.execute(
                select(func.count())
                .select_from(organisations)
                .where(organisations.c.parent_id == org_id)
                .where(organisations.c.disabled.is_(False))
            ).scalar_one()
        )

    def rename(self, org_id: int, *, name: str) -> None:
        """Give the node a new name."""
        self._connection.execute(
            update(organisations).where(organisations.c.id == org_id).values(name=name)
        )

    def set_disabled(self, org_id: int, *, disabled: bool) -> None:
        """Disable or enable the node."""
        self._connection.execute(
            update(organisations).where(organisations.c.id == org_id).values(disabled=disabled)
        )

    def move(self, org_id: int, *, old_path: str, new_parent_id: int, new_parent_path: str) -> int:
        """Hang the node ``org_id`` (at ``old_path``) and its subtree under ``new_parent_id``;
        how many paths were rewritten. The caller has checked that the new parent lies outside
        the subtree."""
        new_path = f"{new_parent_path}{org_id}/"
        self._connection.execute(
            update(organisations)
            .where(organisations.c.id == org_id)
            .values(parent_id=new_parent_id)
        )
        result = self._connection.execute(
            update(organisations)
            .where(organisations.c.path.startswith(old_path))
            .values(path=literal(new_path) + func.substr(organisations.c.path, len(old_path) + 1))
        )
        return int(result.rowcount)
