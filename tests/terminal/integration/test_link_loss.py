"""What a lost link leaves behind, against the real server process behind the link emulator.

- A coverage loss (a black hole: no reset, no answer): the account query gives up after the short
  query timeout, not the payment's read timeout, and falls back to the downloaded arrears; once
  the link is known down the offline view comes without asking at all, and a background probe
  notices when the link returns.
- An arrears download cut part-way resumes, after a restart, from the page it reached.
- A sign-out whose answer was lost is finished after a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from gridpos.terminal import NoAnswerError, Terminal, TerminalRefusalError, Timeouts
from gridpos.terminal.client import LinkStatus
from gridpos.terminal.journal import EventKind

from .world import AGENT, ARREARS_ACCOUNT, ORG, PASSWORD, ServedCounty, enrolled_terminal

PAYMENT_TIMEOUTS = Timeouts(connect_s=30.0, read_s=30.0, write_s=30.0, pool_s=5.0)
QUERY_TIMEOUT_S = 1.5
T = TypeVar("T")


def _terminal(county: ServedCounty, data_dir: Path) -> Terminal:
    _number, code = county.next_terminal()
    terminal = county.open_terminal(
        data_dir,
        timeouts=PAYMENT_TIMEOUTS,
        query_timeout_s=QUERY_TIMEOUT_S,
        probe_every_s=0.2,
    )
    terminal.enrol(code)
    terminal.sign_in(
        agent_account=AGENT, password=PASSWORD, organisation_code=ORG, offline_allowance=20_000
    )
    return terminal


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_a_query_in_a_coverage_loss_shows_the_offline_view_fast(
    county: ServedCounty, tmp_path: Path
) -> None:
    terminal = _terminal(county, tmp_path)
    assert not terminal.query_account(ARREARS_ACCOUNT).offline
    county.link.partition(True)

    first, waited = _timed(lambda: terminal.query_account(ARREARS_ACCOUNT))
    assert first.offline
    # the query timeout, not the 30 s a payment would wait for its answer
    assert QUERY_TIMEOUT_S <= waited < QUERY_TIMEOUT_S + 3
    assert terminal.client.timeouts.read_s == PAYMENT_TIMEOUTS.read_s
    assert terminal.link_state().status is LinkStatus.OFFLINE

    requests_before = terminal.client.stats.requests
    second, waited = _timed(lambda: terminal.query_account(ARREARS_ACCOUNT))
    assert second.offline
    assert waited < 1.0  # the link is known down: not asked at all
    assert terminal.client.stats.requests == requests_before
    assert terminal.link_probe_running()  # the server's health check, tried in the background

    county.link.partition(False)
    deadline = time.monotonic() + 15
    while terminal.client.link_known_down():
        assert time.monotonic() < deadline, "the probe did not notice the link return"
        time.sleep(0.05)
    assert not terminal.query_account(ARREARS_ACCOUNT).offline
    terminal.close()
    assert not terminal.link_probe_running()


def test_a_download_cut_part_way_resumes_after_a_restart(
    county: ServedCounty, tmp_path: Path
) -> None:
    _number, code = county.next_terminal()
    terminal = county.open_terminal(tmp_path, arrears_page_size=1)
    terminal.enrol(code)
    terminal.sign_in(
        agent_account=AGENT,
        password=PASSWORD,
        organisation_code=ORG,
        offline_allowance=20_000,
        download_arrears=False,
    )
    county.script({"path": "^/t/v1/arrears", "nth": 2, "cut": "cut_mid_answer"})
    with pytest.raises(NoAnswerError):
        terminal.download_arrears()
    county.script()
    terminal.close()

    again = county.open_terminal(tmp_path, arrears_page_size=1)
    before = county.link.stats().requests
    assert again.download_arrears() == 3  # the county's three customers, a page each
    # pages 2 and 3 only: the first, stored before the cut, is not fetched again
    assert county.link.stats().requests - before == 2
    (row,) = again.journal.rows(kind=EventKind.ARREARS_DOWNLOADED)
    assert (row.body["pages"], row.body["tries"]) == (3, 2)
    assert row.body["as_of"] == again.session.business_date.isoformat()  # type: ignore[union-attr]
    again.close()


def test_a_sign_out_whose_answer_was_lost_is_finished_after_a_restart(
    county: ServedCounty, tmp_path: Path
) -> None:
    terminal = enrolled_terminal(county, tmp_path)
    county.script({"path": "^/t/v1/sign-?out", "nth": 1, "cut": "cut_before_answer"})
    with pytest.raises(NoAnswerError):
        terminal.sign_out()
    county.script()
    terminal.close()

    again = county.open_terminal(tmp_path)
    assert again.sign_out_unfinished
    with pytest.raises(TerminalRefusalError) as refused:
        again.ready_to_collect()
    assert refused.value.code == "sign_out_unfinished"
    assert again.sign_out() is None  # the server had ended the day: finished here too
    assert again.session is None
    (row,) = again.journal.rows(kind=EventKind.SIGNED_OUT)
    assert row.body["lost"] is True
    again.close()
