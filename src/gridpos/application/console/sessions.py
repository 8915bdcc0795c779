"""Signing in to the console, the session on every request, and signing out.

The interface makes the random tokens (the session token for the cookie, the CSRF token) and
passes them in; only the SHA-256 of the session token is stored. A session ends when signed out,
when it has not been used for :attr:`ConsolePolicy.session_idle`, after
:attr:`ConsolePolicy.session_lifetime`, or at once when its operator is disabled, given a new
password, or their organisation (or one above it) is disabled.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import structlog
from argon2.exceptions import InvalidHashError, VerificationError

from gridpos.adapters.db.console import ConsoleSessionStore, FormSubmissions, SignInCandidate
from gridpos.application.console.access import Actor, Role
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import ConsoleError
from gridpos.domain.audit import AuditAction

_log = structlog.get_logger(__name__)


class SignInError(ConsoleError):
    """A refused sign-in. Codes (field): ``organisation_unknown`` (org_code),
    ``organisation_wrong`` (org_code), ``organisation_disabled`` (org_code),
    ``account_unknown`` (account), ``operator_disabled`` (account), ``operator_locked``
    (account; details ``minutes``), ``password_wrong`` (password; details ``attempts_left``)."""

    code = "sign_in_refused"


@dataclass(frozen=True, slots=True)
class CurrentSession:
    """A live session: who is signed in, and the CSRF token every form of theirs carries."""

    session_id: str
    actor: Actor
    csrf_token: str


def session_id_of(token: str) -> str:
    """The stored id of a session token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _actor(operator: SignInCandidate) -> Actor:
    return Actor(
        operator_id=operator.id,
        account=operator.account,
        name=operator.name,
        role=Role(operator.role),
        org_id=operator.org_id,
        org_code=operator.org_code,
        org_name=operator.org_name,
        org_path=operator.org_path,
        agent_id=operator.agent_id,
        org_level=operator.org_level,
    )


def _refused(code: str, field: str, zh: str, en: str, **details: object) -> SignInError:
    return SignInError(
        code=code, field=field, message_zh=zh, message_en=en, details=dict(details) or None
    )


def _choose(store: ConsoleSessionStore, *, org_code: str, account: str) -> SignInCandidate:
    candidates = store.candidates(account)
    if not candidates:
        raise _refused(
            "account_unknown", "account", "账号不存在", "there is no operator with this account"
        )
    organisation = store.organisation_by_code(org_code)
    if organisation is None:
        raise _refused(
            "organisation_unknown",
            "org_code",
            "机构编码不存在",
            "there is no organisation with this code",
        )
    _org_id, org_path, _disabled = organisation
    below = [c for c in candidates if c.org_path.startswith(org_path)]
    exact = [c for c in below if c.org_path == org_path]
    if exact:
        return exact[0]
    if len(below) == 1:
        return below[0]
    if not below:
        raise _refused(
            "organisation_wrong",
            "org_code",
            "该账号不属于此机构",
            "this account does not belong to this organisation",
        )
    raise _refused(
        "organisation_wrong",
        "org_code",
        "此机构下有多个同名账号，请填写您所在机构的编码",
        "several operators under this organisation have this account: give your own"
        " organisation's code",
    )


