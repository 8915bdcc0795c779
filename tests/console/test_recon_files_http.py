"""银电联网对账文件 over HTTP (Starlette's test client) on SQLite and PostgreSQL, on payments made
through the terminal API: our file of a day downloaded in GBK, its header's count and total
agreeing with its lines and the whole reading back through the parser, cut to the actor's
subtree; an uploaded file with each kind of fault refused with its line and reason and nothing
kept; a good one kept and its date reconciled against it, the run shown and linked."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import reconciliation_mis_loads, reconciliation_runs
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.protocol.bank_file import parse_reconciliation_file

from .collections_world import P1_CASH, P2_CASH, P3_CASH, Seen, seen_world
from .signing_in import sign_in as _sign_in

CONFIG = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
PAGE = "/console/reconciliation/files"


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


def _kept(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        loads = conn.execute(select(func.count()).select_from(reconciliation_mis_loads))
        runs = conn.execute(select(func.count()).select_from(reconciliation_runs))
        return int(loads.scalar_one()), int(runs.scalar_one())


def _export(client: TestClient, query: str) -> bytes:
    answer = client.get(f"{PAGE}/export?{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; charset=GBK"
    data: bytes = answer.content
    return data


def test_our_file_of_a_day_in_gbk_cut_to_the_actors_scope(client: TestClient, seen: Seen) -> None:
    _sign_in(client, "finance@340828")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'id="import-form"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'data-page="reconciliation_files"' in page.text
    answer = client.get(f"{PAGE}/export?date=2024-05-01")
    assert 'filename="DZ20240501-340828.txt"' in answer.headers["content-disposition"]
    data = answer.content
    header = data.decode("gbk").split("\n")[0].split("|")
    assert header[:3] == ["20240501", "3", str(P1_CASH + P2_CASH + P3_CASH)]
    parsed = parse_reconciliation_file(data)  # reads back: count and total agree with lines
    assert (parsed.count, parsed.total_fen) == (3, P1_CASH + P2_CASH + P3_CASH)
    assert {line.payment_id for line in parsed.lines} == {
        seen.world.p1.txn_id,
        seen.world.p2.txn_id,
        seen.world.p3.txn_id,
    }
    assert {line.station_code for line in parsed.lines} == {"34082801", "34082802"}
    agent = parse_reconciliation_file(_export(client, "date=2024-05-01&org=A0201"))
    assert [line.payment_id for line in agent.lines] == [seen.world.p3.txn_id]

    _sign_in(client, "head@34082801")  # their own station by default
    station = parse_reconciliation_file(_export(client, "date=2024-05-01"))
    assert (station.count, station.total_fen) == (2, P1_CASH + P2_CASH)
    assert client.get(f"{PAGE}/export?date=2024-05-01&org=34082802").status_code == 403
    assert client.get(f"{PAGE}/export?date=2024-05-01&org=A0201").status_code == 403
    assert client.get(f"{PAGE}/export?date=2024-05-01&org=340828").status_code == 403
    unknown = client.get(f"{PAGE}/export?date=2024-05-01&org=ZZZ")
    assert unknown.status_code == 422
    assert 'data-field="org">没有编码为 ZZZ 的单位、代理商或终端<' in unknown.text
    bad_day = client.get(f"{PAGE}/export?date=2024-13-01")
    assert bad_day.status_code == 422
    assert 'data-field="date">' in bad_day.text
    empty = parse_reconciliation_file(_export(client, "date=2024-04-30"))
    assert (empty.count, empty.total_fen) == (0, 0)
    assert 'id="import-form"' in client.get(PAGE).text  # a station head reconciles


def _lines(data: bytes) -> list[str]:
    return data.decode("gbk").rstrip("\n").split("\n")


def _upload(
    client: TestClient, csrf: str, data: bytes, *, day: str = "", name: str = "DZ20240501.txt"
) -> httpx.Response:
    answer: httpx.Response = client.post(
        f"{PAGE}/import",
        data={"csrf_token": csrf, "date": day},
        files={"file": (name, data, "text/plain")},
    )
    return answer


def test_a_faulty_file_is_refused_with_its_line_and_nothing_kept(
    client: TestClient, seen: Seen
) -> None:
    _sign_in(client, "finance@340828")
    good = _export(client, "date=2024-05-01")
    rows = _lines(good)
    header = rows[0].split("|")
    csrf = _sign_in(client, "finance@340828", lang="en")

    def with_header(count: str, total: str) -> bytes:
        return "\n".join(["|".join([header[0], count, total, header[3]]), *rows[1:]]).encode()

    short_line = [*rows]
    short_line[2] = "|".join(rows[2].split("|")[:12])
    stranger = [*rows]
    stranger[2] = stranger[2].replace("|0100000001|", "|0999999999|")
    cases = [
        (good.decode("gbk").encode("utf-16"), "", "file_encoding", "file"),
        (with_header("4", header[2]), "", "file_count_mismatch", "header"),
        (with_header(header[1], "1999"), "", "file_total_mismatch", "header"),
        ("\n".join(short_line).encode("gbk"), "", "file_line_malformed", "line 2"),
        ("\n".join(stranger).encode("gbk"), "", "file_customer_unknown", "line 2"),
        (good, "2024-05-02", "file_date_outside_run", "header"),
        (b"", "", "file_missing", "file"),
    ]
    before = _kept(seen.engine)
    for data, day, code, field in cases:
        answer = _upload(client, csrf, data, day=day)
        assert answer.status_code == 422, code
        html = answer.text
        assert "The file was refused; nothing was kept." in html, code
        found = re.search(r'<li data-code="([a-z_]+)" data-field="([^"]*)">([^<]+)</li>', html)
        assert found is not None, code
        assert (found.group(1), found.group(2)) == (code, field)
        if field.startswith("line"):
            assert found.group(3).startswith(f"{field}:"), found.group(3)  # the line and why
    assert _kept(seen.engine) == before

    csrf = _sign_in(client, "finance@340828")
    stranger_zh = _upload(client, csrf, "\n".join(stranger).encode("gbk"))
    assert "line 2：户号 0999999999 不存在" in stranger_zh.text
    no_csrf = client.post(f"{PAGE}/import", files={"file": ("DZ.txt", good, "text/plain")})
    assert no_csrf.status_code == 403
    csrf = _sign_in(client, "staff@34082801")  # may look, not reconcile
    assert 'id="import-form"' not in client.get(PAGE).text
    assert _upload(client, csrf, good).status_code == 403
    assert _kept(seen.engine) == before


def test_a_good_file_is_kept_and_its_date_reconciled_against_it(
    client: TestClient, seen: Seen
) -> None:
    csrf = _sign_in(client, "finance@340828")
    rows = _lines(_export(client, "date=2024-05-01"))
    # the MIS's file as it would come: one of our payments missing
    kept = [row for row in rows[1:] if seen.world.p2.txn_id not in row]
    header = rows[0].split("|")
    header[1:3] = [str(len(kept)), str(P1_CASH + P3_CASH)]
    data = "\n".join(["|".join(header), *kept]).encode("gbk")
    before = _kept(seen.engine)
    answer = _upload(client, csrf, data, day="2024-05-01")
    assert answer.status_code == 303
    location = answer.headers["location"]
    run_id = int(location.rpartition("run=")[2])
    assert _kept(seen.engine) == (before[0] + 1, before[1] + 1)

    page = client.get(f"{PAGE}?run={run_id}")
    assert page.status_code == 200
    assert f'href="/console/reconciliation/runs/{run_id}"' in page.text
    assert 'data-field="mis">2 · 150.00<' in page.text
    assert 'data-field="company">3 · 200.00<' in page.text
    assert 'data-kind="mis_missing"' in page.text  # the payment the file lacks
    assert "已据此对营业日 2024-05-01 进行对账" in page.text
    run_page = client.get(f"/console/reconciliation/runs/{run_id}")  # the link leads to the run
    assert run_page.status_code == 200
    assert seen.world.p2.txn_id in run_page.text

    _sign_in(client, "head2@34082802")  # the county's run, by editing the URL
    assert client.get(f"{PAGE}?run={run_id}").status_code == 403
