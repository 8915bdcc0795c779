"""Enrolment (终端开通), sign-in (签到), sign-out (签退) and the heartbeat.

Enrolment is the one unsigned request: the one-time code gives the terminal its number and key,
kept in the journal file's identity table (never in a journal row). Sign-in opens the business
day the server chooses — date, batch, parameters, float and the offline allowance it held — and
teaches the terminal the server's time. The heartbeat tells the server how many journal rows
still wait (``q``) and learns the time again; when the journal failed its check at start, the
heartbeat (and the one inside the sign-in) also carries the damage report (``jd``).
"""

from __future__ import annotations

from dataclasses import replace

from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.routes import ENROL, HEARTBEAT, SIGN_IN, SIGN_OUT
from gridpos.protocol.terminal.session import (
    Heartbeat,
    HeartbeatAnswer,
    SignInAnswer,
    SignInRequest,
    SignOutAnswer,
    SignOutRequest,
)
from gridpos.terminal.accounts import no_answer_error
from gridpos.terminal.client import Answered, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import ServerRefusalError, refusal
from gridpos.terminal.identity import Identity, JournalSigner, load_identity
from gridpos.terminal.journal import EventKind
from gridpos.terminal.session import Session, clear_session, save_session


def attach_identity(context: TerminalContext, identity: Identity) -> None:
    """Make the client sign as ``identity``."""
    context.identity = identity
    context.client.signer = JournalSigner(identity, context.journal, context.server_clock)


def enrol(context: TerminalContext, code: str) -> Identity:
    """Enrol with the one-time code from the console; the identity kept.

    Raises:
        TerminalRefusalError: ``already_enrolled``; ``enrolment_code_format`` (not 12 digits).
        ServerRefusalError: ``enrolment_code_invalid`` / ``_expired`` / ``_used``…
        NoAnswerError: no answer (the code is not used up unless the server answered; ask the
            console for a new code if a retry says ``enrolment_code_used``).
    """
    if context.identity is not None:
        raise refusal(
            "already_enrolled",
            field="code",
            message_zh=f"本终端已开通（终端号 {context.identity.terminal_no}）",
            message_en=f"this terminal is already enrolled as {context.identity.terminal_no}",
        )
    text = code.strip() if isinstance(code, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) == 12):
        raise refusal(
            "enrolment_code_format",
            field="code",
            message_zh="开通码应为12位数字",
            message_en="the enrolment code is 12 digits",
        )
    request = EnrolRequest(
        code=text, device_serial=context.config.device_serial, version=context.config.version
    )
    result = context.client.call(ENROL, request)
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    if not isinstance(result, Answered):
        raise no_answer_error(result)
    answer = result.answer
    journal = context.journal
    with journal.transaction():
        journal.save_identity(
            terminal_no=answer.terminal_no,
            key_text=answer.key,
            collection_point=answer.collection_point,
            enrolled_at=answer.server_time,
        )
        journal.append(
            EventKind.ENROLLED,
            {
                "term": answer.terminal_no,
                "pt": answer.collection_point,
                "sn": request.device_serial,
            },
        )
    context.server_clock.learn(answer.server_time, rtt_ms=result.rtt_ms)
    identity = load_identity(journal)
    assert identity is not None  # noqa: S101 - just saved
    attach_identity(context, identity)
    return identity


def heartbeat_of(context: TerminalContext) -> Heartbeat:
    """The heartbeat now: queue depth, version, and the journal-damage report if there is one."""
    return Heartbeat(
        queue_depth=context.journal.waiting_count(),
        version=context.config.version,
        journal_damage=context.journal_damage,
    )


