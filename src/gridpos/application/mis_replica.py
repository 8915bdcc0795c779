"""Writing what the MIS says into the replica of customers and receivables.

The MIS owns customers and bills; the server owns its ledger. Two rules keep both true at once:

- The kept balances (``customers.prepaid`` and ``rounding_credit``, ``receivables.principal_paid``
  and ``penalty_paid``) move only with the ledger. Nothing here touches them.
- ``receivables.principal`` is what the server can collect on a bill: the MIS's bill less what was
  paid on it **through other channels** (a bank, a service hall). The MIS's own figures are kept
  beside it (``mis_principal``, ``mis_principal_paid``: every channel, ours included), and::

      paid elsewhere = max(0, mis_principal_paid − ours in the MIS)
      principal      = max(mis_principal − paid elsewhere, principal_paid)

  where *ours in the MIS* is the principal our payments put on the receivable that the MIS holds
  (payments whose ``mis_state`` is ``posted``, or ``undo_pending`` once their post was delivered).
  So the open principal the terminal sees, ``principal − principal_paid``, is the MIS's open
  principal less our payments not yet posted. The figure is recomputed whenever either side
  moves: when a sync or an account refresh brings the MIS's figures, and when the outbox worker
  learns the MIS took or undid one of our payments. A sync page read just before the worker's
  mark can leave it off by that payment until the next change of the receivable arrives (the MIS
  stamps every posting and undo on the receivable), which the next sync brings within its
  interval.

A receivable the MIS already shows fully paid, that the replica never had, is not copied: there is
nothing left to collect on it and the MIS keeps its history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final

from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    update,
)

from gridpos.adapters.db.tables import (
    customers,
    organisations,
    outbox,
    payment_allocations,
    payments,
    receivables,
)
from gridpos.domain.errors import DomainError

# Business dates are Beijing time; China keeps no daylight saving time.
CHINA_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
POST_TOPIC: Final = "mis.post"  # outbox_delivery.TOPIC_POST (that package imports this one)
_CHUNK: Final = 500  # ids per IN list


class ReplicaError(DomainError):
    """What the MIS sent cannot go into the replica; nothing of it was written.

    Codes: ``station_unknown`` (a customer of a supply station the server has not imported: run
    ``gridpos org import-mis``).
    """

    code = "replica_error"


@dataclass(frozen=True, slots=True)
class CustomerFields:
    """A customer as the MIS describes it; ``None`` leaves the replica's value as it is."""

    account_no: str
    name: str
    address: str
    category: str
    station_code: str
    segment: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivableFields:
    """A receivable as the MIS describes it: the bill and the principal paid on it so far."""

    account_no: str
    period: str
    run_no: int
    kwh: int
    principal: int
    principal_paid: int
    due_date: date


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """Rows of the replica inserted and updated, and MIS rows left out."""

    inserted: int = 0
    updated: int = 0
    skipped: int = 0


def mis_receivable_id(account_no: str, period: str, run_no: int) -> str:
    """The replica's key of an MIS receivable: ``<account>-<period>-<run>``."""
    return f"{account_no}-{period}-{run_no}"


