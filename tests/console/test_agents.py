"""Agents in the console: the list, an agent's page, admin with the agent operator account,
float top-ups under maker-checker, the float statement, commission, collections, and every
access rule — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, insert, select, update

from gridpos.adapters.db.tables import (
    agents,
    customers,
    float_topups,
    operators,
    payments,
    terminals,
)
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console import (
    AccessDeniedError,
    ConsoleServices,
    InvalidFormError,
    NotFoundError,
    SignInError,
    current_session,
    sign_in,
)
from gridpos.application.console.access import ROLE_PERMISSIONS, Permission, Role
from gridpos.application.console.agents import (
    AgentQuery,
    agent_collections,
    agent_commission,
    agent_detail,
    agent_list,
    agent_statement,
    commission_summary,
    create_agent,
    decide_float_topup,
    edit_agent,
    request_float_topup,
    set_agent_disabled,
)
from gridpos.application.floats import CHECKER_ROLES, MAKER_ROLES
from gridpos.domain.allocation import allocate
from gridpos.domain.ledger import commission_posting, payment_posting

from .helpers import signed_in, token
from .seed import PASSWORD, Tree

TODAY = date(2024, 5, 1)


def _fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def _codes(services: ConsoleServices, who: str, **query: object) -> list[str]:
    actor = signed_in(services, who).actor
    listed = agent_list(services, actor, AgentQuery(**query))  # type: ignore[arg-type]
    return [row.code for row in listed.agents.items]


def _new_agent(services: ConsoleServices, who: str, **changes: str) -> str:
    form = {
        "org_code": "3408280101",
        "code": "A0102",
        "name": "黄尾村小卖部",
        "phone": "0556-8123456",
        "low_float_alert": "200",
        "account": "a0102",
        "operator_name": "吴收费",
        "password": "Shoufei2024",
        **changes,
    }
    actor = signed_in(services, who).actor
    return create_agent(services, actor, form_token=token(), **form).subject


def test_the_list_shows_the_subtree_filtered_and_sorted(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    assert _codes(services, "admin@340828") == ["A0101", "A0201"]
    assert _codes(services, "head@34082801") == ["A0101"]
    assert _codes(services, "auditor@340828", search="小卖") == ["A0201"]
    assert _codes(services, "admin@340826") == []
    assert _codes(services, "agent01@3408280101") == ["A0101"]  # only their own
    with engine.begin() as conn:
        conn.execute(
            update(agents)
            .where(agents.c.code == "A0201")
            .values(float_available=5_000, low_float_alert=10_000, disabled=True)
        )
        conn.execute(update(agents).where(agents.c.code == "A0101").values(float_available=80_000))
    assert _codes(services, "admin@340828", float_low=True) == ["A0201"]
    assert _codes(services, "admin@340828", status="disabled") == ["A0201"]
    assert _codes(services, "admin@340828", status="enabled") == ["A0101"]
    assert _codes(services, "admin@340828", sort="float", descending=True) == ["A0101", "A0201"]
    assert _codes(services, "admin@340828", org_code="34082802") == ["A0201"]
    staff = signed_in(services, "staff@34082801").actor
    with pytest.raises(InvalidFormError) as refused:
        agent_list(services, staff, AgentQuery(org_code="34082802"))
    assert _fields(refused.value) == {"org_code": "organisation_unknown"}


def test_an_agent_sees_only_their_own_and_others_only_their_subtree(
    services: ConsoleServices, tree: Tree
) -> None:
    a0101, a0201 = tree.agent["A0101"], tree.agent["A0201"]
    for who, refused in (
        ("agent01@3408280101", a0201),
        ("head@34082801", a0201),
        ("staff@34082801", a0201),
        ("admin@340826", a0101),
    ):
        actor = signed_in(services, who).actor
        for read in (
            lambda a, i: agent_detail(services, a, i),
            lambda a, i: agent_statement(
                services, a, agent_id=i, date_from="", date_to="", today=TODAY
            ),
            lambda a, i: agent_collections(
                services, a, agent_id=i, date_from="", date_to="", today=TODAY
            ),
            lambda a, i: agent_commission(services, a, agent_id=i, period="202405"),
        ):
            with pytest.raises(AccessDeniedError):
                read(actor, refused)
    own = agent_detail(services, signed_in(services, "agent01@3408280101").actor, a0101)
    assert own.agent.code == "A0101"
    assert (own.may_manage, own.may_request_topup, own.may_decide_topup) == (False, False, False)
    with pytest.raises(NotFoundError):
        agent_detail(services, signed_in(services, "admin@340828").actor, 999_999)


def test_create_an_agent_whose_operator_then_signs_in(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    subject = _new_agent(services, "head@34082801")
    agent_id = int(subject.split(":")[1])
    head = signed_in(services, "head@34082801").actor
    detail = agent_detail(services, head, agent_id)
    assert (detail.agent.code, detail.agent.org_code) == ("A0102", "3408280101")
    assert detail.agent.low_float_alert == 20_000  # 200 yuan in fen
    assert detail.agent.float_available == 0
    assert [(o.account, o.name) for o in detail.operators] == [("a0102", "吴收费")]
    session = sign_in(
        services,
        org_code="3408280101",
        account="a0102",
        password="Shoufei2024",
        session_token=token(),
        csrf_token=token(),
    )
    assert session.actor.own_agent_id == agent_id
    edit_agent(
        services,
        head,
        form_token=token(),
        agent_id=agent_id,
        name="黄尾村便民店",
        phone="",
        low_float_alert="1,000.50",
    )
    edited = agent_detail(services, head, agent_id).agent
    assert (edited.name, edited.phone, edited.low_float_alert) == ("黄尾村便民店", None, 100_050)


def test_bad_agent_forms_name_every_field_and_save_nothing(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    head = signed_in(services, "head@34082801").actor
    with pytest.raises(InvalidFormError) as refused:
        create_agent(
            services,
            head,
            form_token=token(),
            org_code="",
            code="A 01",
            name="",
            phone="call me",
            low_float_alert="-5",
            account="x",
            operator_name="",
            password="short",
        )
    assert _fields(refused.value) == {
        "org_code": "field_required",
        "code": "code_malformed",
        "name": "field_required",
        "phone": "phone_malformed",
        "low_float_alert": "money_negative",
        "account": "account_malformed",
        "operator_name": "field_required",
        "password": "password_weak",
    }
    for org_code, expected in (
        ("3408280201", "organisation_unknown"),  # another station's
        ("34082601", "organisation_unknown"),  # another county's
        ("34082801", None),
    ):
        form = {"org_code": org_code, "code": "A0101", "account": "agent01"}
        with pytest.raises(InvalidFormError) as refused:
            _new_agent(services, "head@34082801", **form)
        fields = _fields(refused.value)
        assert fields["code"] == "agent_code_taken"
        assert fields.get("org_code") == expected
    with pytest.raises(InvalidFormError) as refused:
        _new_agent(services, "admin@340828", org_code="340828")
    assert _fields(refused.value) == {"org_code": "agent_level_invalid"}
    with pytest.raises(InvalidFormError) as refused:
        _new_agent(services, "admin@340828", account="agent01")  # taken at that node
    assert _fields(refused.value) == {"account": "operator_account_taken"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(agents)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(operators)).scalar_one() == 8
    for who in ("staff@34082801", "auditor@340828", "finance@340828", "agent01@3408280101"):
        with pytest.raises(AccessDeniedError):
            _new_agent(services, who)


def test_disabling_an_agent_ends_their_operators_sessions(
    services: ConsoleServices, tree: Tree
) -> None:
    agent_token = token()
    sign_in(
        services,
        org_code="3408280101",
        account="agent01",
        password=PASSWORD,
        session_token=agent_token,
        csrf_token=token(),
    )
    assert current_session(services, session_token=agent_token) is not None
    head = signed_in(services, "head@34082801").actor
    form = token()
    done = set_agent_disabled(
        services, head, form_token=form, agent_id=tree.agent["A0101"], disabled=True
    )
    again = set_agent_disabled(
        services, head, form_token=form, agent_id=tree.agent["A0101"], disabled=True
    )
    assert (done.repeated, again.repeated) == (False, True)
    assert current_session(services, session_token=agent_token) is None
    with pytest.raises(SignInError):
        signed_in(services, "agent01@3408280101")
    assert agent_detail(services, head, tree.agent["A0101"]).agent.disabled
    set_agent_disabled(
        services, head, form_token=token(), agent_id=tree.agent["A0101"], disabled=False
    )
    assert not agent_detail(services, head, tree.agent["A0101"]).agent.disabled
    for who in ("staff@34082801", "auditor@340828", "head2@34082802"):
        with pytest.raises(AccessDeniedError):
            set_agent_disabled(
                services,
                signed_in(services, who).actor,
                form_token=token(),
                agent_id=tree.agent["A0101"],
                disabled=True,
            )


def _topup_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(float_topups.c.id).order_by(float_topups.c.id)).scalars())


def test_a_top_up_needs_a_second_person_and_sane_amounts(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    agent_id = tree.agent["A0101"]
    staff = signed_in(services, "staff@34082801").actor
    finance = signed_in(services, "finance@340828").actor
    for amount, code in (
        ("0", "money_zero"),
        ("0.00", "money_zero"),
        ("abc", "money_invalid"),
        ("12.345", "money_too_many_decimals"),
        ("1000000.01", "money_over_ceiling"),
        ("-5", "money_negative"),
    ):
        with pytest.raises(InvalidFormError) as refused:
            request_float_topup(
                services, staff, form_token=token(), agent_id=agent_id, amount=amount
            )
        assert _fields(refused.value) == {"amount": code}, amount
    assert _topup_ids(engine) == []

    form = token()
    request_float_topup(
        services, staff, form_token=form, agent_id=agent_id, amount="1,234.56", note="现金"
    )
    request_float_topup(  # the same form again: one request only
        services, staff, form_token=form, agent_id=agent_id, amount="1,234.56", note="现金"
    )
    (first,) = _topup_ids(engine)
    detail = agent_detail(services, finance, agent_id)
    assert [(t.amount, t.state, t.note) for t in detail.topups] == [(123_456, "requested", "现金")]
    assert detail.may_decide_topup
    # the page offers each what their role may do: a station head asks, finance decides
    shown = {}
    for who in ("admin@340828", "finance@340828", "auditor@340828", "head@34082801"):
        offered = agent_detail(services, signed_in(services, who).actor, agent_id)
        shown[who] = (offered.may_request_topup, offered.may_decide_topup)
    assert shown == {
        "admin@340828": (False, False),
        "finance@340828": (True, True),
        "auditor@340828": (False, False),
        "head@34082801": (True, False),
    }

    # finance asks for another; the same person cannot approve it — next to the decision
    request_float_topup(services, finance, form_token=token(), agent_id=agent_id, amount="500")
    second = _topup_ids(engine)[1]
    with pytest.raises(InvalidFormError) as refused:
        decide_float_topup(
            services,
            finance,
            form_token=token(),
            topup_id=second,
            approve=True,
            business_date=TODAY,
        )
    assert _fields(refused.value) == {"decision": "topup_self_approval"}
    # only finance decides: not a station head, nor the company admin, staff or an auditor
    for who in ("head@34082801", "admin@340828", "auditor@340828", "staff@34082801"):
        with pytest.raises(AccessDeniedError):
            decide_float_topup(
                services,
                signed_in(services, who).actor,
                form_token=token(),
                topup_id=first,
                approve=True,
                business_date=TODAY,
            )
    form = token()
    for _ in range(2):  # a double-submitted approval approves once
        decide_float_topup(
            services, finance, form_token=form, topup_id=first, approve=True, business_date=TODAY
        )
    assert agent_detail(services, finance, agent_id).agent.float_available == 123_456
    with pytest.raises(InvalidFormError) as refused:
        decide_float_topup(
            services,
            finance,
            form_token=token(),
            topup_id=first,
            approve=False,
            business_date=TODAY,
        )
    assert _fields(refused.value) == {"decision": "topup_already_decided"}
    # the other station's head cannot even ask for the first station's agent
    with pytest.raises(AccessDeniedError):
        request_float_topup(
            services,
            signed_in(services, "head2@34082802").actor,
            form_token=token(),
            agent_id=agent_id,
            amount="10",
        )
    with pytest.raises(NotFoundError):
        decide_float_topup(
            services,
            finance,
            form_token=token(),
            topup_id=999_999,
            approve=True,
            business_date=TODAY,
        )


@pytest.mark.parametrize("role", list(Role))
def test_the_access_table_and_the_float_use_case_agree_on_who_asks_and_who_decides(
    role: Role,
) -> None:
    permissions = ROLE_PERMISSIONS[role]
    assert (Permission.TOPUPS_REQUEST in permissions) == (role.value in MAKER_ROLES)
    assert (Permission.TOPUPS_APPROVE in permissions) == (role.value in CHECKER_ROLES)


def _collect(engine: Engine, tree: Tree, *, day: date, cash: int, trace_no: int) -> None:
    """A confirmed prepayment of ``cash`` collected for agent A0101 on ``day``: the payment row
    and its postings (the float goes down by the cash, 1 yuan of commission is earned), as the
    payment use case writes them."""
    moment = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
    agent_id = tree.agent["A0101"]
    with SqlUnitOfWork(engine, write=True) as uow:
        conn = uow.connection
        terminal_id = conn.execute(
            select(terminals.c.id).where(terminals.c.terminal_no == "34080001")
        ).scalar_one_or_none()
        if terminal_id is None:
            terminal_id = uow.terminals.add(
                terminal_no="34080001", org_id=tree.org["3408280101"], agent_id=agent_id
            )
        customer_id = conn.execute(
            select(customers.c.id).where(customers.c.account_no == "0100000001")
        ).scalar_one_or_none()
        if customer_id is None:
            customer_id = conn.execute(
                insert(customers)
                .values(
                    account_no="0100000001",
                    name="张三",
                    category="residential",
                    station_org_id=tree.org["34082801"],
                )
                .returning(customers.c.id)
            ).scalar_one()
        payment_id = conn.execute(
            insert(payments)
            .values(
                terminal_id=terminal_id,
                txn_id=f"txn-{trace_no}",
                request_hash="0" * 64,
                trace_no=trace_no,
                agent_id=agent_id,
                operator_id=tree.operator["agent01@3408280101"],
                customer_id=customer_id,
                org_id=tree.org["3408280101"],
                business_date=day,
                cash_time=moment,
                recorded_at=moment,
                cash=cash,
                prepaid_added=cash,
                state="confirmed",
            )
            .returning(payments.c.id)
        ).scalar_one()
        allocation = allocate(
            receivables=[], cash=cash, prepaid=0, rounding_credit=0, allow_partial=True
        )
        uow.ledger.record(
            payment_posting(agent_id=agent_id, customer_id=customer_id, allocation=allocation),
            business_date=day,
            recorded_at=moment,
            payment_id=payment_id,
            agent_id=agent_id,
        )
        uow.ledger.record(
            commission_posting(agent_id=agent_id, amount=100),
            business_date=day,
            recorded_at=moment,
            payment_id=payment_id,
            agent_id=agent_id,
        )
        uow.commit()


def _top_up(services: ConsoleServices, tree: Tree, amount: str, day: date) -> None:
    staff = signed_in(services, "staff@34082801").actor
    finance = signed_in(services, "finance@340828").actor
    request_float_topup(
        services, staff, form_token=token(), agent_id=tree.agent["A0101"], amount=amount
    )
    topup_id = max(_topup_ids(services.engine))
    decide_float_topup(
        services, finance, form_token=token(), topup_id=topup_id, approve=True, business_date=day
    )


def test_the_float_statement_commission_and_collections(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    agent_id = tree.agent["A0101"]
    _top_up(services, tree, "1000", date(2024, 4, 20))
    _collect(engine, tree, day=date(2024, 4, 30), cash=12_000, trace_no=1)
    _collect(engine, tree, day=date(2024, 5, 1), cash=3_000, trace_no=2)
    _top_up(services, tree, "234.56", date(2024, 5, 1))
    agent = signed_in(services, "agent01@3408280101").actor

    may = agent_statement(
        services, agent, agent_id=agent_id, date_from="", date_to="", today=TODAY
    )  # this month so far
    assert (may.date_from, may.date_to) == (date(2024, 5, 1), date(2024, 5, 1))
    # 1,000.00 topped up − 120.00 collected in April: 880.00; then +234.56 − 30.00
    assert (may.opening, may.topups, may.collections, may.undos, may.closing) == (
        88_000,
        23_456,
        3_000,
        0,
        108_456,
    )
    assert may.balanced
    april = agent_statement(
        services,
        agent,
        agent_id=agent_id,
        date_from="2024-04-01",
        date_to="2024-04-30",
        today=TODAY,
    )
    assert (april.opening, april.topups, april.collections, april.closing) == (
        0,
        100_000,
        12_000,
        88_000,
    )
    assert [(d.business_date.day, d.closing) for d in april.days] == [(20, 100_000), (30, 88_000)]
    for date_from, date_to, expected in (
        ("2024-05-02", "2024-05-01", {"date_to": "date_range_backwards"}),
        ("2023-01-01", "2024-05-01", {"date_to": "date_range_too_long"}),
        ("2024-13-01", "yesterday", {"date_from": "date_invalid", "date_to": "date_invalid"}),
    ):
        with pytest.raises(InvalidFormError) as refused:
            agent_statement(
                services,
                agent,
                agent_id=agent_id,
                date_from=date_from,
                date_to=date_to,
                today=TODAY,
            )
        assert _fields(refused.value) == expected

    april_commission = agent_commission(services, agent, agent_id=agent_id, period="202404")
    assert (april_commission.payments, april_commission.cash, april_commission.commission) == (
        1,
        12_000,
        100,
    )
    with pytest.raises(InvalidFormError) as refused:
        agent_commission(services, agent, agent_id=agent_id, period="2024-04")
    assert _fields(refused.value) == {"period": "period_invalid"}
    lines = commission_summary(
        services, signed_in(services, "finance@340828").actor, period="202405"
    )
    assert [(line.agent_code, line.payments, line.commission) for line in lines] == [
        ("A0101", 1, 100)
    ]
    other = signed_in(services, "head2@34082802").actor
    assert commission_summary(services, other, period="202405") == []

    collected = agent_collections(
        services, agent, agent_id=agent_id, date_from="", date_to="", today=TODAY
    )  # the last 7 days
    assert [(c.trace_no, c.cash, c.account_no) for c in collected.items] == [
        (2, 3_000, "0100000001"),
        (1, 12_000, "0100000001"),
    ]
    assert not collected.has_next
    with pytest.raises(InvalidFormError) as refused:
        agent_collections(
            services,
            agent,
            agent_id=agent_id,
            date_from="2024-01-01",
            date_to="2024-05-01",
            today=TODAY,
        )
    assert _fields(refused.value) == {"date_to": "date_range_too_long"}
