"""MIS进账 in the console: payments made through the terminal API, one of them voided under
maker-checker, delivered to a served reference MIS by the outbox delivery, and the MIS's daily
posting report read back through the MIS client — cut to each actor's stations or an agent's
own collections, filtered, refused next to the field, printed and exported; the MIS out of reach
or not configured a calm message — on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

import conftest as root
from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.migrate import upgrade
from gridpos.adapters.db.tables.undo_requests import payment_undo_requests
from gridpos.adapters.mis import MisClient, MisUnreachableError
from gridpos.application.console import ConsoleServices, InvalidFormError
from gridpos.application.console.mis_postings import (
    REPORT_FRESH,
    MisPostingQuery,
    MisPostingView,
    mis_posting_report,
)
from gridpos.application.console.undo_requests import decide_payment_undo, request_payment_undo
from gridpos.application.outbox_delivery import deliver_due
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from mis.harness import RunningMis, start_mis
from refmis.support import add_customer

from .collecting import seed_collecting
from .collections_world import pay, payment_id
from .conftest import SettableClock
from .helpers import signed_in, token
from .seed import FAST_HASHER, PASSWORD, Tree, seed_tree

DAY = date(2024, 5, 1)


@dataclass
class Posted:
    """Three payments posted into the MIS on :data:`DAY`, the second voided the same day."""

    services: ConsoleServices
    engine: Engine
    tree: Tree
    mis: RunningMis
    client: MisClient
    kept: str  # 34080101, 50.00 yuan (agent A0101, 天堂供电所)
    voided: str  # 34080101, 20.00 yuan, voided
    other: str  # 34080201, 30.00 yuan (agent A0201, 店前供电所)


def _deliver(engine: Engine, client: MisClient, clock: SettableClock) -> None:
    """Deliver the outbox until nothing is left to do (bounded: undos wait for their post)."""
    for _ in range(10):
        report = deliver_due(engine, client, clock=clock, jitter=lambda: 0.0)
        assert report.dead == 0, report.errors
        if report.claimed == 0:
            return
        clock.advance(timedelta(seconds=5))
    raise AssertionError("the outbox did not drain")


def _post_the_day(engine: Engine, tree: Tree, clock: SettableClock, mis: RunningMis) -> Posted:
    collecting = seed_collecting(engine, tree, clock, day=DAY)
    add_customer(mis.engine, "0100000001", category="residential", station_code="34082801")
    add_customer(mis.engine, "0100000002", category="residential", station_code="34082802")
    t1, t2 = collecting.terminal("34080101"), collecting.terminal("34080201")
    t1.sign_in()
    t2.sign_in()
    kept = pay(t1, "0100000001", 5_000, amount_due=0)
    voided = pay(t1, "0100000001", 2_000, amount_due=0)
    other = pay(t2, "0100000002", 3_000, amount_due=0)
    services = ConsoleServices(engine=engine, clock=clock, passwords=FAST_HASHER)
    voided_id = payment_id(engine, voided.txn_id)
    request_payment_undo(
        services,
        signed_in(services, "staff@34082801").actor,
        form_token=token(),
        payment_id=voided_id,
        reason="顾客取消",
    )
    with engine.connect() as conn:
        request_id = conn.execute(select(payment_undo_requests.c.id)).scalar_one()
    decide_payment_undo(
        services,
        signed_in(services, "finance@340828").actor,
        form_token=token(),
        payment_id=voided_id,
        request_id=request_id,
        approve=True,
    )
    client = mis.client()
    _deliver(engine, client, clock)
    return Posted(
        services=dataclasses.replace(services, mis=client),
        engine=engine,
        tree=tree,
        mis=mis,
        client=client,
        kept=kept.txn_id,
        voided=voided.txn_id,
        other=other.txn_id,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def posted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Posted]:
    dropped: str | None = None
    folder: Path = tmp_path_factory.mktemp("mis-postings")
    if request.param == "postgresql":
        request.getfixturevalue("pg_available")
        dropped, url = root._create_pg_database()
    else:
        url = f"sqlite:///{folder / 'console.sqlite'}"
    upgrade(url)
    engine = create_engine_for(url)
    mis = start_mis(folder, day=DAY)
    try:
        clock = SettableClock(datetime(2024, 5, 1, 8, 0, tzinfo=UTC))
        posted = _post_the_day(engine, seed_tree(engine), clock, mis)
        yield posted
        posted.client.close()
    finally:
        mis.stop()
        engine.dispose()
        if dropped is not None:
            root._drop_pg_database(dropped)


def _view(posted: Posted, who: str, **query: str) -> MisPostingView:
    actor = signed_in(posted.services, who).actor
    return mis_posting_report(posted.services, actor, MisPostingQuery(**query), every_line=True)  # type: ignore[arg-type]


def _lines(view: MisPostingView) -> list[tuple[str, str, int]]:
    return sorted((line.kind, line.payment_id, line.amount_fen) for line in view.detail)


def test_the_company_sees_every_station_as_the_mis_summed_it(posted: Posted) -> None:
    view = _view(posted, "finance@340828", business_date="2024-05-01")
    assert view.problem is None
    assert _lines(view) == sorted(
        [
            ("posting", posted.kept, 5_000),
            ("posting", posted.voided, 2_000),
            ("reversal", posted.voided, -2_000),
            ("posting", posted.other, 3_000),
        ]
    )
    summary = {line.station_code: line for line in view.summary}
    tiantang, dianqian = summary["34082801"], summary["34082802"]
    assert (tiantang.posting_count, tiantang.posting_amount) == (2, 7_000)
    assert (tiantang.undo_count, tiantang.undo_amount, tiantang.net_amount) == (1, -2_000, 5_000)
    assert (tiantang.prepaid_net, tiantang.principal, tiantang.penalty) == (5_000, 0, 0)
    assert (dianqian.posting_count, dianqian.net_amount) == (1, 3_000)
    assert (view.totals.posting_count, view.totals.undo_count, view.totals.net_amount) == (
        3,
        1,
        8_000,
    )
    assert view.detail_count == 4


def test_a_station_sees_its_own_and_an_agent_their_own_collections(posted: Posted) -> None:
    head = _view(posted, "head@34082801")  # no date: today
    assert head.business_date == DAY
    assert [line.station_code for line in head.summary] == ["34082801"]
    assert {line.payment_id for line in head.detail} == {posted.kept, posted.voided}
    staff2 = _view(posted, "head2@34082802")
    assert _lines(staff2) == [("posting", posted.other, 3_000)]
    agent = _view(posted, "agent01@3408280101")
    assert {line.payment_id for line in agent.detail} == {posted.kept, posted.voided}
    assert [
        (s.station_code, s.posting_count, s.undo_count, s.net_amount) for s in agent.summary
    ] == [("34082801", 2, 1, 5_000)]
    assert agent.summary[0].station_name_zh == "天堂供电所"
    agent2 = _view(posted, "agent02@3408280201")
    assert _lines(agent2) == [("posting", posted.other, 3_000)]
    assert agent2.totals.net_amount == 3_000
    elsewhere = _view(posted, "admin@340826")  # another county: none of these stations
    assert (elsewhere.summary, elsewhere.detail) == ((), ())


def test_filters_pages_and_refusals(posted: Posted) -> None:
    only = _view(posted, "admin@340828", station_code="34082802")
    assert _lines(only) == [("posting", posted.other, 3_000)]
    actor = signed_in(posted.services, "admin@340828").actor
    paged = mis_posting_report(posted.services, actor, MisPostingQuery(page=2), every_line=False)
    assert (paged.detail_count, paged.pages, paged.detail) == (4, 1, ())
    for who, query, expected in (
        ("head@34082801", {"station_code": "34082802"}, {"station": "station_unknown"}),
        ("admin@340828", {"business_date": "2024-05-32"}, {"business_date": "date_invalid"}),
        ("admin@340828", {"business_date": "2024-05-02"}, {"business_date": "date_in_future"}),
    ):
        with pytest.raises(InvalidFormError) as refused:
            _view(posted, who, **query)
        assert {str(e.field): e.code for e in refused.value.errors} == expected
    empty = _view(posted, "admin@340828", business_date="2024-04-30")
    assert (empty.summary, empty.detail, empty.problem) == ((), (), None)


def _later(posted: Posted) -> None:
    """Move the clock past the time a report read from the MIS is reused."""
    clock = posted.services.clock
    assert isinstance(clock, SettableClock)
    clock.advance(REPORT_FRESH + timedelta(seconds=1))


def test_the_mis_out_of_reach_or_not_configured_is_a_message(posted: Posted) -> None:
    _later(posted)
    fresh = _view(posted, "finance@340828")
    asked = posted.mis.requests.count("GET", "/v1/reports/postings")
    posted.mis.set_faults("down")
    try:
        reused = _view(posted, "head@34082801")  # read moments ago: not asked again
        assert posted.mis.requests.count("GET", "/v1/reports/postings") == asked
        assert reused.problem is None
        assert {line.payment_id for line in reused.detail} <= {
            line.payment_id for line in fresh.detail
        }
        _later(posted)
        view = _view(posted, "finance@340828")
    finally:
        posted.mis.set_faults("normal")
    assert isinstance(view.problem, MisUnreachableError)
    assert (view.summary, view.detail) == ((), ())
    bare = dataclasses.replace(posted.services, mis=None)
    actor = signed_in(bare, "finance@340828").actor
    view = mis_posting_report(bare, actor, MisPostingQuery())
    assert view.problem is not None
    assert view.problem.code == "mis_not_configured"


def _client(posted: Posted, who: str, lang: str) -> TestClient:
    config = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
    client = TestClient(
        Starlette(routes=console_routes(posted.services, config)),
        raise_server_exceptions=False,
        follow_redirects=False,
    )
    client.cookies.set("gp_lang", lang)
    account, org_code = who.split("@")
    token_ = re.findall(r'name="csrf_token" value="([^"]+)"', client.get("/console/sign-in").text)
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf_token": token_[0],
            "org_code": org_code,
            "account": account,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 303
    return client


def test_the_page_print_and_export(posted: Posted) -> None:
    client = _client(posted, "head@34082801", "zh_CN")
    page = client.get("/console/mis-postings?date=2024-05-01")
    assert page.status_code == 200
    assert 'data-station="34082801"' in page.text
    assert 'data-station="34082802"' not in page.text
    assert f'href="/console/payments/txn/{posted.kept}"' in page.text
    assert client.get(f"/console/payments/txn/{posted.kept}").status_code == 303
    pdf = client.get("/console/mis-postings/report.pdf?date=2024-05-01")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "MIS进账" in text
    assert "天堂供电所" in text
    assert "50.00" in text
    assert "-20.00" in text
    xlsx = client.get("/console/mis-postings/report.xlsx?date=2024-05-01")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
        detail = book.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert posted.kept in strings
    assert posted.other not in strings
    assert "<v>-20.00</v>" in detail
    refused = client.get("/console/mis-postings?station=34082802")
    assert refused.status_code == 422
    assert "您的管辖范围内没有编码为 34082802 的供电所" in refused.text
    _later(posted)
    posted.mis.set_faults("down")
    try:
        calm = client.get("/console/mis-postings")
        english = _client(posted, "finance@340828", "en").get("/console/mis-postings")
    finally:
        posted.mis.set_faults("normal")
    assert calm.status_code == 200
    assert 'id="mis-problem"' in calm.text
    assert "暂时无法读取营销系统的进账报表" in calm.text
    assert "The MIS&#39;s posting report cannot be read just now" in english.text or (
        "The MIS's posting report cannot be read just now" in english.text
    )
