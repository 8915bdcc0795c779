"""The node a reconciliation covers: a company or station (an organisation code), an agent
(its code) or a terminal (its number) — or, with no code, everything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, func, select

from gridpos.adapters.db.reconciliation.sets import SetFilter
from gridpos.adapters.db.tables import agents, organisations, terminals
from gridpos.application.reconciliation.errors import refusal

EVERYTHING: Final = "*"
MAX_CODE: Final = 64


@dataclass(frozen=True, slots=True)
class Scope:
    """What a run covers; ``org_prefix`` is None when the node covers every organisation (no
    filter is needed then)."""

    kind: str  # organisation / agent / terminal
    code: str
    name: str
    org_path: str  # who may see the run: the actors whose subtree holds this path
    org_prefix: str | None
    agent_id: int | None = None
    terminal_id: int | None = None

    def filter(self, **window: object) -> SetFilter:
        """The set filter of this node over a window (dates, MIS load, as-of)."""
        return SetFilter(
            org_prefix=self.org_prefix,
            agent_id=self.agent_id,
            terminal_id=self.terminal_id,
            **window,  # type: ignore[arg-type]
        )


def _covers_everything(connection: Connection, path: str) -> bool:
    outside = connection.execute(
        select(func.count()).where(~organisations.c.path.like(f"{path}%"))
    ).scalar_one()
    return int(outside) == 0


def resolve_scope(connection: Connection, code: str | None) -> Scope:
    """The node named ``code``: an organisation code, an agent's code or a terminal's number
    (tried in that order); everything when ``code`` is empty.

    Raises :class:`ReconciliationError` ``scope_unknown`` (field ``org``) when nothing has that
    code.
    """
    text = (code or "").strip()
    if not text or text == EVERYTHING:
        roots = connection.execute(
            select(organisations.c.code, organisations.c.name, organisations.c.path).where(
                organisations.c.parent_id.is_(None)
            )
        ).all()
        if len(roots) == 1:
            root = roots[0]
            return Scope("organisation", root.code, root.name, root.path, None)
        return Scope("organisation", EVERYTHING, "全部单位", "/", None)
    if len(text) > MAX_CODE:
        raise _unknown(text[:MAX_CODE])
    node = connection.execute(
        select(organisations.c.code, organisations.c.name, organisations.c.path).where(
            organisations.c.code == text
        )
    ).first()
    if node is not None:
        everything = _covers_everything(connection, node.path)
        return Scope(
            "organisation", node.code, node.name, node.path, None if everything else node.path
        )
    agent = connection.execute(
        select(agents.c.id, agents.c.code, agents.c.name, organisations.c.path)
        .join(organisations, organisations.c.id == agents.c.org_id)
        .where(agents.c.code == text)
    ).first()
    if agent is not None:
        return Scope(
            "agent", agent.code, agent.name, agent.path, agent.path, agent_id=int(agent.id)
        )
    terminal = connection.execute(
        select(terminals.c.id, terminals.c.terminal_no, organisations.c.name, organisations.c.path)
        .join(organisations, organisations.c.id == terminals.c.org_id)
        .where(terminals.c.terminal_no == text)
    ).first()
    if terminal is not None:
        return Scope(
            "terminal",
            terminal.terminal_no,
            f"{terminal.name} {terminal.terminal_no}",
            terminal.path,
            terminal.path,
            terminal_id=int(terminal.id),
        )
    raise _unknown(text)


def _unknown(code: str) -> Exception:
    return refusal(
        "scope_unknown",
        field="org",
        zh=f"没有编码为 {code} 的单位、代理商或终端",
        en=f"no organisation, agent or terminal has the code {code}",
        given=code,
    )
