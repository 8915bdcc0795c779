"""The reference MIS's own tables (SQLAlchemy Core), apart from the server's.

Money is ``BigInteger`` fen. Every customer and receivable row carries the ``change_seq`` of its
last change, drawn from the ``counters`` row ``change_seq`` (see ``refmis.changes``). Indexes
other than primary keys are separate :class:`Index` objects so the county generator can drop them
for a bulk load and build them afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    insert,
    select,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
_Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant stored in UTC (naive UTC text on SQLite) and read back aware in UTC.

    Binding a naive datetime raises ``ValueError``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware")
        in_utc = value.astimezone(UTC)
        return in_utc.replace(tzinfo=None) if dialect.name == "sqlite" else in_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


CHANGE_SEQ: Final[str] = "change_seq"
POSTING_SERIAL: Final[str] = "posting_serial"

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

stations = Table(
    "stations",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name_zh", String(32), nullable=False),
    Column("township_zh", String(32), nullable=False),
    Column("sort_order", Integer, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("account_no", String(10), primary_key=True),
    Column("name", String(32), nullable=False),
    Column("address", String(128), nullable=False),
    Column("category", String(16), nullable=False),
    Column("station_code", String(16), ForeignKey("stations.code"), nullable=False),
    Column("segment_code", String(16), nullable=False),
    Column("meter_no", String(16), nullable=False),
    Column("base_kwh", Integer, nullable=False),  # consumption profile: a typical month's kWh
    Column("prepaid", BigInteger, nullable=False),
    Column("rounding_credit", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    CheckConstraint("prepaid >= 0", name="prepaid_not_negative"),
    CheckConstraint("rounding_credit >= 0", name="rounding_not_negative"),
)
Index("ix_customers_change_seq", customers.c.change_seq, unique=True)

meter_readings = Table(
    "meter_readings",
    metadata,
    Column("account_no", String(10), ForeignKey("customers.account_no"), primary_key=True),
    Column("period", String(6), primary_key=True),
    Column("previous_reading", BigInteger, nullable=False),
    Column("reading", BigInteger, nullable=False),
    Column("kwh", Integer, nullable=False),
    Column("read_on", Date, nullable=False),
    Column("estimated", Boolean, nullable=False),
)

receivables = Table(
    "receivables",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("account_no", String(10), ForeignKey("customers.account_no"), nullable=False),
    Column("period", String(6), nullable=False),
    Column("run_no", Integer, nullable=False),
    Column("kwh", Integer, nullable=False),
    Column("free_kwh", Integer, nullable=False),
    Column("year_kwh_before", Integer, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("principal_paid", BigInteger, nullable=False),
    Column("penalty_paid", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("billed_on", Date, nullable=False),
    Column("settle_state", String(8), nullable=False),
    Column("settled_on", Date, nullable=True),
    Column("change_seq", BigInteger, nullable=False),
    CheckConstraint(
        "principal_paid >= 0 AND principal_paid <= principal", name="principal_paid_in_range"
    ),
    CheckConstraint("penalty_paid >= 0", name="penalty_paid_not_negative"),
)
Index(
    "ix_receivables_account_period_run",
    receivables.c.account_no,
    receivables.c.period,
    receivables.c.run_no,
    unique=True,
)
Index("ix_receivables_change_seq", receivables.c.change_seq, unique=True)

postings = Table(
    "postings",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("serial", String(32), nullable=False, unique=True),
    Column("payment_id", String(64), nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False),
    Column("account_no", String(10), ForeignKey("customers.account_no"), nullable=False),
    Column("station_code", String(16), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("penalty_total", BigInteger, nullable=False),
    Column("principal_total", BigInteger, nullable=False),
    Column("prepaid_used", BigInteger, nullable=False),
    Column("prepaid_added", BigInteger, nullable=False),
    Column("rounding_used", BigInteger, nullable=False),
    Column("rounding_added", BigInteger, nullable=False),
    Column("cash_date", Date, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("collection_point_id", String(64), nullable=False),
    Column("terminal_id", String(64), nullable=False),
    Column("operator_id", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("posted_at", UtcDateTime(), nullable=False),
    Column("undo_kind", String(16), nullable=True),
    Column("undo_business_date", Date, nullable=True),
    Column("undo_operator_id", String(64), nullable=True),
    Column("undo_reason", String(200), nullable=True),
    Column("undone_at", UtcDateTime(), nullable=True),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
)
Index("ix_postings_business_date", postings.c.business_date)
Index("ix_postings_undo_business_date", postings.c.undo_business_date)

posting_lines = Table(
    "posting_lines",
    metadata,
    Column("posting_id", _Id, ForeignKey("postings.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("receivable_id", _Id, ForeignKey("receivables.id"), nullable=False),
    Column("period", String(6), nullable=False),
    Column("run_no", Integer, nullable=False),
    Column("penalty", BigInteger, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("settle_state_after", String(8), nullable=False),
)


def create_schema(engine: Engine) -> None:
    """Create every table that is missing and the counters they start from (idempotent)."""
    metadata.create_all(engine, checkfirst=True)
    with engine.begin() as connection:
        present = {row[0] for row in connection.execute(select(counters.c.name))}
        for name in (CHANGE_SEQ, POSTING_SERIAL):
            if name not in present:
                connection.execute(insert(counters).values(name=name, value=0))
