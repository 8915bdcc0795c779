"""The one MetaData of the server's tables and the column types they share.

The naming convention makes every constraint and index name the same on SQLite and PostgreSQL
and in the migrations, so a refused write can be recognised by the name of the constraint it broke.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    TypeDecorator,
    text,
)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")

# Money is integer fen, always.
Fen = BigInteger

# the empty string as a server default, written so that both databases reflect it back the same
EMPTY = text("''")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC, read back aware (UTC) on both databases.

    SQLite has no time zones: the value is stored as naive UTC text and given UTC back on reading.
    Binding a naive datetime raises ``ValueError``: the application always passes aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware")
        in_utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return in_utc.replace(tzinfo=None)
        return in_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def one_of(column: str, values: Iterable[str], *, name: str) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (an enumeration kept as text)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
