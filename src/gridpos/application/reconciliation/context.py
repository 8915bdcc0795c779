"""What the reconciliation use cases are given: the database, the clock, the MIS (when there is
one) and the rules a payment confirmed from a terminal's journal is priced with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Protocol

from sqlalchemy import Engine

from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.mis_replica import CHINA_TIME
from gridpos.application.parameters import ParameterCache
from gridpos.application.ports import Clock
from gridpos.domain.penalty import PenaltyRules, default_penalty_rules
from gridpos.protocol.mis import PostingReport, PostingResult, UndoKind, UndoRequest, UndoResult


class MisReader(Protocol):
    """What reconciliation asks of the MIS (:class:`gridpos.adapters.mis.MisClient` does it all).

    Every call raises :class:`gridpos.adapters.mis.MisError` when the MIS cannot answer.
    """

    def posting_report(
        self, business_date: date, *, timeout_s: float | None = None
    ) -> PostingReport: ...

    def reconciliation_file(
        self, business_date: date, *, timeout_s: float | None = None
    ) -> bytes: ...

    def find_posting(
        self, payment_id: str, *, timeout_s: float | None = None
    ) -> PostingResult | None: ...

    def undo_posting(
        self,
        payment_id: str,
        request: UndoRequest,
        *,
        kind: UndoKind,
        timeout_s: float | None = None,
    ) -> UndoResult: ...


@dataclass(frozen=True, slots=True)
class ReconciliationServices:
    """The collaborators of the reconciliation use cases."""

    engine: Engine
    clock: Clock
    parameters: ParameterCache
    mis: MisReader | None = None
    county_tz: tzinfo = CHINA_TIME
    penalty_rules: PenaltyRules = field(default_factory=default_penalty_rules)

    @classmethod
    def build(
        cls, *, engine: Engine, clock: Clock, mis: MisReader | None = None
    ) -> ReconciliationServices:
        """Services with the default rules and a parameter cache on ``clock``."""
        return cls(engine=engine, clock=clock, parameters=ParameterCache(now=clock.now), mis=mis)

    @classmethod
    def of(cls, services: Services, *, mis: MisReader | None = None) -> ReconciliationServices:
        """The reconciliation's view of the terminal API's services."""
        return cls(
            engine=services.engine,
            clock=services.clock,
            parameters=services.parameters,
            mis=mis,
            county_tz=services.county_tz,
            penalty_rules=services.penalty_rules,
        )

    def writing(self) -> SqlUnitOfWork:
        """A unit of work that will write."""
        return SqlUnitOfWork(self.engine, write=True)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work that only reads (one snapshot for all its reads)."""
        return SqlUnitOfWork(self.engine, write=False)

    def today(self, now: datetime | None = None) -> date:
        """The county's calendar date at ``now`` (the clock's now by default)."""
        return (now or self.clock.now()).astimezone(self.county_tz).date()
