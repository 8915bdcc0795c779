"""Authenticating a signed request, and the replay guard kept in the operation's transaction.

:func:`authenticate` checks, in the protocol's order, the signing headers, that the terminal is
known and enabled, the signature and the timestamp. The counter is checked by :func:`claim`,
the first statement of the operation's own unit of work, so that it is stored exactly when the
operation commits; a refused operation keeps its counter through :func:`keep_counter`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from gridpos.adapters.db.terminal_store import HeartbeatValues, TerminalSession
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.context import Services
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.directory import TerminalIdentity
from gridpos.protocol.errors import ErrorCode, ProtocolError
from gridpos.protocol.signing import (
    SignatureRefusal,
    SignedHeaders,
    read_signed_headers,
    verify_request,
)
from gridpos.protocol.terminal.session import (
    HEARTBEAT_HEADER,
    Heartbeat,
    JournalDamage,
    read_heartbeat_header,
)

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request whose signature and timestamp passed; its counter is not yet claimed."""

    terminal: TerminalIdentity
    counter: int
    heartbeat: HeartbeatValues | None


def _refusal(refused: SignatureRefusal) -> RefusalError:
    return RefusalError(
        ErrorCode(refused.code), field=refused.field, details=dict(refused.details) or None
    )


def journal_damage_details(damage: JournalDamage) -> dict[str, Any]:
    """A journal-damage report as kept and audited: plain names, the kinds in sorted order."""
    return {
        "problems": damage.problems,
        "first_seq": damage.first_seq,
        "last_seq": damage.last_seq,
        "kinds": sorted(kind.value for kind in damage.kinds),
    }


def heartbeat_values(heartbeat: Heartbeat) -> HeartbeatValues:
    """The stored form of a heartbeat (a journal-damage report as canonical JSON text, so the
    same report always compares equal)."""
    damage = heartbeat.journal_damage
    return HeartbeatValues(
        signal=heartbeat.signal_dbm,
        battery=heartbeat.battery_percent,
        queue_depth=heartbeat.queue_depth,
        program_version=heartbeat.version,
        journal_damage=None
        if damage is None
        else json.dumps(journal_damage_details(damage), sort_keys=True, separators=(",", ":")),
    )


def _piggybacked_heartbeat(headers: Mapping[str, str]) -> HeartbeatValues | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get(HEARTBEAT_HEADER.lower())
    if not value:
        return None
    try:
        return heartbeat_values(read_heartbeat_header(value))
    except ProtocolError:
        # telemetry: a malformed header is noted and ignored, never a refusal
        _log.info("heartbeat_header_ignored")
        return None


def authenticate(
    services: Services, *, headers: Mapping[str, str], method: str, target: str, body: bytes
) -> SignedRequest:
    """The terminal that signed this request.

    Raises :class:`RefusalError`: ``unsigned``, ``unknown_terminal``, ``terminal_disabled``,
    ``bad_signature`` or ``stale_timestamp`` (the counter is checked by :func:`claim`).
    """
    signed = read_signed_headers(headers)
    if isinstance(signed, SignatureRefusal):
        raise _refusal(signed)
    terminal = services.directory.lookup(services.reading(), signed.terminal_no)
    refused = _verify(services, signed, terminal, method=method, target=target, body=body)
    if refused is not None and refused.code == ErrorCode.BAD_SIGNATURE:
        # the terminal may have been enrolled again since its key was cached
        terminal = services.directory.lookup(services.reading(), signed.terminal_no, fresh=True)
        refused = _verify(services, signed, terminal, method=method, target=target, body=body)
    if refused is not None:
        raise _refusal(refused)
    return SignedRequest(
        terminal=terminal, counter=signed.counter, heartbeat=_piggybacked_heartbeat(headers)
    )


def authenticate_cached(
    services: Services, *, headers: Mapping[str, str], method: str, target: str, body: bytes
) -> SignedRequest | None:
    """:func:`authenticate` without the database: the same answer when this process knows the
    terminal and its cached key verifies the request; None when the answer needs the database
    (a terminal not cached, or a signature its cached key does not verify — the terminal may
    have been enrolled again), for :func:`authenticate` to give.

    Raises :class:`RefusalError` as :func:`authenticate` does for what the headers alone or the
    cached key decide (``unsigned``, a malformed signature, ``stale_timestamp``).
    """
    signed = read_signed_headers(headers)
    if isinstance(signed, SignatureRefusal):
        raise _refusal(signed)
    terminal = services.directory.cached(signed.terminal_no)
    if terminal is None:
        return None
    refused = _verify(services, signed, terminal, method=method, target=target, body=body)
    if refused is None:
        return SignedRequest(
            terminal=terminal, counter=signed.counter, heartbeat=_piggybacked_heartbeat(headers)
        )
    if refused.code == ErrorCode.BAD_SIGNATURE:
        return None
    raise _refusal(refused)


def _verify(
    services: Services,
    signed: SignedHeaders,
    terminal: TerminalIdentity,
    *,
    method: str,
    target: str,
    body: bytes,
) -> SignatureRefusal | None:
    return verify_request(
        signed=signed,
        key=terminal.key,
        method=method,
        target=target,
        body=body,
        now=services.clock.now(),
        last_counter=None,  # the counter is claimed atomically in the operation's transaction
        allowed_skew_s=services.allowed_skew_s,
    )


def claim(uow: SqlUnitOfWork, request: SignedRequest, services: Services) -> TerminalSession:
    """Store the request's counter (and piggybacked heartbeat) in ``uow``'s transaction.

    Raises :class:`RefusalError`: ``replayed_counter`` when the counter is not above the last one
    accepted; ``terminal_disabled`` or ``unknown_terminal`` when the terminal was disabled or
    enrolled again meanwhile.
    """
    session = uow.terminals.claim_counter(
        request.terminal.id,
        request.counter,
        now=services.clock.now(),
        heartbeat=request.heartbeat,
        # a key cached by this process before the terminal enrolled again is refused here, even
        # though the new key's counter started again from zero
        key_version=request.terminal.key_version,
    )
    if session is not None:
        return session
    record = uow.terminals.by_id(request.terminal.id)
    if record.state != "active" or record.key_version != request.terminal.key_version:
        services.directory.forget(request.terminal.terminal_no)
        code = (
            ErrorCode.TERMINAL_DISABLED
            if record.state == "disabled"
            else ErrorCode.UNKNOWN_TERMINAL
        )
        raise RefusalError(code)
    raise RefusalError(ErrorCode.REPLAYED_COUNTER, details={"last": record.last_counter})


def keep_counter(services: Services, request: SignedRequest) -> None:
    """Store the counter of a request whose operation was refused, in its own transaction, so the
    refused request cannot be replayed. A counter already passed is left as it is."""
    with services.writing() as uow:
        uow.terminals.claim_counter(
            request.terminal.id,
            request.counter,
            now=services.clock.now(),
            heartbeat=request.heartbeat,
            key_version=request.terminal.key_version,
        )
        uow.commit()