def sign_in(
    context: TerminalContext,
    *,
    agent_account: str,
    password: str,
    organisation_code: str,
    offline_allowance: int = 0,
) -> Session:
    """签到: open the business day; the session kept in the journal file.

    Raises:
        TerminalRefusalError: ``not_enrolled``; ``invalid_field`` for an empty account, password or
            organisation code, or a negative allowance.
        ServerRefusalError: ``agent_account_unknown``, ``password_wrong``, ``organisation_wrong``,
            ``operator_locked``, ``agent_disabled``, ``offline_allowance_exceeded``,
            ``float_insufficient``… in the server's words.
        NoAnswerError: no answer.
    """
    context.require_identity()
    try:
        request = SignInRequest(
            agent_account=agent_account.strip(),
            password=password,
            organisation_code=organisation_code.strip(),
            offline_allowance=offline_allowance,
            heartbeat=heartbeat_of(context),
        )
    except ValueError as exc:
        raise refusal(
            "invalid_field",
            field="agent",
            message_zh="请输入代理商账号、密码和机构代码",
            message_en="enter the agent account, the password and the organisation code",
        ) from exc
    result = context.client.call(SIGN_IN, request)
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    if not isinstance(result, Answered):
        raise no_answer_error(result)
    answer: SignInAnswer = result.answer
    context.server_clock.learn(answer.server_time, rtt_ms=result.rtt_ms)
    journal = context.journal
    row = journal.append(
        EventKind.SIGNED_IN,
        {
            "agent": request.agent_account,
            "org": request.organisation_code,
            "op": answer.operator,
            "fa": answer.float_available,
            "fh": answer.float_held,
            "off": answer.offline_allowance,
            "now": int(answer.server_time.timestamp()),
        },
        business_date=answer.business_date,
        batch_no=answer.batch_no,
    )
    session = Session(
        answer=answer,
        agent_account=request.agent_account,
        organisation_code=request.organisation_code,
        sign_in_seq=row.seq,
        float_available=answer.float_available,
        float_held=answer.float_held,
    )
    save_session(journal, session)
    context.session = session
    if context.config.follow_server_timeout:
        context.client.set_read_timeout(float(answer.params.timeout_s))
    return session


def sign_out(context: TerminalContext) -> SignOutAnswer | None:
    """签退: leave the business day; the server releases what is left of the hold.

    Before the request leaves, a ``sign_out_sent`` row is journalled and the session marked, so a
    terminal that restarts after a sign-out whose answer was lost still knows to finish it (and
    takes no payment meanwhile: the server may already have released the offline allowance).
    The server answering such a retry ``not_signed_in`` means the earlier one went through: the
    session ends here too (journalled with ``lost``) and ``None`` is returned, what it released
    being known only to the server. Any other refusal means the day is still open on the server:
    the mark is taken off again.

    Raises:
        TerminalRefusalError: ``not_signed_in``.
        JournalUnwritableError: the sign-out could not be journalled (nothing sent).
        ServerRefusalError, NoAnswerError: the session stays open; try again.
    """
    session = context.require_session()
    retried = session.sign_out_sent
    offline_waiting = sum(1 for record in context.journal.waiting() if record.offline)
    if not retried:
        _mark_sign_out_sent(context, session, offline_waiting)
    result = context.client.call(
        SIGN_OUT, SignOutRequest(batch_no=session.batch_no, offline_pending=offline_waiting)
    )
    if isinstance(result, Refused):
        if retried and result.error.code == ErrorCode.NOT_SIGNED_IN:
            _end_session(context, session, {"lost": True, "pend": offline_waiting})
            return None
        context.update_session(replace(context.require_session(), sign_out_sent=False))
        raise ServerRefusalError(result.error)
    if not isinstance(result, Answered):
        raise no_answer_error(result)
    answer = result.answer
    _end_session(
        context,
        session,
        {
            "released": answer.released,
            "fa": answer.float_available,
            "fh": answer.float_held,
            "pend": offline_waiting,
        },
    )
    return answer


def _mark_sign_out_sent(context: TerminalContext, session: Session, offline_waiting: int) -> None:
    """Journal that a sign-out is about to leave, and mark the session, in one transaction."""
    journal = context.journal
    marked = replace(session, sign_out_sent=True)
    with journal.transaction():
        journal.append(
            EventKind.SIGN_OUT_SENT,
            {"pend": offline_waiting},
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
        save_session(journal, marked)
    context.session = marked


def _end_session(context: TerminalContext, session: Session, body: dict[str, object]) -> None:
    """Journal the sign-out and forget the session, in one journal transaction."""
    journal = context.journal
    with journal.transaction():
        journal.append(
            EventKind.SIGNED_OUT,
            body,
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
        clear_session(journal)
    context.session = None


def heartbeat(context: TerminalContext) -> HeartbeatAnswer:
    """Send the heartbeat (journal queue depth, version, any journal-damage report) and learn the
    server's time; it waits at most the query timeout (it also probes the link).

    Raises:
        ServerRefusalError, NoAnswerError.
    """
    context.require_identity()
    result = context.client.call(
        HEARTBEAT, heartbeat_of(context), timeout_s=context.config.query_timeout_s
    )
    if isinstance(result, Refused):
        raise ServerRefusalError(result.error)
    if not isinstance(result, Answered):
        raise no_answer_error(result)
    context.server_clock.learn(result.answer.server_time, rtt_ms=result.rtt_ms)
    return result.answer
