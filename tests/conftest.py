"""Shared fixtures: a fresh database per test module on SQLite and on the machine's PostgreSQL.

Each run creates its own PostgreSQL databases and drops them afterwards. Under CI=true an
unreachable PostgreSQL fails the run instead of skipping the PostgreSQL half.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

PG_ADMIN_DSN = os.environ.get(
    "GRIDPOS_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def _pg_url(dbname: str) -> str:
    params = dict(part.split("=", 1) for part in PG_ADMIN_DSN.split())
    host = params.get("host", "127.0.0.1")
    port = params.get("port", "5432")
    user = params.get("user", "postgres")
    return f"postgresql+psycopg://{user}@{host}:{port}/{dbname}"


def _create_pg_database() -> tuple[str, str]:
    name = f"gridpos_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, _pg_url(name)


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_available() -> None:
    problem = _pg_reachable()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true and is unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")


@pytest.fixture
def make_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], str]]:
    """A factory of fresh, empty databases of the given kind ("sqlite" or "postgresql")."""
    created: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'db-{len(created)}-{uuid.uuid4().hex[:6]}.sqlite'}"
        if kind == "postgresql":
            request.getfixturevalue("pg_available")
            name, url = _create_pg_database()
            created.append(name)
            return url
        raise ValueError(kind)

    yield make
    for name in created:
        _drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over both databases."""
    return str(request.param)


@pytest.fixture
def empty_database_url(database_kind: str, make_database_url: Callable[[str], str]) -> str:
    """A fresh, empty database (no tables) of each kind."""
    return make_database_url(database_kind)
