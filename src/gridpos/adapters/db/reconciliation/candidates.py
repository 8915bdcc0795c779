"""The records behind the candidates of a match: what the classifier and the run's differences
are made of. Read by primary key (or, for a record with no partner in the run, by transaction id
wherever it lies), in chunks so no statement grows without bound."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import BigInteger, Connection, String, and_, any_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from gridpos.adapters.db.tables import (
    batch_upload_items,
    batches,
    customers,
    organisations,
    outbox,
    payment_undos,
    payments,
    reconciliation_mis_lines,
    reversal_tombstones,
    terminals,
)

CHUNK: Final = 4_000  # bound parameters per statement stay far below SQLite's 32,766
POST_TOPIC: Final = "mis.post"
UNDO_TOPICS: Final = ("mis.reverse", "mis.cancel")
T = TypeVar("T")


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` a slice of at most ``size`` at a time."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(connection: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column`` is one of ``values``: one array parameter (``= ANY``) on PostgreSQL — the
    driver reads a statement with thousands of placeholders slowly — an ``IN`` list elsewhere."""
    if connection.dialect.name == "postgresql":
        kind = String() if isinstance(values[0], str) else BigInteger()
        return column == any_(bindparam(None, list(values), type_=ARRAY(kind)))
    return column.in_(list(values))


def among_pairs(
    connection: Connection, columns: tuple[Any, Any], pairs: Sequence[tuple[int, str]]
) -> Any:
    """(``columns``) is one of ``pairs`` (terminal id, transaction id): two arrays zipped by
    ``unnest`` on PostgreSQL, a row-value ``IN`` list elsewhere."""
    if connection.dialect.name == "postgresql":
        firsts = bindparam(None, [a for a, _b in pairs], type_=ARRAY(BigInteger()))
        seconds = bindparam(None, [b for _a, b in pairs], type_=ARRAY(String()))
        return tuple_(*columns).in_(select(func.unnest(firsts), func.unnest(seconds)))
    return tuple_(*columns).in_(list(pairs))


@dataclass(frozen=True, slots=True)
class PaymentSide:
    """Our payment, with what the comparisons need of it."""

    id: int
    txn_id: str
    terminal_id: int
    terminal_no: str
    agent_id: int
    org_path: str
    account_no: str
    cash: int
    state: str
    business_date: date
    batch_no: int | None
    offline: bool
    mis_state: str
    undo_kind: str | None
    undo_date: date | None
    batch_state: str | None
    post_in_flight: bool = False
    undo_in_flight: bool = False


@dataclass(frozen=True, slots=True)
class JournalSide:
    """One uploaded journal row, with its batch and terminal."""

    id: int
    txn_id: str
    terminal_id: int
    terminal_no: str
    agent_id: int | None
    org_path: str
    batch_id: int
    batch_no: int
    business_date: date
    operator_id: int | None
    trace_no: int
    account_no: str
    cash: int
    state: str
    cash_time: datetime
    offline: bool
    tombstoned: bool


@dataclass(frozen=True, slots=True)
class MisSide:
    """One posting of the MIS load."""

    id: int
    payment_id: str
    serial: str
    account_no: str
    amount: int
    state: str
    business_date: date
    terminal_id: int | None
    agent_id: int | None
    org_path: str | None


_PAYMENT_COLUMNS: Final = (
    payments.c.id,
    payments.c.txn_id,
    payments.c.terminal_id,
    terminals.c.terminal_no,
    payments.c.agent_id,
    organisations.c.path,
    customers.c.account_no,
    payments.c.cash,
    payments.c.state,
    payments.c.business_date,
    payments.c.batch_no,
    payments.c.offline,
    payments.c.mis_state,
    payment_undos.c.kind.label("undo_kind"),
    payment_undos.c.business_date.label("undo_date"),
    batches.c.state.label("batch_state"),
)


