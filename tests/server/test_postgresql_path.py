"""The PostgreSQL payment path against the generic one: the same answers, the same refusals, the
same rows.

Two PostgreSQL databases are seeded alike (same ids, same terminal keys, same clock). The same
requests go to the generic path (:func:`collect.collect_payment`) on one and to the two-round-trip
path (:func:`collect_postgresql.collect_payment_postgresql`) on the other, step by step — worked
payments, repeats, every refusal the use case can reach — and afterwards every table a payment
touches must hold the same rows, surrogate ids aside; the audit chains, once sealed, hash alike.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, text

from gridpos.adapters.db import migrate
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.payment_store.postgresql import PaymentConnections
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.application.context import Services
from gridpos.application.payments import collect, collect_postgresql, undo
from gridpos.application.terminals import session
from gridpos.application.terminals.admin import add_terminal
from gridpos.application.terminals.authentication import SignedRequest, keep_counter
from gridpos.application.terminals.enrolment import enrol, issue_enrolment_code
from gridpos.domain.errors import DomainError
from gridpos.interfaces.terminal_api import operations
from gridpos.interfaces.terminal_api import pay as pay_route
from gridpos.protocol.codec import encode
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.enrolment import EnrolRequest
from gridpos.protocol.terminal.payments import PayRequest, ReverseRequest, make_txn_id
from gridpos.protocol.terminal.session import HEARTBEAT_HEADER, SignInRequest

from .helpers import payment, sign_in
from .support import (
    DAY,
    START,
    TERMINAL,
    TERMINAL2,
    TERMINAL_B,
    County,
    FakeClock,
    make_services,
    seed_county,
    set_parameters,
)

KEYS = {TERMINAL: b"k" * 32, TERMINAL2: b"l" * 32, TERMINAL_B: b"m" * 32}
PLACES = {TERMINAL: ("3408280101", "A001"), TERMINAL2: ("3408280101", "A001")}
PLACES[TERMINAL_B] = ("3408280102", "A002")
Pay = Callable[[Services, SignedRequest, PayRequest], Any]


@dataclass
class Twin:
    """One of the two databases, and the path that pays on it."""

    services: Services
    clock: FakeClock
    pay: Pay
    counters: dict[str, int]

    def signed(self, terminal_no: str, *, counter: int | None = None) -> SignedRequest:
        if counter is None:
            self.counters[terminal_no] = self.counters.get(terminal_no, 0) + 1
            counter = self.counters[terminal_no]
        terminal = self.services.directory.lookup(self.services.reading(), terminal_no)
        return SignedRequest(terminal=terminal, counter=counter, heartbeat=None)

    def run(self, operation: Callable[..., Any], signed: SignedRequest, message: Any) -> Any:
        """The operation's answer (encoded), or its refusal, as the terminal API would see it
        (a refused request keeps its counter)."""
        try:
            return ("ok", encode(operation(self.services, signed, message)))
        except DomainError as exc:
            if exc.code not in {"replayed_counter", "unknown_terminal", "terminal_disabled"}:
                keep_counter(self.services, signed)
            return ("refused", exc.code, exc.field, exc.message_zh, exc.message_en, exc.details)


def _pay_postgresql(services: Services, signed: SignedRequest, request: PayRequest) -> Any:
    """The PostgreSQL path, as the server runs it: in an event loop, on its own connections;
    the answer it encodes is the receipt's encoding."""

    async def pay() -> Any:
        async with PaymentConnections.for_engine(services.engine) as connections:
            return await collect_postgresql.collect_payment_postgresql(
                services, signed, request, connections=connections
            )

    # Another test of the session (the browser tests' Playwright) may keep an event loop
    # running in this thread: the payment runs on a fresh loop in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        collected = pool.submit(asyncio.run, pay()).result()
    assert collected.body == encode(collected.receipt)
    return collected.receipt


