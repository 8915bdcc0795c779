"""The MIS worker as the programs run it: embedded in the server on a thread, as `gridpos worker`
(with SIGTERM), and the `gridpos org` commands."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from gridpos.adapters.db.tables import customers, organisations, outbox
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.account_refresh import MisAccountRefresher
from gridpos.application.audit_verify import verify_database
from gridpos.application.ports import RefreshOutcome, ReplicaOnly
from gridpos.bootstrap import build_services, start_background_worker
from gridpos.cli import app
from gridpos.interfaces.workers import MisWorker, WorkerConfig, start_embedded_worker
from gridpos.settings import Settings

from .collecting import collect
from .conftest import County
from .harness import API_KEY, RunningMis
from .test_demo_setup import CHEAP

DAY = date(2026, 4, 10)
A, C, D = "0100100001", "0200100001", "0200100002"
FAST = WorkerConfig(sync_interval_s=0.2, idle_s=0.05, outage_base_s=0.05, outage_cap_s=0.2)


def _wait_for(condition: Callable[[], bool], *, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)


def _keep_logging_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """`gridpos worker` points the logs at its stderr, which CliRunner closes afterwards: later
    tests' loggers would write to a closed stream."""
    monkeypatch.setattr("gridpos.cli.worker.configure_logging", lambda _level: None)


def _pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
            ).scalar_one()
        )


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_embedded_worker_syncs_and_drains_until_stopped(county: County) -> None:
    c = county.collector
    paid = [
        collect(county.engine, c, account_no=account_no, cash=1000, business_date=DAY)
        for account_no in (A, C, D)
    ]
    county.mis.set_faults("down")
    settings = Settings(
        data_dir=Path("."), database_url=_url(county.engine), mis_url=county.mis.url,
        mis_api_key=API_KEY,
    )  # fmt: skip

    stop = start_embedded_worker(settings, config=FAST)
    try:
        time.sleep(0.5)  # the MIS is down: collection goes on, the backlog waits
        assert _pending(county.engine) == 3
        county.mis.set_faults("normal")
        _wait_for(lambda: _pending(county.engine) == 0)
    finally:
        stop()
    stop()  # a second stop does nothing

    assert len(county.mis.posting_counts()) == len(paid)
    assert set(county.mis.posting_counts().values()) == {1}
    report = verify_database(SqlUnitOfWork(county.engine, write=False))
    assert report.ok, [b.describe() for b in report.breaks]


