"""Worked examples of payment allocation, every figure computed by hand (fen)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gridpos.domain.allocation import (
    Allocation,
    AllocationError,
    OpenReceivable,
    allocate,
    amount_due,
    round_up_amount,
)


def rec(
    receivable_id: int, period: str, principal: int, penalty: int = 0, run_no: int = 1
) -> OpenReceivable:
    return OpenReceivable(
        receivable_id=receivable_id,
        period=period,
        run_no=run_no,
        principal_unpaid=principal,
        penalty=penalty,
    )


@dataclass(frozen=True)
class Case:
    name: str
    receivables: tuple[OpenReceivable, ...]
    cash: int
    prepaid: int = 0
    rounding_credit: int = 0
    allow_partial: bool = False
    rounding_up: int = 0
    # expected: (receivable_id, penalty_paid, principal_paid, settles) oldest first
    lines: tuple[tuple[int, int, int, bool], ...] = ()
    prepaid_used: int = 0
    prepaid_added: int = 0
    rounding_used: int = 0
    rounding_added: int = 0
    total_due: int = 0


CASES = [
    Case(
        "oldest first: January before February, whatever order they come in",
        receivables=(rec(2, "202402", 5000), rec(1, "202401", 10000, penalty=150)),
        cash=15150,
        lines=((1, 150, 10000, True), (2, 0, 5000, True)),
        total_due=15150,
    ),
    Case(
        "same month: run 1 before run 2, partial allowed",
        receivables=(rec(7, "202403", 800, run_no=2), rec(8, "202403", 1200, run_no=1)),
        cash=1500,
        allow_partial=True,
        lines=((8, 0, 1200, True), (7, 0, 300, False)),
        total_due=2000,
    ),
    Case(
        "same month and run: lower id first",
        receivables=(rec(12, "202403", 700), rec(11, "202403", 700)),
        cash=1000,
        allow_partial=True,
        lines=((11, 0, 700, True), (12, 0, 300, False)),
        total_due=1400,
    ),
    Case(
        "penalty first: a payment smaller than the penalty pays only penalty",
        receivables=(rec(1, "202401", 10000, penalty=300),),
        cash=200,
        allow_partial=True,
        lines=((1, 200, 0, False),),
        total_due=10300,
    ),
    Case(
        "partial across two receivables: the second gets its penalty, then some principal",
        receivables=(rec(1, "202401", 1000, penalty=100), rec(2, "202402", 2000, penalty=50)),
        cash=1200,
        allow_partial=True,
        lines=((1, 100, 1000, True), (2, 50, 50, False)),
        total_due=3150,
    ),
    Case(
        "excess over the arrears becomes prepaid",
        receivables=(rec(1, "202405", 4321),),
        cash=5000,
        lines=((1, 0, 4321, True),),
        prepaid_added=679,
        total_due=4321,
    ),
    Case(
        "取整: 43.21 paid as 44.00, the 0.79 kept apart as rounding credit",
        receivables=(rec(1, "202405", 4321),),
        cash=4400,
        rounding_up=79,
        lines=((1, 0, 4321, True),),
        rounding_added=79,
        total_due=4321,
    ),
    Case(
        "取整 with more handed over: rounding part kept apart, the rest prepaid",
        receivables=(rec(1, "202405", 4321),),
        cash=10000,
        rounding_up=79,
        lines=((1, 0, 4321, True),),
        rounding_added=79,
        prepaid_added=5600,
        total_due=4321,
    ),
    Case(
        "a later bill consumes the rounding credit, then the prepaid balance",
        receivables=(rec(3, "202406", 5000),),
        cash=4242,
        prepaid=679,
        rounding_credit=79,
        lines=((3, 0, 5000, True),),
        rounding_used=79,
        prepaid_used=679,
        total_due=4242,
    ),
    Case(
        "credits larger than the bill: the cash is all prepaid, credits pay the bill",
        receivables=(rec(4, "202407", 1000),),
        cash=500,
        prepaid=3000,
        lines=((4, 0, 1000, True),),
        prepaid_used=1000,
        prepaid_added=500,
        total_due=0,
    ),
    Case(
        "rounding credit of 0.30 brings 10.00 down to 9.70; 取整 to 10.00 keeps 0.30 again",
        receivables=(rec(5, "202408", 1000),),
        cash=1000,
        rounding_credit=30,
        rounding_up=30,
        lines=((5, 0, 1000, True),),
        rounding_used=30,
        rounding_added=30,
        total_due=970,
    ),
    Case(
        "a customer with no arrears prepays",
        receivables=(),
        cash=10000,
        prepaid=250,
        prepaid_added=10000,
        total_due=0,
    ),
    Case(
        "partial allowed but funds cover everything: behaves as a full payment",
        receivables=(rec(1, "202401", 1000, penalty=100),),
        cash=1200,
        allow_partial=True,
        lines=((1, 100, 1000, True),),
        prepaid_added=100,
        total_due=1100,
    ),
    Case(
        "partial with credits: credits spent first, then all the cash",
        receivables=(rec(1, "202401", 3000, penalty=90), rec(2, "202402", 3000)),
        cash=2000,
        prepaid=400,
        rounding_credit=60,
        allow_partial=True,
        lines=((1, 90, 2370, False),),
        rounding_used=60,
        prepaid_used=400,
        total_due=5630,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_worked_example(case: Case) -> None:
    result = allocate(
        receivables=case.receivables,
        cash=case.cash,
        prepaid=case.prepaid,
        rounding_credit=case.rounding_credit,
        allow_partial=case.allow_partial,
        rounding_up=case.rounding_up,
    )
    got = tuple(
        (line.receivable_id, line.penalty_paid, line.principal_paid, line.settles)
        for line in result.lines
    )
    assert got == case.lines
    assert result.cash == case.cash
    assert result.total_due == case.total_due
    assert (result.prepaid_before, result.prepaid_used, result.prepaid_added) == (
        case.prepaid,
        case.prepaid_used,
        case.prepaid_added,
    )
    assert result.prepaid_after == case.prepaid - case.prepaid_used + case.prepaid_added
    assert (result.rounding_before, result.rounding_used, result.rounding_added) == (
        case.rounding_credit,
        case.rounding_used,
        case.rounding_added,
    )
    assert result.rounding_after == case.rounding_credit - case.rounding_used + case.rounding_added
    assert result.penalty_total == sum(line[1] for line in case.lines)
    assert result.principal_total == sum(line[2] for line in case.lines)
    _assert_conserved(result)


def _assert_conserved(result: Allocation) -> None:
    assert (
        result.cash + result.prepaid_before + result.rounding_before
        == result.penalty_total
        + result.principal_total
        + result.prepaid_after
        + result.rounding_after
    )


def test_lines_carry_period_and_run() -> None:
    result = allocate(
        receivables=[rec(9, "202311", 500, run_no=2)],
        cash=500,
        prepaid=0,
        rounding_credit=0,
        allow_partial=False,
    )
    (line,) = result.lines
    assert (line.period, line.run_no, line.amount) == ("202311", 2, 500)
    assert result.settles_all
    assert result.paid_total == 500


def test_partial_forbidden_names_the_amount_due() -> None:
    receivables = [rec(1, "202401", 1000, penalty=100), rec(2, "202402", 2000, penalty=50)]
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=receivables,
            cash=2000,
            prepaid=500,
            rounding_credit=0,
            allow_partial=False,
        )
    error = caught.value
    assert error.code == "amount_below_due"
    assert error.field == "amount"
    # arrears 3150 less prepaid 500 = 2650 due
    assert error.details == {"cash": 2000, "due": 2650}
    assert "26.50" in error.message_zh
    assert "20.00" in error.message_zh
    assert "26.50" in error.message_en


def test_partial_forbidden_exact_amount_is_accepted() -> None:
    receivables = [rec(1, "202401", 1000, penalty=100), rec(2, "202402", 2000, penalty=50)]
    result = allocate(
        receivables=receivables, cash=2650, prepaid=500, rounding_credit=0, allow_partial=False
    )
    assert result.settles_all
    assert result.prepaid_after == 0


@pytest.mark.parametrize("cash", [0, -1, -10000])
def test_cash_must_be_positive(cash: int) -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=[rec(1, "202401", 100)],
            cash=cash,
            prepaid=1000,
            rounding_credit=0,
            allow_partial=True,
        )
    assert caught.value.code == "amount_invalid"
    assert caught.value.field == "amount"


def test_cash_must_be_whole_fen() -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=[rec(1, "202401", 100)],
            cash=100.0,  # type: ignore[arg-type]
            prepaid=0,
            rounding_credit=0,
            allow_partial=False,
        )
    assert caught.value.code == "amount_invalid"


@pytest.mark.parametrize(
    ("cash", "rounding_up"),
    [
        (4400, 100),  # a whole yuan is not a rounding part
        (4400, -1),
        (4400, 80),  # more than the 79 fen paid beyond the 43.21 due
        (4321, 1),  # nothing paid beyond the due amount
    ],
)
def test_rounding_up_must_fit_the_excess(cash: int, rounding_up: int) -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=[rec(1, "202405", 4321)],
            cash=cash,
            prepaid=0,
            rounding_credit=0,
            allow_partial=False,
            rounding_up=rounding_up,
        )
    assert caught.value.code == "rounding_up_invalid"
    assert caught.value.field == "rounding_up"


def test_rounding_up_refused_on_a_partial_payment() -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=[rec(1, "202405", 4321)],
            cash=1000,
            prepaid=0,
            rounding_credit=0,
            allow_partial=True,
            rounding_up=50,
        )
    assert caught.value.code == "rounding_up_invalid"


@pytest.mark.parametrize(
    ("prepaid", "rounding_credit", "field"), [(-1, 0, "prepaid"), (0, -5, "rounding_credit")]
)
def test_negative_credit_refused(prepaid: int, rounding_credit: int, field: str) -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=[rec(1, "202401", 100)],
            cash=100,
            prepaid=prepaid,
            rounding_credit=rounding_credit,
            allow_partial=False,
        )
    assert caught.value.code == "credit_invalid"
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("receivables", "problem"),
    [
        ([rec(1, "2024-1", 100)], "period is not YYYYMM"),
        ([rec(1, "202413", 100)], "period is not YYYYMM"),
        ([rec(1, "202400", 100)], "period is not YYYYMM"),
        ([rec(1, "202401", 100, run_no=0)], "run number below 1"),
        ([rec(1, "202401", -100)], "negative amount"),
        ([rec(1, "202401", 100, penalty=-1)], "negative amount"),
        ([rec(1, "202401", 0)], "nothing owed"),
        ([rec(1, "202401", 100), rec(1, "202402", 100)], "duplicate receivable id"),
    ],
)
def test_malformed_receivable_refused(receivables: list[OpenReceivable], problem: str) -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=receivables,
            cash=1000,
            prepaid=0,
            rounding_credit=0,
            allow_partial=True,
        )
    assert caught.value.code == "receivable_invalid"
    assert caught.value.details["problem"] == problem
    assert caught.value.field is not None
    assert caught.value.field.startswith("receivables[")


def test_penalty_only_receivable_is_open() -> None:
    result = allocate(
        receivables=[rec(1, "202401", 0, penalty=100)],
        cash=100,
        prepaid=0,
        rounding_credit=0,
        allow_partial=False,
    )
    assert [(line.penalty_paid, line.principal_paid, line.settles) for line in result.lines] == [
        (100, 0, True)
    ]


@pytest.mark.parametrize(
    ("prepaid", "rounding_credit", "due"),
    [
        (0, 0, 3150),
        (500, 0, 2650),
        (500, 79, 2571),
        (3150, 0, 0),
        (9999, 50, 0),
    ],
)
def test_amount_due(prepaid: int, rounding_credit: int, due: int) -> None:
    receivables = [rec(1, "202401", 1000, penalty=100), rec(2, "202402", 2000, penalty=50)]
    assert (
        amount_due(receivables=receivables, prepaid=prepaid, rounding_credit=rounding_credit) == due
    )


def test_amount_due_without_arrears_is_zero() -> None:
    assert amount_due(receivables=[], prepaid=0, rounding_credit=0) == 0


@pytest.mark.parametrize(
    ("due", "rounded"),
    [(0, 0), (1, 100), (99, 100), (100, 100), (101, 200), (4321, 4400), (15000, 15000)],
)
def test_round_up_amount(due: int, rounded: int) -> None:
    assert round_up_amount(due=due) == rounded


def test_round_up_amount_refuses_negative() -> None:
    with pytest.raises(AllocationError) as caught:
        round_up_amount(due=-1)
    assert caught.value.code == "amount_invalid"


def test_round_up_amount_feeds_allocate() -> None:
    receivables = [rec(1, "202401", 1234, penalty=100)]
    due = amount_due(receivables=receivables, prepaid=0, rounding_credit=30)
    cash = round_up_amount(due=due)
    assert (due, cash) == (1304, 1400)
    result = allocate(
        receivables=receivables,
        cash=cash,
        prepaid=0,
        rounding_credit=30,
        allow_partial=False,
        rounding_up=cash - due,
    )
    assert (result.rounding_used, result.rounding_added, result.rounding_after) == (30, 96, 96)
    assert result.prepaid_after == 0


def test_errors_travel_as_plain_data() -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            receivables=[rec(1, "202401", 5000)],
            cash=100,
            prepaid=0,
            rounding_credit=0,
            allow_partial=False,
        )
    body = caught.value.as_dict()
    assert body["code"] == "amount_below_due"
    assert body["field"] == "amount"
    assert body["message_zh"]
    assert body["message_en"]