def local_account_nos(connection: Connection, account_nos: Iterable[str]) -> set[str]:
    """Those of ``account_nos`` the replica already holds."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(account_nos))):
        found.update(
            connection.execute(
                select(customers.c.account_no).where(customers.c.account_no.in_(chunk))
            ).scalars()
        )
    return found


def write_customers(
    connection: Connection, records: Sequence[CustomerFields], *, now: datetime
) -> WriteCounts:
    """Insert or update customers (names, address, category, station, segment, status).

    Raises :class:`ReplicaError` (``station_unknown``) when a customer's station has not been
    imported; the caller's transaction should then be rolled back.
    """
    if not records:
        return WriteCounts()
    latest = {record.account_no: record for record in records}  # the last word per account
    stations = _station_ids(connection, {r.station_code for r in latest.values()})
    existing = _ids_by(connection, customers.c.account_no, customers.c.id, latest)
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for account_no, record in latest.items():
        values: dict[str, Any] = {
            "name": record.name,
            "address": record.address,
            "category": record.category,
            "station_org_id": stations[record.station_code],
            "segment": record.segment,
            "mis_status": record.status,
            "mis_updated_at": now,
        }
        customer_id = existing.get(account_no)
        if customer_id is None:
            new_rows.append({"account_no": account_no, **values})
        else:
            changed_rows.append({"b_id": customer_id, **values})
    if new_rows:
        connection.execute(insert(customers), new_rows)
    keep_when_none = ("segment", "mis_status")
    for row in changed_rows:
        # one statement shape per set of columns, so executemany can batch them
        for column in keep_when_none:
            if row[column] is None:
                row.pop(column)
    for shape, rows in _by_shape(changed_rows).items():
        statement = (
            update(customers)
            .where(customers.c.id == bindparam("b_id"))
            .values({column: bindparam(column) for column in shape})
        )
        connection.execute(statement, rows)
    return WriteCounts(inserted=len(new_rows), updated=len(changed_rows))


def write_receivables(
    connection: Connection, records: Sequence[ReceivableFields], *, now: datetime
) -> WriteCounts:
    """Insert or update receivables of customers already in the replica, and recompute what is
    left to collect on each (see the module docstring). Receivables of customers the replica does
    not hold, and fully paid ones it never had, are skipped."""
    if not records:
        return WriteCounts()
    latest = {
        mis_receivable_id(r.account_no, r.period, r.run_no): r for r in records
    }  # the last word per receivable
    customer_ids = _ids_by(
        connection, customers.c.account_no, customers.c.id, {r.account_no for r in latest.values()}
    )
    existing = _locked_receivables(connection, receivables.c.mis_receivable_id, list(latest))
    ours = _ours_in_mis(connection, [int(row.id) for row in existing.values()])
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    skipped = 0
    for key, record in latest.items():
        row = existing.get(key)
        if row is None:
            customer_id = customer_ids.get(record.account_no)
            if customer_id is None or record.principal_paid >= record.principal:
                skipped += 1
                continue
            principal = record.principal - record.principal_paid
            new_rows.append(
                {
                    "mis_receivable_id": key,
                    "customer_id": customer_id,
                    "period": record.period,
                    "run_no": record.run_no,
                    "kwh": record.kwh,
                    "principal": principal,
                    "due_date": record.due_date,
                    "settle_state": settle_state(principal=principal, principal_paid=0),
                    "mis_principal": record.principal,
                    "mis_principal_paid": record.principal_paid,
                    "mis_updated_at": now,
                }
            )
            continue
        principal = collectable_principal(
            mis_principal=record.principal,
            mis_principal_paid=record.principal_paid,
            ours_in_mis=ours.get(int(row.id), 0),
            principal_paid=int(row.principal_paid),
        )
        changed_rows.append(
            {
                "b_id": int(row.id),
                "kwh": record.kwh,
                "due_date": record.due_date,
                "principal": principal,
                "settle_state": settle_state(
                    principal=principal,
                    principal_paid=int(row.principal_paid),
                    penalty_paid=int(row.penalty_paid),
                ),
                "mis_principal": record.principal,
                "mis_principal_paid": record.principal_paid,
                "mis_updated_at": now,
            }
        )
    if new_rows:
        connection.execute(insert(receivables), new_rows)
    if changed_rows:
        connection.execute(
            update(receivables)
            .where(receivables.c.id == bindparam("b_id"))
            .values({column: bindparam(column) for column in changed_rows[0] if column != "b_id"}),
            changed_rows,
        )
    return WriteCounts(inserted=len(new_rows), updated=len(changed_rows), skipped=skipped)


def settle_open_receivables_except(
    connection: Connection, *, account_no: str, open_keys: Iterable[str], now: datetime
) -> int:
    """Record that the MIS shows every other receivable of the account fully paid (its arrears
    list only open ones), and recompute what is left to collect on them; the count changed."""
    keep = set(open_keys)
    rows = connection.execute(
        select(receivables.c.id, receivables.c.mis_receivable_id, receivables.c.mis_principal)
        .join(customers, customers.c.id == receivables.c.customer_id)
        .where(
            customers.c.account_no == account_no,
            receivables.c.mis_principal.is_not(None),
            receivables.c.mis_principal_paid < receivables.c.mis_principal,
        )
    ).all()
    gone = [row for row in rows if row.mis_receivable_id not in keep]
    if not gone:
        return 0
    connection.execute(
        update(receivables)
        .where(receivables.c.id == bindparam("b_id"))
        .values(mis_principal_paid=bindparam("paid"), mis_updated_at=bindparam("at")),
        [{"b_id": int(row.id), "paid": int(row.mis_principal), "at": now} for row in gone],
    )
    return recompute_principal(connection, [int(row.id) for row in gone])


def recompute_principal(connection: Connection, receivable_ids: Sequence[int]) -> int:
    """Recompute what is left to collect on receivables from the MIS figures they hold and the
    state of our payments now (locking them on PostgreSQL); return how many changed."""
    rows = _locked_receivables(connection, receivables.c.id, receivable_ids)
    rows = {key: row for key, row in rows.items() if row.mis_principal is not None}
    ours = _ours_in_mis(connection, [int(row.id) for row in rows.values()])
    changed: list[dict[str, Any]] = []
    for row in rows.values():
        principal = collectable_principal(
            mis_principal=int(row.mis_principal),
            mis_principal_paid=int(row.mis_principal_paid),
            ours_in_mis=ours.get(int(row.id), 0),
            principal_paid=int(row.principal_paid),
        )
        if principal != row.principal:
            changed.append(
                {
                    "b_id": int(row.id),
                    "principal": principal,
                    "settle_state": settle_state(
                        principal=principal,
                        principal_paid=int(row.principal_paid),
                        penalty_paid=int(row.penalty_paid),
                    ),
                }
            )
    if changed:
        connection.execute(
            update(receivables)
            .where(receivables.c.id == bindparam("b_id"))
            .values(principal=bindparam("principal"), settle_state=bindparam("settle_state")),
            changed,
        )
    return len(changed)


def collectable_principal(
    *, mis_principal: int, mis_principal_paid: int, ours_in_mis: int, principal_paid: int
) -> int:
    """The bill less what was paid on it elsewhere, never below what we collected on it.

    Example: a bill of 120.00 yuan, 50.00 paid at a bank and 30.00 by us and posted: the MIS shows
    80.00 paid, ours in the MIS is 30.00, so 50.00 was paid elsewhere and 70.00 is ours to collect
    (30.00 of it collected already).
    """
    paid_elsewhere = max(0, mis_principal_paid - ours_in_mis)
    return max(mis_principal - paid_elsewhere, principal_paid, 0)


def settle_state(*, principal: int, principal_paid: int, penalty_paid: int = 0) -> str:
    """欠费 / 部分结清 / 全部结清 as the ledger store sets it when money moves."""
    if principal_paid >= principal:
        return "settled"
    return "unpaid" if principal_paid + penalty_paid == 0 else "partial"


# ---- reading helpers ----------------------------------------------------------------------


def _station_ids(connection: Connection, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        for row in connection.execute(
            select(organisations.c.code, organisations.c.id).where(
                organisations.c.code.in_(chunk), organisations.c.level == "station"
            )
        ):
            found[row.code] = int(row.id)
    missing = sorted(codes - found.keys())
    if missing:
        raise ReplicaError(
            code="station_unknown",
            field="station_code",
            message_zh=f"供电所 {'、'.join(missing[:5])} 尚未导入：请先运行 gridpos org import-mis",
            message_en=(
                f"supply station {', '.join(missing[:5])} is not imported:"
                " run `gridpos org import-mis` first"
            ),
            details={"station_codes": missing[:20]},
        )
    return found


def _ids_by(
    connection: Connection, key_column: Any, id_column: Any, keys: Iterable[str]
) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(keys))):
        for key, row_id in connection.execute(
            select(key_column, id_column).where(key_column.in_(chunk))
        ):
            found[str(key)] = int(row_id)
    return found


def _locked_receivables(
    connection: Connection, key_column: Any, keys: Sequence[Any]
) -> dict[Any, Any]:
    """Receivable rows by ``key_column``, locked for the transaction on PostgreSQL (in id order,
    the order every writer locks them in)."""
    found: dict[Any, Any] = {}
    for chunk in _chunks(sorted(set(keys))):
        query = (
            select(
                receivables.c.id,
                receivables.c.mis_receivable_id,
                receivables.c.principal,
                receivables.c.principal_paid,
                receivables.c.penalty_paid,
                receivables.c.mis_principal,
                receivables.c.mis_principal_paid,
            )
            .where(key_column.in_(chunk))
            .order_by(receivables.c.id)
            .with_for_update()
        )
        for row in connection.execute(query):
            found[row._mapping[key_column]] = row
    return found


def _ours_in_mis(connection: Connection, receivable_ids: Sequence[int]) -> Mapping[int, int]:
    """Principal our payments put on each receivable that the MIS holds."""
    a, p = payment_allocations, payments
    # an undo waiting for delivery leaves the posting in the MIS only if the post went first
    post_delivered = (
        select(outbox.c.id)
        .where(
            outbox.c.topic == POST_TOPIC,
            outbox.c.state == "sent",
            or_(outbox.c.aggregate_id == p.c.txn_id, outbox.c.aggregate_id == cast(p.c.id, String)),
        )
        .exists()
    )
    in_mis = or_(p.c.mis_state == "posted", and_(p.c.mis_state == "undo_pending", post_delivered))
    found: dict[int, int] = {}
    for chunk in _chunks(sorted(set(receivable_ids))):
        query = (
            select(a.c.receivable_id, func.sum(a.c.principal_paid))
            .join(p, and_(p.c.id == a.c.payment_id, in_mis))
            .where(a.c.receivable_id.in_(chunk))
            .group_by(a.c.receivable_id)
        )
        for receivable_id, total in connection.execute(query):
            found[int(receivable_id)] = int(total or 0)
    return found


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _by_shape(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shape = tuple(sorted(column for column in row if column != "b_id"))
        shapes.setdefault(shape, []).append(row)
    return shapes
