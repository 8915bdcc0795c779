"""What the console's use cases are given: the database, the clock, the password hasher, the
numbers of the sign-in policy and the MIS client. Built once per process and shared by every
request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import Engine

from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.adapters.mis import MisClient
from gridpos.application.ports import Clock


@dataclass(frozen=True, slots=True)
class ConsolePolicy:
    """Lockout, session lifetimes and list sizes."""

    max_failed_attempts: int = 5
    lockout: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=12)  # absolute, from sign-in
    session_idle: timedelta = timedelta(hours=2)  # since the last request
    touch_every: timedelta = timedelta(minutes=5)  # how stale last_seen_at may get
    keep_ended_sessions: timedelta = timedelta(days=30)  # then their rows are deleted
    keep_form_tokens: timedelta = timedelta(days=2)  # a form older than this acts again
    page_size: int = 20
    tree_page_size: int = 50


@dataclass(frozen=True, slots=True)
class ConsoleServices:
    """The shared collaborators of the console's use cases."""

    engine: Engine
    clock: Clock
    passwords: PasswordHasher = field(default_factory=PasswordHasher)
    policy: ConsolePolicy = field(default_factory=ConsolePolicy)
    mis: MisClient | None = None  # the MIS's daily posting report (MIS进账); None: not configured

    def writing(self) -> SqlUnitOfWork:
        """A unit of work that will write."""
        return SqlUnitOfWork(self.engine, write=True)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work that only reads."""
        return SqlUnitOfWork(self.engine, write=False)