def _twin(url: str, pay: Pay) -> Twin:
    migrate.upgrade(url)
    clock = FakeClock()
    services = make_services(create_engine_for(url), clock)
    seed_county(services)
    for terminal_no, (org_code, agent_code) in PLACES.items():
        add_terminal(
            services,
            terminal_no=terminal_no,
            org_code=org_code,
            agent_code=agent_code,
            actor="test",
        )
        code = f"9999{terminal_no}"
        issue_enrolment_code(services, terminal_no=terminal_no, code=code, actor="test")
        request = EnrolRequest(code=code, device_serial="SN-1", version="1.0.0")
        enrol(services, request, new_key=KEYS[terminal_no])
    return Twin(services=services, clock=clock, pay=pay, counters={})


@pytest.fixture
def twins(make_database_url: Callable[[str], str]) -> Iterator[tuple[Twin, Twin]]:
    generic = _twin(make_database_url("postgresql"), collect.collect_payment)
    fast = _twin(make_database_url("postgresql"), _pay_postgresql)
    yield generic, fast
    generic.services.engine.dispose()
    fast.services.engine.dispose()


def _txn(terminal_no: str, serial: int) -> str:
    return make_txn_id(terminal_no=terminal_no, serial=serial, nonce=uuid.UUID(int=serial))


def _pay(account_no: str, cash: int, due: int, serial: int, **extra: Any) -> PayRequest:
    terminal_no = extra.pop("terminal_no", TERMINAL)
    return PayRequest(
        txn_id=extra.pop("txn_id", None) or _txn(terminal_no, serial),
        trace_no=serial,
        account_no=account_no,
        cash=cash,
        amount_due=due,
        cash_time=START,
        **extra,
    )


