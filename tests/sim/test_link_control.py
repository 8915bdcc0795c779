"""Controlling a running link: the HTTP control endpoint and the in-process handle."""

from __future__ import annotations

import http.client
from dataclasses import replace

import httpx
import pytest

from gridpos.sim.link import LinkSettingError, RunningLink

from .conftest import QUICK, MakeLink
from .upstream import Upstream, client, get, refused

FAST = replace(QUICK, one_way_ms=2)


@pytest.fixture
def controlled(make_link: MakeLink) -> tuple[RunningLink, httpx.Client]:
    link = make_link(profile=FAST, control=("127.0.0.1", 0))
    assert link.control_address is not None
    host, port = link.control_address
    return link, httpx.Client(base_url=f"http://{host}:{port}", timeout=5)


def test_the_endpoint_shows_the_settings_and_the_counters(
    controlled: tuple[RunningLink, httpx.Client], upstream: Upstream
) -> None:
    link, http = controlled
    settings = http.get("/control").json()
    assert settings["profile"]["name"] == "quick"
    assert settings["profile"]["one_way_ms"] == 2
    assert settings["seed"] == 7
    assert settings["script"] == {"rules": []}
    assert settings["partition"] is False
    assert settings["upstream"] == f"{upstream.address[0]}:{upstream.address[1]}"
    get(client(link.address), "/one")
    stats = http.get("/stats").json()
    assert stats["requests"] == 1
    assert stats["answers_delivered"] == 1
    assert stats["exchanges"][0]["target"] == "/one"
    assert stats["connections"][0]["bytes_down"] == stats["bytes_down"] > 0
    totals = http.get("/stats", params={"detail": "0"}).json()
    assert "exchanges" not in totals
    assert "connections" not in totals
    assert totals["bytes_down"] == stats["bytes_down"]


def test_posted_changes_take_effect_on_the_next_request(
    controlled: tuple[RunningLink, httpx.Client], upstream: Upstream
) -> None:
    link, http = controlled
    conn = client(link.address)
    get(conn, "/one")
    answer = http.post(
        "/control",
        json={
            "profile": {"jitter_ms": 1},
            "script": [{"nth": 1, "cut": "cut_before_answer"}],
            "seed": 99,
            "reset_stats": True,
        },
    )
    assert answer.status_code == 200
    settings = answer.json()
    assert settings["profile"]["jitter_ms"] == 1
    assert settings["profile"]["one_way_ms"] == 2  # the rest of the profile is kept
    assert settings["seed"] == 99
    assert settings["script"] == {"rules": [{"nth": 1, "cut": "cut_before_answer"}]}
    conn.request("GET", "/two")
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    upstream.wait_for("/two", answered=True)
    stats = http.get("/stats").json()
    assert stats["requests"] == 1  # counted from the reset
    assert stats["exchanges"][0]["index"] == 2  # the request index goes on
    assert stats["cuts"]["cut_before_answer"] == 1


def test_a_bad_change_is_refused_whole_and_changes_nothing(
    controlled: tuple[RunningLink, httpx.Client],
) -> None:
    link, http = controlled
    before = http.get("/control").json()
    answer = http.post(
        "/control",
        json={"script": [{"request": 1, "cut": "drop_request"}], "profile": {"one_way_ms": -5}},
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "link_profile_invalid"
    assert body["field"] == "profile.one_way_ms"
    assert body["message_zh"]
    assert body["message_en"]
    assert http.get("/control").json() == before
    for bad, code, field in [
        ({"partition": "yes"}, "link_control_invalid", "partition"),
        ({"partition": True, "partition_mode": "cut"}, "link_control_invalid", "partition_mode"),
        ({"seed": "seven"}, "link_control_invalid", "seed"),
        ({"volume": 11}, "link_control_invalid", "volume"),
        ({"script": {"rules": [{"cut": "snip"}]}}, "link_script_invalid", "script.rules[0].cut"),
        ([1, 2], "link_control_invalid", "control"),
    ]:
        refused = http.post("/control", json=bad)
        assert refused.status_code == 400, bad
        assert (refused.json()["code"], refused.json()["field"]) == (code, field)
    assert http.get("/control").json() == before
    not_json = http.post("/control", content=b"{nope")
    assert (not_json.status_code, not_json.json()["field"]) == (400, "body")
    assert http.get("/nowhere").status_code == 404
    assert http.put("/control", json={}).status_code == 405
    assert http.post("/stats").status_code == 405
    get(client(link.address), "/still-works")


def test_the_plug_can_be_pulled_over_http(
    controlled: tuple[RunningLink, httpx.Client], upstream: Upstream
) -> None:
    link, http = controlled
    assert (
        http.post("/control", json={"partition": True, "partition_mode": "reset"}).json()[
            "partition_mode"
        ]
        == "reset"
    )
    assert refused(link.address)
    assert http.post("/control", json={"partition": False}).json()["partition"] is False
    assert get(client(link.address), "/back") == b"ok /back"
    assert upstream.paths() == ["/back"]
    assert http.get("/stats").json()["connections_refused"] == 1


def test_the_in_process_handle_applies_and_refuses_the_same_changes(make_link: MakeLink) -> None:
    link = make_link(profile=FAST)
    settings = link.control({"profile": "good", "script": [{"request": 5, "cut": "black_hole"}]})
    assert settings["profile"] == link.settings()["profile"]
    assert link.proxy.profile.name == "good"
    with pytest.raises(LinkSettingError) as caught:
        link.control({"profile": "lan"})
    assert caught.value.code == "link_profile_unknown"
    link.set_profile("gprs")
    assert link.proxy.profile.one_way_ms == 500
    link.set_seed(3)
    assert link.settings()["seed"] == 3


def test_a_link_that_cannot_listen_says_so(make_link: MakeLink, upstream: Upstream) -> None:
    taken = make_link(profile=FAST)
    with pytest.raises(OSError, match="in use"):
        RunningLink(upstream=upstream.address, profile=FAST, seed=1, listen=taken.address).start()
    conn = http.client.HTTPConnection(*taken.address, timeout=2)
    assert get(conn, "/fine") == b"ok /fine"
