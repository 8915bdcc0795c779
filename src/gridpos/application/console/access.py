"""Who may do what, and where: roles, permissions and the signed-in :class:`Actor`.

Every console use case checks its permission and the organisation subtree itself (never only by
hiding a link): :func:`require` for the role, :meth:`Actor.covers` / :func:`require_scope` for the
place in the tree. The table :data:`ROLE_PERMISSIONS` is the one place that says which role may
do what; pages added later name their permission and plug in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridpos.application.console.errors import AccessDeniedError


class Role(StrEnum):
    """The roles of operators (``operators.role``)."""

    ADMIN = "admin"  # 系统管理员: organisations, operators, tariffs, parameters
    FINANCE = (
        "finance"  # 营销管理员 / 电费账务: the only role approving top-ups, MIS posting, reports
    )
    STATION_HEAD = "station_head"  # 所长: the station's agents, terminals, customers; asks top-ups
    STATION_STAFF = "station_staff"  # 供电所 staff
    AUDITOR = "auditor"  # 稽查: read-only everything in scope, the audit log
    AGENT = "agent"  # 代理商 / 收费员: only their own float, terminals, collections


class Permission(StrEnum):
    """What a page or a use case needs."""

    MONITORING_VIEW = "monitoring.view"
    ORGANISATIONS_VIEW = "organisations.view"
    ORGANISATIONS_MANAGE = "organisations.manage"
    OPERATORS_VIEW = "operators.view"
    OPERATORS_MANAGE = "operators.manage"
    AGENTS_VIEW = "agents.view"
    AGENTS_MANAGE = "agents.manage"
    TOPUPS_REQUEST = "topups.request"
    TOPUPS_APPROVE = "topups.approve"
    TERMINALS_VIEW = "terminals.view"
    TERMINALS_MANAGE = "terminals.manage"
    CUSTOMERS_VIEW = "customers.view"
    PAYMENTS_VIEW = "payments.view"
    PAYMENTS_CANCEL_REQUEST = "payments.cancel_request"
    PAYMENTS_CANCEL_APPROVE = "payments.cancel_approve"
    BATCHES_VIEW = "batches.view"
    MIS_POSTINGS_VIEW = "mis_postings.view"
    REPORTS_VIEW = "reports.view"
    AUDIT_VIEW = "audit.view"
    PARAMETERS_VIEW = "parameters.view"
    PARAMETERS_MANAGE = "parameters.manage"
    RECONCILIATION_VIEW = "reconciliation.view"
    RECONCILIATION_RESOLVE = "reconciliation.resolve"  # run, request and approve resolutions


_P = Permission
_EVERY_VIEW = frozenset(p for p in Permission if p.value.endswith(".view"))

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _EVERY_VIEW
    | {
        _P.ORGANISATIONS_MANAGE,
        _P.OPERATORS_MANAGE,
        _P.AGENTS_MANAGE,
        _P.TERMINALS_MANAGE,
        _P.PARAMETERS_MANAGE,
    },
    Role.FINANCE: (_EVERY_VIEW - {_P.AUDIT_VIEW})
    | {
        _P.TOPUPS_REQUEST,
        _P.TOPUPS_APPROVE,
        _P.PAYMENTS_CANCEL_REQUEST,
        _P.PAYMENTS_CANCEL_APPROVE,
        _P.RECONCILIATION_RESOLVE,
    },
    Role.STATION_HEAD: frozenset(
        {
            _P.MONITORING_VIEW,
            _P.ORGANISATIONS_VIEW,
            _P.OPERATORS_VIEW,
            _P.OPERATORS_MANAGE,
            _P.AGENTS_VIEW,
            _P.AGENTS_MANAGE,
            _P.TOPUPS_REQUEST,  # for their station's agents; finance approves (maker-checker)
            _P.TERMINALS_VIEW,
            _P.TERMINALS_MANAGE,
            _P.CUSTOMERS_VIEW,
            _P.PAYMENTS_VIEW,
            _P.PAYMENTS_CANCEL_REQUEST,
            _P.BATCHES_VIEW,
            _P.MIS_POSTINGS_VIEW,
            _P.REPORTS_VIEW,
            _P.RECONCILIATION_VIEW,
            _P.RECONCILIATION_RESOLVE,
        }
    ),
    Role.STATION_STAFF: frozenset(
        {
            _P.MONITORING_VIEW,
            _P.ORGANISATIONS_VIEW,
            _P.AGENTS_VIEW,
            _P.TOPUPS_REQUEST,
            _P.TERMINALS_VIEW,
            _P.CUSTOMERS_VIEW,
            _P.PAYMENTS_VIEW,
            _P.PAYMENTS_CANCEL_REQUEST,
            _P.BATCHES_VIEW,
            _P.MIS_POSTINGS_VIEW,
            _P.RECONCILIATION_VIEW,
        }
    ),
    Role.AUDITOR: _EVERY_VIEW,
    # an agent's pages show only their own agent's things (see Actor.own_agent_id)
    Role.AGENT: frozenset(
        {
            _P.AGENTS_VIEW,
            _P.TERMINALS_VIEW,
            _P.PAYMENTS_VIEW,
            _P.MIS_POSTINGS_VIEW,
        }
    ),
}

# the roles an operator with OPERATORS_MANAGE may give (and may manage operators holding)
GRANTABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.ADMIN: tuple(Role),
    Role.STATION_HEAD: (Role.STATION_STAFF, Role.AGENT),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in operator: who they are, their role and the subtree they work in."""

    operator_id: int
    account: str
    name: str
    role: Role
    org_id: int
    org_code: str
    org_name: str
    org_path: str  # the materialised path of their node: their subtree is every path under it
    agent_id: int | None = None
    org_level: str = ""  # their node's level (province … collection_point); "" if not known

    def can(self, permission: Permission) -> bool:
        """Whether the actor's role allows ``permission``."""
        return permission in ROLE_PERMISSIONS[self.role]

    def covers(self, org_path: str) -> bool:
        """Whether the node at ``org_path`` lies in the actor's subtree (their node included)."""
        return org_path.startswith(self.org_path)

    def strictly_covers(self, org_path: str) -> bool:
        """Whether the node at ``org_path`` lies below the actor's own node."""
        return org_path != self.org_path and org_path.startswith(self.org_path)

    @property
    def own_agent_id(self) -> int | None:
        """For the agent role, the one agent whose things they may see; None for the others."""
        return self.agent_id if self.role is Role.AGENT else None

    @property
    def grantable_roles(self) -> tuple[Role, ...]:
        """The roles this actor may give to operators (none without OPERATORS_MANAGE)."""
        if not self.can(Permission.OPERATORS_MANAGE):
            return ()
        return GRANTABLE_ROLES.get(self.role, ())

    @property
    def audit_name(self) -> str:
        """How the audit log names the actor."""
        return f"operator:{self.operator_id}:{self.account}@{self.org_code}"


def require(actor: Actor, permission: Permission) -> None:
    """Raises :class:`AccessDeniedError` unless the actor's role allows ``permission``."""
    if not actor.can(permission):
        raise AccessDeniedError()


def require_scope(actor: Actor, org_path: str) -> None:
    """Raises :class:`AccessDeniedError` unless the node at ``org_path`` is in the actor's
    subtree."""
    if not actor.covers(org_path):
        raise AccessDeniedError()
