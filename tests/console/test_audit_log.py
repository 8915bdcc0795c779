"""审计日志: who may read it, filters, keyset paging both ways, refusals of bad filters and of too
broad a search, the chain check finding an altered entry and missing triggers, every action
named in both languages, and the menu offering the page only to those it serves."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

import gridpos
from gridpos.adapters.db.tables.audit import drop_append_only_ddl
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.console import AccessDeniedError, ConsoleServices, InvalidFormError
from gridpos.application.console import audit_log as audit_module
from gridpos.application.console.audit_log import (
    AuditQuery,
    ChainCheckBusyError,
    audit_entries,
    run_chain_check,
)
from gridpos.domain.audit import AuditAction, action_families
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.interfaces.console.i18n import translations
from gridpos.interfaces.console.labels import ACTION_FAMILY_LABELS, ACTION_LABELS
from gridpos.interfaces.console.routes.audit import ACTION_SUGGESTIONS, CHECK_LABELS

from .helpers import signed_in
from .seed import PASSWORD, Tree, add_operator

# 2024-04-30 16:00 UTC is 2024-05-01 00:00 in the county
MIDNIGHT = datetime(2024, 4, 30, 16, 0, tzinfo=UTC)


def _write_entries(engine: Engine) -> None:
    """120 entries, one a minute from county midnight of 2024-05-01: terminal 34080101 pays
    (every third entry is a void), operator 7 signs in, terminal 34080201 closes batches."""
    with SqlUnitOfWork(engine, write=True) as uow:
        for index in range(120):
            kind = index % 4
            actor, action, subject = {
                0: ("terminal:34080101", "payment.collect", f"payment:34080101-{index}-0000abcd"),
                1: ("operator:7:admin@340828", "console.sign_in", "operator:7"),
                2: ("terminal:34080201", "batch.close", f"batch:34080201:2024-05-01:{index}"),
                3: ("terminal:34080101", "payment.void", f"payment:34080101-{index}-0000abcd"),
            }[kind]
            uow.audit.append(
                occurred_at=MIDNIGHT + timedelta(minutes=index),
                actor=actor,
                action=action,
                subject=subject,
                details={"n": index},
            )
        uow.commit()


@pytest.fixture
def entries(engine: Engine, tree: Tree) -> Tree:
    _write_entries(engine)
    return tree


def _listed(services: ConsoleServices, who: str = "auditor@340828", **query: object) -> list[int]:
    """The ``n`` of the entries listed (the sign-in's own entry has none: -1)."""
    actor = signed_in(services, who).actor
    page = audit_entries(services, actor, AuditQuery(**query))  # type: ignore[arg-type]
    return [int(entry.details.get("n", -1)) for entry in page.entries]


def _add_station_auditor(services: ConsoleServices, engine: Engine) -> None:
    """auditor2@34082801: an auditor placed at a supply station."""
    add_operator(
        engine,
        org_id=signed_in(services, "head@34082801").actor.org_id,
        account="auditor2",
        name="吴稽查",
        role="auditor",
    )


def test_admins_and_auditors_of_a_county_read_the_log_and_nobody_else(
    services: ConsoleServices, entries: Tree, engine: Engine
) -> None:
    del entries
    assert _listed(services, "admin@340828")[:3] == [-1, 119, 118]  # own sign-in first
    assert _listed(services, "auditor@340828")[:2] == [-1, -1]
    for who in ("finance@340828", "head@34082801", "staff@34082801", "agent01@3408280101"):
        actor = signed_in(services, who).actor
        with pytest.raises(AccessDeniedError):
            audit_entries(services, actor, AuditQuery())
        with pytest.raises(AccessDeniedError):
            run_chain_check(services, actor)
    # an auditor placed at a station cannot be shown the whole chain
    _add_station_auditor(services, engine)
    station_auditor = signed_in(services, "auditor2@34082801").actor
    with pytest.raises(AccessDeniedError) as refused:
        audit_entries(services, station_auditor, AuditQuery())
    assert "县公司及以上" in refused.value.message_zh
    # nor by naming a subject of their own station, nor by running the check
    with pytest.raises(AccessDeniedError):
        audit_entries(services, station_auditor, AuditQuery(subject="agent:"))
    with pytest.raises(AccessDeniedError):
        run_chain_check(services, station_auditor)


def test_filters_by_actor_action_family_subject_and_county_day(
    services: ConsoleServices, entries: Tree
) -> None:
    del entries
    assert _listed(services, actor="terminal:34080201")[:3] == [118, 114, 110]
    assert len(_listed(services, actor="terminal:34080201")) == 30
    assert _listed(services, action="payment.void")[:2] == [119, 115]
    assert len(_listed(services, action="payment.")) == 50  # a full page of 60 payment entries
    # payments whose subject starts with 34080101-11: entries 11 and 110–119 of kinds 0 and 3
    assert _listed(services, action="payment.*", subject="payment:34080101-11") == [
        119,
        116,
        115,
        112,
        111,
        11,
    ]
    assert _listed(services, subject="batch:34080201:2024-05-01:10") == [106, 102, 10]
    # 2024-05-01 in the county runs from 16:00 UTC the day before: all 120 are that day
    assert (
        len(_listed(services, date_from="2024-05-01", date_to="2024-05-01", actor="terminal")) == 50
    )
    assert _listed(services, date_from="2024-05-02", actor="terminal") == []
    assert _listed(services, date_to="2024-04-30", actor="terminal") == []
    assert _listed(services, actor="terminal:3408010", order="asc")[:3] == [0, 3, 4]


def test_pages_follow_each_other_forwards_and_backwards(
    services: ConsoleServices, entries: Tree
) -> None:
    del entries
    actor = signed_in(services, "auditor@340828").actor
    query = {"actor": "terminal:"}
    first = audit_entries(services, actor, AuditQuery(**query))
    assert (first.total, first.capped, first.has_previous, first.has_next) == (
        90,
        False,
        False,
        True,
    )
    second = audit_entries(services, actor, AuditQuery(**query, after=first.last_id))
    assert (second.has_previous, second.has_next) == (True, False)
    assert len(second.entries) == 40
    assert {e.id for e in first.entries}.isdisjoint({e.id for e in second.entries})
    newest_first = [e.occurred_at for e in first.entries + second.entries]
    assert newest_first == sorted(newest_first, reverse=True)
    back = audit_entries(services, actor, AuditQuery(**query, before=second.first_id))
    assert [e.id for e in back.entries] == [e.id for e in first.entries]
    assert (back.has_previous, back.has_next) == (False, True)
    oldest = audit_entries(services, actor, AuditQuery(**query, order="asc"))
    assert [e.details["n"] for e in oldest.entries[:2]] == [0, 2]


def test_bad_filters_are_named_next_to_their_field(
    services: ConsoleServices, entries: Tree
) -> None:
    del entries
    actor = signed_in(services, "auditor@340828").actor

    def refused(**query: str) -> dict[str, str]:
        with pytest.raises(InvalidFormError) as caught:
            audit_entries(services, actor, AuditQuery(**query))
        return {str(e.field): e.code for e in caught.value.errors}

    assert refused(date_from="2024-13-01") == {"date_from": "date_invalid"}
    assert refused(date_from="2024-05-02", date_to="2024-05-01") == {
        "date_to": "date_range_backwards"
    }
    assert refused(date_from="2023-01-01", date_to="2024-01-02") == {
        "date_to": "date_range_too_long"
    }
    assert refused(actor="x" * 101) == {"actor": "field_too_long"}
    # 366 days is allowed
    assert audit_entries(
        services, actor, AuditQuery(date_from="2024-01-01", date_to="2024-12-31")
    ).entries


def test_a_prefix_matching_too_much_of_the_history_is_refused(
    services: ConsoleServices, entries: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    del entries
    monkeypatch.setattr(audit_module, "COUNT_CAP", 40)
    actor = signed_in(services, "auditor@340828").actor
    with pytest.raises(InvalidFormError) as caught:
        audit_entries(services, actor, AuditQuery(actor="terminal:"))
    error = caught.value.errors[0]
    assert (error.field, error.code) == ("actor", "search_too_broad")
    assert "超过 40 条" in error.message_zh
    # narrowed, the same search is answered; with no prefix the count is only capped
    assert len(audit_entries(services, actor, AuditQuery(actor="terminal:34080201")).entries) == 30
    everything = audit_entries(services, actor, AuditQuery())
    assert (everything.total, everything.capped) == (40, True)


def test_the_chain_check_finds_an_altered_entry_and_missing_triggers(
    services: ConsoleServices, entries: Tree, engine: Engine
) -> None:
    del entries
    actor = signed_in(services, "auditor@340828").actor
    clean = run_chain_check(services, actor)
    assert clean.ok
    assert {check.name for check in clean.checks} >= {"audit_chain", "audit_append_only"}
    # the page has a translated label for every check it may show
    assert {check.name for check in clean.checks} <= set(CHECK_LABELS)
    assert clean.head_id == 121  # the 120 entries and the auditor's sign-in
    with engine.begin() as conn:
        for statement in drop_append_only_ddl(conn.dialect.name):
            conn.execute(text(statement))
        conn.execute(
            text("UPDATE audit_log SET details = :details WHERE id = 50"), {"details": '{"n":999}'}
        )
    broken = run_chain_check(services, actor)
    assert not broken.ok
    by_name = {check.name: check for check in broken.checks}
    assert [item.row_id for item in by_name["audit_chain"].breaks] == [50]
    assert by_name["audit_append_only"].breaks


def test_one_chain_check_at_a_time(services: ConsoleServices, tree: Tree) -> None:
    del tree
    actor = signed_in(services, "admin@340828").actor
    assert audit_module._CHECK_RUNNING.acquire(blocking=False)
    try:
        with pytest.raises(ChainCheckBusyError):
            run_chain_check(services, actor)
    finally:
        audit_module._CHECK_RUNNING.release()
    assert run_chain_check(services, actor).ok


# ---- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def client(services: ConsoleServices, entries: Tree) -> Iterator[TestClient]:
    del entries
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
    home = client.get("/console/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert csrf is not None
    return csrf.group(1)


def test_the_page_lists_filters_and_checks_the_chain(client: TestClient) -> None:
    csrf = _sign_in(client, "auditor@340828")
    page = client.get("/console/audit?action=batch.close")
    assert page.status_code == 200
    assert page.text.count('data-field="action">batch.close<') == 30
    assert "共 30 条" in page.text
    assert 'data-page="audit"' in page.text
    refused = client.get("/console/audit?from=2024-05-02&to=2024-05-01")
    assert refused.status_code == 422
    assert '<p class="field-error" data-field="to">结束日期不能早于开始日期</p>' in refused.text
    checked = client.post(
        "/console/audit/chain-check?action=batch.close", data={"csrf_token": csrf}
    )
    assert checked.status_code == 200
    assert 'id="chain-result" data-ok="yes"' in checked.text
    assert "校验通过" in checked.text
    # every check is named in the page's language, none in the checker's English
    assert "每笔账务交易的分录合计为零" in checked.text
    assert "every ledger transaction" not in checked.text
    assert client.post("/console/audit/chain-check", data={}).status_code == 403


def test_finance_and_station_staff_are_refused_the_page(client: TestClient) -> None:
    _sign_in(client, "finance@340828")
    assert client.get("/console/audit").status_code == 403
    assert 'data-page="audit"' not in client.get("/console/").text


def test_the_menu_offers_the_log_only_to_whom_the_page_serves(
    client: TestClient, services: ConsoleServices, engine: Engine
) -> None:
    _sign_in(client, "auditor@340828")
    assert 'data-page="audit"' in client.get("/console/").text
    client.cookies.clear()
    _add_station_auditor(services, engine)
    _sign_in(client, "auditor2@34082801")
    home = client.get("/console/").text
    assert 'data-page="payments"' in home  # the rest of an auditor's menu is there
    assert 'data-page="audit"' not in home
    assert client.get("/console/audit").status_code == 403


# ---- the actions' names --------------------------------------------------------------------------

SOURCE = Path(gridpos.__file__).parent
# the calls that write an audit entry, and act_once, which writes the one it is given
_WRITERS = {"append", "append_unsealed", "AuditRecord", "act_once"}


def _action_arguments() -> list[tuple[str, ast.expr]]:
    """Every ``action=`` given to a writer of the audit log in the server's code, with where."""
    found: list[tuple[str, ast.expr]] = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.is_relative_to(SOURCE / "sim"):
            continue  # the benchmarks write made-up histories straight into the table
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            name = node.func.id if isinstance(node.func, ast.Name) else name
            if name not in _WRITERS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "action":
                    found.append((f"{path.relative_to(SOURCE)}:{node.lineno}", keyword.value))
    return found


def _written_text(value: ast.expr) -> list[str]:
    """The literal codes an ``action=`` argument spells out (a conditional's both sides)."""
    if isinstance(value, ast.IfExp):
        return _written_text(value.body) + _written_text(value.orelse)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.JoinedStr):
        return [ast.unparse(value)]
    return []


def test_every_action_the_server_writes_is_one_of_the_named_codes() -> None:
    arguments = _action_arguments()
    assert len(arguments) > 40  # the scan found the writers
    spelled = {where: _written_text(value) for where, value in arguments}
    assert {where: codes for where, codes in spelled.items() if codes} == {}


def test_every_action_and_family_has_a_name_in_both_languages() -> None:
    assert set(ACTION_LABELS) == set(AuditAction)
    assert set(ACTION_SUGGESTIONS) == set(ACTION_FAMILY_LABELS) == set(action_families())
    assert {"reconciliation.", "handover.", "payment_undo.", "outbox.", "agent."} <= set(
        ACTION_SUGGESTIONS
    )
    chinese = translations("zh_CN")
    for message in [*ACTION_LABELS.values(), *ACTION_FAMILY_LABELS.values()]:
        assert chinese.gettext(message) != message, message
    assert chinese.gettext(ACTION_LABELS[AuditAction.PAYMENT_CANCELLATION]) == "冲销"
    assert chinese.gettext(ACTION_LABELS[AuditAction.BATCH_UPLOAD]) == "批上送"


def test_the_page_names_each_action_in_the_readers_language(
    client: TestClient, engine: Engine
) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:  # a code a later version might write
        uow.audit.append(
            occurred_at=MIDNIGHT,
            actor="operator:1",
            action="tariff.publish",  # type: ignore[arg-type]
        )
        uow.commit()
    _sign_in(client, "auditor@340828")
    page = client.get("/console/audit?action=batch.close").text
    assert page.count('<span data-field="action-label">扎帐</span>') == 30
    assert page.count('data-field="action">batch.close</a></small>') == 30
    # the suggestions offer every family by its name
    assert '<option value="reconciliation.">对账与差错处理</option>' in page
    assert '<option value="payment_undo.">撤销、冲销申请</option>' in page
    voids = client.get("/console/audit?action=payment.void").text
    assert '<span data-field="action-label">撤销</span>' in voids
    unknown = client.get("/console/audit?action=tariff.publish").text
    assert 'data-field="action">tariff.publish</a></td>' in unknown
    assert 'data-field="action-label"' not in unknown
    client.cookies.set("gp_lang", "en")
    english = client.get("/console/audit?action=batch.close").text
    assert english.count('<span data-field="action-label">Batch closed</span>') == 30
    assert "扎帐" not in english
