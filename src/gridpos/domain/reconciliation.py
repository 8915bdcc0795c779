"""Reconciliation (对账): how the terminal's journal, the company's payments and the MIS postings
are compared, what each kind of difference is called, and how it is put right.

Three records of one payment, matched by its transaction id:

- the **journal**: the terminal's row as it uploaded it (批上送 at batch close, offline upload);
  a batch closed balanced attests its payments without a detail (``ATTESTED``), a batch still open
  has not reported yet (``UNREPORTED``) — neither is compared line by line;
- the **company**: our payment, with its state at the end of its own business date (what the
  terminal can know: reversals and voids are same-day) and its state at the end of the range the
  MIS is compared over;
- the **MIS**: the posting (进账) with its state (posted, reversed, cancelled).

:func:`classify` names each difference — at most one between the journal and the company and one
between the company and the MIS — with a proposed remedy and whether that remedy is safe to apply
without a person:

- terminal-only (单边帐, terminal side), journal–company: confirm from the journal (补单), then
  post — safe when the journal says confirmed or offline and the MIS has nothing;
- company-only (单边帐, company side), journal–company: reverse if the collector cancelled, else
  confirm and reprint — for a person;
- amount differs, either sides: investigate (write off, cancel) — for a person;
- status differs, journal–company: reverse or confirm, or investigate — for a person;
- MIS-missing, company–MIS: re-post through the outbox, or wait for the outbox — safe;
- MIS-only, company–MIS: flag for 冲销 at the MIS — for a person;
- status differs (we undid it, the MIS did not), company–MIS: send the undo again, or wait —
  safe; (the MIS undid it, we did not): investigate — for a person.

What a person may do with a difference (:class:`Action`) depends on its kind
(:func:`allowed_actions`); a reversal (冲正) is for the payment's own business day, a
cancellation (冲销) for any later one (:func:`undo_action_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final


class Between(StrEnum):
    """Which two records a difference is between."""

    TERMINAL_COMPANY = "terminal_company"
    COMPANY_MIS = "company_mis"


class DifferenceKind(StrEnum):
    TERMINAL_ONLY = "terminal_only"  # 单边帐: the terminal took cash, the company has no payment
    COMPANY_ONLY = "company_only"  # 单边帐: the company has a payment the terminal never had
    MIS_MISSING = "mis_missing"  # the company's payment stands, the MIS has no posting
    MIS_ONLY = "mis_only"  # the MIS has a posting of ours the company lacks
    AMOUNT_DIFFERS = "amount_differs"
    STATUS_DIFFERS = "status_differs"

    @property
    def label_zh(self) -> str:
        return _KIND_LABELS_ZH[self]


_KIND_LABELS_ZH: Final = {
    DifferenceKind.TERMINAL_ONLY: "终端单边帐",
    DifferenceKind.COMPANY_ONLY: "公司单边帐",
    DifferenceKind.MIS_MISSING: "营销系统缺少进账",
    DifferenceKind.MIS_ONLY: "营销系统多出进账",
    DifferenceKind.AMOUNT_DIFFERS: "金额不符",
    DifferenceKind.STATUS_DIFFERS: "状态不符",
}


class Remedy(StrEnum):
    """What is proposed for a difference."""

    CONFIRM_FROM_JOURNAL = "confirm_from_journal"  # 补单 with the original cash time, then post
    REPOST = "repost"  # the payment's posting again, through the outbox
    RESEND_UNDO = "resend_undo"  # the payment's undo again, through the outbox
    AWAIT_DELIVERY = "await_delivery"  # the outbox still holds it: nothing to do but wait
    CONFIRM_OR_REVERSE = "confirm_or_reverse"  # reverse if the collector cancelled, else confirm
    REVERSE = "reverse"  # the terminal undid it, the company did not
    CANCEL_AT_MIS = "cancel_at_mis"  # 冲销 of the MIS's posting
    INVESTIGATE = "investigate"  # a person finds out which side is right

    @property
    def automatic(self) -> bool:
        """Whether the remedy is one the engine may apply itself (see :attr:`Finding.safe`)."""
        return self in _AUTOMATIC


_AUTOMATIC: Final = frozenset(
    {Remedy.CONFIRM_FROM_JOURNAL, Remedy.REPOST, Remedy.RESEND_UNDO, Remedy.AWAIT_DELIVERY}
)


class Action(StrEnum):
    """What a named operator may resolve a difference with (under maker-checker)."""

    REVERSE = "reverse"  # 冲正 of the payment, on its own business day
    CANCEL = "cancel"  # 冲销: of the payment, or of the MIS's posting when the company has none
    CONFIRM = "confirm"  # the payment stands (confirm from the journal, post it again, reprint)
    WRITE_OFF = "write_off"  # accepted as it is, with a reason

    @property
    def label_zh(self) -> str:
        return _ACTION_LABELS_ZH[self]


_ACTION_LABELS_ZH: Final = {
    Action.REVERSE: "冲正",
    Action.CANCEL: "冲销",
    Action.CONFIRM: "确认",
    Action.WRITE_OFF: "核销",
}


class Coverage(StrEnum):
    """How the terminal reported the batch a payment belongs to."""

    DETAIL = "detail"  # every journal row uploaded (批上送)
    ATTESTED = "attested"  # closed balanced: the totals agreed, no detail sent
    UNREPORTED = "unreported"  # not closed yet (or no batch)


CASH_TAKEN: Final = frozenset({"confirmed", "pending", "unknown"})
WAITING: Final = frozenset({"pending", "unknown"})
UNDONE: Final = frozenset({"reversed", "voided", "cancelled"})
STANDING: Final = "confirmed"
POSTED: Final = "posted"


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """A payment as the terminal's journal had it when uploaded."""

    cash: int
    state: str  # the wire state: pending, unknown, confirmed, rejected, reversed, voided
    offline: bool
    cash_time: datetime | None = None

    @property
    def stands(self) -> bool:
        """Counts as collected on the terminal: confirmed, or taken offline and not refused."""
        return self.state == STANDING or (self.offline and self.state in WAITING)


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """Our payment: its cash and state at the two moments the comparisons are made."""

    cash: int
    business_date: date
    state_at_day_end: str  # compared with the journal
    state_for_mis: str  # compared with the MIS (at the range's end, or the day's end for a file)
    mis_state: str = "none"  # payments.mis_state
    post_in_flight: bool = False  # a mis.post outbox row still pending
    undo_in_flight: bool = False  # a mis.reverse / mis.cancel outbox row still pending


