"""The journal checked at start: a missing or altered row is found, recorded, never repaired.

The check walks the whole hash chain (:meth:`Journal.verify`). What it finds is appended as a
``journal_damage`` row — once per distinct set of problems — so the damage itself becomes part of
the chained record, and the terminal reports it on its screen (:class:`JournalHealth`).

The server hears of it through the heartbeat: :attr:`JournalHealth.report` (count of problems,
first and last damaged rows, kinds) rides in every heartbeat and sign-in of a damaged terminal
(``jd``), and the terminal sends a heartbeat soon after it starts when the journal is damaged
(:meth:`Terminal.start_forwarding <gridpos.terminal.terminal.Terminal.start_forwarding>`). Damage
recorded at an earlier start is reported from its ``journal_damage`` row even if the chain holds
again now. The damaged rows are left exactly as found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gridpos.protocol.terminal.session import JournalDamage, JournalDamageKind
from gridpos.terminal.errors import JournalUnwritableError
from gridpos.terminal.journal import ChainProblem, EventKind, Journal

_KINDS = frozenset(kind.value for kind in JournalDamageKind)


@dataclass(frozen=True, slots=True)
class JournalHealth:
    """What the check at start found, and what the journal has recorded of damage ever."""

    rows: int
    problems: tuple[ChainProblem, ...]
    recorded_damage: tuple[int, ...]  # sequence numbers of journal_damage rows
    unfolded_rows: tuple[int, ...] = ()  # payment rows that could not be folded (damage)
    unrecorded: bool = False  # the problems could not be written down (the journal is unwritable)
    report: JournalDamage | None = None  # what the heartbeat tells the server; None when intact

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
    if problems:
        places = [(problem.kind.value, problem.seq) for problem in problems]
    else:  # damage recorded at an earlier start: report the latest record of it
        last = journal.last_row(EventKind.JOURNAL_DAMAGE)
        places = _recorded_places(last.body.get("problems") if last is not None else None)
    return JournalHealth(
        rows=report.rows,
        problems=problems,
        recorded_damage=recorded,
        unfolded_rows=unfolded,
        unrecorded=unrecorded,
        report=damage_report(places),
    )


def damage_report(places: Iterable[tuple[str, int]]) -> JournalDamage | None:
    """The heartbeat's report of damage at ``places`` (kind, sequence number); None for none.

    Kinds are listed once each, in the order first found; kinds unknown to the protocol and
    sequence numbers below 1 are left out.
    """
    kinds: list[JournalDamageKind] = []
    seqs: list[int] = []
    for kind_text, seq in places:
        if kind_text not in _KINDS or seq < 1:
            continue
        kind = JournalDamageKind(kind_text)
        seqs.append(seq)
        if kind not in kinds:
            kinds.append(kind)
    if not seqs:
        return None
    return JournalDamage(
        problems=len(seqs), first_seq=min(seqs), last_seq=max(seqs), kinds=tuple(kinds)
    )


def _recorded_places(listed: object) -> list[tuple[str, int]]:
    """The (kind, seq) pairs of a ``journal_damage`` row's ``problems`` list."""
    if not isinstance(listed, list):
        return []
    return [
        (item["kind"], item["seq"])
        for item in listed
        if isinstance(item, dict)
        and isinstance(item.get("kind"), str)
        and isinstance(item.get("seq"), int)
    ]
