"""The county generator: deterministic per seed, bills by the domain tariff, arrears as stated."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import default_penalty_rules
from gridpos.domain.tariff import default_tariff_schedule
from gridpos.refmis.billing import run_billing
from gridpos.refmis.county import STATIONS, TOWNSHIPS
from gridpos.refmis.engine import make_engine
from gridpos.refmis.errors import MisError
from gridpos.refmis.generator import (
    BEHAVIOUR_PER_MILLE,
    CountyRows,
    CountySpec,
    load_county,
    split_by_weight,
)
from gridpos.refmis.generator.rows import CUSTOMER_COLUMNS, RECEIVABLE_COLUMNS
from gridpos.refmis.generator.spec import CATEGORY_PER_MILLE, CHRONIC_UNPAID_MIN
from gridpos.refmis.pricing import BillingPolicy
from gridpos.refmis.tables import counters, customers, meter_readings, receivables

AS_OF = date(2026, 11, 27)
SCHEDULE = default_tariff_schedule()
RULES = default_penalty_rules()


def _spec(customers: int = 300, months: int = 14, seed: int = 7) -> CountySpec:
    return CountySpec(
        customers=customers, months=months, seed=seed, last_period="202610", as_of=AS_OF
    )


def _rows(spec: CountySpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    generator = CountyRows(spec, schedule=SCHEDULE, rules=RULES)
    people: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    behaviours: dict[str, str] = {}
    for chunk in generator.chunks():
        people += [dict(zip(CUSTOMER_COLUMNS, row, strict=True)) for row in chunk.customers]
        bills += [dict(zip(RECEIVABLE_COLUMNS, row, strict=True)) for row in chunk.receivables]
        behaviours.update(chunk.behaviours)
    return people, bills, behaviours


def test_the_county_data_is_yuexi() -> None:
    assert len(TOWNSHIPS) == 24
    villages = [village for township in TOWNSHIPS for village in township.villages]
    assert len(villages) == 182
    assert len(set(villages)) == 182
    assert STATIONS[0].name_zh == "天堂供电所"
    assert STATIONS[14].name_zh == "毛尖山供电所"
    assert [s.code for s in STATIONS] == [f"340828{n:02d}" for n in range(1, 25)]


def test_split_by_weight() -> None:
    assert split_by_weight(10, [1, 1, 1]) == [4, 3, 3]
    assert split_by_weight(7, [5, 0, 2]) == [5, 0, 2]
    assert sum(split_by_weight(150_000, [t.weight for t in TOWNSHIPS])) == 150_000


def test_same_seed_same_county_and_another_seed_another() -> None:
    first, second = _rows(_spec()), _rows(_spec())
    assert first == second
    other = _rows(_spec(seed=8))
    assert other[0] != first[0]
    # Customers per station follow the townships' weights, whatever the seed.
    assert Counter(p["station_code"] for p in other[0]) == Counter(
        p["station_code"] for p in first[0]
    )


def test_customers_look_like_yuexi() -> None:
    people, _, _ = _rows(_spec())
    assert len(people) == 300
    numbers = [person["account_no"] for person in people]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 300
    stations = {station.code: station for station in STATIONS}
    for person in people:
        station = stations[person["station_code"]]
        assert len(person["account_no"]) == 10
        assert person["account_no"][:2] == f"{station.number:02d}"
        assert person["segment_code"].startswith(station.code)
        assert person["address"].startswith(f"安徽省岳西县{station.township_zh}")
        assert person["address"].endswith("组")
        (person["name"] + person["address"]).encode("gbk")  # receipts and files are GBK
    assert Counter(person["name"][0] for person in people).most_common(1)[0][0] in "储汪王"


def test_bills_are_the_domain_tariff_and_the_year_accumulates() -> None:
    people, bills, _ = _rows(_spec(customers=120))
    category = {person["account_no"]: CustomerCategory(person["category"]) for person in people}
    previous: dict[str, dict[str, Any]] = {}
    for bill in bills:
        kind = category[bill["account_no"]]
        expected = SCHEDULE.bill(
            category=kind,
            period=bill["period"],
            kwh=bill["kwh"],
            year_kwh_before=bill["year_kwh_before"],
        )
        assert bill["principal"] == expected.amount_fen
        assert bill["free_kwh"] == expected.free_kwh
        before = previous.get(bill["account_no"])
        tiered = kind in {CustomerCategory.RESIDENTIAL, CustomerCategory.SUBSIDISED}
        if before is not None and tiered and bill["period"][4:] != "01":
            assert bill["year_kwh_before"] == before["year_kwh_before"] + before["kwh"]
        if bill["period"][4:] == "01" or not tiered:
            assert bill["year_kwh_before"] == 0
        previous[bill["account_no"]] = bill
    assert len(bills) == 120 * 14


def test_the_arrears_are_distributed_as_stated() -> None:
    spec = _spec(customers=2000)
    people, bills, behaviours = _rows(spec)
    shares = Counter(behaviours.values())
    for behaviour, per_mille in BEHAVIOUR_PER_MILLE:
        assert abs(shares[behaviour] / 2000 - per_mille / 1000) < 0.025, behaviour
    categories = Counter(person["category"] for person in people)
    for category, per_mille in CATEGORY_PER_MILLE:
        assert abs(categories[category] / 2000 - per_mille / 1000) < 0.025, category
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for bill in bills:
        by_account[bill["account_no"]].append(bill)
    across_year_end = 0
    for account_no, own in by_account.items():
        open_bills = [bill for bill in own if bill["settle_state"] != "settled"]
        overdue = [bill for bill in open_bills if bill["due_date"] < AS_OF]
        behaviour = behaviours[account_no]
        if behaviour == "punctual":
            assert overdue == []
        elif behaviour == "late":
            assert all((AS_OF - bill["due_date"]).days <= 60 for bill in overdue)
            assert all(bill["settle_state"] == "unpaid" for bill in open_bills)
        elif behaviour == "chronic":
            paid_later = [bill for bill in own if bill["settle_state"] == "settled"]
            assert all(bill["period"] < open_bills[0]["period"] or bill["principal"] == 0
                       for bill in paid_later)  # fmt: skip
            assert len(open_bills) >= CHRONIC_UNPAID_MIN - sum(b["principal"] == 0 for b in own)
            assert (AS_OF - overdue[0]["due_date"]).days > 60
        elif behaviour == "partial":
            assert all((AS_OF - bill["due_date"]).days <= 62 for bill in overdue)
        for bill in own:
            if bill["settle_state"] == "settled" and bill["principal"]:
                assert bill["principal_paid"] == bill["principal"]
                late = bill["settled_on"] > bill["due_date"]
                assert (bill["penalty_paid"] >= 100) == late  # at least the 1-yuan minimum
        if len({bill["period"][:4] for bill in open_bills}) > 1:
            across_year_end += 1
    partly = [bill for bill in bills if bill["settle_state"] == "partial"]
    assert partly
    assert all(behaviours[bill["account_no"]] == "partial" for bill in partly)
    assert all(0 < bill["principal_paid"] < bill["principal"] for bill in partly)
    assert across_year_end >= 20  # chronic debtors whose arrears began last year


def test_the_summary_counts_what_was_generated() -> None:
    generator = CountyRows(_spec(customers=500), schedule=SCHEDULE, rules=RULES)
    bills = [row for chunk in generator.chunks() for row in chunk.receivables]
    summary = generator.summary
    columns = {name: index for index, name in enumerate(RECEIVABLE_COLUMNS)}
    open_bills = [row for row in bills if row[columns["settle_state"]] != "settled"]
    overdue = [row for row in open_bills if row[columns["due_date"]] < AS_OF]
    assert summary.customers == 500
    assert summary.receivables == len(bills) == 500 * 14
    assert summary.open_receivables == len(open_bills)
    assert summary.overdue_receivables == len(overdue)
    assert summary.arrears_principal == sum(
        row[columns["principal"]] - row[columns["principal_paid"]] for row in overdue
    )
    assert summary.customers_overdue == len({row[columns["account_no"]] for row in overdue})
    assert sum(summary.behaviours.values()) == 500


def test_the_county_loads_into_the_database(empty_database_url: str) -> None:
    engine: Engine = make_engine(empty_database_url)
    try:
        spec = _spec()
        summary = load_county(engine, spec, schedule=SCHEDULE, rules=RULES)
        _, bills, _ = _rows(spec)
        with engine.connect() as connection:
            count = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (customers, meter_readings, receivables)
            }
            top_seq = connection.execute(
                select(counters.c.value).where(counters.c.name == "change_seq")
            ).scalar_one()
            max_seq = connection.execute(select(func.max(receivables.c.change_seq))).scalar_one()
            stored = (
                connection.execute(select(receivables.c.principal).order_by(receivables.c.id))
                .scalars()
                .all()
            )
        assert count == {"customers": 300, "meter_readings": 4200, "receivables": 4200}
        assert summary.seconds > 0
        assert top_seq == max_seq == 300 + 4200
        assert stored == [bill["principal"] for bill in bills]
        with pytest.raises(MisError) as refused:
            load_county(engine, spec, schedule=SCHEDULE, rules=RULES)
        assert refused.value.code == "county_exists"
        # Billing the next month continues every customer's tier accumulation.
        result = run_billing(
            engine,
            period="202611",
            today=date(2026, 12, 3),
            schedule=SCHEDULE,
            policy=BillingPolicy(),
        )
        assert result.customers_billed == 300
        assert result.readings_estimated == 300
        with engine.connect() as connection:
            pairs = connection.execute(
                select(receivables.c.account_no, receivables.c.period, receivables.c.kwh,
                       receivables.c.year_kwh_before, receivables.c.principal, customers.c.category)
                .join(customers, customers.c.account_no == receivables.c.account_no)
                .where(receivables.c.period.in_(["202610", "202611"]))
                .order_by(receivables.c.account_no, receivables.c.period)
            ).all()  # fmt: skip
        for october, november in zip(pairs[::2], pairs[1::2], strict=True):
            kind = CustomerCategory(november.category)
            if kind in {CustomerCategory.RESIDENTIAL, CustomerCategory.SUBSIDISED}:
                assert november.year_kwh_before == october.year_kwh_before + october.kwh
            assert november.principal == SCHEDULE.bill(
                category=kind, period="202611", kwh=november.kwh,
                year_kwh_before=november.year_kwh_before,
            ).amount_fen  # fmt: skip
        replaced = load_county(
            engine, _spec(customers=50), schedule=SCHEDULE, rules=RULES, replace=True
        )
        assert replaced.customers == 50
    finally:
        engine.dispose()


def test_a_spec_out_of_range_is_refused() -> None:
    for changes, code in (
        ({"customers": 0}, "customers_invalid"),
        ({"months": 0}, "months_invalid"),
        ({"last_period": "202613"}, "period_invalid"),
        ({"as_of": date(2026, 10, 31)}, "as_of_invalid"),
    ):
        arguments: dict[str, Any] = {
            "customers": 10, "months": 3, "seed": 1, "last_period": "202610", "as_of": AS_OF,
            **changes,
        }  # fmt: skip
        with pytest.raises(MisError) as refused:
            CountySpec(**arguments)
        assert refused.value.code == code