def _both(pair: tuple[Twin, Twin], step: Callable[[Twin], Any]) -> Any:
    """Run ``step`` on both databases; the outcome, which must be the same."""
    generic, fast = (step(twin) for twin in pair)
    assert fast == generic
    return generic


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a payment touches, surrogate ids replaced by what they stand for."""
    queries = {
        "payments": "SELECT t.terminal_no, p.txn_id, p.request_hash, p.trace_no, p.batch_no,"
        " p.agent_id, p.operator_id, p.customer_id, p.org_id, p.business_date, p.cash_time,"
        " p.recorded_at, p.cash, p.rounding_up, p.prepaid_before, p.prepaid_used,"
        " p.prepaid_added, p.rounding_before, p.rounding_used, p.rounding_added,"
        " p.penalty_total, p.principal_total, p.state, p.offline, p.verification_code,"
        " p.mis_state FROM payments p JOIN terminals t ON t.id = p.terminal_id ORDER BY p.txn_id",
        "allocations": "SELECT p.txn_id, a.receivable_id, a.penalty_paid, a.principal_paid"
        " FROM payment_allocations a JOIN payments p ON p.id = a.payment_id"
        " ORDER BY p.txn_id, a.receivable_id",
        "receipts": "SELECT p.txn_id, r.body FROM payment_receipts r"
        " JOIN payments p ON p.id = r.payment_id ORDER BY p.txn_id",
        "ledger": "SELECT p.txn_id, t.kind, t.business_date, t.recorded_at, t.agent_id, t.memo,"
        " e.account_kind, e.owner_id, e.amount FROM ledger_transactions t"
        " JOIN ledger_entries e ON e.transaction_id = t.id"
        " LEFT JOIN payments p ON p.id = t.payment_id ORDER BY t.id, e.id",
        "agents": "SELECT id, float_available, float_held, commission_accrued FROM agents"
        " ORDER BY id",
        "customers": "SELECT id, prepaid, rounding_credit FROM customers ORDER BY id",
        "receivables": "SELECT id, principal_paid, penalty_paid, settle_state FROM receivables"
        " ORDER BY id",
        "outbox": "SELECT topic, aggregate_id, payload, state, attempts, next_attempt_at,"
        " created_at FROM outbox ORDER BY id",
        "audit": "SELECT chain_position, occurred_at, actor, action, subject, details,"
        " prev_hash, hash FROM audit_log ORDER BY chain_position",
        "terminals": "SELECT terminal_no, last_counter, last_seen_at, business_date,"
        " signed_in_operator_id FROM terminals ORDER BY terminal_no",
        "tombstones": "SELECT txn_id, trace_no, amount, business_date FROM reversal_tombstones"
        " ORDER BY txn_id",
    }
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in queries.items()
        }


def test_both_paths_answer_and_write_alike(twins: tuple[Twin, Twin]) -> None:
    for twin in twins:
        set_parameters(
            twin.services,
            {
                "commission.fixed_fen": 5,
                "commission.rate_ppm": 1500,
                "collection.per_day_limit": 200_000,
                "session.max_hours": 24,
            },
        )

    def sign_in_at(terminal_no: str, agent: str, org: str, password: str) -> Callable[[Twin], Any]:
        request = SignInRequest(agent_account=agent, password=password, organisation_code=org)
        return lambda twin: twin.run(session.sign_in, twin.signed(terminal_no), request)

    def paying(request: PayRequest, terminal_no: str = TERMINAL, **kw: Any) -> Callable[..., Any]:
        return lambda twin: twin.run(twin.pay, twin.signed(terminal_no, **kw), request)

    assert _both(twins, sign_in_at(TERMINAL, "A001", "3408280101", "pw-A001"))[0] == "ok"
    assert _both(twins, sign_in_at(TERMINAL_B, "A002", "3408280102", "pw-A002"))[0] == "ok"

    # two months, the March one late: 80.00 + 1.00 minimum penalty + 90.00
    first = _pay("0100000001", 17100, 17100, 1)
    assert _both(twins, paying(first))[0] == "ok"
    assert _both(twins, paying(first))[0] == "ok"  # a repeat: the stored receipt
    reused = _pay("0100000001", 17000, 17100, 1)
    assert _both(twins, paying(reused))[1] == "txn_id_reused"
    assert _both(twins, paying(_pay("0100000001", 100, 0, 2)))[0] == "ok"  # prepays 1.00

    # the tea factory's late bill: the due amount comes from the refusal, then 取整
    stale = _both(twins, paying(_pay("0100000002", 20000, 1, 3)))
    assert stale[1] == "amount_due_changed"
    due = stale[5]["due"]
    offered = -(-due // 100) * 100 - due
    assert offered > 0
    wrong_round = _pay("0100000002", due + 1, due, 4, round_up=1) if offered != 1 else None
    if wrong_round is not None:
        assert _both(twins, paying(wrong_round))[1] == "amount_invalid"
    assert _both(twins, paying(_pay("0100000002", due - 1, due, 5)))[1] == "amount_below_due"
    assert (
        _both(twins, paying(_pay("0100000002", due + offered, due, 6, round_up=offered)))[0] == "ok"
    )

    # refusals before any money moves
    assert _both(twins, paying(_pay("0199999999", 100, 0, 7)))[1] == "account_unknown"
    assert _both(twins, paying(_pay("0200000001", 5000, 5000, 8)))[1] == "account_other_county"
    assert _both(twins, paying(_pay("0100000003", 10_000_000, 0, 9)))[1] == "over_payment_limit"
    replayed = _both(twins, paying(_pay("0100000003", 100, 0, 10), counter=1))
    assert replayed[1] == "replayed_counter"
    other = _pay("0100000003", 100, 0, 11, txn_id=_txn(TERMINAL2, 11))
    assert _both(twins, paying(other))[1] == "invalid_field"
    unsigned = _pay("0100000003", 100, 0, 12, terminal_no=TERMINAL2)
    assert _both(twins, paying(unsigned, TERMINAL2))[1] == "not_signed_in"

    # a reversal before its payment leaves a tombstone; the late original is refused
    late = _pay("0100000003", 300, 0, 13)
    reversal = ReverseRequest(
        txn_id=late.txn_id, trace_no=13, business_date=DAY, cash=300, reversal_trace_no=14
    )
    assert (
        _both(twins, lambda twin: twin.run(undo.reverse_payment, twin.signed(TERMINAL), reversal))[
            0
        ]
        == "ok"
    )
    assert _both(twins, paying(late))[1] == "payment_already_reversed"

    # the day's limit of 2,000.00: 171.00 + 1.00 + the factory so far + 1,800.00 is over it
    assert _both(twins, paying(_pay("0100000003", 180_000, 0, 15)))[1] == "over_daily_limit"

    # the other agent's float of 1,000.00 cannot take 1,500.00; it takes 999.00
    too_much = _pay("0100000003", 150_000, 0, 16, terminal_no=TERMINAL_B)
    assert _both(twins, paying(too_much, TERMINAL_B))[1] == "float_insufficient"
    most = _pay("0100000003", 39_900, 0, 17, terminal_no=TERMINAL_B)
    assert _both(twins, paying(most, TERMINAL_B))[0] == "ok"

    # 16:00 UTC is midnight in the county: the business day is over until the next sign-in
    for twin in twins:
        twin.clock.advance(hours=16)
    assert _both(twins, paying(_pay("0100000003", 100, 0, 18)))[1] == "business_day_closed"

    for twin in twins:
        report = verify_database(SqlUnitOfWork(twin.services.engine, write=False))
        assert report.ok, [item.describe() for item in report.breaks]
    generic, fast = (_snapshot(twin.services.engine) for twin in twins)
    assert len(generic["payments"]) == 4
    assert len(generic["audit"]) > 4
    for table in generic:
        assert fast[table] == generic[table], table


def test_a_float_refusal_names_the_float_as_the_generic_path_does(
    twins: tuple[Twin, Twin],
) -> None:
    request = SignInRequest(
        agent_account="A002", password="pw-A002", organisation_code="3408280102"
    )
    for twin in twins:
        twin.run(session.sign_in, twin.signed(TERMINAL_B), request)
    refused = _both(
        twins,
        lambda twin: twin.run(
            twin.pay,
            twin.signed(TERMINAL_B),
            _pay("0100000003", 100_001, 0, 1, terminal_no=TERMINAL_B),
        ),
    )
    assert refused[1:3] == ("float_insufficient", "cash")
    assert refused[3] == "本机可用余额不足：现有 1000.00 元，需要 1000.01 元"
    assert refused[5]["balance"] == 100_000
    assert refused[5]["change"] == -100_001


def test_the_server_pays_through_the_postgresql_path_on_postgresql(
    county: County, database_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    fast = pay_route.collect_payment_postgresql

    async def spy(services: Services, signed: SignedRequest, request: PayRequest, **kw: Any) -> Any:
        calls.append(request.txn_id)
        return await fast(services, signed, request, **kw)

    monkeypatch.setattr(pay_route, "collect_payment_postgresql", spy)
    client = county.client()
    sign_in(client)
    receipt = client.ok(routes.PAY, payment(client, "0100000001", 17100, 17100))
    assert receipt.cash == 17100
    assert calls == ([receipt.txn_id] if database_kind == "postgresql" else [])
    # a piggybacked heartbeat is kept by the generic path
    beat = {HEARTBEAT_HEADER: "s=-71,b=83,q=0,v=1.4.2"}
    client.ok(routes.PAY, payment(client, "0100000003", 100, 0), headers=beat)
    assert len(calls) == (1 if database_kind == "postgresql" else 0)
    with county.services.engine.connect() as conn:
        signal = conn.execute(
            text("SELECT signal FROM terminals WHERE terminal_no = :t"), {"t": TERMINAL}
        ).scalar_one()
    assert signal == -71
    county.verify()
    with county.services.engine.connect() as conn:
        unsealed = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE chain_position IS NULL")
        ).scalar_one()
    assert unsealed == 0  # verify sealed them
    assert operations.OPERATIONS[routes.PAY.name] is collect.collect_payment


def test_a_pay_request_is_authenticated_whether_or_not_its_terminal_is_known(
    county: County,
) -> None:
    # a process that has not seen the terminal reads its key (on a worker thread on PostgreSQL)
    county.services.directory.forget(TERMINAL)
    client = county.client()
    assert client.refused(routes.PAY, payment(client, "0100000001", 17100, 17100))["code"] == (
        "not_signed_in"
    )
    assert county.services.directory.cached(TERMINAL) is not None
    # a key that does not verify: looked up afresh, still refused by name
    forged = county.client()
    forged.key = b"x" * 32
    forged.counter = 10
    assert forged.refused(routes.PAY, payment(forged, "0100000001", 17100, 17100))["code"] == (
        "bad_signature"
    )
    sign_in(client)
    assert client.ok(routes.PAY, payment(client, "0100000001", 17100, 17100)).cash == 17100
