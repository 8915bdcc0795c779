"""Adding, listing and disabling terminals (the console will call these; a CLI does for now)."""

from __future__ import annotations

from gridpos.adapters.db.tables import agents, organisations
from gridpos.adapters.db.terminal_store import TerminalRecord
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.domain.audit import AuditAction
from gridpos.protocol.errors import ErrorCode


def add_terminal(
    services: Services, *, terminal_no: str, org_code: str, agent_code: str | None, actor: str
) -> int:
    """Issue terminal ``terminal_no`` at the organisation ``org_code`` (for agent ``agent_code``).

    Raises :class:`RefusalError` ``invalid_field`` for a malformed or taken number, an unknown
    organisation or agent.
    """
    if not (terminal_no.isascii() and terminal_no.isdigit() and len(terminal_no) == 8):
        raise RefusalError(ErrorCode.INVALID_FIELD, field="terminal_no", message_en="8 digits")
    now = services.clock.now()
    with services.writing() as uow:
        connection = uow.connection
        org_id = connection.execute(
            organisations.select()
            .with_only_columns(organisations.c.id)
            .where(organisations.c.code == org_code)
        ).scalar_one_or_none()
        if org_id is None:
            raise RefusalError(
                ErrorCode.INVALID_FIELD, field="org", message_en="no such organisation"
            )
        agent_id = None
        if agent_code is not None:
            agent_id = connection.execute(
                agents.select().with_only_columns(agents.c.id).where(agents.c.code == agent_code)
            ).scalar_one_or_none()
            if agent_id is None:
                raise RefusalError(
                    ErrorCode.INVALID_FIELD, field="agent", message_en="no such agent"
                )
        if uow.terminals.by_number(terminal_no) is not None:
            raise RefusalError(
                ErrorCode.INVALID_FIELD, field="terminal_no", message_en="terminal number taken"
            )
        terminal_id = uow.terminals.add(
            terminal_no=terminal_no, org_id=int(org_id), agent_id=agent_id
        )
        uow.audit.append(
            occurred_at=now,
            actor=actor,
            action=AuditAction.TERMINAL_ADD,
            subject=f"terminal:{terminal_no}",
            details={"org": org_code, "agent": agent_code},
        )
        uow.commit()
    return terminal_id


def list_terminals(services: Services) -> list[TerminalRecord]:
    """Every terminal, in number order."""
    with services.reading() as uow:
        return uow.terminals.listing()


def set_terminal_disabled(
    services: Services, *, terminal_no: str, disabled: bool, actor: str
) -> None:
    """Disable a terminal (its requests are refused at once) or enable it again.

    Raises :class:`RefusalError` ``unknown_terminal``.
    """
    now = services.clock.now()
    with services.writing() as uow:
        record = uow.terminals.by_number(terminal_no)
        if record is None:
            raise RefusalError(ErrorCode.UNKNOWN_TERMINAL, details={"terminal": terminal_no})
        state = "disabled" if disabled else ("active" if record.key_material else "issued")
        uow.terminals.set_state(record.id, state)
        uow.audit.append(
            occurred_at=now,
            actor=actor,
            action=AuditAction.TERMINAL_DISABLE if disabled else AuditAction.TERMINAL_ENABLE,
            subject=f"terminal:{terminal_no}",
            details={},
        )
        uow.commit()
    services.directory.forget(terminal_no)