def _payment_query() -> Any:
    return (
        select(*_PAYMENT_COLUMNS)
        .select_from(payments)
        .join(terminals, terminals.c.id == payments.c.terminal_id)
        .join(organisations, organisations.c.id == payments.c.org_id)
        .join(customers, customers.c.id == payments.c.customer_id)
        .outerjoin(payment_undos, payment_undos.c.payment_id == payments.c.id)
        .outerjoin(
            batches,
            and_(
                batches.c.terminal_id == payments.c.terminal_id,
                batches.c.business_date == payments.c.business_date,
                batches.c.batch_no == payments.c.batch_no,
            ),
        )
    )


def _in_flight(connection: Connection, rows: Sequence[Any]) -> tuple[set[int], set[int]]:
    """The payments among ``rows`` with a post, and with an undo, still waiting in the outbox."""
    by_aggregate: dict[str, int] = {}
    for row in rows:
        by_aggregate[row.txn_id] = int(row.id)
        by_aggregate[str(row.id)] = int(row.id)
    posts: set[int] = set()
    undos: set[int] = set()
    for part in chunks(list(by_aggregate)):
        found = connection.execute(
            select(outbox.c.topic, outbox.c.aggregate_id).where(
                outbox.c.state == "pending",
                outbox.c.topic.in_((POST_TOPIC, *UNDO_TOPICS)),
                among(connection, outbox.c.aggregate_id, part),
            )
        )
        for topic, aggregate in found:
            (posts if topic == POST_TOPIC else undos).add(by_aggregate[aggregate])
    return posts, undos


def _sides(connection: Connection, rows: Sequence[Any]) -> dict[int, PaymentSide]:
    posts, undos = _in_flight(connection, rows) if rows else (set(), set())
    return {
        int(row.id): _payment(row, post=int(row.id) in posts, undo=int(row.id) in undos)
        for row in rows
    }


def _payment(row: Any, *, post: bool, undo: bool) -> PaymentSide:
    return PaymentSide(
        id=int(row.id),
        txn_id=row.txn_id,
        terminal_id=int(row.terminal_id),
        terminal_no=row.terminal_no,
        agent_id=int(row.agent_id),
        org_path=row.path,
        account_no=row.account_no,
        cash=int(row.cash),
        state=row.state,
        business_date=row.business_date,
        batch_no=row.batch_no,
        offline=bool(row.offline),
        mis_state=row.mis_state,
        undo_kind=row.undo_kind,
        undo_date=row.undo_date,
        batch_state=row.batch_state,
        post_in_flight=post,
        undo_in_flight=undo,
    )


def payments_by_id(connection: Connection, ids: Iterable[int]) -> dict[int, PaymentSide]:
    """The payments ``ids``, by id."""
    rows: list[Any] = []
    for part in chunks(sorted(set(ids))):
        rows.extend(
            connection.execute(_payment_query().where(among(connection, payments.c.id, part)))
        )
    return _sides(connection, rows)


def payments_by_txn(
    connection: Connection, keys: Iterable[tuple[int | None, str]]
) -> dict[str, PaymentSide]:
    """The payments of these (terminal id, transaction id) pairs wherever their business date
    lies — a record with no partner in the run may have one outside it. A pair without a
    terminal is looked up by transaction id alone."""
    pairs = sorted({(t, txn) for t, txn in keys if t is not None})
    loose = sorted({txn for t, txn in keys if t is None})
    rows: list[Any] = []
    for part in chunks(pairs):
        query = _payment_query().where(
            among_pairs(connection, (payments.c.terminal_id, payments.c.txn_id), part)
        )
        rows.extend(connection.execute(query))
    for part_loose in chunks(loose):
        rows.extend(
            connection.execute(
                _payment_query().where(among(connection, payments.c.txn_id, part_loose))
            )
        )
    return {side.txn_id: side for side in _sides(connection, rows).values()}


_JOURNAL_COLUMNS: Final = (
    batch_upload_items.c.id,
    batch_upload_items.c.txn_id,
    batches.c.terminal_id,
    terminals.c.terminal_no,
    terminals.c.agent_id,
    organisations.c.path,
    batches.c.id.label("batch_id"),
    batches.c.batch_no,
    batches.c.business_date,
    batches.c.operator_id,
    batch_upload_items.c.trace_no,
    batch_upload_items.c.account_no,
    batch_upload_items.c.cash,
    batch_upload_items.c.state,
    batch_upload_items.c.cash_time,
    batch_upload_items.c.offline,
    reversal_tombstones.c.id.label("tombstone_id"),
)


