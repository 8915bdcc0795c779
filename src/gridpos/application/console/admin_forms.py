"""What the admin forms of organisations, operators, agents and terminals share: the node a
form or a list filter names (found in the actor's subtree, enabled), the refusals worded once,
and the write of a form that acts once (claimed, done, audited, settled, committed).

A node outside the actor's subtree is refused with the same words as an unknown one: a form
must not reveal what lies outside the subtree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gridpos.adapters.db.console import OrganisationAdmin, OrganisationRow
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console.access import Actor
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import ConsoleError, Done, InvalidFormError, field_error
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.domain.audit import AuditAction


@dataclass(frozen=True, slots=True)
class NodeField:
    """A form field naming a node: its name, its refusal codes and how the messages call it."""

    name: str
    unknown_code: str
    disabled_code: str
    label_zh: str
    label_en: str


NODE = NodeField(
    "org_code", "organisation_unknown", "organisation_disabled", "机构", "organisation"
)
PARENT = NodeField("parent_code", "parent_unknown", "parent_disabled", "上级机构", "parent")


def org_unknown(code: str, *, node_field: NodeField = NODE) -> ConsoleError:
    """The refusal of a node code unknown, or outside the actor's subtree."""
    return field_error(
        node_field.unknown_code,
        field=node_field.name,
        message_zh=f"您的管辖范围内没有编码为 {code} 的机构",
        message_en=f"there is no organisation {code} within your scope",
    )


def agent_unknown(code: str) -> ConsoleError:
    """The refusal of an agent code unknown, or outside the actor's subtree (``agent_code``)."""
    return field_error(
        "agent_unknown",
        field="agent_code",
        message_zh=f"您的管辖范围内没有编码为 {code} 的代理商",
        message_en=f"there is no agent {code} within your scope",
    )


def account_taken(account: str) -> ConsoleError:
    """The refusal of an operator account already held at the node (``account``)."""
    return field_error(
        "operator_account_taken",
        field="account",
        message_zh=f"该机构已有账号 {account}",
        message_en=f"this organisation already has an operator {account}",
    )


def enabled_node(
    connection: Connection,
    actor: Actor,
    code: str,
    check: FieldChecks,
    *,
    node_field: NodeField = NODE,
) -> OrganisationRow | None:
    """The enabled node ``code`` of the actor's subtree; else None, with its refusal added to
    ``check`` (unknown or outside the subtree, disabled)."""
    node = OrganisationAdmin(connection).by_code(code)
    if node is None or not actor.covers(node.path):
        check.add(org_unknown(code, node_field=node_field))
        return None
    if node.disabled:
        check.add(
            field_error(
                node_field.disabled_code,
                field=node_field.name,
                message_zh=f"{node_field.label_zh} {code} 已停用",
                message_en=f"the {node_field.label_en} {code} is disabled",
            )
        )
        return None
    return node


def list_root(connection: Connection, actor: Actor, code: str | None) -> str:
    """The path a list is limited to: the node ``code`` of the actor's subtree when one is
    typed, else the actor's own node.

    Raises :class:`InvalidFormError` (field ``org_code``) for a node unknown or outside the
    subtree.
    """
    code = (code or "").strip()
    if not code:
        return actor.org_path
    node = OrganisationAdmin(connection).by_code(code)
    if node is None or not actor.covers(node.path):
        raise InvalidFormError([org_unknown(code)])
    return node.path


@dataclass(frozen=True, slots=True)
class Acted:
    """What a form's write did: the ``subject`` acted on and the audit entry's ``details``."""

    subject: str
    details: dict[str, Any] = field(default_factory=dict)


def act_once(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    action: AuditAction,
    act: Callable[[SqlUnitOfWork, datetime], Acted],
) -> Done:
    """Claim the form, ``act`` in the same unit of work, append the audit entry ``action`` by
    the actor, settle the form and commit — once: a form sent again answers what the first did
    and acts no more. A refusal raised by ``act`` writes nothing (the claim goes with it).

    Raises :class:`InvalidFormError` (``form_token_missing``), and whatever ``act`` raises.
    """
    now = services.clock.now()
    with services.writing() as uow:
        earlier = claim_form(uow, form_token=form_token, actor=actor, action=action, now=now)
        if earlier is not None:
            return earlier
        acted = act(uow, now)
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=action,
            subject=acted.subject,
            details=acted.details,
        )
        done = settle_form(uow, form_token=form_token, subject=acted.subject)
        uow.commit()
    return done
