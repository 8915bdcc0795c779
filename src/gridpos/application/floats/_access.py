"""What every float use case checks first: the amount, and the operator's role and scope."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select

from gridpos.adapters.db.tables import agents, operators, organisations
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.domain.errors import DomainError

MAX_AMOUNT_FEN: Final = 100_000_000  # 1,000,000.00 yuan


class FloatError(DomainError):
    """A float operation refused; nothing was changed.

    Codes: ``amount_invalid``, ``agent_unknown``, ``operator_unknown``, ``operator_not_allowed``
    (role), ``out_of_scope`` (the agent is outside the operator's organisation), ``topup_unknown``,
    ``topup_already_decided``, ``topup_self_approval``, ``hold_unknown``, ``hold_closed``,
    ``date_range_invalid``.
    """

    code = "float_error"


def check_amount(amount: int, *, limit: int = MAX_AMOUNT_FEN) -> None:
    """Raises :class:`FloatError` ``amount_invalid`` unless ``amount`` is 1..``limit`` int fen."""
    if type(amount) is not int or not 0 < amount <= limit:
        raise FloatError(
            code="amount_invalid",
            field="amount",
            message_zh=f"金额必须是大于零、不超过 {limit // 100} 元的整数分",
            message_en=f"the amount must be whole fen, above zero and at most {limit // 100} yuan",
            details={"amount": amount if type(amount) is int else str(amount)},
        )


def operator_over_agent(
    uow: SqlUnitOfWork, operator_id: int, agent_id: int, *, roles: tuple[str, ...]
) -> str:
    """The operator's account after checking their role and that the agent is in their subtree.

    Raises :class:`FloatError` ``operator_unknown`` (or disabled), ``operator_not_allowed``,
    ``agent_unknown``, ``out_of_scope``.
    """
    operator = uow.connection.execute(
        select(operators.c.account, operators.c.role, operators.c.disabled, organisations.c.path)
        .join(organisations, organisations.c.id == operators.c.org_id)
        .where(operators.c.id == operator_id)
    ).first()
    if operator is None or operator.disabled:
        raise FloatError(
            code="operator_unknown",
            field="operator_id",
            message_zh=f"操作员 {operator_id} 不存在或已停用",
            message_en=f"there is no active operator {operator_id}",
            details={"operator_id": operator_id},
        )
    if operator.role not in roles:
        raise FloatError(
            code="operator_not_allowed",
            field="operator_id",
            message_zh=f"操作员角色 {operator.role} 无权进行此操作",
            message_en=f"an operator with role {operator.role} may not do this",
            details={"operator_id": operator_id, "role": operator.role, "allowed": list(roles)},
        )
    agent_path = uow.connection.execute(
        select(organisations.c.path)
        .join(agents, agents.c.org_id == organisations.c.id)
        .where(agents.c.id == agent_id)
    ).scalar_one_or_none()
    if agent_path is None:
        raise FloatError(
            code="agent_unknown",
            field="agent_id",
            message_zh=f"代理商 {agent_id} 不存在",
            message_en=f"there is no agent {agent_id}",
            details={"agent_id": agent_id},
        )
    if not str(agent_path).startswith(str(operator.path)):
        raise FloatError(
            code="out_of_scope",
            field="agent_id",
            message_zh="该代理商不在操作员所属机构的管辖范围内",
            message_en="the agent is outside the operator's part of the organisation",
            details={"agent_id": agent_id, "operator_id": operator_id},
        )
    return str(operator.account)
