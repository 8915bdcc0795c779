"""扎帐记录 in the console: batches closed through the terminal API listed by dates, place,
terminal and state in keyset pages; a batch's totals, cash count and every named difference;
the access rules; and the pages over HTTP in both languages — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import batches, terminals
from gridpos.application.console import AccessDeniedError, InvalidFormError, NotFoundError
from gridpos.application.console import batches as batches_module
from gridpos.application.console.batches import BatchQuery, batch_detail, batch_list
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes

from .collections_world import P1_CASH, P2_CASH, P3_CASH, Seen, seen_world
from .helpers import signed_in
from .seed import PASSWORD


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seen]:
    yield from seen_world(request, tmp_path_factory, batches=True)


def _batch_ids(seen: Seen) -> dict[str, int]:
    with seen.engine.connect() as conn:
        rows = conn.execute(
            select(terminals.c.terminal_no, batches.c.id).join(
                terminals, terminals.c.id == batches.c.terminal_id
            )
        )
        return {row.terminal_no: int(row.id) for row in rows}


def _listed(seen: Seen, who: str, **query: str) -> list[int]:
    actor = signed_in(seen.services, who).actor
    return [row.id for row in batch_list(seen.services, actor, BatchQuery(**query)).items]


def _fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def test_batches_are_listed_within_the_subtree_and_filtered(seen: Seen) -> None:
    ids = _batch_ids(seen)
    one, two = ids["34080101"], ids["34080201"]
    assert sorted(_listed(seen, "admin@340828")) == sorted([one, two])
    assert _listed(seen, "head@34082801") == [one]
    assert _listed(seen, "staff@34082801") == [one]
    assert _listed(seen, "head2@34082802") == [two]
    assert _listed(seen, "admin@340826") == []
    assert _listed(seen, "finance@340828", state="unbalanced") == [two]
    assert _listed(seen, "finance@340828", state="balanced") == [one]
    assert _listed(seen, "finance@340828", state="open") == []
    assert _listed(seen, "auditor@340828", terminal_no="34080101") == [one]
    assert _listed(seen, "auditor@340828", org_code="34082802") == [two]
    assert _listed(seen, "admin@340828", date_from="2024-04-01", date_to="2024-04-30") == []
    listed = batch_list(seen.services, signed_in(seen.services, "admin@340828").actor, BatchQuery())
    assert (listed.total, listed.capped) == (2, False)
    by_id = {row.id: row for row in listed.items}
    assert (by_id[one].open_differences, by_id[two].open_differences) == (0, 1)


def test_a_batch_search_is_refused_next_to_its_field(seen: Seen) -> None:
    for who, query, expected in (
        ("admin@340828", {"date_from": "2024-05-02", "date_to": "2024-05-01"},
         {"date_to": "date_range_backwards"}),
        ("admin@340828", {"date_from": "2024-03-01", "date_to": "2024-05-01"},
         {"date_to": "date_range_too_long"}),
        ("admin@340828", {"date_to": "yesterday"}, {"date_to": "date_invalid"}),
        ("admin@340828", {"state": "closed"}, {"state": "choice_invalid"}),
        ("head@34082801", {"terminal_no": "34080201"}, {"terminal": "terminal_unknown"}),
        ("head@34082801", {"org_code": "34082802"}, {"org": "organisation_unknown"}),
    ):  # fmt: skip
        actor = signed_in(seen.services, who).actor
        with pytest.raises(InvalidFormError) as refused:
            batch_list(seen.services, actor, BatchQuery(**query))
        assert _fields(refused.value) == expected, (who, query)


def test_keyset_pages_of_batches(seen: Seen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches_module, "PAGE_SIZE", 1)
    actor = signed_in(seen.services, "admin@340828").actor
    first = batch_list(seen.services, actor, BatchQuery())
    second = batch_list(seen.services, actor, BatchQuery(after=first.last_key))
    assert (first.has_next, second.has_previous, second.has_next) == (True, True, False)
    assert sorted([first.items[0].id, second.items[0].id]) == sorted(_batch_ids(seen).values())
    back = batch_list(seen.services, actor, BatchQuery(before=second.first_key))
    assert [row.id for row in back.items] == [first.items[0].id]


def test_a_balanced_batch_keeps_its_totals_and_the_cash_short(seen: Seen) -> None:
    detail = batch_detail(
        seen.services, signed_in(seen.services, "head@34082801").actor, _batch_ids(seen)["34080101"]
    )
    batch = detail.batch
    assert batch.state == "balanced"
    assert (batch.terminal_count, batch.terminal_amount) == (2, P1_CASH + P2_CASH)
    assert (batch.server_count, batch.server_amount) == (2, P1_CASH + P2_CASH)
    assert batch.totals_agree is True
    assert (batch.cash_counted, batch.cash_difference, batch.note) == (16_990, -10, "少一角")
    assert (detail.server_now.count, detail.server_now.amount) == (2, 17_000)
    assert detail.differences == ()
    assert detail.upload.parts_received == 0


def test_an_unbalanced_batch_names_every_difference(seen: Seen) -> None:
    detail = batch_detail(
        seen.services,
        signed_in(seen.services, "finance@340828").actor,
        _batch_ids(seen)["34080201"],
    )
    batch = detail.batch
    assert batch.state == "unbalanced"
    assert (batch.terminal_count, batch.terminal_amount) == (2, P3_CASH + 500)
    assert (batch.server_count, batch.server_amount) == (1, P3_CASH)
    assert batch.totals_agree is False
    assert (detail.upload.parts_received, detail.upload.parts, detail.upload.items) == (1, 1, 2)
    assert detail.upload.items_cash == P3_CASH + 500
    assert [(d.kind, d.txn_id, d.terminal_amount, d.state) for d in detail.differences] == [
        ("terminal_only", seen.lost_txn, 500, "open")
    ]


def test_a_batch_outside_ones_reach_is_refused(seen: Seen) -> None:
    ids = _batch_ids(seen)
    for who in ("head2@34082802", "admin@340826"):
        with pytest.raises(AccessDeniedError):
            batch_detail(seen.services, signed_in(seen.services, who).actor, ids["34080101"])
    for who in ("agent01@3408280101",):  # agents have no batch pages
        with pytest.raises(AccessDeniedError):
            batch_list(seen.services, signed_in(seen.services, who).actor, BatchQuery())
    with pytest.raises(NotFoundError):
        batch_detail(seen.services, signed_in(seen.services, "admin@340828").actor, 999_999)


def _client(seen: Seen, who: str, lang: str) -> TestClient:
    config = ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
    client = TestClient(
        Starlette(routes=console_routes(seen.services, config)),
        raise_server_exceptions=False,
        follow_redirects=False,
    )
    client.cookies.set("gp_lang", lang)
    account, org_code = who.split("@")
    page = client.get("/console/sign-in").text
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]
    answer = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "org_code": org_code, "account": account, "password": PASSWORD},
    )
    assert answer.status_code == 303
    return client


def test_the_batch_pages_in_both_languages(seen: Seen) -> None:
    ids = _batch_ids(seen)
    client = _client(seen, "finance@340828", "zh_CN")
    listed = client.get("/console/batches")
    assert listed.status_code == 200
    assert f'data-batch="{ids["34080201"]}" data-state="unbalanced"' in listed.text
    page = client.get(f"/console/batches/{ids['34080201']}").text
    assert "终端有、主站无（单边帐，终端侧）" in page
    assert seen.lost_txn in page
    page = client.get(f"/console/batches/{ids['34080101']}").text
    assert 'data-field="cash_difference">-0.10 (短款)' in page
    assert 'data-field="note">少一角' in page
    refused = client.get("/console/batches?state=closed")
    assert refused.status_code == 422
    assert '<p class="field-error" data-field="state">扎帐状态不在可选范围内</p>' in refused.text
    client = _client(seen, "finance@340828", "en")
    page = client.get(f"/console/batches/{ids['34080201']}").text
    assert "On the terminal only (one-sided, terminal side)" in page
    assert 'id="totals-differ"' in page
    assert "every difference is named below" in page
    client = _client(seen, "head2@34082802", "en")
    assert client.get(f"/console/batches/{ids['34080101']}").status_code == 403
    client = _client(seen, "agent01@3408280101", "en")
    assert client.get("/console/batches").status_code == 403
