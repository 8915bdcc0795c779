"""收费明细 in the console: the payment list and its filters, keyset pages and refusals, a
payment's page (allocation, ledger, receipt, MIS posting), the export, and voids and next-day
cancellations under maker-checker — every access rule — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from gridpos.adapters.db.tables import (
    agents,
    audit_log,
    customers,
    outbox,
    payment_undos,
    payments,
    receivables,
)
from gridpos.adapters.db.tables.undo_requests import payment_undo_requests
from gridpos.application.console import (
    AccessDeniedError,
    ConsoleServices,
    InvalidFormError,
    NotFoundError,
)
from gridpos.application.console.payments import (
    PaymentQuery,
    payment_by_txn,
    payment_detail,
    payment_export,
    payment_list,
)
from gridpos.application.console.payments import listing as payments_module
from gridpos.application.console.undo_requests import (
    decide_payment_undo,
    request_payment_undo,
    waiting_undo_requests,
)

from .collecting import FLOAT
from .collections_world import (
    BILL,
    P1_CASH,
    P2_CASH,
    PENALTY,
    Seen,
    World,
    build_world,
    seen_world,
)
from .conftest import SettableClock
from .helpers import signed_in, token
from .seed import Tree


@pytest.fixture
def world(engine: Engine, tree: Tree, clock: SettableClock) -> World:
    return build_world(engine, tree, clock)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seen]:
    """One world per database for the tests that only read (they change nothing)."""
    yield from seen_world(request, tmp_path_factory)


def _fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def _listed(services: ConsoleServices, who: str, **query: str) -> list[int]:
    actor = signed_in(services, who).actor
    return [row.id for row in payment_list(services, actor, PaymentQuery(**query)).items]


def test_each_actor_lists_the_payments_of_their_subtree(seen: Seen) -> None:
    services, world = seen.services, seen.world
    p1, p2, p3 = world.ids["p1"], world.ids["p2"], world.ids["p3"]
    assert _listed(services, "admin@340828") == [p3, p2, p1]  # newest first
    assert _listed(services, "auditor@340828") == [p3, p2, p1]
    assert _listed(services, "finance@340828", order="asc") == [p1, p2, p3]
    assert _listed(services, "head@34082801") == [p2, p1]
    assert _listed(services, "staff@34082801") == [p2, p1]
    assert _listed(services, "head2@34082802") == [p3]
    assert _listed(services, "agent01@3408280101") == [p2, p1]
    assert _listed(services, "agent02@3408280201") == [p3]
    assert _listed(services, "admin@340826") == []  # another county


def test_filters_narrow_the_list(seen: Seen) -> None:
    services, world = seen.services, seen.world
    p1, p2, p3 = world.ids["p1"], world.ids["p2"], world.ids["p3"]
    admin = "admin@340828"
    assert _listed(services, admin, terminal_no="34080201") == [p3]
    assert _listed(services, admin, agent_code="A0101") == [p2, p1]
    assert _listed(services, admin, org_code="34082802") == [p3]
    assert _listed(services, admin, account_no="0100000001") == [p2, p1]
    assert _listed(services, admin, state="confirmed") == [p3, p2, p1]
    assert _listed(services, admin, state="voided") == []
    assert _listed(services, admin, date_from="2024-04-01", date_to="2024-04-30") == []
    assert _listed(services, admin, date_from="2024-05-01", date_to="2024-05-01") == [p3, p2, p1]
    listed = payment_list(
        services, signed_in(services, admin).actor, PaymentQuery(account_no="0100000001")
    )
    first = listed.items[-1]
    assert (first.cash, first.penalty_total, first.principal_total, first.prepaid_net) == (
        P1_CASH,
        PENALTY,
        BILL,
        P1_CASH - PENALTY - BILL,
    )
    assert (listed.total, listed.capped) == (2, False)


SEARCH_REFUSALS = [
    (
        "admin@340828",
        {"date_from": "2024-05-02", "date_to": "2024-05-01"},
        {"date_to": "date_range_backwards"},
    ),
    (
        "admin@340828",
        {"date_from": "2024-03-31", "date_to": "2024-05-01"},
        {"date_to": "date_range_too_long"},
    ),
    ("admin@340828", {"date_from": "2024-5-1x"}, {"date_from": "date_invalid"}),
    ("admin@340828", {"state": "lost"}, {"state": "choice_invalid"}),
    ("admin@340828", {"account_no": "0199999999"}, {"account_no": "customer_unknown"}),
    ("admin@340828", {"account_no": "abc"}, {"account_no": "customer_unknown"}),
    ("admin@340828", {"org_code": "34082601"}, {"org": "organisation_unknown"}),
    ("head@34082801", {"terminal_no": "34080201"}, {"terminal": "terminal_unknown"}),
    ("head@34082801", {"agent_code": "A0201"}, {"agent": "agent_unknown"}),
    ("agent01@3408280101", {"agent_code": "A0201"}, {"agent": "agent_unknown"}),
    (
        "head@34082801",
        {"date_from": "2024-05-09", "date_to": "2024-05-01", "terminal_no": "x y"},
        {"date_to": "date_range_backwards", "terminal": "terminal_unknown"},
    ),
]


def test_a_search_is_refused_next_to_its_field(seen: Seen) -> None:
    services = seen.services
    for who, query, expected in SEARCH_REFUSALS:
        actor = signed_in(services, who).actor
        with pytest.raises(InvalidFormError) as refused:
            payment_list(services, actor, PaymentQuery(**query))
        assert _fields(refused.value) == expected, (who, query)


def test_a_customers_own_payments_may_span_a_year(seen: Seen) -> None:
    services, world = seen.services, seen.world
    actor = signed_in(services, "admin@340828").actor
    listed = payment_list(
        services,
        actor,
        PaymentQuery(date_from="2023-06-01", date_to="2024-05-01", account_no="0100000002"),
    )
    assert [row.id for row in listed.items] == [world.ids["p3"]]
    with pytest.raises(InvalidFormError) as refused:
        payment_list(
            services,
            actor,
            PaymentQuery(date_from="2023-04-01", date_to="2024-05-01", account_no="0100000002"),
        )
    assert _fields(refused.value) == {"date_to": "date_range_too_long"}


def test_keyset_pages_go_forward_and_back(seen: Seen, monkeypatch: pytest.MonkeyPatch) -> None:
    services, world = seen.services, seen.world
    monkeypatch.setattr(payments_module, "PAGE_SIZE", 2)
    actor = signed_in(services, "admin@340828").actor
    p1, p2, p3 = world.ids["p1"], world.ids["p2"], world.ids["p3"]
    first = payment_list(services, actor, PaymentQuery())
    assert [row.id for row in first.items] == [p3, p2]
    assert (first.has_previous, first.has_next, first.total) == (False, True, 3)
    second = payment_list(services, actor, PaymentQuery(after=first.last_key))
    assert [row.id for row in second.items] == [p1]
    assert (second.has_previous, second.has_next) == (True, False)
    back = payment_list(services, actor, PaymentQuery(before=second.first_key))
    assert [row.id for row in back.items] == [p3, p2]
    assert back.has_next
    oldest = payment_list(services, actor, PaymentQuery(order="asc"))
    assert [row.id for row in oldest.items] == [p1, p2]
    after = payment_list(services, actor, PaymentQuery(order="asc", after=oldest.last_key))
    assert [row.id for row in after.items] == [p3]
    junk = payment_list(services, actor, PaymentQuery(after="not-a-key"))
    assert [row.id for row in junk.items] == [p3, p2]  # a bad key starts from the first page


def test_the_count_is_bounded(seen: Seen, monkeypatch: pytest.MonkeyPatch) -> None:
    services = seen.services
    monkeypatch.setattr(payments_module, "COUNT_CAP", 2)
    listed = payment_list(services, signed_in(services, "admin@340828").actor, PaymentQuery())
    assert (listed.total, listed.capped) == (2, True)


def test_a_payments_page_shows_allocation_ledger_receipt_and_mis_posting(seen: Seen) -> None:
    services, world = seen.services, seen.world
    detail = payment_detail(services, signed_in(services, "head@34082801").actor, world.ids["p1"])
    facts = detail.facts
    assert (facts.cash, facts.penalty_total, facts.principal_total, facts.prepaid_added) == (
        12_000,
        160,
        10_000,
        1_840,
    )
    assert (facts.terminal_no, facts.agent_code, facts.account_no) == (
        "34080101",
        "A0101",
        "0100000001",
    )
    assert [(a.period, a.penalty_paid, a.principal_paid) for a in detail.allocation] == [
        ("202403", 160, 10_000)
    ]
    assert detail.transactions, "the payment's ledger transaction"
    for transaction in detail.transactions:
        assert sum(entry.amount for entry in transaction.entries) == 0
    payment_tx = next(t for t in detail.transactions if t.kind == "payment")
    by_account = {(e.account_kind, e.owner_id): e.amount for e in payment_tx.entries}
    assert by_account[("agent_float", facts.agent_id)] == 12_000  # debit: the float goes down
    assert by_account[("receivable_penalty", world.receivable_id)] == -160
    assert by_account[("receivable_principal", world.receivable_id)] == -10_000
    assert by_account[("customer_prepaid", facts.customer_id)] == -1_840
    assert detail.receipt is not None
    assert (detail.receipt.cash, detail.receipt.total_due) == (12_000, 10_160)
    assert detail.receipt.verification_code
    assert [(row.topic, row.state) for row in detail.outbox] == [("mis.post", "pending")]
    assert detail.undo is None
    assert detail.requests == ()
    assert (detail.undo_kind, detail.undo_refusal) == ("void", "")


def test_a_payment_outside_ones_reach_is_refused(seen: Seen) -> None:
    services, world = seen.services, seen.world
    for who in ("head2@34082802", "agent02@3408280201", "admin@340826"):
        actor = signed_in(services, who).actor
        with pytest.raises(AccessDeniedError):
            payment_detail(services, actor, world.ids["p1"])
        with pytest.raises(AccessDeniedError):
            payment_by_txn(services, actor, world.p1.txn_id)


def test_a_payment_is_found_by_its_transaction_id(seen: Seen) -> None:
    services, world = seen.services, seen.world
    actor = signed_in(services, "finance@340828").actor
    assert payment_by_txn(services, actor, world.p3.txn_id) == world.ids["p3"]
    with pytest.raises(NotFoundError):
        payment_by_txn(services, actor, "34080101-99-ffff")
    with pytest.raises(NotFoundError):
        payment_by_txn(services, actor, "../etc/passwd")
    with pytest.raises(NotFoundError):
        payment_detail(services, actor, 999_999)


def _balances(engine: Engine, world: World) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        float_available = conn.execute(
            select(agents.c.float_available).where(agents.c.code == "A0101")
        ).scalar_one()
        prepaid = conn.execute(
            select(customers.c.prepaid).where(customers.c.account_no == "0100000001")
        ).scalar_one()
        paid = conn.execute(
            select(receivables.c.principal_paid, receivables.c.penalty_paid).where(
                receivables.c.id == world.receivable_id
            )
        ).one()
    return int(float_available), int(prepaid), int(paid[0]), int(paid[1])


def _request(
    services: ConsoleServices, who: str, payment_id: int, reason: str = "顾客退款"
) -> None:
    actor = signed_in(services, who).actor
    request_payment_undo(services, actor, form_token=token(), payment_id=payment_id, reason=reason)


def _waiting_id(engine: Engine, payment_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(payment_undo_requests.c.id).where(
                    payment_undo_requests.c.payment_id == payment_id,
                    payment_undo_requests.c.state == "requested",
                )
            ).scalar_one()
        )


def test_a_void_asked_by_station_staff_is_approved_by_finance(
    services: ConsoleServices, world: World, engine: Engine, tree: Tree
) -> None:
    p1 = world.ids["p1"]
    before = _balances(engine, world)
    assert before == (FLOAT - P1_CASH - P2_CASH, P1_CASH - PENALTY - BILL + P2_CASH, BILL, PENALTY)
    _request(services, "staff@34082801", p1, reason="收错户号")
    assert _balances(engine, world) == before  # nothing moves while the request waits
    request_id = _waiting_id(engine, p1)
    waiting = waiting_undo_requests(services, signed_in(services, "finance@340828").actor)
    assert [(r.id, r.kind, r.reason) for r in waiting.items] == [(request_id, "void", "收错户号")]
    assert waiting_undo_requests(services, signed_in(services, "head2@34082802").actor).items == ()
    finance = signed_in(services, "finance@340828").actor
    form = token()
    done = decide_payment_undo(
        services, finance, form_token=form, payment_id=p1, request_id=request_id, approve=True
    )
    again = decide_payment_undo(
        services, finance, form_token=form, payment_id=p1, request_id=request_id, approve=True
    )
    assert (done.subject, done.repeated, again.subject, again.repeated) == (
        f"payment:{p1}",
        False,
        f"payment:{p1}",
        True,
    )
    # the float back, the allocation reversed: only p2's 50.00 prepaid remains
    assert _balances(engine, world) == (FLOAT - P2_CASH, P2_CASH, 0, 0)
    with engine.connect() as conn:
        state = conn.execute(
            select(payments.c.state, payments.c.mis_state).where(payments.c.id == p1)
        ).one()
        undo = conn.execute(select(payment_undos).where(payment_undos.c.payment_id == p1)).one()
        topics = (
            conn.execute(
                select(outbox.c.topic)
                .where(outbox.c.aggregate_id == world.p1.txn_id)
                .order_by(outbox.c.id)
            )
            .scalars()
            .all()
        )
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert tuple(state) == ("voided", "undo_pending")
    assert (undo.kind, undo.requested_by, undo.approved_by, undo.reason) == (
        "void",
        tree.operator["staff@34082801"],
        tree.operator["finance@340828"],
        "收错户号",
    )
    assert topics == ["mis.post", "mis.reverse"]
    assert {"payment_undo.request.void", "payment_undo.approve.void", "payment.void"} <= actions
    detail = payment_detail(services, finance, p1)
    assert detail.undo is not None
    assert detail.undo.approved_by == "李账务 (finance)"
    assert [(r.state, r.decider) for r in detail.requests] == [("approved", "李账务 (finance)")]
    assert (detail.undo_kind, detail.undo_refusal) == (None, "payment_not_confirmed")
    undo_tx = [t for t in detail.transactions if t.kind == "void"]
    assert undo_tx
    assert all(sum(e.amount for e in t.entries) == 0 for t in undo_tx)


def test_a_requester_may_not_decide_their_own_request(
    services: ConsoleServices, world: World, engine: Engine
) -> None:
    p3 = world.ids["p3"]
    _request(services, "finance@340828", p3)
    request_id = _waiting_id(engine, p3)
    finance = signed_in(services, "finance@340828").actor
    for approve in (True, False):
        with pytest.raises(InvalidFormError) as refused:
            decide_payment_undo(
                services, finance, form_token=token(), payment_id=p3, request_id=request_id,
                approve=approve,
            )  # fmt: skip
        assert _fields(refused.value) == {"decision": "undo_self_approval"}
    with engine.connect() as conn:
        assert (
            conn.execute(select(payments.c.state).where(payments.c.id == p3)).scalar_one()
            == "confirmed"
        )
        assert conn.execute(select(func.count()).select_from(payment_undos)).scalar_one() == 0


def test_only_finance_decides(services: ConsoleServices, world: World, engine: Engine) -> None:
    p1 = world.ids["p1"]
    _request(services, "head@34082801", p1)
    request_id = _waiting_id(engine, p1)
    for who in ("admin@340828", "auditor@340828", "staff@34082801", "agent01@3408280101"):
        with pytest.raises(AccessDeniedError):
            decide_payment_undo(
                services, signed_in(services, who).actor, form_token=token(), payment_id=p1,
                request_id=request_id, approve=True,
            )  # fmt: skip
    with engine.connect() as conn:
        state = conn.execute(select(payments.c.state).where(payments.c.id == p1)).scalar_one()
    assert state == "confirmed"


NOT_ASKING = [
    ("auditor@340828", "p1"),  # read-only
    ("agent01@3408280101", "p1"),  # an agent never asks
    ("admin@340828", "p1"),  # the admin runs the system, not the money
    ("head2@34082802", "p1"),  # another station's payment
    ("staff@34082801", "p3"),
    ("admin@340826", "p3"),  # another county
]


def test_who_may_not_ask_for_an_undo(
    services: ConsoleServices, world: World, engine: Engine
) -> None:
    for who, payment in NOT_ASKING:
        with pytest.raises(AccessDeniedError):
            _request(services, who, world.ids[payment])
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(payment_undo_requests)).scalar_one() == 0
        )


def test_a_request_is_refused_next_to_its_field(
    services: ConsoleServices, world: World, engine: Engine
) -> None:
    staff = signed_in(services, "staff@34082801").actor
    p1 = world.ids["p1"]
    for reason, expected in (("", "field_required"), ("退" * 201, "field_too_long")):
        with pytest.raises(InvalidFormError) as refused:
            request_payment_undo(services, staff, form_token=token(), payment_id=p1, reason=reason)
        assert _fields(refused.value) == {"reason": expected}
    with pytest.raises(InvalidFormError) as refused:
        request_payment_undo(services, staff, form_token="x@", payment_id=p1, reason="错")
    assert _fields(refused.value) == {"form_token": "form_token_missing"}
    _request(services, "staff@34082801", p1)
    with pytest.raises(InvalidFormError) as refused:
        _request(services, "head@34082801", p1)
    assert _fields(refused.value) == {"reason": "undo_already_requested"}
    with pytest.raises(NotFoundError):
        _request(services, "staff@34082801", 999_999)
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(payment_undo_requests)).scalar_one() == 1
        )


def test_a_next_day_cancellation_posts_a_cancel_to_the_mis(
    services: ConsoleServices, world: World, engine: Engine, clock: SettableClock
) -> None:
    clock.advance(timedelta(days=1))  # 2024-05-02: p2 is yesterday's
    p2 = world.ids["p2"]
    detail = payment_detail(services, signed_in(services, "head@34082801").actor, p2)
    assert detail.undo_kind == "cancellation"
    _request(services, "head@34082801", p2, reason="重复收费")
    request_id = _waiting_id(engine, p2)
    decide_payment_undo(
        services, signed_in(services, "finance@340828").actor, form_token=token(),
        payment_id=p2, request_id=request_id, approve=True, note="核实无误",
    )  # fmt: skip
    with engine.connect() as conn:
        state = conn.execute(select(payments.c.state).where(payments.c.id == p2)).scalar_one()
        undo = conn.execute(select(payment_undos).where(payment_undos.c.payment_id == p2)).one()
        topics = (
            conn.execute(
                select(outbox.c.topic)
                .where(outbox.c.aggregate_id == world.p2.txn_id)
                .order_by(outbox.c.id)
            )
            .scalars()
            .all()
        )
        note = conn.execute(
            select(payment_undo_requests.c.decision_note).where(
                payment_undo_requests.c.id == request_id
            )
        ).scalar_one()
    assert state == "cancelled"
    assert (undo.kind, str(undo.business_date), undo.reason) == (
        "cancellation",
        "2024-05-02",
        "重复收费",
    )
    assert topics == ["mis.post", "mis.cancel"]
    assert note == "核实无误"
    assert _balances(engine, world)[:2] == (FLOAT - P1_CASH, P1_CASH - PENALTY - BILL)


def test_a_void_not_approved_on_its_day_must_become_a_cancellation(
    services: ConsoleServices, world: World, engine: Engine, clock: SettableClock
) -> None:
    p1 = world.ids["p1"]
    _request(services, "staff@34082801", p1)
    request_id = _waiting_id(engine, p1)
    clock.advance(timedelta(days=1))
    finance = signed_in(services, "finance@340828").actor
    with pytest.raises(InvalidFormError) as refused:
        decide_payment_undo(
            services, finance, form_token=token(), payment_id=p1, request_id=request_id,
            approve=True,
        )  # fmt: skip
    assert _fields(refused.value) == {"decision": "void_day_passed"}
    decide_payment_undo(
        services, finance, form_token=token(), payment_id=p1, request_id=request_id,
        approve=False, note="请改为冲销",
    )  # fmt: skip
    with pytest.raises(InvalidFormError) as refused:
        decide_payment_undo(
            services, finance, form_token=token(), payment_id=p1, request_id=request_id,
            approve=True,
        )  # fmt: skip
    assert _fields(refused.value) == {"decision": "undo_request_decided"}
    _request(services, "staff@34082801", p1)  # a new request: now a cancellation
    with engine.connect() as conn:
        kinds = conn.execute(
            select(payment_undo_requests.c.kind, payment_undo_requests.c.state).order_by(
                payment_undo_requests.c.id
            )
        ).all()
        state = conn.execute(select(payments.c.state).where(payments.c.id == p1)).scalar_one()
    assert [tuple(k) for k in kinds] == [("void", "rejected"), ("cancellation", "requested")]
    assert state == "confirmed"


def test_a_decision_names_its_payment(
    services: ConsoleServices, world: World, engine: Engine
) -> None:
    _request(services, "staff@34082801", world.ids["p1"])
    request_id = _waiting_id(engine, world.ids["p1"])
    with pytest.raises(NotFoundError):
        decide_payment_undo(
            services, signed_in(services, "finance@340828").actor, form_token=token(),
            payment_id=world.ids["p2"], request_id=request_id, approve=True,
        )  # fmt: skip


def test_an_undo_the_balances_cannot_take_is_refused_and_changes_nothing(
    services: ConsoleServices, world: World, engine: Engine
) -> None:
    p2 = world.ids["p2"]
    _request(services, "staff@34082801", p2)
    request_id = _waiting_id(engine, p2)
    with engine.begin() as conn:  # the customer's prepaid balance spent meanwhile (on a bill)
        conn.execute(
            update(customers).where(customers.c.account_no == "0100000001").values(prepaid=100)
        )
    before = _balances(engine, world)
    with pytest.raises(InvalidFormError) as refused:
        decide_payment_undo(
            services, signed_in(services, "finance@340828").actor, form_token=token(),
            payment_id=p2, request_id=request_id, approve=True,
        )  # fmt: skip
    assert _fields(refused.value) == {"decision": "prepaid_insufficient"}
    assert _balances(engine, world) == before
    with engine.connect() as conn:
        assert (
            conn.execute(select(payments.c.state).where(payments.c.id == p2)).scalar_one()
            == "confirmed"
        )
        assert (
            conn.execute(
                select(payment_undo_requests.c.state).where(
                    payment_undo_requests.c.id == request_id
                )
            ).scalar_one()
            == "requested"
        )
        assert conn.execute(select(func.count()).select_from(payment_undos)).scalar_one() == 0


def test_the_export_holds_the_filtered_list_and_is_bounded(
    seen: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, world = seen.services, seen.world
    actor = signed_in(services, "head@34082801").actor
    export = payment_export(services, actor, PaymentQuery(order="asc"))
    assert [row.id for row in export.rows] == [world.ids["p1"], world.ids["p2"]]
    assert sum(row.cash for row in export.rows) == P1_CASH + P2_CASH
    monkeypatch.setattr(payments_module, "EXPORT_MAX", 1)
    with pytest.raises(InvalidFormError) as refused:
        payment_export(services, actor, PaymentQuery())
    assert _fields(refused.value) == {"date_to": "export_too_large"}
    assert payment_export(services, actor, PaymentQuery(account_no="0100000002")).rows == ()
