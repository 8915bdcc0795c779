"""Agents' commission (代收手续费): its dated settings, and the monthly settlement summary.

Settings are two dated parameters (see :mod:`gridpos.application.parameters`):
``commission.fixed_fen`` (fen per payment) and ``commission.rate_ppm`` (a share of the cash, in
parts per million). The payment use case accrues commission on every payment in the payment's own
transaction (``domain.ledger.commission_for`` and ``commission_posting``: Dr commission_expense,
Cr agent_commission) and an undo of the payment negates it with the rest of the payment's postings.

The monthly settlement summary reads, per agent, the confirmed payments of the month (count and
cash, from the collections kept per day and place) and, from the journal, the commission earned —
accruals of the month less the undos of the month — so a payment reversed or cancelled does not
earn commission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Engine, delete, func, select

from gridpos.adapters.db.parameter_store import parameters_in_force, set_parameter
from gridpos.adapters.db.tables import (
    agents,
    collection_day_totals,
    ledger_entries,
    ledger_transactions,
    operators,
    organisations,
    parameters,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.parameters import parse_parameters
from gridpos.application.ports import Clock
from gridpos.domain.accounts import AccountKind
from gridpos.domain.audit import AuditAction
from gridpos.domain.dates import PeriodError, add_months, period_first_day
from gridpos.domain.errors import DomainError
from gridpos.domain.ledger import PPM, commission_for

FIXED_KEY: Final = "commission.fixed_fen"
RATE_KEY: Final = "commission.rate_ppm"
SETTING_ROLES: Final = ("admin",)
MAX_FIXED_FEN: Final = 10_000  # 100.00 yuan per payment
MAX_RATE_PPM: Final = 100_000  # 10 % of the cash


class CommissionError(DomainError):
    """A commission setting or summary refused; nothing was changed.

    Codes: ``commission_invalid`` (fixed fen or rate out of bounds), ``operator_not_allowed``,
    ``operator_unknown``, ``period_invalid``, ``organisation_unknown``.
    """

    code = "commission_error"


@dataclass(frozen=True, slots=True)
class CommissionSettings:
    """Commission per payment: ``fixed_fen`` plus ``rate_ppm`` parts per million of the cash."""

    fixed_fen: int = 0
    rate_ppm: int = 0

    def on_payment(self, cash: int) -> int:
        """The commission on one payment of ``cash`` fen (half-up to the fen)."""
        return commission_for(cash=cash, fixed_fen=self.fixed_fen, rate_ppm=self.rate_ppm)

    def describe_zh(self) -> str:
        return f"每笔 {self.fixed_fen} 分，另加收款额的 {self.rate_ppm * 1000 / PPM:g}‰"


@dataclass(frozen=True, slots=True)
class AgentCommission:
    """One agent's month: confirmed payments (count, cash) and the commission earned."""

    agent_id: int
    agent_code: str
    agent_name: str
    payments: int
    cash: int
    commission: int


def commission_settings(engine: Engine, *, on: date) -> CommissionSettings:
    """The commission settings in force on ``on`` (zero when none were ever set)."""
    with SqlUnitOfWork(engine, write=False) as uow:
        values = parse_parameters(parameters_in_force(uow.connection, on=on))
    return CommissionSettings(
        fixed_fen=values.commission_fixed_fen, rate_ppm=values.commission_rate_ppm
    )


