"""The classification of differences, one worked case per row of the rules: what each record
says, and the difference (kind, between which records, remedy, whether safe) that follows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gridpos.domain.reconciliation import (
    Action,
    Between,
    CompanyRecord,
    Coverage,
    DifferenceKind,
    Finding,
    JournalRecord,
    MisRecord,
    Remedy,
    allowed_actions,
    classify,
    journal_agrees,
    signature,
    undo_action_for,
)

DAY = date(2026, 4, 10)
AT = datetime(2026, 4, 10, 2, 30, tzinfo=UTC)
TC, CM = Between.TERMINAL_COMPANY, Between.COMPANY_MIS


def journal(state: str = "confirmed", cash: int = 1000, *, offline: bool = False) -> JournalRecord:
    return JournalRecord(cash=cash, state=state, offline=offline, cash_time=AT)


def company(
    state: str = "confirmed",
    cash: int = 1000,
    *,
    for_mis: str | None = None,
    mis_state: str = "posted",
    post_in_flight: bool = False,
    undo_in_flight: bool = False,
) -> CompanyRecord:
    return CompanyRecord(
        cash=cash,
        business_date=DAY,
        state_at_day_end=state,
        state_for_mis=for_mis or state,
        mis_state=mis_state,
        post_in_flight=post_in_flight,
        undo_in_flight=undo_in_flight,
    )


def mis(state: str = "posted", cash: int = 1000) -> MisRecord:
    return MisRecord(cash=cash, state=state, serial="2026041000000001")


def found(
    j: JournalRecord | None,
    c: CompanyRecord | None,
    m: MisRecord | None,
    *,
    coverage: Coverage = Coverage.DETAIL,
    compare_mis: bool = True,
    tombstoned: bool = False,
) -> list[tuple[Between, DifferenceKind, Remedy, bool]]:
    return [
        (f.between, f.kind, f.remedy, f.safe)
        for f in classify(
            journal=j,
            company=c,
            mis=m,
            coverage=coverage,
            compare_mis=compare_mis,
            tombstoned=tombstoned,
        )
    ]


def test_three_records_that_agree_are_no_difference() -> None:
    assert found(journal(), company(), mis()) == []
    # offline, still waiting on the terminal: the company has it, so does the MIS
    assert found(journal("pending", offline=True), company(), mis()) == []
    # reversed the same day everywhere; the MIS reversed it too, or never had it
    assert found(journal("reversed"), company("reversed"), mis("reversed")) == []
    assert found(journal("reversed"), company("reversed"), None) == []


def test_a_batch_that_sent_no_detail_is_not_compared_line_by_line() -> None:
    for coverage in (Coverage.ATTESTED, Coverage.UNREPORTED):
        assert found(None, company(), mis(), coverage=coverage) == []


def test_terminal_only_is_confirmed_from_the_journal_when_safe() -> None:
    remedy = Remedy.CONFIRM_FROM_JOURNAL
    # the terminal has it confirmed (the company lost it) or took it offline: safe
    assert found(journal("confirmed"), None, None) == [
        (TC, DifferenceKind.TERMINAL_ONLY, remedy, True)
    ]
    assert found(journal("pending", offline=True), None, None) == [
        (TC, DifferenceKind.TERMINAL_ONLY, remedy, True)
    ]
    # online and still waiting: the collector may have given the cash back — a person decides
    assert found(journal("unknown"), None, None) == [
        (TC, DifferenceKind.TERMINAL_ONLY, remedy, False)
    ]
    # the MIS has a posting of it already: a person decides, and the MIS-only is named too
    assert found(journal("confirmed"), None, mis()) == [
        (TC, DifferenceKind.TERMINAL_ONLY, remedy, False),
        (CM, DifferenceKind.MIS_ONLY, Remedy.CANCEL_AT_MIS, False),
    ]


def test_a_cancelled_or_refused_journal_row_without_a_payment_agrees() -> None:
    assert found(journal("reversed"), None, None) == []
    assert found(journal("rejected"), None, None) == []
    # a reversal (冲正) that arrived first: the late original was refused on purpose
    assert found(journal("unknown"), None, None, tombstoned=True) == []


def test_company_only_is_for_a_person() -> None:
    assert found(None, company(), mis()) == [
        (TC, DifferenceKind.COMPANY_ONLY, Remedy.CONFIRM_OR_REVERSE, False)
    ]
    # undone by the end of its day and not in the journal: nothing to say
    assert found(None, company("voided"), None) == []


def test_journal_and_company_that_disagree() -> None:
    assert found(journal(cash=900), company(), mis()) == [
        (TC, DifferenceKind.AMOUNT_DIFFERS, Remedy.INVESTIGATE, False)
    ]
    # cut after the server committed, the collector cancelled, the reversal never arrived
    assert found(journal("unknown"), company(), mis()) == [
        (TC, DifferenceKind.STATUS_DIFFERS, Remedy.CONFIRM_OR_REVERSE, False)
    ]
    assert found(journal("reversed"), company(), mis()) == [
        (TC, DifferenceKind.STATUS_DIFFERS, Remedy.REVERSE, False)
    ]
    assert found(journal("confirmed"), company("reversed"), None) == [
        (TC, DifferenceKind.STATUS_DIFFERS, Remedy.INVESTIGATE, False)
    ]
    # the collector cancelled and the reversal got through: the journal still says unknown
    assert found(journal("unknown"), company("reversed"), None) == []


def test_mis_missing_is_posted_again_or_awaited() -> None:
    assert found(journal(), company(mis_state="posted"), None) == [
        (CM, DifferenceKind.MIS_MISSING, Remedy.REPOST, True)
    ]
    assert found(journal(), company(mis_state="pending", post_in_flight=True), None) == [
        (CM, DifferenceKind.MIS_MISSING, Remedy.AWAIT_DELIVERY, True)
    ]


def test_mis_only_is_flagged_for_cancellation() -> None:
    assert found(None, None, mis()) == [(CM, DifferenceKind.MIS_ONLY, Remedy.CANCEL_AT_MIS, False)]
    assert found(None, None, mis("cancelled")) == []


def test_company_and_mis_that_disagree() -> None:
    assert found(journal(), company(), mis(cash=1001)) == [
        (CM, DifferenceKind.AMOUNT_DIFFERS, Remedy.INVESTIGATE, False)
    ]
    assert found(journal(), company(), mis("cancelled")) == [
        (CM, DifferenceKind.STATUS_DIFFERS, Remedy.INVESTIGATE, False)
    ]
    # undone here, still posted there: the undo is sent again, or awaited
    assert found(journal("reversed"), company("reversed", mis_state="failed"), mis()) == [
        (CM, DifferenceKind.STATUS_DIFFERS, Remedy.RESEND_UNDO, True)
    ]
    assert found(
        journal("reversed"),
        company("reversed", mis_state="undo_pending", undo_in_flight=True),
        mis(),
    ) == [(CM, DifferenceKind.STATUS_DIFFERS, Remedy.AWAIT_DELIVERY, True)]


def test_a_cancellation_after_the_range_is_not_a_difference_of_the_range() -> None:
    # standing at the end of its day and at the end of the range; cancelled later
    late = company("confirmed", for_mis="confirmed")
    assert found(journal(), late, mis()) == []
    # a file lists what stood at the end of the day: compared as of then
    assert found(journal(), company("confirmed", for_mis="confirmed"), mis()) == []


def test_without_the_mis_nothing_is_said_about_it() -> None:
    assert found(journal(), company(), None, compare_mis=False) == []
    assert found(None, None, mis(), compare_mis=False) == []


def test_journal_agreement_by_state() -> None:
    assert journal_agrees(journal("confirmed"), "confirmed")
    assert not journal_agrees(journal("pending"), "confirmed")
    assert journal_agrees(journal("pending", offline=True), "confirmed")
    assert journal_agrees(journal("unknown"), "voided")
    assert not journal_agrees(journal("confirmed"), "voided")


@pytest.mark.parametrize(
    ("kind", "between", "stands", "offline", "expected"),
    [
        (DifferenceKind.TERMINAL_ONLY, TC, False, False, (Action.CONFIRM, Action.WRITE_OFF)),
        (DifferenceKind.MIS_ONLY, CM, False, False, (Action.CANCEL, Action.WRITE_OFF)),
        (
            DifferenceKind.COMPANY_ONLY,
            TC,
            True,
            False,
            (Action.CONFIRM, Action.REVERSE, Action.WRITE_OFF),
        ),
        # taken offline: nothing is given back at the counter
        (DifferenceKind.COMPANY_ONLY, TC, True, True, (Action.CONFIRM, Action.WRITE_OFF)),
        (DifferenceKind.AMOUNT_DIFFERS, CM, True, False, (Action.REVERSE, Action.WRITE_OFF)),
        (DifferenceKind.STATUS_DIFFERS, CM, False, False, (Action.CANCEL, Action.WRITE_OFF)),
        (
            DifferenceKind.MIS_MISSING,
            CM,
            True,
            False,
            (Action.CONFIRM, Action.REVERSE, Action.WRITE_OFF),
        ),
    ],
)
def test_allowed_actions_on_the_payments_own_day(
    kind: DifferenceKind,
    between: Between,
    stands: bool,
    offline: bool,
    expected: tuple[Action, ...],
) -> None:
    assert (
        allowed_actions(
            kind,
            between,
            company_stands=stands,
            business_date=DAY if stands else None,
            today=DAY,
            company_offline=offline,
        )
        == expected
    )


def test_a_later_day_cancels_instead_of_reversing() -> None:
    assert undo_action_for(business_date=DAY, today=DAY) is Action.REVERSE
    assert undo_action_for(business_date=DAY, today=date(2026, 4, 11)) is Action.CANCEL
    assert allowed_actions(
        DifferenceKind.COMPANY_ONLY,
        TC,
        company_stands=True,
        business_date=DAY,
        today=date(2026, 4, 11),
    ) == (Action.CONFIRM, Action.CANCEL, Action.WRITE_OFF)


def test_the_signature_changes_with_any_figure() -> None:
    base = signature(journal(), company(), mis(cash=1001))
    assert base == "t:1000:confirmed|c:1000:confirmed:confirmed|m:1001:posted"
    assert signature(journal(), company(), mis(cash=1002)) != base
    assert signature(None, company(), None) == "t:-|c:1000:confirmed:confirmed|m:-"


def test_a_finding_names_why() -> None:
    (finding,) = classify(
        journal=journal("unknown"),
        company=None,
        mis=None,
        coverage=Coverage.DETAIL,
        compare_mis=True,
    )
    assert finding == Finding(
        TC,
        DifferenceKind.TERMINAL_ONLY,
        Remedy.CONFIRM_FROM_JOURNAL,
        False,
        "journal_waiting_online",
    )
    assert DifferenceKind.TERMINAL_ONLY.label_zh == "终端单边帐"