def test_without_an_mis_nothing_starts(server_engine: Engine) -> None:
    stop = start_embedded_worker(Settings(data_dir=Path("."), database_url=_url(server_engine)))
    stop()


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_org_commands_import_the_county_and_set_up_the_demo(
    server_engine: Engine, mis: RunningMis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command's argon2 at its production cost takes seconds for 88 accounts; not the point here
    monkeypatch.setattr("gridpos.cli.org.PasswordHasher", lambda: CHEAP)
    _keep_logging_as_it_is(monkeypatch)
    runner = CliRunner()
    env = {"GRIDPOS_MIS_URL": mis.url, "GRIDPOS_MIS_API_KEY": API_KEY}
    url = _url(server_engine)

    imported = runner.invoke(app, ["org", "import-mis", "--database-url", url], env=env)
    assert imported.exit_code == 0, imported.output
    assert "county 340828: 25 created, 0 renamed, 0 unchanged" in imported.output
    again = runner.invoke(app, ["org", "import-mis", "--database-url", url], env=env)
    assert "0 created, 0 renamed, 25 unchanged" in again.output

    setup = runner.invoke(
        app, ["org", "demo-setup", "--database-url", url, "--float", "500", "--json"]
    )
    assert setup.exit_code == 0, setup.output
    sign_ins = json.loads(setup.output)
    # 4 at the county, a head and a staff member at each of 24 stations, 36 agents
    assert len(sign_ins) == 88
    assert sign_ins[0] == {
        "role": "admin",
        "org_code": "340828",
        "org_name": "国网岳西县供电公司",
        "account": "admin",
        "password": sign_ins[0]["password"],
        "terminal_no": None,
        "agent_code": None,
    }

    once = runner.invoke(app, ["worker", "--once", "--database-url", url], env=env)
    assert once.exit_code == 0, once.output
    summary = json.loads(once.output.strip().splitlines()[-1])
    assert summary["organisation_imported"] is True
    assert summary["sync"]["caught_up"] is True
    assert summary["delivery"]["claimed"] == 0

    with server_engine.connect() as connection:
        levels = dict(
            connection.execute(
                select(organisations.c.level, func.count()).group_by(organisations.c.level)
            ).all()
        )
    assert levels == {"county": 1, "station": 24, "collection_point": 36}


def test_commands_without_an_mis_or_with_a_bad_amount_say_so(
    server_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep_logging_as_it_is(monkeypatch)
    runner = CliRunner()
    url = _url(server_engine)
    no_mis = runner.invoke(
        app, ["worker", "--once", "--database-url", url], env={"GRIDPOS_MIS_URL": ""}
    )
    assert no_mis.exit_code == 2
    assert "no MIS configured" in no_mis.output
    bad = runner.invoke(app, ["org", "demo-setup", "--database-url", url, "--float", "12.345"])
    assert bad.exit_code == 1
    no_county = runner.invoke(app, ["org", "demo-setup", "--database-url", url])
    assert no_county.exit_code == 1
    assert "county_missing" in no_county.output


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_gridpos_worker_stops_gracefully_on_sigterm(county: County) -> None:
    collect(county.engine, county.collector, account_no=A, cash=1000, business_date=DAY)
    env = {
        **os.environ,
        "GRIDPOS_MIS_URL": county.mis.url,
        "GRIDPOS_MIS_API_KEY": API_KEY,
        "GRIDPOS_DATABASE_URL": _url(county.engine),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gridpos", "worker", "--sync-interval", "0.5"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _pending(county.engine) == 0)
        with county.engine.connect() as connection:
            synced = connection.execute(select(func.count()).select_from(customers)).scalar_one()
        assert synced == 4
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    events = [json.loads(line)["event"] for line in errors.splitlines() if line.startswith("{")]
    assert events[0] == "mis_worker_started"
    assert events[-1] == "mis_worker_stopped"
    assert "outbox_delivered" in events


def test_the_server_is_wired_to_the_mis_only_when_one_is_configured(server_engine: Engine) -> None:
    url = _url(server_engine)
    alone = build_services(Settings(data_dir=Path("."), database_url=url), engine=server_engine)
    assert isinstance(alone.refresher, ReplicaOnly)
    assert start_background_worker(Settings(data_dir=Path("."), database_url=url)) is None
    wired = build_services(
        Settings(
            data_dir=Path("."), database_url=url, mis_url="http://127.0.0.1:9", mis_api_key="k"
        ),
        engine=server_engine,
    )
    assert isinstance(wired.refresher, MisAccountRefresher)
    # nothing listens on port 9: the refresh gives up at once and the query uses the replica
    assert wired.refresher.refresh("0100100001") is RefreshOutcome.UNAVAILABLE


def test_the_worker_waits_longer_while_the_mis_stays_out_of_reach(county: County) -> None:
    collect(county.engine, county.collector, account_no=A, cash=1000, business_date=DAY)
    config = WorkerConfig(outage_base_s=1, outage_cap_s=8, idle_s=0.5, import_organisation=False)
    worker = MisWorker(
        engine=county.engine, client=county.client, clock=county.mis.clock, config=config,
        jitter=random.Random(5),
    )  # fmt: skip
    county.mis.set_faults("down")

    pauses = [worker.step() for _ in range(5)]

    # windows of 1, 2, 4, 8, 8 s; each pause in the upper half of its window
    for pause, window in zip(pauses, (1, 2, 4, 8, 8), strict=True):
        assert window / 2 <= pause <= window
    assert worker.state.outage_rounds == 5
    assert county.mis.requests.count("POST", "/v1/postings") == 5  # one try a round

    county.mis.set_faults("normal")
    assert worker.step() == 0.5  # delivered; nothing more due
    assert (worker.state.sent, worker.state.outage_rounds) == (1, 0)
    assert list(county.mis.posting_counts().values()) == [1]