def journal_by_id(connection: Connection, ids: Iterable[int]) -> dict[int, JournalSide]:
    """The uploaded journal rows ``ids``, by id."""
    wanted = sorted(set(ids))
    found: dict[int, JournalSide] = {}
    query = (
        select(*_JOURNAL_COLUMNS)
        .select_from(batch_upload_items)
        .join(batches, batches.c.id == batch_upload_items.c.batch_id)
        .join(terminals, terminals.c.id == batches.c.terminal_id)
        .join(organisations, organisations.c.id == terminals.c.org_id)
        .outerjoin(
            reversal_tombstones,
            and_(
                reversal_tombstones.c.terminal_id == batches.c.terminal_id,
                reversal_tombstones.c.txn_id == batch_upload_items.c.txn_id,
            ),
        )
    )
    for part in chunks(wanted):
        for row in connection.execute(
            query.where(among(connection, batch_upload_items.c.id, part))
        ):
            found[int(row.id)] = JournalSide(
                id=int(row.id),
                txn_id=row.txn_id,
                terminal_id=int(row.terminal_id),
                terminal_no=row.terminal_no,
                agent_id=row.agent_id,
                org_path=row.path,
                batch_id=int(row.batch_id),
                batch_no=int(row.batch_no),
                business_date=row.business_date,
                operator_id=row.operator_id,
                trace_no=int(row.trace_no),
                account_no=row.account_no,
                cash=int(row.cash),
                state=row.state,
                cash_time=row.cash_time,
                offline=bool(row.offline),
                tombstoned=row.tombstone_id is not None,
            )
    return found


def lines_by_id(connection: Connection, ids: Iterable[int]) -> dict[int, MisSide]:
    """The MIS postings ``ids`` of a load, by id."""
    wanted = sorted(set(ids))
    found: dict[int, MisSide] = {}
    lines = reconciliation_mis_lines
    for part in chunks(wanted):
        for row in connection.execute(select(lines).where(among(connection, lines.c.id, part))):
            found[int(row.id)] = MisSide(
                id=int(row.id),
                payment_id=row.payment_id,
                serial=row.serial,
                account_no=row.account_no,
                amount=int(row.amount),
                state=row.state,
                business_date=row.business_date,
                terminal_id=row.terminal_id,
                agent_id=row.agent_id,
                org_path=row.org_path,
            )
    return found


def lines_by_payment(
    connection: Connection, load_id: int, payment_ids: Iterable[str]
) -> dict[str, MisSide]:
    """The postings of a load for these payment ids (whatever their business date)."""
    wanted = sorted(set(payment_ids))
    lines = reconciliation_mis_lines
    found: dict[str, MisSide] = {}
    for part in chunks(wanted):
        rows = connection.execute(
            select(lines).where(
                lines.c.load_id == load_id, among(connection, lines.c.payment_id, part)
            )
        )
        for row in rows:
            found[row.payment_id] = MisSide(
                id=int(row.id),
                payment_id=row.payment_id,
                serial=row.serial,
                account_no=row.account_no,
                amount=int(row.amount),
                state=row.state,
                business_date=row.business_date,
                terminal_id=row.terminal_id,
                agent_id=row.agent_id,
                org_path=row.org_path,
            )
    return found


def terminal_ids(connection: Connection, numbers: Iterable[str]) -> dict[str, int]:
    """Our terminals' ids by number."""
    wanted = sorted(set(numbers))
    found: dict[str, int] = {}
    for part in chunks(wanted):
        rows = connection.execute(
            select(terminals.c.terminal_no, terminals.c.id).where(terminals.c.terminal_no.in_(part))
        )
        found.update({number: int(terminal_id) for number, terminal_id in rows})
    return found
