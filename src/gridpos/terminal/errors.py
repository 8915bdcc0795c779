"""The refusals of the terminal library: each a :class:`DomainError` with a stable code.

Three families, so a screen can say the right thing:

- the terminal refuses on its own (bad input, limits, journal trouble, no session) before anything
  is journalled or sent — :class:`TerminalRefusalError`, :class:`JournalUnwritableError`;
- the server refused — :class:`ServerRefusalError`, carrying the server's :class:`ErrorBody` and
  showing it exactly as the server words it;
- nobody answered — :class:`NoAnswerError` (a read that could not be done; a write never raises
  it: its outcome is journalled as unknown and resolved later).

Where a terminal-side check mirrors a server rule (limits, partial payment, session), it uses the
server's code and catalogue wording so the collector reads the same sentence either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridpos.domain.errors import DomainError
from gridpos.protocol.errors import CATALOGUE, ErrorBody, ErrorCode


class TerminalError(DomainError):
    """Base of every anticipated failure of the terminal library."""

    code = "terminal_error"


class TerminalRefusalError(TerminalError):
    """The terminal refused on its own: bad input, a limit, a state, no session or enrolment.

    Nothing was journalled and nothing was sent.
    """

    code = "terminal_refused"


class JournalUnwritableError(TerminalError):
    """The journal cannot be written (disk full, read-only, I/O error): no payment may start.

    Code ``journal_unwritable``; ``details["reason"]`` is ``disk_full``, ``read_only``,
    ``io_error`` or ``low_space``.
    """

    code = "journal_unwritable"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(
            field="journal",
            message_zh="终端流水无法写入（存储空间不足或不可写），不能收费，请联系供电所",
            message_en=(
                "the terminal journal cannot be written (storage full or read-only);"
                " no payment can start"
            ),
            details={"reason": reason, "detail": detail} if detail else {"reason": reason},
        )
        self.reason = reason


class JournalFormatError(TerminalError):
    """The journal file is not a journal of this program (or of a newer version).

    Code ``journal_format``.
    """

    code = "journal_format"


class ServerRefusalError(TerminalError):
    """The server refused: its code, field and messages exactly as it sent them."""

    code = "server_refused"

    def __init__(self, body: ErrorBody) -> None:
        super().__init__(
            code=body.code,
            field=body.field,
            message_zh=body.message_zh,
            message_en=body.message_en,
            details=dict(body.details or {}),
        )
        self.body = body


class NoAnswerError(TerminalError):
    """A request that reads (query, statistics, reprint…) got no answer.

    Code ``no_answer``; ``details["reason"]`` says how the link failed. When the server answered
    with a fault of its own (5xx), :attr:`body` carries its words.
    """

    code = "no_answer"

    def __init__(self, reason: str, *, body: ErrorBody | None = None) -> None:
        if body is not None:
            message_zh, message_en = body.message_zh, body.message_en
        else:
            message_zh = "通讯失败，未收到系统应答，请稍后重试"
            message_en = "no answer from the server; try again shortly"
        super().__init__(
            field=None, message_zh=message_zh, message_en=message_en, details={"reason": reason}
        )
        self.reason = reason
        self.body = body


def catalogue_refusal(
    code: ErrorCode,
    *,
    field: str | None = None,
    details: Mapping[str, Any] | None = None,
    message_zh: str | None = None,
    message_en: str | None = None,
) -> TerminalRefusalError:
    """A terminal-side refusal worded as the server's catalogue words the same rule."""
    spec = CATALOGUE[code]
    return TerminalRefusalError(
        code=code.value,
        field=field if field is not None else spec.field,
        message_zh=message_zh or spec.message_zh,
        message_en=message_en or spec.message_en,
        details=dict(details or {}),
    )


def refusal(
    code: str,
    *,
    field: str | None,
    message_zh: str,
    message_en: str,
    details: Mapping[str, Any] | None = None,
) -> TerminalRefusalError:
    """A terminal-side refusal with its own code and words."""
    return TerminalRefusalError(
        code=code,
        field=field,
        message_zh=message_zh,
        message_en=message_en,
        details=dict(details or {}),
    )


def not_enrolled() -> TerminalRefusalError:
    """Code ``not_enrolled``: the terminal has no key yet."""
    return refusal(
        "not_enrolled",
        field=None,
        message_zh="终端尚未开通，请输入开通码",
        message_en="this terminal is not enrolled yet; enter the enrolment code",
    )


def not_signed_in() -> TerminalRefusalError:
    """Code ``not_signed_in`` (the server's wording): no open business day on this terminal."""
    return catalogue_refusal(ErrorCode.NOT_SIGNED_IN)


def sign_out_unfinished() -> TerminalRefusalError:
    """Code ``sign_out_unfinished``: a sign-out was sent and not answered; no payment until it is
    finished (the server may already have ended the day and released the offline allowance)."""
    return refusal(
        "sign_out_unfinished",
        field=None,
        message_zh="签退已发出但未收到应答，请先完成签退（菜单5），再重新签到收费",
        message_en=(
            "a sign-out was sent and not answered; finish the sign-out (menu 5), then sign in"
            " again to collect"
        ),
    )
