"""The reconciliation pages over HTTP, on both databases, against a county whose every side is
real (the terminal library through the link emulator, the payment server, the reference MIS):
a run started from the console finds one difference repaired automatically and one queued; a
station head asks to write the queued one off, another operator approves, and the same range
reconciled again is clean. Bad input is refused on the form with nothing written; a station
head of another station gets nothing of it even by editing the URL; the report prints to a PDF
with the Chinese font embedded and exports to a workbook; the monitoring page's alert follows
the open differences."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import reconciliation_resolutions, reconciliation_runs
from gridpos.application.console import ConsoleServices
from gridpos.application.console.access import Role
from gridpos.application.demo_setup import demo_password
from gridpos.application.reconciliation.run import RunRequest, complete_run, open_run
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.interfaces.console.spreadsheets import XLSX_TYPE
from mis.test_demo_setup import CHEAP
from reconciliation.world import C, D, World, world_of

CONFIG = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)


@pytest.fixture
def world(
    tmp_path: Path, database_kind: str, make_database_url: Callable[[str], str]
) -> Iterator[World]:
    with world_of(tmp_path, make_database_url(database_kind)) as county:
        yield county


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    services = ConsoleServices(
        engine=world.engine, clock=world.clock, passwords=CHEAP, mis=world.client
    )
    app = Starlette(routes=console_routes(services, CONFIG))
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, world: World, role: Role, *, index: int = 0) -> str:
    actor = world.actor(role, index=index)
    client.cookies.clear()
    client.cookies.set("gp_lang", "zh_CN")
    token = _csrf(client.get("/console/sign-in").text)
    answer = client.post(
        "/console/sign-in",
        data={
            "csrf_token": token,
            "org_code": actor.org_code,
            "account": actor.account,
            "password": demo_password("gridpos-demo", actor.account),
        },
    )
    assert answer.status_code == 303, answer.text
    return _csrf(client.get("/console/").text)


def _field_message(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error"[^>]*data-field="{field}">([^<]+)</p>', html)
    assert found is not None, f"no message next to {field}"
    return found.group(1)


def _runs(world: World) -> int:
    with world.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(reconciliation_runs)).scalar_one()
        )


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def test_a_run_from_the_console_repaired_queued_resolved_by_two_and_clean_again(
    world: World, client: TestClient
) -> None:
    terminal = world.terminal()
    lost_view, edited_view = terminal.query_account(C), terminal.query_account(D)
    lost = terminal.pay(lost_view, lost_view.total_due)
    edited = terminal.pay(edited_view, edited_view.total_due)
    world.deliver()
    world.mis_admin(f"/postings/{lost.txn_id}/lose")
    world.mis_admin(f"/postings/{edited.txn_id}/edit", {"amount_fen": edited_view.total_due + 100})
    day = world.today().isoformat()

    # bad input is refused on the form, in the visitor's language, and nothing is written
    csrf = _sign_in(client, world, Role.STATION_HEAD)
    form = {"csrf_token": csrf, "date_from": day, "date_to": "2026-01-01", "source": "report"}
    backwards = client.post("/console/reconciliation/runs/new", data={**form, "org": ""})
    assert backwards.status_code == 422
    assert "结束日期不能早于开始日期" in _field_message(backwards.text, "date_to")
    other_station = world.actor(Role.STATION_HEAD, index=1).org_code
    outside = client.post(
        "/console/reconciliation/runs/new", data={**form, "date_to": day, "org": other_station}
    )
    assert outside.status_code == 422
    assert other_station in _field_message(outside.text, "org")
    no_csrf = client.post(
        "/console/reconciliation/runs/new", data={**form, "csrf_token": "x", "date_to": day}
    )
    assert no_csrf.status_code == 403
    assert _runs(world) == 0

    # finance runs the county's reconciliation from the console and lands on the run
    csrf = _sign_in(client, world, Role.FINANCE)
    started = client.post(
        "/console/reconciliation/runs/new",
        data={"csrf_token": csrf, "date_from": day, "date_to": day, "org": "", "source": "report"},
    )
    assert started.status_code == 303, started.text
    run_path = started.headers["location"]
    run_id = int(run_path.rsplit("/", 1)[1])
    page = client.get(run_path)
    assert page.status_code == 200
    assert 'data-state="open"' in page.text
    outcomes = dict(re.findall(r'data-kind="(\w+)" data-outcome="(\w+)"', page.text))
    assert outcomes == {"mis_missing": "repaired", "amount_differs": "queued"}
    assert "已自动修复" in page.text
    assert "转人工处理" in page.text
    # what the engine did and read is said in the visitor's language
    assert "已通过发件箱重新上送（消息" in page.text
    assert "从营销系统读取本渠道进账 1 笔" in page.text
    assert "re-posted" not in page.text
    assert "postings of ours" not in page.text
    listed = client.get("/console/reconciliation/runs?state=open")
    assert f'data-run="{run_id}"' in listed.text
    assert f'data-run="{run_id}"' not in client.get("/console/reconciliation/runs?state=clean").text
    station = world.actor(Role.STATION_HEAD).org_code
    narrowed = client.get(f"/console/reconciliation/runs?org={station}")
    assert f'data-run="{run_id}"' not in narrowed.text  # the county's run covers more
    unknown = client.get("/console/reconciliation/runs?org=NOSUCH&state=odd")
    assert unknown.status_code == 422
    assert "NOSUCH" in _field_message(unknown.text, "org")
    assert _field_message(unknown.text, "state")
    client.cookies.set("gp_lang", "en")
    english = client.get(run_path).text
    assert "Repaired automatically" in english
    assert "Queued for a person" in english
    assert "re-posted through the outbox (message" in english
    assert "postings of ours read from the MIS: 1" in english
    client.cookies.set("gp_lang", "zh_CN")

    # the report: a PDF with the Chinese font embedded, a workbook of three sheets
    pdf = client.get(f"{run_path}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert "对账批次" in reader.pages[0].extract_text()
    fonts = {
        str(font["/BaseFont"])
        for page_ in reader.pages
        for font in page_["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Noto-Sans-CJK" in font for font in fonts), fonts  # embedded, subset
    workbook = client.get(f"{run_path}/report.xlsx")
    assert workbook.headers["content-type"] == XLSX_TYPE
    with zipfile.ZipFile(io.BytesIO(workbook.content)) as book:
        assert len([n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]) == 3
        strings = book.read("xl/sharedStrings.xml").decode()
    assert edited.txn_id in strings
    assert lost.txn_id in strings

    # the station head sees the alert and the queued difference, and asks to write it off
    csrf = _sign_in(client, world, Role.STATION_HEAD)
    assert 'data-alert="reconciliation_open"' in client.get("/console/monitoring").text
    queue = client.get("/console/reconciliation/queue")
    item_ids = re.findall(r'<tr data-item="(\d+)" data-kind="amount_differs"', queue.text)
    assert len(item_ids) == 1
    assert 'data-kind="mis_missing"' not in queue.text
    item_path = f"/console/reconciliation/items/{item_ids[0]}"
    item = client.get(item_path)
    assert 'data-record="mis"' in item.text
    assert '<small data-field="reason">营销系统进账金额不同</small>' in item.text
    assert "批次尚未扎帐" in item.text  # the batch's coverage, said in words
    version = _version(item.text)
    request = {"csrf_token": csrf, "version": version, "action": "write_off", "reason": ""}
    silent = client.post(f"{item_path}/requests", data=request)
    assert silent.status_code == 422
    assert _field_message(silent.text, "reason")
    asked = client.post(f"{item_path}/requests", data={**request, "reason": "营销系统已更正"})
    assert asked.status_code == 303
    # a second request on the view already acted on: one wins, the other is told
    stale = client.post(f"{item_path}/requests", data={**request, "reason": "同一差异"})
    assert stale.status_code == 409
    assert "已被其他操作员处理" in stale.text
    waiting = client.get(item_path)
    assert 'id="own-request"' in waiting.text
    assert 'id="approve"' not in waiting.text
    with world.engine.connect() as connection:
        resolution_id = connection.execute(select(reconciliation_resolutions.c.id)).scalar_one()
    decision_path = f"{item_path}/requests/{resolution_id}/decision"
    own = client.post(decision_path, data={"csrf_token": csrf, "approve": "1"})
    assert own.status_code == 422
    assert "另一人审批" in own.text

    # the auditor sees the run but may neither run one nor resolve
    csrf = _sign_in(client, world, Role.AUDITOR)
    assert client.get(run_path).status_code == 200
    assert 'id="request-form"' not in client.get(item_path).text
    assert client.get("/console/reconciliation/runs/new").status_code == 403
    audit_run = {"csrf_token": csrf, "date_from": day, "date_to": day, "source": "none"}
    assert client.post("/console/reconciliation/runs/new", data=audit_run).status_code == 403
    assert _runs(world) == 1

    # the other station's head gets nothing of it, even by editing the URL or the form
    csrf = _sign_in(client, world, Role.STATION_HEAD, index=1)
    assert f'data-run="{run_id}"' not in client.get("/console/reconciliation/runs").text
    assert client.get(run_path).status_code == 403
    assert client.get(f"{run_path}/report.pdf").status_code == 403
    assert client.get(item_path).status_code == 403
    assert client.post(decision_path, data={"csrf_token": csrf, "approve": "1"}).status_code == 403
    assert 'data-item="' not in client.get("/console/reconciliation/differences").text
    assert client.get("/console/reconciliation/runs/999999").status_code == 404

    # finance approves; the difference is written off and the queue is empty
    csrf = _sign_in(client, world, Role.FINANCE)
    approved = client.post(decision_path, data={"csrf_token": csrf, "approve": "1", "note": ""})
    assert approved.status_code == 303
    done = client.get(approved.headers["location"])
    assert 'data-state="written_off"' in done.text
    assert "申请已批准并执行" in done.text
    assert '<td data-field="outcome">已核销：营销系统已更正</td>' in done.text
    assert '<dd data-field="note">已核销：营销系统已更正</dd>' in done.text
    client.cookies.set("gp_lang", "en")
    assert (
        '<td data-field="outcome">written off: 营销系统已更正</td>'
        in client.get(approved.headers["location"]).text
    )
    client.cookies.set("gp_lang", "zh_CN")
    assert 'data-item="' not in client.get("/console/reconciliation/queue").text
    assert 'data-alert="reconciliation_open"' not in client.get("/console/monitoring").text

    # the repost is delivered; the same range reconciled again is clean
    world.deliver()
    again = client.post(
        "/console/reconciliation/runs/new",
        data={"csrf_token": csrf, "date_from": day, "date_to": day, "org": "", "source": "report"},
    )
    assert again.status_code == 303
    clean = client.get(again.headers["location"])
    assert 'data-state="clean"' in clean.text
    assert f"与第 {run_id} 次对账相比" in clean.text
    world.audit_clean()
    terminal.close()


def test_a_running_run_shows_how_far_it_has_got_and_its_page_reloads_when_it_is_done(
    world: World, client: TestClient
) -> None:
    terminal = world.terminal()
    view = terminal.query_account(C)
    terminal.pay(view, view.total_due)
    world.deliver()
    day = world.today()
    _sign_in(client, world, Role.FINANCE)
    started = open_run(
        world.recon, RunRequest(date_from=day, date_to=day, origin="console", actor="test")
    )
    run_path = f"/console/reconciliation/runs/{started.run_id}"

    # opened, the MIS not read yet: the page says so and polls; no figures, no documents yet
    page = client.get(run_path)
    assert page.status_code == 200
    assert 'data-state="running"' in page.text
    assert 'data-phase="reading_mis"' in page.text
    assert "对账进行中：正在读取营销系统进账。" in page.text
    assert f'hx-get="{run_path}/progress"' in page.text
    assert 'id="report-pdf"' not in page.text
    assert 'id="differences"' not in page.text
    assert 'data-state="running"' in client.get("/console/reconciliation/runs").text
    polled = client.get(f"{run_path}/progress", headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert polled.text.lstrip().startswith('<section class="card" id="run-progress"')
    client.cookies.set("gp_lang", "en")
    english = client.get(f"{run_path}/progress", headers={"HX-Request": "true"}).text
    assert "The reconciliation is running: reading the MIS's postings." in english
    client.cookies.set("gp_lang", "zh_CN")

    assert 'id="run-stalled"' not in page.text
    assert 'id="run-again"' not in page.text  # not while it goes on

    # far longer than any run takes: the process most likely stopped; it may be run again
    world.advance(minutes=31)
    stalled = client.get(run_path).text
    assert "处理它的服务进程很可能已经停止" in stalled
    assert 'id="run-again"' in stalled

    # done: the poll tells the page to reload, and the page shows the outcome
    complete_run(world.recon, started)
    over = client.get(f"{run_path}/progress", headers={"HX-Request": "true"})
    assert (over.status_code, over.headers.get("HX-Refresh")) == (204, "true")
    plain = client.get(f"{run_path}/progress")
    assert (plain.status_code, plain.headers["location"]) == (303, run_path)
    done = client.get(run_path)
    assert 'data-state="clean"' in done.text
    assert 'id="run-progress"' not in done.text
    assert 'id="report-pdf"' in done.text
    assert client.get("/console/reconciliation/runs/999999/progress").status_code == 404
    other = world.actor(Role.STATION_HEAD, index=1)
    assert other.org_code != world.actor(Role.STATION_HEAD).org_code
    _sign_in(client, world, Role.STATION_HEAD, index=1)
    assert client.get(f"{run_path}/progress").status_code == 403
    terminal.close()