def sign_in(
    services: ConsoleServices,
    *,
    org_code: str,
    account: str,
    password: str,
    session_token: str,
    csrf_token: str,
) -> CurrentSession:
    """Check account, password and organisation code, and open a session for ``session_token``.

    Raises :class:`~gridpos.application.console.errors.InvalidFormError` for empty fields and
    :class:`SignInError` (see its codes) for a refusal; a wrong password is counted (and kept)
    towards the lockout of :attr:`ConsolePolicy.max_failed_attempts`.
    """
    check = FieldChecks()
    org_code = check.required(org_code, field="org_code", label_zh="机构编码", label_en="code")
    account = check.required(account, field="account", label_zh="账号", label_en="account")
    if not password:
        check.required(password, field="password", label_zh="密码", label_en="password")
    check.done()
    policy = services.policy
    now = services.clock.now()
    with services.writing() as uow:
        store = ConsoleSessionStore(uow.connection)
        operator = _choose(store, org_code=org_code, account=account)
        if operator.disabled:
            raise _refused("operator_disabled", "account", "账号已停用", "this account is disabled")
        disabled_above = store.disabled_on_path(operator.org_path)
        if disabled_above:
            raise _refused(
                "organisation_disabled",
                "org_code",
                f"机构 {disabled_above[0]} 已停用",
                f"the organisation {disabled_above[0]} is disabled",
            )
        if operator.locked_until is not None and operator.locked_until > now:
            minutes = math.ceil((operator.locked_until - now).total_seconds() / 60)
            raise _refused(
                "operator_locked",
                "account",
                f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
                f"too many wrong passwords: the account is locked, try again in {minutes} min",
                minutes=minutes,
            )
        if not _password_matches(services, operator.password_hash, password):
            locks = operator.failed_attempts + 1 >= policy.max_failed_attempts
            failed = store.record_failure(
                operator.id, lock_until=now + policy.lockout if locks else None
            )
            uow.commit()  # the failure counts although the sign-in is refused
            _log.info("console_sign_in_wrong_password", operator_id=operator.id, failed=failed)
            left = max(policy.max_failed_attempts - failed, 0)
            if left == 0:
                minutes = math.ceil(policy.lockout.total_seconds() / 60)
                raise _refused(
                    "operator_locked",
                    "password",
                    f"密码错误，账号已锁定 {minutes} 分钟",
                    f"wrong password: the account is now locked for {minutes} min",
                    minutes=minutes,
                )
            raise _refused(
                "password_wrong",
                "password",
                f"密码错误，还可再试 {left} 次",
                f"wrong password; {left} attempts left before the account is locked",
                attempts_left=left,
            )
        if operator.failed_attempts or operator.locked_until is not None:
            store.clear_failures(operator.id)
        session_id = session_id_of(session_token)
        store.open(
            session_id=session_id,
            operator_id=operator.id,
            csrf_token=csrf_token,
            now=now,
            expires_at=now + policy.session_lifetime,
        )
        # housekeeping rides on sign-ins: ended sessions and old form tokens are deleted
        store.prune(ended_before=now - policy.keep_ended_sessions)
        FormSubmissions(uow.connection).prune(submitted_before=now - policy.keep_form_tokens)
        uow.audit.append(
            occurred_at=now,
            actor=f"operator:{operator.id}:{operator.account}@{operator.org_code}",
            action=AuditAction.CONSOLE_SIGN_IN,
            subject=f"operator:{operator.id}",
        )
        uow.commit()
    _log.info("console_signed_in", operator_id=operator.id, role=operator.role)
    return CurrentSession(session_id=session_id, actor=_actor(operator), csrf_token=csrf_token)


def _password_matches(services: ConsoleServices, password_hash: str, password: str) -> bool:
    try:
        return services.passwords.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def current_session(services: ConsoleServices, *, session_token: str) -> CurrentSession | None:
    """The live session of ``session_token``, or None when there is none any more (unknown,
    signed out, expired, idle too long, operator disabled, organisation disabled).

    Raises :class:`~gridpos.adapters.db.engine.DatabaseUnreachableError` when the database
    cannot be reached.
    """
    if not session_token:
        return None
    session_id = session_id_of(session_token)
    now = services.clock.now()
    policy = services.policy
    with services.reading() as uow:
        store = ConsoleSessionStore(uow.connection)
        record = store.find(session_id)
        if record is None:
            return None
        alive = (
            record.revoked_at is None
            and record.expires_at > now
            and record.last_seen_at + policy.session_idle > now
            and not record.operator.disabled
            and not store.disabled_on_path(record.operator.org_path)
        )
    if not alive:
        return None
    if now - record.last_seen_at >= policy.touch_every:
        with services.writing() as uow:
            ConsoleSessionStore(uow.connection).touch(session_id, now=now)
            uow.commit()
    return CurrentSession(
        session_id=session_id, actor=_actor(record.operator), csrf_token=record.csrf_token
    )


def sign_out(services: ConsoleServices, *, session_token: str) -> None:
    """End the session of ``session_token`` (nothing happens for an unknown or ended one)."""
    if not session_token:
        return
    now = services.clock.now()
    with services.writing() as uow:
        store = ConsoleSessionStore(uow.connection)
        record = store.find(session_id_of(session_token))
        if record is None or not store.revoke(record.id, now=now):
            return
        operator = record.operator
        uow.audit.append(
            occurred_at=now,
            actor=f"operator:{operator.id}:{operator.account}@{operator.org_code}",
            action=AuditAction.CONSOLE_SIGN_OUT,
            subject=f"operator:{operator.id}",
        )
        uow.commit()
