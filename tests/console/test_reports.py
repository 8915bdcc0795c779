"""统计报表 in the console: the day's and the month's collections by station, agent and terminal
— worked out by hand from three payments made through the terminal API, one of them voided
under maker-checker — within each actor's subtree, refused next to the field, and printed as a
PDF whose Chinese text reads back and as an Excel workbook; and the day totals the reports read
following every write to the payments (one, many at once, an undo, a move, a removal) — on
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, delete, func, insert, select, update
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import collection_day_totals, payments
from gridpos.adapters.db.tables.undo_requests import payment_undo_requests
from gridpos.application.console import AccessDeniedError, ConsoleServices, InvalidFormError
from gridpos.application.console.reports import (
    CollectionReport,
    ReportQuery,
    collection_report,
)
from gridpos.application.console.undo_requests import decide_payment_undo, request_payment_undo
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes

from .collections_world import Seen, build_world, seen_world
from .conftest import SettableClock
from .helpers import signed_in, token
from .seed import FAST_HASHER, PASSWORD, Tree

# after the void of p2: (count, amount, penalty, principal, prepaid, undone count, undone amount)
TIANTANG = (1, 12_000, 160, 10_000, 1_840, 1, 5_000)
DIANQIAN = (1, 3_000, 0, 0, 3_000, 0, 0)
TOTAL = (2, 15_000, 160, 10_000, 4_840, 1, 5_000)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seen]:
    for seen in seen_world(request, tmp_path_factory):
        services, p2 = seen.services, seen.world.ids["p2"]
        request_payment_undo(
            services,
            signed_in(services, "staff@34082801").actor,
            form_token=token(),
            payment_id=p2,
            reason="重复收费",
        )
        with seen.engine.connect() as conn:
            request_id = conn.execute(select(payment_undo_requests.c.id)).scalar_one()
        decide_payment_undo(
            services,
            signed_in(services, "finance@340828").actor,
            form_token=token(),
            payment_id=p2,
            request_id=request_id,
            approve=True,
        )
        yield seen


def _report(seen: Seen, who: str, **query: str) -> CollectionReport:
    actor = signed_in(seen.services, who).actor
    return collection_report(seen.services, actor, ReportQuery(**query))


def _figures(report: CollectionReport) -> dict[str, tuple[int, ...]]:
    return {
        line.code: (
            line.figures.count,
            line.figures.amount,
            line.figures.penalty,
            line.figures.principal,
            line.figures.prepaid,
            line.figures.undone_count,
            line.figures.undone_amount,
        )
        for line in report.lines
    }


def _total(report: CollectionReport) -> tuple[int, ...]:
    t = report.total
    return (t.count, t.amount, t.penalty, t.principal, t.prepaid, t.undone_count, t.undone_amount)


def test_the_days_collections_by_station_agent_and_terminal(seen: Seen) -> None:
    by_station = _report(seen, "finance@340828")  # nothing asked: today's, by station
    assert (by_station.kind.value, by_station.period_label) == ("daily", "2024-05-01")
    assert _figures(by_station) == {"34082801": TIANTANG, "34082802": DIANQIAN}
    assert [line.name for line in by_station.lines] == ["天堂供电所", "店前供电所"]
    assert _total(by_station) == TOTAL
    for line in (*by_station.lines,):
        figures = line.figures
        assert figures.amount == figures.penalty + figures.principal + figures.prepaid
    by_agent = _report(seen, "auditor@340828", group="agent", day="2024-05-01")
    assert _figures(by_agent) == {"A0101": TIANTANG, "A0201": DIANQIAN}
    assert by_agent.lines[0].place == "天堂供电所 · 天堂镇代收点"
    by_terminal = _report(seen, "admin@340828", group="terminal")
    assert _figures(by_terminal) == {"34080101": TIANTANG, "34080201": DIANQIAN}
    assert _total(by_terminal) == TOTAL


def test_the_months_collections_and_an_empty_month(seen: Seen) -> None:
    may = _report(seen, "finance@340828", kind="monthly", month="202405")
    assert (may.date_from.isoformat(), may.date_to.isoformat()) == ("2024-05-01", "2024-05-31")
    assert may.period_label == "2024-05"
    assert _total(may) == TOTAL
    april = _report(seen, "finance@340828", kind="monthly", month="2024-04")
    assert (april.lines, _total(april)) == ((), (0, 0, 0, 0, 0, 0, 0))
    assert _total(_report(seen, "finance@340828", day="2024-05-02")) == (0, 0, 0, 0, 0, 0, 0)


def test_each_actor_sees_their_subtree(seen: Seen) -> None:
    assert _figures(_report(seen, "head@34082801")) == {"34082801": TIANTANG}
    assert _figures(_report(seen, "head2@34082802", group="terminal")) == {"34080201": DIANQIAN}
    assert _figures(_report(seen, "admin@340828", org_code="34082802")) == {"34082802": DIANQIAN}
    assert _report(seen, "admin@340826").lines == ()  # another county
    for who in ("staff@34082801", "agent01@3408280101"):
        with pytest.raises(AccessDeniedError):
            _report(seen, who)


def test_a_report_is_refused_next_to_its_field(seen: Seen) -> None:
    for who, query, expected in (
        ("finance@340828", {"day": "2024-02-30"}, {"day": "date_invalid"}),
        ("finance@340828", {"kind": "monthly", "month": "202413"}, {"month": "period_invalid"}),
        ("finance@340828", {"kind": "monthly", "month": "May"}, {"month": "period_invalid"}),
        ("head@34082801", {"org_code": "34082802"}, {"org": "organisation_unknown"}),
        (
            "head@34082801",
            {"org_code": "nowhere", "day": "x"},
            {"org": "organisation_unknown", "day": "date_invalid"},
        ),
    ):
        with pytest.raises(InvalidFormError) as refused:
            _report(seen, who, **query)
        assert {str(e.field): e.code for e in refused.value.errors} == expected, query


def _client(seen: Seen, who: str, lang: str) -> TestClient:
    config = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
    client = TestClient(
        Starlette(routes=console_routes(seen.services, config)),
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


def test_the_report_page_pdf_and_excel(seen: Seen) -> None:
    client = _client(seen, "finance@340828", "zh_CN")
    page = client.get("/console/reports?kind=daily&day=2024-05-01&group=station")
    assert page.status_code == 200
    assert 'data-code="34082801"' in page.text
    assert 'data-field="amount">150.00' in page.text
    pdf = client.get("/console/reports/report.pdf?kind=daily&day=2024-05-01&group=station")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "collections-daily-station-20240501.pdf" in pdf.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(p.extract_text() for p in reader.pages)
    for expected in ("收费日报", "天堂供电所", "店前供电所", "120.00", "150.00", "48.40", "50.00"):
        assert expected in text, expected
    fonts = {
        str(font["/BaseFont"])
        for page_ in reader.pages
        for font in page_["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Noto-Sans-CJK" in font for font in fonts), fonts  # embedded, subset
    xlsx = client.get("/console/reports/report.xlsx?kind=monthly&month=202405&group=agent")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "天堂镇便民超市" in strings
    assert "收费月报 2024-05" in strings
    assert "<v>150.00</v>" in sheet
    refused = client.get("/console/reports?kind=monthly&month=202413")
    assert refused.status_code == 422
    assert '<p class="field-error" data-field="month">月份应写作 YYYYMM，如 202405</p>' in (
        refused.text
    )
    english = _client(seen, "finance@340828", "en")
    pdf = english.get("/console/reports/report.pdf?kind=monthly&month=202405&group=terminal")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Monthly collections 2024-05" in text
    assert "34080101" in text
    assert _client(seen, "staff@34082801", "en").get("/console/reports").status_code == 403


def _kept(engine: Engine) -> dict[tuple[object, ...], tuple[int, ...]]:
    t = collection_day_totals
    with engine.connect() as conn:
        rows = conn.execute(
            select(t).where(t.c.payments != 0).order_by(*t.primary_key.columns)
        ).all()
    return {tuple(row[:5]): tuple(int(v) for v in row[5:]) for row in rows}


def _summed(engine: Engine) -> dict[tuple[object, ...], tuple[int, ...]]:
    p = payments
    key = (p.c.business_date, p.c.org_id, p.c.agent_id, p.c.terminal_id, p.c.state)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                *key,
                func.count(),
                func.sum(p.c.cash),
                func.sum(p.c.penalty_total),
                func.sum(p.c.principal_total),
            ).group_by(*key)
        ).all()
    return {tuple(row[:5]): tuple(int(v) for v in row[5:]) for row in rows}


def test_the_day_totals_follow_every_write_to_the_payments(
    engine: Engine, tree: Tree, clock: SettableClock
) -> None:
    world = build_world(engine, tree, clock)
    services = ConsoleServices(engine=engine, clock=clock, passwords=FAST_HASHER)
    assert _kept(engine) == _summed(engine)
    assert len(_kept(engine)) == 2  # both terminals' confirmed payments of the day
    request_payment_undo(
        services,
        signed_in(services, "staff@34082801").actor,
        form_token=token(),
        payment_id=world.ids["p1"],
        reason="退款",
    )
    with engine.connect() as conn:
        request_id = conn.execute(select(payment_undo_requests.c.id)).scalar_one()
    decide_payment_undo(
        services,
        signed_in(services, "finance@340828").actor,
        form_token=token(),
        payment_id=world.ids["p1"],
        request_id=request_id,
        approve=True,
    )
    kept = _kept(engine)
    assert kept == _summed(engine)
    voided = [figures for key, figures in kept.items() if key[4] == "voided"]
    assert voided == [(1, 12_000, 160, 10_000)]
    columns = [c for c in payments.c if c.name not in ("id", "txn_id")]
    with engine.begin() as conn:  # many payments in one statement (a bulk load)
        conn.execute(
            insert(payments).from_select(
                [c.name for c in columns] + ["txn_id"],
                select(*columns, (payments.c.txn_id + "-copy").label("txn_id")).where(
                    payments.c.state == "confirmed"
                ),
            )
        )
    assert _kept(engine) == _summed(engine)
    with engine.begin() as conn:  # a copy moved to another collection point, another deleted
        copies = (
            conn.execute(select(payments.c.id).where(payments.c.txn_id.like("%-copy")))
            .scalars()
            .all()
        )
        conn.execute(
            update(payments)
            .where(payments.c.id == copies[0])
            .values(org_id=tree.org["3408280201"], mis_state="posted")
        )
        conn.execute(update(payments).where(payments.c.id == copies[1]).values(mis_state="posted"))
        conn.execute(delete(payments).where(payments.c.id == copies[-1]))
    assert _kept(engine) == _summed(engine)
