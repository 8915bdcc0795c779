"""参数设置: who reads and who changes; limits, partial payment and commission recorded from a later
day and taking effect when it comes (read back by the payment engine's own readers); tariff and
penalty entries added, closing the entry in force, validated whole by the domain; every refusal
named next to its field with nothing written; a form sent twice acting once; the page over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import Engine, func, insert, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.parameter_store import parameters_in_force
from gridpos.adapters.db.tables import audit_log, parameters, receivables
from gridpos.application.commission import commission_settings
from gridpos.application.console import AccessDeniedError, ConsoleServices, InvalidFormError
from gridpos.application.console.parameter_admin import (
    add_penalty_rule,
    add_tariff_entry,
    parameter_overview,
    set_commission_rates,
    set_limits,
    set_partial_payment,
)
from gridpos.application.console.parameter_forms import (
    CommissionForm,
    LimitsForm,
    PenaltyForm,
    TariffForm,
)
from gridpos.application.dated_rules import (
    penalty_entries,
    penalty_rules_in_force,
    recorded_tariff_entries,
    tariff_entries,
    tariff_schedule_of,
)
from gridpos.application.parameters import parse_parameters
from gridpos.domain.categories import CustomerCategory
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.accounts import AccountQuery
from gridpos.protocol.terminal.payments import PayRequest

from .collecting import Terminal, seed_collecting
from .conftest import SettableClock
from .helpers import signed_in, token
from .seed import PASSWORD, Tree, add_operator

TODAY = date(2024, 5, 1)  # the clock fixture's 08:00 UTC is 16:00 in the county
TOMORROW = date(2024, 5, 2)
LIMITS = LimitsForm(
    valid_from="2024-05-02",
    per_payment_limit="60,000",
    per_day_limit="600000.00",
    offline_per_payment_limit="3000",
    offline_per_day_limit="30000",
    offline_allowance_max="30000",
)
TIERED = TariffForm(
    category="residential",
    valid_from="2024-06-01",
    kind="tiered",
    tier1_monthly="200",
    tier1_annual="2400",
    tier1_price="0.58",
    tier2_monthly="400",
    tier2_annual="4800",
    tier2_price="0.63",
    tier3_price="0.8800",
    accumulation="annual",
    free_kwh="0",
)
RULE = PenaltyForm(
    valid_from="2024-06-01",
    residential="0.5",
    current_year="1",
    cross_year="1.5",
    minimum_yuan="0.50",
    minimum_scope="payment",
)


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(parameters)).scalar_one())


def _audited(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_log.c.subject).where(audit_log.c.action == "parameter.set")
            ).scalars()
        )


def _refused(call: object, *args: object, **kwargs: object) -> dict[str, str]:
    with pytest.raises(InvalidFormError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return {str(error.field): error.code for error in caught.value.errors}


def test_finance_and_auditors_read_only_the_company_admin_changes(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    assert parameter_overview(services, signed_in(services, "admin@340828").actor).may_change
    for who in ("finance@340828", "auditor@340828"):
        actor = signed_in(services, who).actor
        overview = parameter_overview(services, actor)
        assert not overview.may_change
        with pytest.raises(AccessDeniedError):
            set_limits(services, actor, form_token=token(), form=LIMITS)
    for who in ("head@34082801", "staff@34082801", "agent01@3408280101"):
        actor = signed_in(services, who).actor
        with pytest.raises(AccessDeniedError):
            parameter_overview(services, actor)
        with pytest.raises(AccessDeniedError):
            add_penalty_rule(services, actor, form_token=token(), form=RULE)
    # an admin placed at a station cannot change what holds for the whole system
    add_operator(
        engine,
        org_id=signed_in(services, "head@34082801").actor.org_id,
        account="admin3",
        name="孙管理",
        role="admin",
    )
    station_admin = signed_in(services, "admin3@34082801").actor
    assert not parameter_overview(services, station_admin).may_change
    with pytest.raises(AccessDeniedError):
        set_partial_payment(
            services, station_admin, form_token=token(), valid_from="2024-05-02", allowed="yes"
        )
    assert _rows(engine) == 0


def test_the_overview_shows_defaults_and_the_built_in_schedules(
    services: ConsoleServices, tree: Tree
) -> None:
    del tree
    overview = parameter_overview(services, signed_in(services, "finance@340828").actor)
    assert overview.today == TODAY
    limit = overview.settings["collection.per_payment_limit"]
    assert (limit.in_force, limit.in_force_from, limit.upcoming) == (5_000_000, None, ())
    assert overview.settings["collection.partial_allowed"].in_force is False
    in_force = [e.config["category"] for e in overview.tariffs if e.in_force_on(TODAY)]
    assert sorted(in_force) == sorted(c.value for c in CustomerCategory)
    assert len(overview.tariffs) == 6
    assert not any(entry.recorded for entry in overview.tariffs + overview.penalties)
    assert [e.config["residential_per_mille"] for e in overview.penalties] == ["1"]


def test_new_limits_start_tomorrow_and_the_payment_engine_reads_them(
    services: ConsoleServices, tree: Tree, engine: Engine, clock: SettableClock
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor
    done = set_limits(services, admin, form_token=token(), form=LIMITS)
    assert (done.subject, done.repeated) == ("parameters:limits", False)
    overview = parameter_overview(services, admin)
    setting = overview.settings["collection.per_payment_limit"]
    assert setting.in_force == 5_000_000  # still today's
    assert [(v.valid_from, v.value) for v in setting.upcoming] == [(TOMORROW, 6_000_000)]
    with engine.connect() as conn:
        tomorrow = parse_parameters(parameters_in_force(conn, on=TOMORROW))
        today = parse_parameters(parameters_in_force(conn, on=TODAY))
    assert (tomorrow.per_payment_limit, tomorrow.per_day_limit) == (6_000_000, 60_000_000)
    assert (tomorrow.offline_per_payment_limit, tomorrow.offline_allowance_max) == (
        300_000,
        3_000_000,
    )
    assert today.per_payment_limit == 5_000_000
    assert _audited(engine) == ["parameters:limits"]
    clock.advance(timedelta(days=1))
    moved_on = parameter_overview(services, admin).settings["collection.per_payment_limit"]
    assert (moved_on.in_force, moved_on.in_force_from) == (6_000_000, TOMORROW)


def test_limits_are_refused_by_field_and_nothing_is_written(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor

    def refused(**changes: str) -> dict[str, str]:
        form = replace(LIMITS, **changes)
        return _refused(set_limits, services, admin, form_token=token(), form=form)

    assert refused(valid_from="2024-05-01") == {"valid_from": "valid_from_not_future"}
    assert refused(valid_from="2024-02-30") == {"valid_from": "date_invalid"}
    assert refused(valid_from="") == {"valid_from": "field_required"}
    assert refused(per_payment_limit="abc", per_day_limit="0") == {
        "per_payment_limit": "money_invalid",
        "per_day_limit": "money_zero",
    }
    assert refused(per_payment_limit="1000000") == {"per_payment_limit": "money_over_ceiling"}
    assert refused(per_payment_limit="700000") == {"per_payment_limit": "limit_order"}
    assert refused(offline_per_payment_limit="70000") == {
        "offline_per_payment_limit": "limit_order"
    }
    with pytest.raises(InvalidFormError) as caught:
        set_limits(
            services,
            admin,
            form_token=token(),
            form=LimitsForm(**{**asdict(LIMITS), "offline_per_day_limit": "700000"}),
        )
    error = caught.value.errors[0]
    assert error.message_zh == "脱机单日限额不能大于单日限额"
    assert error.message_en == "the offline per-day limit cannot exceed the per-day limit"
    assert _rows(engine) == 0
    assert _audited(engine) == []


def test_a_form_sent_twice_acts_once_and_a_future_value_may_be_replaced(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor
    form_token = token()
    first = set_partial_payment(
        services, admin, form_token=form_token, valid_from="2024-05-02", allowed="yes"
    )
    again = set_partial_payment(
        services, admin, form_token=form_token, valid_from="2024-05-02", allowed="no"
    )
    assert (first.repeated, again.repeated) == (False, True)
    with engine.connect() as conn:
        assert parse_parameters(parameters_in_force(conn, on=TOMORROW)).partial_allowed
    assert _audited(engine) == ["parameters:partial_payment"]
    # not yet in force: a new form for the same day replaces it
    set_partial_payment(services, admin, form_token=token(), valid_from="2024-05-02", allowed="no")
    with engine.connect() as conn:
        assert not parse_parameters(parameters_in_force(conn, on=TOMORROW)).partial_allowed
    assert _rows(engine) == 1
    assert _refused(
        set_partial_payment,
        services,
        admin,
        form_token=token(),
        valid_from="2024-05-03",
        allowed="maybe",
    ) == {"allowed": "choice_invalid"}


def test_the_commission_is_read_back_by_the_commission_use_case(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor
    set_commission_rates(
        services,
        admin,
        form_token=token(),
        form=CommissionForm(valid_from="2024-05-02", fixed_yuan="0.50", rate_per_mille="1.5"),
    )
    settings = commission_settings(engine, on=TOMORROW)
    assert (settings.fixed_fen, settings.rate_ppm) == (50, 1_500)
    assert settings.on_payment(10_000) == 65  # 0.50 yuan + 1.5‰ of 100.00 yuan
    assert commission_settings(engine, on=TODAY).fixed_fen == 0

    def refused(**fields: str) -> dict[str, str]:
        form = CommissionForm(**{"valid_from": "2024-05-03", **fields})
        return _refused(set_commission_rates, services, admin, form_token=token(), form=form)

    assert refused(fixed_yuan="100.01", rate_per_mille="1") == {"fixed_yuan": "money_over_ceiling"}
    assert refused(fixed_yuan="0", rate_per_mille="100.001") == {
        "rate_per_mille": "commission_invalid"
    }
    assert refused(fixed_yuan="0", rate_per_mille="1.2345") == {"rate_per_mille": "field_malformed"}


def test_a_tariff_entry_closes_the_one_in_force_and_prices_later_months(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor
    add_tariff_entry(services, admin, form_token=token(), form=TIERED)
    flat = TariffForm(
        category="non_residential", valid_from="2024-07-01", kind="flat", price="0.8", free_kwh="0"
    )
    add_tariff_entry(services, admin, form_token=token(), form=flat)
    with engine.connect() as conn:
        entries = tariff_entries(recorded_tariff_entries(conn))
    schedule = tariff_schedule_of(entries)
    may = schedule.entry_for(category=CustomerCategory.RESIDENTIAL, period="202405")
    june = schedule.entry_for(category=CustomerCategory.RESIDENTIAL, period="202406")
    assert [tier.price_e4 for tier in may.tiers] == [5653, 6153, 8653]
    assert may.valid_to == date(2024, 6, 1)
    assert [(t.monthly_up_to_kwh, t.annual_up_to_kwh, t.price_e4) for t in june.tiers] == [
        (200, 2400, 5800),
        (400, 4800, 6300),
        (None, None, 8800),
    ]
    others = schedule.entry_for(category=CustomerCategory.NON_RESIDENTIAL, period="202407")
    assert others.price_e4 == 8000
    # 100 kWh in June 2024 at the new first band: 100 × 0.58 = 58.00 yuan
    assert (
        schedule.bill(
            category=CustomerCategory.RESIDENTIAL, period="202406", kwh=100, year_kwh_before=0
        ).amount_fen
        == 5800
    )
    overview = parameter_overview(services, admin)
    recorded = [(e.config["category"], e.valid_from) for e in overview.tariffs if e.recorded]
    assert recorded == [("residential", date(2024, 6, 1)), ("non_residential", date(2024, 7, 1))]
    assert _audited(engine) == [
        "parameters:tariff_residential",
        "parameters:tariff_non_residential",
    ]


def test_a_tariff_entry_that_does_not_fit_is_refused_and_nothing_written(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor

    def refused(**changes: str) -> dict[str, str]:
        form = replace(TIERED, **changes)
        return _refused(add_tariff_entry, services, admin, form_token=token(), form=form)

    assert refused(valid_from="2024-06-15") == {"valid_from": "valid_from_not_first_of_month"}
    assert refused(valid_from="2024-05-01") == {"valid_from": "valid_from_not_future"}
    assert refused(category="commercial") == {"category": "choice_invalid"}
    assert refused(tier1_price="0,58", tier2_annual="lots") == {
        "tier1_price": "field_malformed",
        "tier2_annual": "field_malformed",
    }
    # the domain refuses the whole schedule: a higher band cheaper than a lower one
    with pytest.raises(InvalidFormError) as caught:
        add_tariff_entry(
            services,
            admin,
            form_token=token(),
            form=replace(TIERED, tier2_price="0.50"),
        )
    error = caught.value.errors[0]
    assert (error.field, error.code) == ("tariff", "tariff_bad_price")
    assert "高档电价不能低于低档" in error.message_zh
    assert refused(tier2_monthly="150") == {"tariff": "tariff_config_invalid"}
    assert _rows(engine) == 0


def test_a_penalty_rule_from_a_later_day_is_what_payments_then_use(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    del tree
    admin = signed_in(services, "admin@340828").actor
    add_penalty_rule(services, admin, form_token=token(), form=RULE)
    with engine.connect() as conn:
        rules = penalty_rules_in_force(conn)
    before, after = rules.rule_in_force(date(2024, 5, 31)), rules.rule_in_force(date(2024, 6, 1))
    assert before.residential_per_mille == 1
    assert (before.valid_to, before.minimum_fen) == (date(2024, 6, 1), 100)
    assert after.residential_per_mille == Fraction(1, 2)
    assert after.non_residential_cross_year_per_mille == Fraction(3, 2)
    assert (after.minimum_fen, after.minimum_scope.value) == (50, "payment")
    overview = parameter_overview(services, admin)
    assert [e.recorded for e in overview.penalties] == [False, True]

    def refused(**changes: str) -> dict[str, str]:
        form = replace(RULE, **{"valid_from": "2024-07-01", **changes})
        return _refused(add_penalty_rule, services, admin, form_token=token(), form=form)

    assert refused(residential="abc") == {"residential": "field_malformed"}
    assert refused(cross_year="2000") == {"penalty": "penalty_config_invalid"}
    assert refused(minimum_scope="month", minimum_yuan="-1") == {
        "minimum_yuan": "money_negative",
        "minimum_scope": "choice_invalid",
    }
    assert len(penalty_entries([])) == 1


# ---- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def client(services: ConsoleServices, tree: Tree) -> Iterator[TestClient]:
    del tree
    app = Starlette(
        routes=console_routes(
            services, ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
        )
    )
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _sign_in(client: TestClient, who: str) -> str:
    account, org_code = who.split("@")
    page = client.get("/console/sign-in").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf_token": found.group(1),
            "org_code": org_code,
            "account": account,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert csrf is not None
    return csrf.group(1)


def _form_token(html: str, form_id: str) -> str:
    form = re.search(rf'<form [^>]*id="{form_id}".*?</form>', html, re.S)
    assert form is not None
    found = re.search(r'name="form_token" value="([^"]+)"', form.group(0))
    assert found is not None
    return found.group(1)


def test_the_admin_records_limits_and_a_mistake_is_shown_next_to_its_field(
    client: TestClient, engine: Engine
) -> None:
    csrf = _sign_in(client, "admin@340828")
    page = client.get("/console/parameters")
    assert page.status_code == 200
    assert 'id="limits-form"' in page.text
    assert 'name="per_payment_limit" value="50000.00"' in page.text
    form = {
        **asdict(LIMITS),
        "csrf_token": csrf,
        "form_token": _form_token(page.text, "limits-form"),
    }
    wrong = client.post("/console/parameters/limits", data={**form, "per_day_limit": "100"})
    assert wrong.status_code == 422
    assert '<p class="field-error" data-field="per_payment_limit">单笔限额不能大于单日限额</p>' in (
        wrong.text
    )
    assert 'name="per_day_limit" value="100"' in wrong.text  # what was typed comes back
    done = client.post("/console/parameters/limits", data=form)
    assert done.status_code == 303
    assert done.headers["location"] == "/console/parameters?done=limits#limits"
    again = client.post("/console/parameters/limits", data=form)
    assert again.headers["location"] == "/console/parameters?done=repeated#limits"
    shown = client.get("/console/parameters?done=limits")
    assert "新的限额已保存。" in shown.text
    assert "自 2024-05-02 起: 60000.00 元" in shown.text
    assert _rows(engine) == 5


def test_finance_sees_no_forms_and_cannot_post_one(client: TestClient, engine: Engine) -> None:
    csrf = _sign_in(client, "finance@340828")
    page = client.get("/console/parameters")
    assert page.status_code == 200
    assert 'id="read-only"' in page.text
    assert '<form method="post" action="/console/parameters' not in page.text
    refused = client.post(
        "/console/parameters/limits",
        data={**asdict(LIMITS), "csrf_token": csrf, "form_token": token()},
    )
    assert refused.status_code == 403
    assert _rows(engine) == 0


def test_payments_use_the_penalty_rule_recorded_for_their_day(
    services: ConsoleServices, tree: Tree, engine: Engine, clock: SettableClock
) -> None:
    world = seed_collecting(engine, tree, clock, day=TODAY)
    with engine.begin() as conn:
        conn.execute(
            insert(receivables).values(
                mis_receivable_id="MIS-0100000001-202403",
                customer_id=world.customer_ids["0100000001"],
                period="202403",
                principal=10_000,
                due_date=date(2024, 4, 20),
            )
        )
    admin = signed_in(services, "admin@340828").actor
    add_penalty_rule(services, admin, form_token=token(), form=RULE)  # 0.5‰ from 2024-06-01

    def penalty_asked_by(terminal: Terminal) -> int:
        terminal.sign_in()
        answer = terminal.send(routes.ACCOUNT, AccountQuery(account_no="0100000001"))
        return int(answer.lines[0].penalty)

    clock.advance(timedelta(days=30))  # 2024-05-31: 41 days late at the built-in 1‰
    assert penalty_asked_by(world.terminal("34080101")) == 410
    clock.advance(timedelta(days=1))  # 2024-06-01: 42 days late at the recorded 0.5‰
    terminal = world.terminal("34080201")
    assert penalty_asked_by(terminal) == 210
    # and the payment is priced alike (on PostgreSQL by the two-round-trip path)
    txn_id, trace_no = terminal.next_txn()
    paid = terminal.send(
        routes.PAY,
        PayRequest(
            txn_id=txn_id,
            trace_no=trace_no,
            account_no="0100000001",
            cash=10_210,
            amount_due=10_210,
            cash_time=clock.now(),
        ),
    )
    assert [(line.principal, line.penalty) for line in paid.lines] == [(10_000, 210)]
    world.http.close()
