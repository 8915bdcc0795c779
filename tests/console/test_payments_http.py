"""The payment pages over HTTP (Starlette's test client, SQLite): who may open and post what,
CSRF on every POST with nothing changed, refusals next to their field in Chinese and English,
another station's payment refused by editing the URL or the form, a form sent twice acting
once, and the Excel export of the filtered list."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, update
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import outbox, payment_undos, payments
from gridpos.adapters.db.tables.undo_requests import payment_undo_requests
from gridpos.application.console import ConsoleServices
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.interfaces.console.spreadsheets import XLSX_TYPE

from .collections_world import World, build_world
from .conftest import SettableClock
from .seed import Tree
from .signing_in import sign_in as _sign_in

CONFIG = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)


@pytest.fixture
def database_kind() -> str:
    return "sqlite"  # the HTTP layer is the same on both; the use cases are tested on both


@pytest.fixture
def world(engine: Engine, tree: Tree, clock: SettableClock) -> World:
    return build_world(engine, tree, clock)


@pytest.fixture
def client(services: ConsoleServices, world: World) -> Iterator[TestClient]:
    del world
    app = Starlette(routes=console_routes(services, CONFIG))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _form_token(html: str, form_id: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html[html.index(f'id="{form_id}"') :])
    assert found is not None
    return found.group(1)


def _field_message(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" data-field="{field}">([^<]+)</p>', html)
    assert found is not None, f"no message next to {field}"
    return found.group(1)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


PAGES = {
    "/payments": {"admin", "finance", "auditor", "head", "staff", "agent01"},
    "/payments/{p1}": {"admin", "finance", "auditor", "head", "staff", "agent01"},
    "/payments/{p3}": {"admin", "finance", "auditor"},
    "/batches": {"admin", "finance", "auditor", "head", "staff"},
    "/mis-postings": {"admin", "finance", "auditor", "head", "staff", "agent01"},
    "/reports": {"admin", "finance", "auditor", "head"},
}


def test_who_may_open_which_page(client: TestClient, world: World) -> None:
    for who in (
        "admin@340828",
        "finance@340828",
        "auditor@340828",
        "head@34082801",
        "staff@34082801",
        "agent01@3408280101",
    ):
        _sign_in(client, who)
        account = who.split("@")[0]
        for pattern, allowed in PAGES.items():
            path = "/console" + pattern.format(p1=world.ids["p1"], p3=world.ids["p3"])
            expected = 200 if account in allowed else 403
            assert client.get(path).status_code == expected, (who, pattern)
        menu = client.get("/console/").text
        for key, page in (("payments", "/payments"), ("reports", "/reports")):
            assert (f'data-page="{key}"' in menu) == (account in PAGES[page]), (who, key)


def test_every_post_needs_the_csrf_token_and_changes_nothing_without_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    _sign_in(client, "finance@340828")
    p1 = world.ids["p1"]
    for path in (
        f"/console/payments/{p1}/undo-requests",
        f"/console/payments/{p1}/undo-requests/1/decision",
    ):
        answer = client.post(path, data={"reason": "错收", "form_token": "t" * 20, "approve": "1"})
        assert answer.status_code == 403, path
    assert _count(engine, payment_undo_requests) == 0


def test_a_void_is_asked_by_staff_and_approved_by_finance_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    p1 = world.ids["p1"]
    csrf = _sign_in(client, "staff@34082801")
    page = client.get(f"/console/payments/{p1}").text
    assert "申请撤销（当日）" in page
    form = _form_token(page, "undo-request-form")
    refused = client.post(
        f"/console/payments/{p1}/undo-requests",
        data={"csrf_token": csrf, "form_token": form, "reason": " "},
    )
    assert refused.status_code == 422
    assert _field_message(refused.text, "reason") == "请填写原因"
    form = _form_token(refused.text, "undo-request-form")
    for outcome in ("requested", "repeated"):  # the same form sent twice acts once
        answer = client.post(
            f"/console/payments/{p1}/undo-requests",
            data={"csrf_token": csrf, "form_token": form, "reason": "收错户号"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"/payments/{p1}?done={outcome}")
    assert _count(engine, payment_undo_requests) == 1
    with engine.connect() as conn:
        request_id = conn.execute(select(payment_undo_requests.c.id)).scalar_one()
    decision = f"/console/payments/{p1}/undo-requests/{request_id}/decision"
    assert (
        client.post(decision, data={"csrf_token": csrf, "form_token": "s" * 20, "approve": "1"})
    ).status_code == 403  # staff may ask, not decide
    csrf = _sign_in(client, "finance@340828")
    page = client.get(f"/console/payments/{p1}").text
    assert 'id="decision-form"' in page
    unchosen = client.post(
        decision,
        data={"csrf_token": csrf, "form_token": _form_token(page, "decision-form")},
    )
    assert unchosen.status_code == 422
    assert _field_message(unchosen.text, "decision") == "请选择批准或驳回。"
    answer = client.post(
        decision,
        data={
            "csrf_token": csrf,
            "form_token": _form_token(page, "decision-form"),
            "approve": "1",
            "note": "已核实",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/payments/{p1}?done=approved")
    shown = client.get(f"/console/payments/{p1}?done=approved").text
    assert "申请已审批通过：这笔收费已撤回。" in shown
    assert 'data-field="state">已撤销' in shown
    with engine.connect() as conn:
        assert conn.execute(select(payments.c.state).where(payments.c.id == p1)).scalar_one() == (
            "voided"
        )
        assert conn.execute(select(func.count()).select_from(payment_undos)).scalar_one() == 1


def test_the_requester_is_told_a_second_person_decides(
    client: TestClient, world: World, engine: Engine
) -> None:
    p3 = world.ids["p3"]
    csrf = _sign_in(client, "finance@340828", lang="en")
    page = client.get(f"/console/payments/{p3}").text
    client.post(
        f"/console/payments/{p3}/undo-requests",
        data={
            "csrf_token": csrf,
            "form_token": _form_token(page, "undo-request-form"),
            "reason": "typo",
        },
    )
    page = client.get(f"/console/payments/{p3}").text
    assert "You asked for it yourself: a second person decides." in page
    with engine.connect() as conn:
        request_id = conn.execute(select(payment_undo_requests.c.id)).scalar_one()
    refused = client.post(
        f"/console/payments/{p3}/undo-requests/{request_id}/decision",
        data={"csrf_token": csrf, "form_token": "own-decision-token-1", "approve": "1"},
    )
    assert refused.status_code == 422
    assert _field_message(refused.text, "decision") == (
        "an undo must be decided by someone other than its requester"
    )
    assert _count(engine, payment_undos) == 0


def test_another_stations_payment_is_refused_by_url_and_by_form(
    client: TestClient, world: World, engine: Engine
) -> None:
    p1, p3 = world.ids["p1"], world.ids["p3"]
    csrf = _sign_in(client, "head2@34082802")
    assert client.get(f"/console/payments/{p1}").status_code == 403
    assert client.get(f"/console/payments/txn/{world.p1.txn_id}").status_code == 403
    answer = client.post(
        f"/console/payments/{p1}/undo-requests",
        data={"csrf_token": csrf, "form_token": "head2-form-token-01", "reason": "x"},
    )
    assert answer.status_code == 403
    csrf = _sign_in(client, "agent01@3408280101")
    assert client.get(f"/console/payments/{p3}").status_code == 403
    listed = client.get("/console/payments?agent=A0201").text
    assert _field_message(listed, "agent") == "您的管辖范围内没有编码为 A0201 的代理商"
    assert (
        client.post(
            f"/console/payments/{p1}/undo-requests",
            data={"csrf_token": csrf, "form_token": "agent-form-token-01", "reason": "x"},
        ).status_code
        == 403
    )
    csrf = _sign_in(client, "auditor@340828")
    assert (
        client.post(
            f"/console/payments/{p1}/undo-requests",
            data={"csrf_token": csrf, "form_token": "auditor-form-token1", "reason": "x"},
        ).status_code
        == 403
    )
    assert _count(engine, payment_undo_requests) == 0


def test_a_decision_posted_under_another_payment_is_not_found(
    client: TestClient, world: World, engine: Engine
) -> None:
    p1, p2 = world.ids["p1"], world.ids["p2"]
    csrf = _sign_in(client, "staff@34082801")
    page = client.get(f"/console/payments/{p1}").text
    client.post(
        f"/console/payments/{p1}/undo-requests",
        data={
            "csrf_token": csrf,
            "form_token": _form_token(page, "undo-request-form"),
            "reason": "错",
        },
    )
    with engine.connect() as conn:
        request_id = conn.execute(select(payment_undo_requests.c.id)).scalar_one()
    csrf = _sign_in(client, "finance@340828")
    answer = client.post(
        f"/console/payments/{p2}/undo-requests/{request_id}/decision",
        data={"csrf_token": csrf, "form_token": "elsewhere-token-001", "approve": "1"},
    )
    assert answer.status_code == 404
    assert _count(engine, payment_undos) == 0


def test_a_date_range_is_refused_next_to_the_field_in_each_language(
    client: TestClient, world: World
) -> None:
    del world
    for lang, backwards, too_long in (
        ("zh_CN", "结束日期不能早于开始日期", "日期范围最长 31 天：请缩小范围"),
        ("en", "the end date is before the start date", "the dates may span at most 31 days"),
    ):
        _sign_in(client, "admin@340828", lang=lang)
        answer = client.get("/console/payments?date_from=2024-05-02&date_to=2024-05-01")
        assert answer.status_code == 422
        assert _field_message(answer.text, "date_to") == backwards
        answer = client.get("/console/payments?date_from=2024-01-01&date_to=2024-05-01")
        assert too_long in _field_message(answer.text, "date_to")
        answer = client.get("/console/payments/export.xlsx?date_from=2024-01-01&date_to=2024-05-01")
        assert answer.status_code == 422
        assert too_long in _field_message(answer.text, "date_to")


def _xlsx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return "".join(
            book.read(name).decode("utf-8")
            for name in book.namelist()
            if name.endswith(("sharedStrings.xml", "sheet1.xml"))
        )


def test_the_export_holds_the_filtered_list(client: TestClient, world: World) -> None:
    _sign_in(client, "head@34082801")
    answer = client.get("/console/payments/export.xlsx?order=asc")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX_TYPE
    assert "payments-20240501-20240501.xlsx" in answer.headers["content-disposition"]
    text = _xlsx_text(answer.content)
    assert world.p1.txn_id in text
    assert world.p2.txn_id in text
    assert world.p3.txn_id not in text  # another station's
    assert "<v>120.00</v>" in text  # 12,000 fen as 120.00 yuan
    assert "<v>1.60</v>" in text  # the late penalty of 160 fen
    assert "收费明细" in text


def test_the_list_pages_with_its_keys(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridpos.application.console.payments import listing as payments_module  # noqa: PLC0415

    monkeypatch.setattr(payments_module, "PAGE_SIZE", 2)
    _sign_in(client, "admin@340828")
    first = client.get("/console/payments").text
    assert re.findall(r'data-payment="(\d+)"', first) == [
        str(world.ids["p3"]),
        str(world.ids["p2"]),
    ]
    assert "共 3 条" in first
    found = re.search(r'href="/console/payments\?([^"]+)" rel="next"', first)
    assert found is not None
    second = client.get("/console/payments?" + found.group(1).replace("&amp;", "&")).text
    assert re.findall(r'data-payment="(\d+)"', second) == [str(world.ids["p1"])]
    assert 'rel="prev"' in second


def test_the_mis_delivery_of_a_payment_shows_its_state_and_time_apart(
    client: TestClient, world: World, engine: Engine, clock: SettableClock
) -> None:
    with engine.begin() as conn:
        conn.execute(update(outbox).values(state="sent", sent_at=clock.now()))
    for lang, state, column in (
        ("zh_CN", "已送达", "送达时间"),
        ("en", "Delivered", "Delivered at"),
    ):
        _sign_in(client, "finance@340828", lang)
        page = client.get(f"/console/payments/{world.ids['p1']}").text
        table = page[page.index('<table id="mis-outbox">') :]
        table = table[: table.index("</table>")]
        headers = re.findall(r"<th[^>]*>([^<]+)</th>", table)
        assert headers[4] == column, lang
        sent = re.search(r'data-state="sent"><td>[^<]*</td><td>([^<]+)</td>', table)
        assert sent is not None, lang
        assert sent.group(1) == state
