"""Enrolment (终端开通): a one-time code gives a terminal its own 32-byte key.

The code is twelve digits made by the console (for now ``gridpos terminals enrol-code``); only its
SHA-256 is stored, with an expiry. It is spent by the first enrolment: the hash stays, so the same
code again is told apart (``enrolment_code_used``) from a wrong one (``enrolment_code_invalid``).
A 12-digit code could be guessed offline from its hash, which is why it expires within hours and
dies at first use; the hash never leaves the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.domain.audit import AuditAction
from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.signing import KEY_BYTES, encode_key
from gridpos.protocol.terminal.enrolment import ENROLMENT_CODE_DIGITS, EnrolAnswer, EnrolRequest

DEFAULT_CODE_VALIDITY = timedelta(hours=24)


def code_hash(code: str) -> str:
    """The stored form of an enrolment code."""
    return hashlib.sha256(f"gridpos-enrolment:{code}".encode("ascii")).hexdigest()


def issue_enrolment_code(
    services: Services,
    *,
    terminal_no: str,
    code: str,
    actor: str,
    valid_for: timedelta = DEFAULT_CODE_VALIDITY,
) -> datetime:
    """Give terminal ``terminal_no`` the one-time enrolment ``code`` (drawn by the caller); the
    time it expires.

    Raises :class:`RefusalError` ``unknown_terminal`` for a terminal never added,
    ``terminal_disabled``
    for a disabled one, ``invalid_field`` (field ``code``) for a code that is not 12 digits.
    """
    if not (code.isascii() and code.isdigit() and len(code) == ENROLMENT_CODE_DIGITS):
        raise RefusalError(
            ErrorCode.INVALID_FIELD, field="code", message_en="the code is 12 digits"
        )
    with services.writing() as uow:
        expires_at = record_enrolment_code(
            uow,
            terminal_no=terminal_no,
            code=code,
            actor=actor,
            now=services.clock.now(),
            valid_for=valid_for,
        )
        uow.commit()
    return expires_at


def record_enrolment_code(
    uow: SqlUnitOfWork,
    *,
    terminal_no: str,
    code: str,
    actor: str,
    now: datetime,
    valid_for: timedelta = DEFAULT_CODE_VALIDITY,
) -> datetime:
    """:func:`issue_enrolment_code` inside a caller's unit of work (not committed), for the
    console, which records its one-time form token in the same transaction.

    Raises :class:`RefusalError` as :func:`issue_enrolment_code` does.
    """
    if not (code.isascii() and code.isdigit() and len(code) == ENROLMENT_CODE_DIGITS):
        raise RefusalError(
            ErrorCode.INVALID_FIELD, field="code", message_en="the code is 12 digits"
        )
    expires_at = now + valid_for
    record = uow.terminals.by_number(terminal_no)
    if record is None:
        raise RefusalError(ErrorCode.UNKNOWN_TERMINAL, details={"terminal": terminal_no})
    if record.state == "disabled":
        raise RefusalError(ErrorCode.TERMINAL_DISABLED, details={"terminal": terminal_no})
    uow.terminals.set_enrolment_code(record.id, code_hash=code_hash(code), expires_at=expires_at)
    uow.audit.append(
        occurred_at=now,
        actor=actor,
        action=AuditAction.TERMINAL_ENROLMENT_CODE,
        subject=f"terminal:{terminal_no}",
        details={"expires_at": expires_at},
    )
    return expires_at


def enrol(services: Services, request: EnrolRequest, *, new_key: bytes) -> EnrolAnswer:
    """Enrol the terminal whose code this is, with ``new_key`` (32 random bytes, drawn by the
    caller); the answer carries the key this once.

    Raises :class:`RefusalError`: ``enrolment_code_invalid`` (no terminal has this code),
    ``enrolment_code_used``, ``enrolment_code_expired``, ``terminal_disabled``.
    """
    if len(new_key) != KEY_BYTES:
        raise ValueError("a terminal key is 32 bytes")
    now = services.clock.now()
    with services.writing() as uow:
        record = uow.terminals.by_enrolment_hash(code_hash(request.code))
        if record is None:
            raise RefusalError(ErrorCode.ENROLMENT_CODE_INVALID)
        if record.state == "disabled":
            raise RefusalError(
                ErrorCode.TERMINAL_DISABLED, details={"terminal": record.terminal_no}
            )
        if record.enrolment_expires_at is None:
            raise RefusalError(ErrorCode.ENROLMENT_CODE_USED)
        if record.enrolment_expires_at < now:
            raise RefusalError(ErrorCode.ENROLMENT_CODE_EXPIRED)
        uow.terminals.enrol(record.id, key=new_key, program_version=request.version, now=now)
        place = uow.terminals.organisation_context(record.org_id)
        uow.audit.append(
            occurred_at=now,
            actor=f"terminal:{record.terminal_no}",
            action=AuditAction.TERMINAL_ENROL,
            subject=f"terminal:{record.terminal_no}",
            details={"device_serial": request.device_serial, "version": request.version},
        )
        uow.commit()
    services.directory.forget(record.terminal_no)
    return EnrolAnswer(
        terminal_no=record.terminal_no,
        key=encode_key(new_key),
        server_time=now,
        collection_point=place.collection_point,
    )
