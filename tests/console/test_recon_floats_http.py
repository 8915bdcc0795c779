"""代理商资金对账 over HTTP (Starlette's test client) on SQLite and PostgreSQL, on payments made
through the terminal API: the float reconciled day by day with the T+1 handover, printed and
exported; a station user cannot read another station's agent by editing the URL, an agent
operator sees only their own; the handover form records once, refuses bad input next to its
field with nothing stored, and each day's status follows the handovers and the calendar."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import audit_log, cash_handovers
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.interfaces.console.spreadsheets import XLSX_TYPE

from .collections_world import P1_CASH, P2_CASH, Seen, seen_world
from .conftest import SettableClock
from .signing_in import csrf as _csrf
from .signing_in import sign_in as _sign_in

CONFIG = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
PAGE = "/console/reconciliation/floats"
RANGE = "date_from=2024-04-28&date_to=2024-05-01"
HELD = P1_CASH + P2_CASH  # what agent A0101 collected on 2024-05-01: 170.00 yuan


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seen]:
    yield from seen_world(request, tmp_path_factory)


@pytest.fixture(scope="module")
def client(seen: Seen) -> Iterator[TestClient]:
    app = Starlette(routes=console_routes(seen.services, CONFIG))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _form_token(html: str) -> str:
    start = html.index('id="handover-form"')
    found = re.search(r'name="form_token" value="([^"]+)"', html[start:])
    assert found is not None
    return found.group(1)


def _day(html: str, day: str) -> tuple[str, str, str]:
    """(status, handed over, difference) of a day's row."""
    row = re.search(rf'<tr data-date="{day}" data-status="([a-z]+)">(.*?)</tr>', html, re.S)
    assert row is not None, f"no row for {day}"
    handed = re.search(r'data-field="handed_over">([^<]+)<', row.group(2))
    difference = re.search(r'data-field="difference">([^<]+)<', row.group(2))
    assert handed is not None
    assert difference is not None
    return row.group(1), handed.group(1), difference.group(1)


def _handovers(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(cash_handovers)).scalar_one()
        audits = conn.execute(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.action == "handover.record")
        ).scalar_one()
    return int(rows), int(audits)


