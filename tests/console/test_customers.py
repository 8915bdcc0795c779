"""Customers in the console: searches along indexes only (a search that would read the whole
table is refused), the customer's arrears with today's penalty, credits, receivables and
payments, and the access rules — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert

from gridpos.adapters.db.console.customer_search import prefix_end
from gridpos.adapters.db.tables import customers, receivables
from gridpos.application.console import AccessDeniedError, ConsoleServices, InvalidFormError
from gridpos.application.console.customers import (
    CustomerQuery,
    customer_detail,
    customer_search,
)
from gridpos.domain.penalty import default_penalty_rules

from .helpers import signed_in
from .seed import Tree

TODAY = date(2024, 5, 1)
# (number, name, address, station)
PEOPLE = (
    ("0100000001", "张三", "岳西县天堂镇黄尾村一组", "34082801"),
    ("0100000002", "张三丰", "岳西县天堂镇黄尾村二组", "34082801"),
    ("0100000010", "李四", "岳西县天堂镇城关路8号", "34082801"),
    ("0200000001", "王五", "岳西县店前镇黄尾路3号", "34082802"),
    ("0300000001", "赵六", "宿松县复兴镇", "34082601"),
)


@pytest.fixture
def people(engine: Engine, tree: Tree) -> dict[str, int]:
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        for number, name, address, station in PEOPLE:
            ids[number] = int(
                conn.execute(
                    insert(customers)
                    .values(
                        account_no=number,
                        name=name,
                        address=address,
                        category="residential",
                        station_org_id=tree.org[station],
                        prepaid=150 if number == "0100000001" else 0,
                        rounding_credit=30 if number == "0100000001" else 0,
                    )
                    .returning(customers.c.id)
                ).scalar_one()
            )
    return ids


def _found(services: ConsoleServices, who: str, **query: object) -> list[str]:
    actor = signed_in(services, who).actor
    results = customer_search(services, actor, CustomerQuery(**query))  # type: ignore[arg-type]
    return [row.account_no for row in results.items]


def _fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def test_prefix_end_is_the_least_string_after_the_prefix() -> None:
    assert prefix_end("0100") == "0101"
    assert prefix_end("张") == "弡"  # U+5F20 → U+5F21
    assert prefix_end("a\U0010ffff") == "b"
    assert prefix_end("\U0010ffff") is None
    assert prefix_end("\ud7ff") == "\ue000"  # surrogates are stepped over


def test_searches_by_number_name_and_address_within_scope(
    services: ConsoleServices, people: dict[str, int]
) -> None:
    admin = "admin@340828"
    assert _found(services, admin) == ["0100000001", "0100000002", "0100000010", "0200000001"]
    assert _found(services, admin, term="010000000") == ["0100000001", "0100000002"]
    assert _found(services, admin, term="0100000001", mode="exact") == ["0100000001"]
    assert _found(services, admin, term="010000001", mode="exact") == []
    assert _found(services, admin, field="name", term="张三") == ["0100000001", "0100000002"]
    assert _found(services, admin, field="name", term="张三丰") == ["0100000002"]
    assert _found(services, admin, field="address", term="岳西县店前") == ["0200000001"]
    # a part anywhere: within one station only
    assert _found(
        services, admin, field="address", mode="contains", term="黄尾", station_code="34082802"
    ) == ["0200000001"]
    # a station head's own scope is one station: bounded without naming it
    assert _found(services, "head@34082801", field="address", mode="contains", term="黄尾") == [
        "0100000001",
        "0100000002",
    ]
    assert _found(services, "head@34082801", term="02") == []  # the other station's
    assert _found(services, "admin@340826") == ["0300000001"]
    # LIKE wildcards are only characters
    assert (
        _found(services, admin, field="name", mode="contains", term="%", station_code="34082801")
        == []
    )


def test_a_search_that_would_read_every_customer_is_refused(
    services: ConsoleServices, people: dict[str, int]
) -> None:
    admin = signed_in(services, "admin@340828").actor
    for field in ("name", "address"):
        with pytest.raises(InvalidFormError) as refused:
            customer_search(
                services, admin, CustomerQuery(field=field, mode="contains", term="黄尾")
            )
        assert _fields(refused.value) == {"q": "customer_search_unbounded"}
        assert "供电所" in refused.value.errors[0].message_zh
    head = signed_in(services, "head@34082801").actor
    for station, code in (("34082802", "station_unknown"), ("3408280101", "station_unknown")):
        with pytest.raises(InvalidFormError) as refused:
            customer_search(services, head, CustomerQuery(term="01", station_code=station))
        assert _fields(refused.value) == {"station": code}
    with pytest.raises(InvalidFormError) as refused:
        customer_search(services, head, CustomerQuery(term="0" * 65))
    assert _fields(refused.value) == {"q": "field_too_long"}
    with pytest.raises(InvalidFormError) as refused:
        customer_search(services, head, CustomerQuery(page=51))
    assert _fields(refused.value) == {"page": "page_too_far"}
    for who in ("agent01@3408280101",):
        with pytest.raises(AccessDeniedError):
            customer_search(services, signed_in(services, who).actor, CustomerQuery())


def test_results_page_and_count_to_a_cap(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(customers),
            [
                {
                    "account_no": f"09{n:08d}",
                    "name": f"客户{n}",
                    "category": "residential",
                    "station_org_id": tree.org["34082801"],
                }
                for n in range(1, 46)
            ],
        )
    actor = signed_in(services, "head@34082801").actor
    first = customer_search(services, actor, CustomerQuery(term="09"))
    assert (first.total, first.pages, first.capped, len(first.items)) == (45, 3, False, 20)
    third = customer_search(services, actor, CustomerQuery(term="09", page=3))
    assert [row.account_no for row in third.items] == [f"09{n:08d}" for n in range(41, 46)]
    assert not third.has_next


def test_the_customer_owes_principal_and_todays_penalty_less_credits(
    services: ConsoleServices, people: dict[str, int], engine: Engine
) -> None:
    customer_id = people["0100000001"]
    with engine.begin() as conn:
        for mis_id, period, principal, paid, due in (
            ("r-202402", "202402", 9_000, 9_000, date(2024, 3, 20)),  # settled
            ("r-202403", "202403", 120_000, 0, date(2024, 3, 31)),
            ("r-202404", "202404", 8_000, 0, date(2024, 4, 20)),
        ):
            conn.execute(
                insert(receivables).values(
                    mis_receivable_id=mis_id,
                    customer_id=customer_id,
                    period=period,
                    principal=principal,
                    principal_paid=paid,
                    settle_state="settled" if paid == principal else "unpaid",
                    due_date=due,
                )
            )
    head = signed_in(services, "head@34082801").actor
    detail = customer_detail(
        services, head, customer_id, today=TODAY, rules=default_penalty_rules()
    )
    # residential 1‰ a day from the day after the due date to today (2024-05-01):
    # 1,200.00 yuan × 31 days = 37.20; 80.00 yuan × 11 days = 0.88, under 1 yuan: charged 1.00
    assert [(line.record.period, line.penalty) for line in detail.open_lines] == [
        ("202403", 3_720),
        ("202404", 100),
    ]
    assert (detail.principal_unpaid, detail.penalty) == (128_000, 3_820)
    # less 1.50 prepaid and 0.30 rounding credit
    assert detail.total_due == 128_000 + 3_820 - 150 - 30
    assert [r.period for r in detail.receivables] == ["202404", "202403", "202402"]
    assert detail.payments.total == 0
    for who in ("head2@34082802", "admin@340826", "agent01@3408280101"):
        with pytest.raises(AccessDeniedError):
            customer_detail(
                services,
                signed_in(services, who).actor,
                customer_id,
                today=TODAY,
                rules=default_penalty_rules(),
            )
