"""The journal checked at start: a missing or altered row is found, recorded, never repaired.

The check walks the whole hash chain (:meth:`Journal.verify`). What it finds is appended as a
``journal_damage`` row — once per distinct set of problems — so the damage itself becomes part of
the chained record, and the terminal reports it on its screen (:class:`JournalHealth`).

The terminal API has no message that carries a damage report to the server (the heartbeat has
signal, battery, queue depth and version only); until it does, the report stays in the journal
and on the screen. The damaged rows are left exactly as found.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridpos.terminal.errors import JournalUnwritableError
from gridpos.terminal.journal import ChainProblem, EventKind, Journal


@dataclass(frozen=True, slots=True)
class JournalHealth:
    """What the check at start found, and what the journal has recorded of damage ever."""

    rows: int
    problems: tuple[ChainProblem, ...]
    recorded_damage: tuple[int, ...]  # sequence numbers of journal_damage rows
    unfolded_rows: tuple[int, ...] = ()  # payment rows that could not be folded (damage)
    unrecorded: bool = False  # the problems could not be written down (the journal is unwritable)

    @property
    def intact(self) -> bool:
        """No problem now, and none ever recorded."""
        return not self.problems and not self.recorded_damage

    @property
    def message_zh(self) -> str:
        if self.intact:
            return "终端流水完整"
        return "终端流水校验失败（记录缺失或被改动），已记录，请联系供电所"

    @property
    def message_en(self) -> str:
        if self.intact:
            return "the terminal journal is intact"
        return "the journal failed its check (rows missing or altered); recorded — call the station"


def check_journal(journal: Journal) -> JournalHealth:
    """Verify the chain; record new problems as a ``journal_damage`` row.

    Never raises for an unwritable journal: the terminal still starts and shows the problem (and
    refuses payments, which need the journal).
    """
    report = journal.verify()
    problems = tuple(report.problems)
    unfolded: tuple[int, ...] = ()
    unrecorded = False
    try:
        if problems:
            listed = [problem.as_dict() for problem in problems]
            last = journal.last_row(EventKind.JOURNAL_DAMAGE)
            if last is None or last.body.get("problems") != listed:
                journal.append(
                    EventKind.JOURNAL_DAMAGE,
                    {"problems": listed, "rows": report.rows, "head": report.head_seq},
                )
        if not journal.payments_in_step():
            unfolded = tuple(journal.rebuild_payments())
    except JournalUnwritableError:
        unrecorded = True
    recorded = tuple(row.seq for row in journal.rows(kind=EventKind.JOURNAL_DAMAGE))
    return JournalHealth(
        rows=report.rows,
        problems=problems,
        recorded_damage=recorded,
        unfolded_rows=unfolded,
        unrecorded=unrecorded,
    )