def set_commission(
    engine: Engine,
    *,
    fixed_fen: int,
    rate_ppm: int,
    valid_from: date,
    operator_id: int,
    clock: Clock,
) -> CommissionSettings:
    """Set the commission from ``valid_from`` on (replacing a setting of that same date).

    Raises :class:`CommissionError`: ``commission_invalid`` (fixed fen not 0..10000, rate not
    0..100000 ppm, or not whole numbers), ``operator_unknown``, ``operator_not_allowed`` (only a
    company admin sets parameters).
    """
    for field, value, limit in (
        ("fixed_fen", fixed_fen, MAX_FIXED_FEN),
        ("rate_ppm", rate_ppm, MAX_RATE_PPM),
    ):
        if type(value) is not int or not 0 <= value <= limit:
            raise CommissionError(
                code="commission_invalid",
                field=field,
                message_zh=f"{field} 必须是 0 至 {limit} 之间的整数",
                message_en=f"{field} must be a whole number from 0 to {limit}",
                details={field: value if type(value) is int else str(value)},
            )
    with SqlUnitOfWork(engine, write=True) as uow:
        operator = uow.connection.execute(
            select(operators.c.account, operators.c.role, operators.c.disabled).where(
                operators.c.id == operator_id
            )
        ).first()
        if operator is None or operator.disabled:
            raise CommissionError(
                code="operator_unknown",
                field="operator_id",
                message_zh=f"操作员 {operator_id} 不存在或已停用",
                message_en=f"there is no active operator {operator_id}",
            )
        if operator.role not in SETTING_ROLES:
            raise CommissionError(
                code="operator_not_allowed",
                field="operator_id",
                message_zh="只有系统管理员可以设置代收手续费",
                message_en="only a company admin sets the commission",
                details={"role": operator.role},
            )
        for key, value in ((FIXED_KEY, fixed_fen), (RATE_KEY, rate_ppm)):
            uow.connection.execute(
                delete(parameters).where(
                    parameters.c.key == key, parameters.c.valid_from == valid_from
                )
            )
            set_parameter(uow.connection, key=key, valid_from=valid_from, value=value)
        uow.audit.append(
            occurred_at=clock.now(),
            actor=str(operator.account),
            action=AuditAction.COMMISSION_SET,
            subject="parameters",
            details={"fixed_fen": fixed_fen, "rate_ppm": rate_ppm, "valid_from": valid_from},
        )
        uow.commit()
    return CommissionSettings(fixed_fen=fixed_fen, rate_ppm=rate_ppm)


def monthly_summary(
    engine: Engine, *, period: str, org_id: int | None = None
) -> list[AgentCommission]:
    """Every agent's payments and commission in the month ``period`` (``YYYYMM``, by business
    date), in agent code order; only agents under ``org_id`` when given. Agents with neither
    payments nor commission in the month are left out.

    Raises :class:`CommissionError` ``period_invalid``, ``organisation_unknown``.
    """
    try:
        first = period_first_day(period)
    except PeriodError as exc:
        raise CommissionError(
            code="period_invalid",
            field="period",
            message_zh=exc.message_zh,
            message_en=exc.message_en,
            details={"period": period},
        ) from exc
    after = period_first_day(add_months(period, 1))
    t, e, d = ledger_transactions, ledger_entries, collection_day_totals
    in_month_t = (t.c.business_date >= first, t.c.business_date < after)
    in_month_d = (d.c.business_date >= first, d.c.business_date < after)
    with SqlUnitOfWork(engine, write=False) as uow:
        scope = None
        if org_id is not None:
            path = uow.connection.execute(
                select(organisations.c.path).where(organisations.c.id == org_id)
            ).scalar_one_or_none()
            if path is None:
                raise CommissionError(
                    code="organisation_unknown",
                    field="org_id",
                    message_zh=f"机构 {org_id} 不存在",
                    message_en=f"there is no organisation {org_id}",
                )
            scope = agents.c.org_id.in_(
                select(organisations.c.id).where(organisations.c.path.like(f"{path}%"))
            )
        # only the subtree's agents are summed: one agent's page reads that agent's month
        scoped = None if scope is None else select(agents.c.id).where(scope)
        earned = dict(
            uow.connection.execute(
                select(e.c.owner_id, -func.sum(e.c.amount))
                .join(t, t.c.id == e.c.transaction_id)
                .where(e.c.account_kind == AccountKind.AGENT_COMMISSION.value, *in_month_t)
                .where(*([] if scoped is None else [e.c.owner_id.in_(scoped)]))
                .group_by(e.c.owner_id)
            ).all()
        )
        # the month's confirmed payments from the collections kept per day and place (a few
        # thousand rows, not the month's payments)
        collected = {
            row.agent_id: (int(row.n), int(row.cash))
            for row in uow.connection.execute(
                select(
                    d.c.agent_id,
                    func.sum(d.c.payments).label("n"),
                    func.sum(d.c.cash).label("cash"),
                )
                .where(d.c.state == "confirmed", *in_month_d)
                .where(*([] if scoped is None else [d.c.agent_id.in_(scoped)]))
                .group_by(d.c.agent_id)
                .having(func.sum(d.c.payments) > 0)
            )
        }
        wanted = set(earned) | set(collected)
        query = select(agents.c.id, agents.c.code, agents.c.name).where(agents.c.id.in_(wanted))
        if scope is not None:
            query = query.where(scope)
        rows = uow.connection.execute(query.order_by(agents.c.code)).all()
    return [
        AgentCommission(
            agent_id=int(row.id),
            agent_code=row.code,
            agent_name=row.name,
            payments=collected.get(row.id, (0, 0))[0],
            cash=collected.get(row.id, (0, 0))[1],
            commission=int(earned.get(row.id) or 0),
        )
        for row in rows
    ]
