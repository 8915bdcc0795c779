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


def yyyymm(column: str) -> str:
    """SQL that holds when ``column`` is a billing month ``YYYYMM`` (years 1000–2999).

    Character by character with IN lists rather than ranges, so no collation can bend it and
    both databases read it alike.
    """
    digits = ", ".join(f"'{d}'" for d in range(10))
    months = ", ".join(f"'{m:02d}'" for m in range(1, 13))
    return (
        f"length({column}) = 6 AND substr({column}, 1, 1) IN ('1', '2')"
        f" AND substr({column}, 2, 1) IN ({digits}) AND substr({column}, 3, 1) IN ({digits})"
        f" AND substr({column}, 4, 1) IN ({digits}) AND substr({column}, 5, 2) IN ({months})"
    )
