"""Pages of the customer replica for the offline arrears download, with their open receivables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, literal, select

from gridpos.adapters.db.payment_store.records import CustomerRecord, ReceivableRecord
from gridpos.adapters.db.tables import customers, organisations, receivables


class CustomerStore:
    """The customer replica, through one connection (a unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def organisation_path(self, code: str) -> str | None:
        """The path of the organisation with ``code``, or None."""
        return self._connection.execute(
            select(organisations.c.path).where(organisations.c.code == code)
        ).scalar_one_or_none()

    def page(
        self,
        *,
        county_path: str,
        org_path: str | None,
        segment: str | None,
        after: str | None,
        limit: int,
    ) -> list[CustomerRecord]:
        """Up to ``limit`` customers of the county after customer number ``after``, in number
        order: those under the organisation ``org_path``, or of the meter-reading segment
        ``segment``."""
        query = (
            select(
                customers.c.id,
                customers.c.account_no,
                customers.c.name,
                customers.c.address,
                customers.c.category,
                customers.c.station_org_id,
                customers.c.prepaid,
                customers.c.rounding_credit,
                customers.c.mis_updated_at,
            )
            .select_from(
                customers.join(organisations, organisations.c.id == customers.c.station_org_id)
            )
            .where(organisations.c.path.like(literal(county_path) + "%"))
            .order_by(customers.c.account_no)
            .limit(limit)
        )
        if org_path is not None:
            query = query.where(organisations.c.path.like(literal(org_path) + "%"))
        if segment is not None:
            query = query.where(customers.c.segment == segment)
        if after is not None:
            query = query.where(customers.c.account_no > after)
        return [
            CustomerRecord(
                id=int(row.id),
                account_no=row.account_no,
                name=row.name,
                address=row.address,
                category=row.category,
                station_org_id=int(row.station_org_id),
                prepaid=int(row.prepaid),
                rounding_credit=int(row.rounding_credit),
                mis_updated_at=row.mis_updated_at,
                in_county=True,
            )
            for row in self._connection.execute(query)
        ]

    def open_receivables(self, customer_ids: Sequence[int]) -> dict[int, list[ReceivableRecord]]:
        """The open receivables of each customer, oldest first."""
        found: dict[int, list[ReceivableRecord]] = {customer_id: [] for customer_id in customer_ids}
        if not customer_ids:
            return found
        rows = self._connection.execute(
            select(receivables)
            .where(receivables.c.customer_id.in_(list(customer_ids)))
            .where(receivables.c.principal_paid < receivables.c.principal)
            .order_by(receivables.c.period, receivables.c.run_no, receivables.c.id)
        )
        for row in rows:
            found[int(row.customer_id)].append(
                ReceivableRecord(
                    id=int(row.id),
                    period=row.period,
                    run_no=int(row.run_no),
                    kwh=int(row.kwh),
                    principal=int(row.principal),
                    principal_paid=int(row.principal_paid),
                    due_date=row.due_date,
                )
            )
        return found