@dataclass(frozen=True, slots=True)
class MisRecord:
    """The MIS's posting of the payment."""

    cash: int
    state: str  # posted, reversed, cancelled
    serial: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference: what it is, between which records, what is proposed, and why."""

    between: Between
    kind: DifferenceKind
    remedy: Remedy
    safe: bool
    reason: str  # a stable code saying why this remedy (and why it is or is not safe)


def journal_agrees(journal: JournalRecord, company_state: str) -> bool:
    """Whether the journal's state agrees with the company's at the end of the business date.

    A payment the terminal still waits on agrees with either outcome only when it was taken
    offline (nothing can undo it) or when the company has it undone (the collector's cancel got
    through); an online payment still waiting that the company has confirmed does not agree:
    the collector either holds the cash (confirm, reprint) or gave it back (reverse).
    """
    if company_state == STANDING:
        return journal.state == STANDING or (journal.offline and journal.state in WAITING)
    if company_state in UNDONE:
        return journal.state in UNDONE or journal.state in WAITING
    return journal.state == company_state


def _between_terminal_and_company(
    journal: JournalRecord | None,
    company: CompanyRecord | None,
    *,
    coverage: Coverage,
    tombstoned: bool,
    mis_has_it: bool,
) -> Finding | None:
    if company is None:
        if journal is None or journal.state not in CASH_TAKEN or tombstoned:
            return None  # cancelled before the company had it, or never taken
        final = journal.state == STANDING or journal.offline
        if mis_has_it:
            return _terminal_only(safe=False, reason="mis_has_a_posting")
        if not final:
            return _terminal_only(safe=False, reason="journal_waiting_online")
        return _terminal_only(
            safe=True, reason="journal_confirmed" if not journal.offline else "journal_offline"
        )
    if coverage is not Coverage.DETAIL:
        return None  # nothing uploaded line by line to compare with
    if journal is None:
        if company.state_at_day_end != STANDING:
            return None
        return Finding(
            Between.TERMINAL_COMPANY,
            DifferenceKind.COMPANY_ONLY,
            Remedy.CONFIRM_OR_REVERSE,
            safe=False,
            reason="not_in_journal",
        )
    if journal.cash != company.cash:
        return Finding(
            Between.TERMINAL_COMPANY,
            DifferenceKind.AMOUNT_DIFFERS,
            Remedy.INVESTIGATE,
            safe=False,
            reason="journal_amount",
        )
    if journal_agrees(journal, company.state_at_day_end):
        return None
    if company.state_at_day_end == STANDING and journal.state in WAITING:
        remedy, reason = Remedy.CONFIRM_OR_REVERSE, "journal_waiting_online"
    elif company.state_at_day_end == STANDING and journal.state in UNDONE:
        remedy, reason = Remedy.REVERSE, "journal_undone"
    else:
        remedy, reason = Remedy.INVESTIGATE, "journal_state"
    return Finding(Between.TERMINAL_COMPANY, DifferenceKind.STATUS_DIFFERS, remedy, False, reason)


def _terminal_only(*, safe: bool, reason: str) -> Finding:
    return Finding(
        Between.TERMINAL_COMPANY,
        DifferenceKind.TERMINAL_ONLY,
        Remedy.CONFIRM_FROM_JOURNAL,
        safe=safe,
        reason=reason,
    )


def _between_company_and_mis(
    company: CompanyRecord | None, mis: MisRecord | None
) -> Finding | None:
    if company is None:
        if mis is None or mis.state != POSTED:
            return None
        return Finding(
            Between.COMPANY_MIS,
            DifferenceKind.MIS_ONLY,
            Remedy.CANCEL_AT_MIS,
            safe=False,
            reason="no_payment",
        )
    if company.state_for_mis == STANDING:
        if mis is None:
            if company.post_in_flight:
                remedy, reason = Remedy.AWAIT_DELIVERY, "post_in_outbox"
            else:
                remedy, reason = Remedy.REPOST, f"mis_state_{company.mis_state}"
            return Finding(Between.COMPANY_MIS, DifferenceKind.MIS_MISSING, remedy, True, reason)
        if mis.state != POSTED:
            return Finding(
                Between.COMPANY_MIS,
                DifferenceKind.STATUS_DIFFERS,
                Remedy.INVESTIGATE,
                safe=False,
                reason="mis_undone",
            )
        if mis.cash != company.cash:
            return Finding(
                Between.COMPANY_MIS,
                DifferenceKind.AMOUNT_DIFFERS,
                Remedy.INVESTIGATE,
                safe=False,
                reason="mis_amount",
            )
        return None
    if mis is None or mis.state != POSTED:
        return None  # undone here, and absent or undone there
    if company.undo_in_flight or company.post_in_flight:
        return Finding(
            Between.COMPANY_MIS,
            DifferenceKind.STATUS_DIFFERS,
            Remedy.AWAIT_DELIVERY,
            safe=True,
            reason="undo_in_outbox",
        )
    return Finding(
        Between.COMPANY_MIS,
        DifferenceKind.STATUS_DIFFERS,
        Remedy.RESEND_UNDO,
        safe=True,
        reason=f"mis_state_{company.mis_state}",
    )


def classify(
    *,
    journal: JournalRecord | None,
    company: CompanyRecord | None,
    mis: MisRecord | None,
    coverage: Coverage,
    compare_mis: bool,
    tombstoned: bool = False,
) -> tuple[Finding, ...]:
    """Every difference between the three records of one payment (none when they agree).

    ``coverage`` says how the terminal reported the payment's batch (ignored when the company
    has no payment: a journal row is then always compared). ``compare_mis`` is false when the run
    has no MIS side (the MIS could not be read): then nothing is said about the MIS.
    ``tombstoned``: a reversal (冲正) arrived before the payment, which the company then refused.
    """
    found: list[Finding] = []
    mis_has_it = compare_mis and mis is not None and mis.state == POSTED
    first = _between_terminal_and_company(
        journal, company, coverage=coverage, tombstoned=tombstoned, mis_has_it=mis_has_it
    )
    if first is not None:
        found.append(first)
    if compare_mis:
        second = _between_company_and_mis(company, mis)
        if second is not None:
            found.append(second)
    return tuple(found)


def undo_action_for(*, business_date: date, today: date) -> Action:
    """A payment is reversed (冲正) on its own business day and cancelled (冲销) after it."""
    return Action.REVERSE if business_date >= today else Action.CANCEL


def allowed_actions(
    finding_kind: DifferenceKind,
    between: Between,
    *,
    company_stands: bool,
    business_date: date | None,
    today: date,
    company_offline: bool = False,
) -> tuple[Action, ...]:
    """What an operator may resolve a difference of this kind with.

    The undo of a standing payment is a reversal on its own business day and a cancellation
    after (never both), and none of a payment taken offline (its cash was held for it: nothing
    is given back at the counter); an MIS-only posting can only be cancelled at the MIS or
    written off.
    """
    undo: tuple[Action, ...] = ()
    if company_stands and business_date is not None and not company_offline:
        undo = (undo_action_for(business_date=business_date, today=today),)
    if finding_kind is DifferenceKind.TERMINAL_ONLY:
        return (Action.CONFIRM, Action.WRITE_OFF)
    if finding_kind is DifferenceKind.MIS_ONLY:
        return (Action.CANCEL, Action.WRITE_OFF)
    if finding_kind is DifferenceKind.MIS_MISSING:
        return (Action.CONFIRM, *undo, Action.WRITE_OFF)
    if between is Between.COMPANY_MIS and not company_stands:
        # we undid the payment and the MIS still has it posted: cancel it there
        return (Action.CANCEL, Action.WRITE_OFF)
    if finding_kind is DifferenceKind.AMOUNT_DIFFERS:
        return (*undo, Action.WRITE_OFF)
    return (Action.CONFIRM, *undo, Action.WRITE_OFF)


def signature(
    journal: JournalRecord | None, company: CompanyRecord | None, mis: MisRecord | None
) -> str:
    """The figures a difference was found with, as one string: a difference written off or
    confirmed is accepted when a later run finds it again with the same figures, and reopened
    when they changed."""
    parts = [
        f"t:{journal.cash}:{journal.state}" if journal is not None else "t:-",
        f"c:{company.cash}:{company.state_at_day_end}:{company.state_for_mis}"
        if company is not None
        else "c:-",
        f"m:{mis.cash}:{mis.state}" if mis is not None else "m:-",
    ]
    return "|".join(parts)
