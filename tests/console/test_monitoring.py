"""实时监控: each role's scope, the figures of real payments worked out by hand, online and
silent terminals as the clock moves, low floats, unbalanced batches, the MIS backlog, the charts'
series, the change marks the live stream watches, and the page and its JSON over HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert, select, update
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import (
    agents,
    batch_differences,
    batches,
    organisations,
    outbox,
    terminals,
)
from gridpos.application.console import (
    AccessDeniedError,
    ConsoleServices,
    InvalidFormError,
    sign_out,
)
from gridpos.application.console.monitoring import (
    MonitoringQuery,
    MonitoringView,
    change_marks,
    monitoring_chart,
    monitoring_view,
)
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.interfaces.console.routes import monitoring as monitoring_routes

from .collecting import FLOAT, Collecting, seed_collecting
from .conftest import SettableClock
from .helpers import signed_in
from .seed import PASSWORD, Tree

DAY = date(2024, 5, 1)  # the clock fixture's 08:00 UTC is 16:00 in the county


@pytest.fixture
def collecting(engine: Engine, tree: Tree, clock: SettableClock) -> Iterator[Collecting]:
    world = seed_collecting(engine, tree, clock, day=DAY)
    yield world
    world.http.close()


@pytest.fixture
def paid(collecting: Collecting) -> Collecting:
    """天堂 collects 123.45 and 50.00, 店前 10.00, all at 16:00 on 2024-05-01."""
    tiantang = collecting.terminal("34080101")
    tiantang.sign_in()
    tiantang.pay("0100000001", 12_345)
    tiantang.pay("0100000001", 5_000)
    dianqian = collecting.terminal("34080201")
    dianqian.sign_in()
    dianqian.pay("0100000002", 1_000)
    return collecting


def _view(services: ConsoleServices, who: str, **query: object) -> MonitoringView:
    actor = signed_in(services, who).actor
    return monitoring_view(services, actor, MonitoringQuery(**query))  # type: ignore[arg-type]


def _codes(view: MonitoringView) -> list[str]:
    return [point.code for point in view.points.items]


def test_each_role_sees_its_own_subtree(services: ConsoleServices, paid: Collecting) -> None:
    del paid
    assert _codes(_view(services, "admin@340828")) == ["3408280101", "3408280201"]
    assert _codes(_view(services, "auditor@340828")) == ["3408280101", "3408280201"]
    assert _codes(_view(services, "head@34082801")) == ["3408280101"]
    assert _codes(_view(services, "staff@34082801")) == ["3408280101"]
    assert _codes(_view(services, "head2@34082802")) == ["3408280201"]
    other_county = _view(services, "admin@340826")
    assert _codes(other_county) == []
    assert other_county.summary.today.count == 0
    agent = signed_in(services, "agent01@3408280101").actor
    with pytest.raises(AccessDeniedError):
        monitoring_view(services, agent, MonitoringQuery())
    with pytest.raises(AccessDeniedError):
        monitoring_chart(services, agent, "hourly")
    with pytest.raises(AccessDeniedError):
        change_marks(services, agent)
    # a node outside the subtree cannot be asked for, by code
    for who, code in (("head@34082801", "34082802"), ("admin@340826", "34082801")):
        with pytest.raises(InvalidFormError) as refused:
            _view(services, who, station=code)
        assert refused.value.errors[0].field == "station"
    assert _codes(_view(services, "admin@340828", station="34082802")) == ["3408280201"]
    assert _codes(_view(services, "admin@340828", search="店前")) == ["3408280201"]
    assert _codes(_view(services, "admin@340828", search="34082801")) == ["3408280101"]


def test_todays_figures_by_point_and_in_all(services: ConsoleServices, paid: Collecting) -> None:
    del paid
    view = _view(services, "admin@340828")
    tiantang, dianqian = view.points.items
    assert (tiantang.today.count, tiantang.today.amount) == (2, 17_345)
    assert (dianqian.today.count, dianqian.today.amount) == (1, 1_000)
    assert tiantang.float_available == FLOAT - 17_345
    assert dianqian.float_available == FLOAT - 1_000
    assert (tiantang.float_held, dianqian.float_held) == (0, 0)
    assert (tiantang.state, tiantang.terminals, tiantang.online) == ("online", 1, 1)
    assert tiantang.station_name == "天堂供电所"
    summary = view.summary
    assert summary.business_date == DAY
    assert (summary.today.count, summary.today.amount) == (3, 18_345)
    assert (summary.terminals, summary.online) == (2, 2)
    assert summary.float_available == 2 * FLOAT - 18_345
    assert summary.backlog.pending == 3  # one MIS posting waits per payment (no worker here)
    assert view.alerts.count == 0
    station = _view(services, "head@34082801").summary
    assert (station.today.count, station.today.amount) == (2, 17_345)


def test_points_sort_by_name_contact_and_todays_amount(
    services: ConsoleServices, paid: Collecting, clock: SettableClock, engine: Engine
) -> None:
    del paid
    assert _codes(_view(services, "admin@340828", sort="amount")) == ["3408280101", "3408280201"]
    with engine.begin() as conn:  # 长 (U+957F) sorts after 店 (U+5E97), unlike the codes
        conn.execute(
            update(organisations)
            .where(organisations.c.code == "3408280101")
            .values(name="长岭代收点")
        )
    assert _codes(_view(services, "admin@340828", sort="name")) == ["3408280201", "3408280101"]
    with engine.begin() as conn:  # 天堂 heard from five minutes before 店前
        conn.execute(
            update(terminals)
            .where(terminals.c.terminal_no == "34080101")
            .values(last_seen_at=clock.now() - timedelta(minutes=5))
        )
    assert _codes(_view(services, "admin@340828", sort="quiet")) == ["3408280101", "3408280201"]
    with engine.begin() as conn:
        conn.execute(
            update(terminals).where(terminals.c.terminal_no == "34080201").values(last_seen_at=None)
        )
    assert _codes(_view(services, "admin@340828", sort="quiet")) == ["3408280201", "3408280101"]
    assert _codes(_view(services, "admin@340828", sort="bogus")) == ["3408280101", "3408280201"]


def test_terminals_go_offline_then_silent_as_time_passes(
    services: ConsoleServices, paid: Collecting, clock: SettableClock, engine: Engine
) -> None:
    del paid
    with engine.begin() as conn:
        conn.execute(
            update(terminals).where(terminals.c.terminal_no == "34080201").values(queue_depth=4)
        )
    clock.advance(timedelta(minutes=6))
    view = _view(services, "admin@340828")
    assert [point.state for point in view.points.items] == ["offline", "offline"]
    assert view.points.items[1].waiting == 4
    assert view.summary.waiting == 4
    assert (view.summary.online, view.alerts.silent) == (0, ())
    assert _codes(_view(services, "admin@340828", status="offline")) == [
        "3408280101",
        "3408280201",
    ]
    assert _codes(_view(services, "admin@340828", status="online")) == []
    clock.advance(timedelta(minutes=25))  # 31 minutes without a word, both signed in
    silent = _view(services, "admin@340828").alerts.silent
    assert sorted(item.terminal_no for item in silent) == ["34080101", "34080201"]
    assert _view(services, "head2@34082802").alerts.silent[0].point_name == "店前代收点"


def test_a_float_under_its_alert_level_and_an_unbalanced_batch_raise_alerts(
    services: ConsoleServices, paid: Collecting, engine: Engine, tree: Tree
) -> None:
    del paid
    with engine.begin() as conn:
        conn.execute(
            update(agents)
            .where(agents.c.id == tree.agent["A0101"])
            .values(low_float_alert=FLOAT)  # 5,000.00 wanted, 4,826.55 left
        )
        batch_id = conn.execute(
            select(batches.c.id)
            .join(terminals, terminals.c.id == batches.c.terminal_id)
            .where(terminals.c.terminal_no == "34080101")
        ).scalar_one()
        conn.execute(
            update(batches)
            .where(batches.c.id == batch_id)
            .values(state="unbalanced", closed_at=services.clock.now())
        )
        for kind, state in (
            ("terminal_only", "open"),
            ("amount_mismatch", "open"),
            ("server_only", "resolved"),
        ):
            conn.execute(
                insert(batch_differences).values(
                    batch_id=batch_id,
                    kind=kind,
                    state=state,
                    resolved_at=services.clock.now() if state == "resolved" else None,
                )
            )
    view = _view(services, "admin@340828")
    tiantang = view.points.items[0]
    assert tiantang.float_low
    assert (tiantang.unbalanced_batches, tiantang.one_sided_open) == (1, 1)
    alerts = view.alerts
    assert [(item.agent_code, item.available, item.low_alert) for item in alerts.low_floats] == [
        ("A0101", FLOAT - 17_345, FLOAT)
    ]
    assert [
        (b.terminal_no, b.business_date, b.batch_no, b.open_differences) for b in alerts.unbalanced
    ] == [("34080101", DAY, 1, 2)]
    assert alerts.one_sided_open == 1
    assert alerts.count == 2
    # 店前's station head sees neither
    assert _view(services, "head2@34082802").alerts.count == 0


def test_the_mis_backlog_is_old_and_the_mis_down(
    services: ConsoleServices, paid: Collecting, clock: SettableClock, engine: Engine
) -> None:
    del paid
    assert not _view(services, "admin@340828").alerts.mis_down
    with engine.begin() as conn:
        oldest = conn.execute(select(outbox.c.id).order_by(outbox.c.id).limit(1)).scalar_one()
        conn.execute(
            update(outbox)
            .where(outbox.c.id == oldest)
            .values(attempts=3, last_error="mis_unreachable: connect timeout")
        )
    clock.advance(timedelta(minutes=16))
    view = _view(services, "head@34082801")  # the backlog is the whole system's
    assert view.alerts.mis_down
    assert view.alerts.mis_backlog_old
    assert view.summary.backlog.oldest_attempts == 3
    assert view.summary.backlog_age == timedelta(minutes=16)


def test_the_charts_series_by_hour_day_and_station(
    services: ConsoleServices, paid: Collecting, clock: SettableClock
) -> None:
    del paid
    admin = signed_in(services, "admin@340828").actor
    hourly = monitoring_chart(services, admin, "hourly")
    assert [p.label for p in hourly.points] == [f"{hour:02d}" for hour in range(24)]
    assert [(p.label, p.count, p.amount) for p in hourly.points if p.count] == [("16", 3, 18_345)]
    assert sum(p.amount for p in hourly.points) == 18_345
    daily = monitoring_chart(services, admin, "daily")
    assert daily.title_date == "2024-05"
    assert [(p.label, p.count, p.amount) for p in daily.points] == [("2024-05-01", 3, 18_345)]
    stations = monitoring_chart(services, admin, "stations")
    assert [(p.label, p.count, p.amount) for p in stations.points] == [
        ("天堂供电所", 2, 17_345),
        ("店前供电所", 1, 1_000),
    ]
    head = signed_in(services, "head2@34082802").actor
    assert [p.amount for p in monitoring_chart(services, head, "stations").points] == [1_000]
    with pytest.raises(InvalidFormError):
        monitoring_chart(services, admin, "weekly")
    clock.advance(timedelta(days=2))
    later = monitoring_chart(services, admin, "daily")
    assert [(p.label, p.count) for p in later.points] == [
        ("2024-05-01", 3),
        ("2024-05-02", 0),
        ("2024-05-03", 0),
    ]
    assert monitoring_chart(services, admin, "stations").points == ()


def test_the_change_marks_move_with_a_payment(
    services: ConsoleServices, collecting: Collecting
) -> None:
    admin = signed_in(services, "admin@340828").actor
    before = change_marks(services, admin)
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    assert change_marks(services, admin) != before  # a batch was opened
    opened = change_marks(services, admin)
    terminal.pay("0100000001", 100)
    assert change_marks(services, admin)[0] == opened[0] + 1


# ---- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def client(services: ConsoleServices, paid: Collecting) -> Iterator[TestClient]:
    del paid
    app = Starlette(
        routes=console_routes(
            services, ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
        )
    )
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _sign_in(client: TestClient, who: str) -> None:
    account, org_code = who.split("@")
    page = client.get("/console/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf_token": token.group(1),
            "org_code": org_code,
            "account": account,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303


def test_the_page_shows_each_point_and_connects_to_its_stream(client: TestClient) -> None:
    _sign_in(client, "admin@340828")
    page = client.get("/console/monitoring")
    assert page.status_code == 200
    assert 'sse-connect="/console/monitoring/stream?"' in page.text
    row = re.search(
        r'<tr id="point-\d+" data-code="3408280101" sse-swap="point-\d+">(.*?)</tr>',
        page.text,
        re.S,
    )
    assert row is not None
    assert 'data-field="today-count">2<' in row.group(1)
    assert 'data-field="today-amount">173.45<' in row.group(1)
    assert 'data-state="online">在线' in row.group(1)
    assert 'data-figure="today-amount">183.45 元<' in page.text
    refused = client.get("/console/monitoring?station=34082601")
    assert refused.status_code == 422
    assert "您的管辖范围内没有编码为 34082601 的机构" in refused.text
    chart = client.get("/console/monitoring/charts/stations.json").json()
    assert chart["labels"] == ["天堂供电所", "店前供电所"]
    assert chart["counts"] == [2, 1]
    assert chart["amounts"] == ["173.45", "10.00"]
    assert chart["title"].startswith("今日各供电所")
    assert client.get("/console/monitoring/charts/weekly.json").status_code == 404


def test_an_agent_and_a_signed_out_visitor_are_kept_out(client: TestClient) -> None:
    assert client.get("/console/monitoring/stream").status_code == 303
    assert client.get("/console/monitoring/charts/hourly.json").status_code == 303
    _sign_in(client, "agent01@3408280101")
    for path in (
        "/console/monitoring",
        "/console/monitoring/stream",
        "/console/monitoring/charts/hourly.json",
    ):
        assert client.get(path).status_code == 403, path


def _events(lines: Iterator[str], *, until: str, deadline_s: float) -> dict[str, str]:
    """Events read from an event stream (name → last data) up to the event ``until``."""
    seen: dict[str, str] = {}
    name, data, deadline = "", [], time.monotonic() + deadline_s
    for line in lines:
        assert time.monotonic() < deadline, f"no {until!r} event in {deadline_s} s: {seen}"
        if line.startswith("event: "):
            name, data = line[7:], []
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and name:
            seen[name] = "\n".join(data)
            if name == until:
                return seen
            name = ""
    return seen


def test_the_stream_pushes_a_payment_within_two_seconds_and_ends_with_the_session(
    client: TestClient,
    paid: Collecting,
    services: ConsoleServices,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sign_in(client, "head@34082801")
    point = re.search(r'id="point-(\d+)"', client.get("/console/monitoring").text)
    assert point is not None
    row = f"point-{point.group(1)}"
    monkeypatch.setattr(monitoring_routes, "SESSION_RECHECK_S", 0.0)
    with client.stream("GET", "/console/monitoring/stream") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.iter_lines()
        first = _events(lines, until=row, deadline_s=5)
        assert set(first) == {"figures", "alerts", row}  # only the station's one point
        assert 'data-field="today-count">2<' in first[row]
        terminal = paid.terminal("34080101")
        terminal.counter, terminal.serial, terminal.trace = 10, 10, 10
        paid_at = time.monotonic()
        terminal.pay("0100000001", 2_000)
        pushed = _events(lines, until=row, deadline_s=5)
        assert time.monotonic() - paid_at < 2.0
        assert 'data-field="today-count">3<' in pushed[row]
        assert 'data-field="today-amount">193.45<' in pushed[row]
        assert 'data-figure="today-count">3<' in pushed["figures"]
        sign_out(services, session_token=client.cookies["gp_session"])
        assert "signed-out" in _events(lines, until="signed-out", deadline_s=5)
