"""The collector's business day on this terminal, as the server opened it at sign-in (签到).

The business date, batch number, operator, parameters and offline allowance all come from the
server's sign-in answer, never from the terminal's clock. The session is kept in the journal file
so a terminal that restarts mid-day carries on with the same day and batch; sign-out (签退) ends
it. The float (本机可用余额) shown between answers is the last one the server told.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import orjson

from gridpos.protocol.codec import decode, encode
from gridpos.protocol.terminal.session import SignInAnswer, TerminalParams
from gridpos.terminal.journal import Journal

SESSION_META = "session"


@dataclass(frozen=True, slots=True)
class Session:
    """An open business day: the sign-in answer and what the terminal learnt since."""

    answer: SignInAnswer
    agent_account: str
    organisation_code: str
    sign_in_seq: int
    float_available: int
    float_held: int
    batch_closed: bool = False
    sign_out_sent: bool = False  # a sign-out was sent and no answer has ended the day yet

    @property
    def business_date(self) -> date:
        return self.answer.business_date

    @property
    def batch_no(self) -> int:
        return self.answer.batch_no

    @property
    def params(self) -> TerminalParams:
        return self.answer.params

    @property
    def operator(self) -> str:
        return self.answer.operator

    @property
    def offline_allowance(self) -> int:
        return self.answer.offline_allowance


def load_session(journal: Journal) -> Session | None:
    """The open session kept in the journal, or ``None`` when signed out."""
    text = journal.meta(SESSION_META)
    if text is None:
        return None
    data = orjson.loads(text)
    return Session(
        answer=decode(SignInAnswer, data["answer"].encode("utf-8")),
        agent_account=data["agent"],
        organisation_code=data["org"],
        sign_in_seq=int(data["seq"]),
        float_available=int(data["fa"]),
        float_held=int(data["fh"]),
        batch_closed=bool(data.get("closed", False)),
        sign_out_sent=bool(data.get("so", False)),
    )


def save_session(journal: Journal, session: Session) -> None:
    data = {
        "answer": encode(session.answer).decode("utf-8"),
        "agent": session.agent_account,
        "org": session.organisation_code,
        "seq": session.sign_in_seq,
        "fa": session.float_available,
        "fh": session.float_held,
        "closed": session.batch_closed,
        "so": session.sign_out_sent,
    }
    journal.set_meta(SESSION_META, orjson.dumps(data).decode("utf-8"))


def clear_session(journal: Journal) -> None:
    journal.set_meta(SESSION_META, None)


def with_float(session: Session, *, available: int | None, held: int | None = None) -> Session:
    """The session with the float the server last told (unchanged parts left as they were)."""
    return replace(
        session,
        float_available=session.float_available if available is None else available,
        float_held=session.float_held if held is None else held,
    )
