"""The terminal's business day (签到 … 扎帐 … 签退) and the rules every collection checks first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gridpos.adapters.db.terminal_store import BatchRecord, TerminalSession
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.parameters import CollectionParameters
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.protocol.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class OpenDay:
    """A signed-in terminal's day: date, collector, whose float, the batch, the parameters."""

    business_date: date
    operator_id: int
    agent_id: int
    batch: BatchRecord | None
    params: CollectionParameters


def require_day(
    uow: SqlUnitOfWork,
    services: Services,
    terminal: TerminalIdentity,
    session: TerminalSession,
    *,
    now: datetime,
    collecting: bool = True,
) -> OpenDay:
    """The terminal's open day, for an operation that needs a sign-in.

    A day is closed once its batch is closed (扎帐) or once the county's calendar has moved past
    it; an operation that takes money (``collecting``) is refused on a closed day, a query is not.

    Raises :class:`RefusalError`: ``not_signed_in``, ``session_expired`` (signed in longer ago
    than the
    ``session.max_hours`` parameter), ``business_day_closed``.
    """
    if session.business_date is None or session.operator_id is None or session.agent_id is None:
        raise RefusalError(ErrorCode.NOT_SIGNED_IN)
    params = services.parameters.on(uow, session.business_date)
    signed_in_at = session.signed_in_at
    if signed_in_at is None or now - signed_in_at > timedelta(hours=params.session_max_hours):
        raise RefusalError(ErrorCode.SESSION_EXPIRED)
    batch = uow.terminals.current_batch(terminal.id, session.business_date)
    if collecting:
        if session.business_date < services.today(now):
            raise RefusalError(
                ErrorCode.BUSINESS_DAY_CLOSED,
                details={"bd": session.business_date.strftime("%Y%m%d")},
                message_zh="营业日已结束，请签退后重新签到",
                message_en="this business day is over; sign out and sign in again",
            )
        if batch is None or not batch.is_open:
            raise RefusalError(ErrorCode.BUSINESS_DAY_CLOSED)
    return OpenDay(
        business_date=session.business_date,
        operator_id=session.operator_id,
        agent_id=session.agent_id,
        batch=batch,
        params=params,
    )