def test_the_float_reconciled_day_by_day_printed_and_exported(
    client: TestClient, seen: Seen
) -> None:
    _sign_in(client, "finance@340828")
    page = client.get(f"{PAGE}?agent=A0101&{RANGE}")
    assert page.status_code == 200
    assert "天堂镇便民超市" in page.text
    assert 'data-field="collections">170.00<' in page.text
    assert 'data-field="payments_collected">170.00<' in page.text
    assert 'data-problem="none"' in page.text  # the statement balances and agrees
    status, handed, difference = _day(page.text, "2024-05-01")
    assert (status, handed, difference) == ("due", "0.00", "-170.00")
    assert 'data-page="reconciliation_floats"' in page.text  # in the 对账 menu group

    pdf = client.get(f"{PAGE}?agent=A0101&{RANGE}&format=pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "float-reconciliation-A0101-20240428-20240501.pdf" in pdf.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(p.extract_text() for p in reader.pages)
    for expected in ("代理商资金对账", "天堂镇便民超市", "170.00", "待交款"):
        assert expected in text, expected
    fonts = {
        str(font["/BaseFont"])
        for page_ in reader.pages
        for font in page_["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Noto-Sans-CJK" in font for font in fonts), fonts

    xlsx = client.get(f"{PAGE}?agent=A0101&{RANGE}&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == XLSX_TYPE
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
        days = book.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert "代理商资金对账" in strings
    assert "应交现金" in strings
    assert '<c r="G4" s="3"><v>170.00</v>' in days  # the cash held, in yuan

    _sign_in(client, "finance@340828", lang="en")
    page = client.get(f"{PAGE}?agent=A0101&{RANGE}")
    assert "Agent float reconciliation" in page.text
    assert ">Due<" in page.text


def test_a_station_user_cannot_read_another_stations_agent(client: TestClient, seen: Seen) -> None:
    _sign_in(client, "head@34082801")
    assert client.get(f"{PAGE}?agent=A0101&{RANGE}").status_code == 200
    for edited in (f"{PAGE}?agent=A0201&{RANGE}", f"{PAGE}?agent=A0201&{RANGE}&format=pdf"):
        answer = client.get(edited)
        assert answer.status_code == 403, edited
        assert "店前小卖部" not in answer.text
    chooser = client.get(PAGE).text
    assert 'value="A0101"' in chooser
    assert 'value="A0201"' not in chooser

    unknown = client.get(f"{PAGE}?agent=A9999&{RANGE}")
    assert unknown.status_code == 422
    assert 'data-field="agent">代理商 A9999 不存在<' in unknown.text
    backwards = client.get(f"{PAGE}?agent=A0101&date_from=2024-05-02&date_to=2024-05-01")
    assert backwards.status_code == 422
    assert 'data-field="date_to">结束日期不能早于开始日期<' in backwards.text

    _sign_in(client, "agent01@3408280101")
    own = client.get(f"{PAGE}?agent=A0201&{RANGE}")  # editing the URL changes nothing
    assert own.status_code == 200
    assert "天堂镇便民超市" in own.text
    assert "店前小卖部" not in own.text
    assert 'id="handover-form"' not in own.text  # an agent records no handovers
    csrf = _csrf(own.text)
    refused = client.post(
        f"{PAGE}/handovers",
        data={"csrf_token": csrf, "form_token": "f" * 20, "agent": "A0101", "amount": "1"},
    )
    assert refused.status_code == 403


def test_the_handover_form_records_once_refuses_bad_input_and_follows_the_calendar(
    client: TestClient, seen: Seen
) -> None:
    clock = seen.services.clock
    assert isinstance(clock, SettableClock)
    started = clock.current
    before = _handovers(seen.engine)
    csrf = _sign_in(client, "staff@34082801")
    page = client.get(f"{PAGE}?agent=A0101&{RANGE}").text
    form = {
        "csrf_token": csrf,
        "agent": "A0101",
        "date_from": "2024-04-28",
        "date_to": "2024-05-01",
        "covers_date": "2024-05-01",
        "received_on": "2024-05-01",
        "note": "",
    }

    # bad input: refused next to its field, nothing stored
    bad = [
        ({"amount": "abc"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "2000000"}, "amount"),
        ({"amount": "10", "received_on": "2024-04-30"}, "received_on"),  # before the day
        ({"amount": "10", "received_on": "2024-05-02"}, "received_on"),  # after today
        ({"amount": "10", "covers_date": "05/01/2024"}, "covers_date"),
        ({"amount": "10", "note": "长" * 201}, "note"),
    ]
    for changes, field in bad:
        answer = client.post(
            f"{PAGE}/handovers", data={**form, "form_token": _form_token(page), **changes}
        )
        assert answer.status_code == 422, changes
        assert f'data-field="{field}">' in answer.text, changes
    assert _handovers(seen.engine) == before
    no_csrf = {key: value for key, value in form.items() if key != "csrf_token"}
    assert client.post(f"{PAGE}/handovers", data={**no_csrf, "amount": "10"}).status_code == 403
    assert _handovers(seen.engine) == before

    # 100.00 of the 170.00 handed over on the day: still due until the day after ends
    token = _form_token(page)
    sent = {**form, "form_token": token, "amount": "100.00", "note": "先交一部分"}
    first = client.post(f"{PAGE}/handovers", data=sent)
    assert first.status_code == 303
    assert "done=recorded" in first.headers["location"]
    again = client.post(f"{PAGE}/handovers", data=sent)  # the same form sent twice
    assert "done=repeated" in again.headers["location"]
    assert _handovers(seen.engine) == (before[0] + 1, before[1] + 1)
    shown = client.get(first.headers["location"].removeprefix("http://testserver"))
    assert "交款已登记。" in shown.text
    assert _day(shown.text, "2024-05-01") == ("due", "100.00", "-70.00")
    assert "先交一部分" in shown.text

    try:
        clock.advance(timedelta(days=2))  # 2024-05-03: the day after has passed
        form["csrf_token"] = _sign_in(client, "staff@34082801")  # the session has expired
        page = client.get(f"{PAGE}?agent=A0101&{RANGE}").text
        assert _day(page, "2024-05-01") == ("short", "100.00", "-70.00")
        rest = {
            **form,
            "form_token": _form_token(page),
            "amount": "70",
            "received_on": "2024-05-03",
        }
        assert client.post(f"{PAGE}/handovers", data=rest).status_code == 303
        page = client.get(f"{PAGE}?agent=A0101&{RANGE}").text
        assert _day(page, "2024-05-01") == ("late", "170.00", "0.00")
    finally:
        clock.current = started

    # another station's head cannot record for this agent, even by editing the form
    csrf = _sign_in(client, "head2@34082802")
    other = {**form, "csrf_token": csrf, "form_token": "g" * 24, "amount": "5"}
    assert client.post(f"{PAGE}/handovers", data=other).status_code == 403
    csrf = _sign_in(client, "auditor@340828")
    audit = {**form, "csrf_token": csrf, "form_token": "h" * 24, "amount": "5"}
    assert client.post(f"{PAGE}/handovers", data=audit).status_code == 403
    assert _handovers(seen.engine) == (before[0] + 2, before[1] + 2)
    assert HELD == 17_000
