"""The link emulator over loopback: latency, bandwidth, stalls, each cut from both sides,
scripted cuts on a keep-alive connection, seeded repeatability, partitions and the counters.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from dataclasses import replace

import pytest

from gridpos.sim.link import CutKind, LinkProfile, PartitionMode, RunningLink, chance_decision

from .conftest import ONE_WAY_MS, QUICK, MakeLink
from .upstream import EchoServer, Upstream, client, get, raw_request, read_until_closed, refused

ONE_WAY = ONE_WAY_MS / 1000
SLACK = 0.06  # a loaded shared machine: allowed lateness, never earliness


def _timed_get(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    get(conn, path)
    return time.perf_counter() - started


def _connect(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=3)


def _read_answer(sock: socket.socket, ending: bytes) -> bytes:
    sock.settimeout(2)
    received = bytearray()
    while not received.endswith(ending):
        data = sock.recv(65536)
        assert data, bytes(received)
        received += data
    return bytes(received)


def test_a_round_trip_costs_two_one_way_latencies_and_a_new_connection_one_more(
    make_link: MakeLink, upstream: Upstream
) -> None:
    direct = client(upstream.address)
    get(direct, "/warm")
    assert _timed_get(direct, "/direct") < 0.02
    link = make_link()
    conn = client(link.address)
    cold = _timed_get(conn, "/cold")
    warm = [_timed_get(conn, f"/warm/{i}") for i in range(5)]
    # handshake (2 × 40 ms) + request (40) + answer (40) = 160 ms; then 80 ms per round trip
    assert 4 * ONE_WAY <= cold <= 4 * ONE_WAY + SLACK
    assert 2 * ONE_WAY <= statistics.median(warm) <= 2 * ONE_WAY + SLACK
    stats = link.stats()
    assert stats.connections_accepted == 1
    assert stats.handshakes == 1
    assert stats.answers_delivered == 6
    assert stats.round_trips == 7


def test_jitter_spreads_round_trips_within_its_band(make_link: MakeLink) -> None:
    link = make_link(profile=replace(QUICK, jitter_ms=20))
    conn = client(link.address)
    get(conn, "/open")
    trips = [_timed_get(conn, f"/j/{i}") for i in range(8)]
    assert all(2 * (ONE_WAY - 0.02) <= t <= 2 * (ONE_WAY + 0.02) + SLACK for t in trips)
    assert max(trips) - min(trips) > 0.005


def test_the_bandwidth_cap_paces_a_10_kb_answer(make_link: MakeLink) -> None:
    capped = LinkProfile(name="capped", one_way_ms=10, bandwidth_bps=160_000)  # 20,000 bytes/s
    link = make_link(profile=capped)
    conn = client(link.address)
    get(conn, "/open")
    link.reset_stats()
    started = time.perf_counter()
    body = get(conn, "/size/10240")
    took = time.perf_counter() - started
    assert len(body) == 10240
    stats = link.stats()
    wire = stats.bytes_up + stats.bytes_down
    assert wire > 10240
    expected = wire / 20_000 + 2 * 0.010  # about 0.53 s: serialisation each way plus latency
    assert expected - 0.01 <= took <= expected + SLACK + 0.04
    uncapped = make_link(profile=replace(capped, bandwidth_bps=None))
    fast = client(uncapped.address)
    get(fast, "/open")
    assert _timed_get(fast, "/size/10240") < 0.1


def test_drop_request_never_reaches_the_server_and_resets_the_client(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(script=[{"request": 1, "cut": "drop_request"}])
    sock = _connect(link.address)
    sock.sendall(raw_request("POST", "/t/v1/payments", b'{"fen":12345}'))
    received, how = read_until_closed(sock, timeout=2)
    assert (received, how) == (b"", "reset")
    time.sleep(0.1)
    assert upstream.seen == []
    exchange = link.stats().exchange(1)
    assert exchange is not None
    assert (exchange.cut, exchange.closing) == ("drop_request", "reset")
    assert not exchange.request_delivered
    assert exchange.request_bytes == 0
    assert link.stats().cuts["drop_request"] == 1


def test_drop_request_with_fin_ends_the_stream_instead(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(script=[{"request": 1, "cut": "drop_request", "closing": "fin"}])
    sock = _connect(link.address)
    sock.sendall(raw_request("GET", "/t/v1/accounts/1"))
    assert read_until_closed(sock, timeout=2) == (b"", "eof")
    assert upstream.seen == []


def test_cut_before_answer_lets_the_server_answer_and_the_client_hear_nothing(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(script=[{"request": 1, "cut": "cut_before_answer"}])
    sock = _connect(link.address)
    started = time.perf_counter()
    sock.sendall(raw_request("POST", "/t/v1/payments", b'{"fen":12345}'))
    received, how = read_until_closed(sock, timeout=2)
    took = time.perf_counter() - started
    assert (received, how) == (b"", "reset")
    # the reset arrives when the answer would have: handshake + request + answer
    assert 4 * ONE_WAY <= took <= 4 * ONE_WAY + SLACK
    seen = upstream.wait_for("/t/v1/payments", answered=True)
    assert seen.body == b'{"fen":12345}'
    exchange = link.stats().exchange(1)
    assert exchange is not None
    assert exchange.request_delivered
    assert exchange.status == 200
    assert (exchange.answer_bytes, exchange.answered) == (0, False)
    assert link.stats().bytes_down == 0


def test_cut_before_answer_can_fall_silent_instead(make_link: MakeLink, upstream: Upstream) -> None:
    link = make_link(script=[{"request": 1, "cut": "cut_before_answer", "closing": "silent"}])
    sock = _connect(link.address)
    sock.sendall(raw_request("POST", "/t/v1/payments", b"{}"))
    assert read_until_closed(sock, timeout=0.5) == (b"", "timeout")
    upstream.wait_for("/t/v1/payments", answered=True)
    sock.close()


def test_cut_mid_answer_delivers_exactly_the_bytes_asked_then_closes(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(
        script=[
            {"request": 1, "cut": "cut_mid_answer", "answer_bytes": 300},
            {"request": 2, "cut": "cut_mid_answer"},
        ]
    )
    sock = _connect(link.address)
    sock.sendall(raw_request("GET", "/size/1000"))
    received, how = read_until_closed(sock, timeout=2)
    assert how == "eof"
    assert len(received) == 300
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    upstream.wait_for("/size/1000", answered=True)
    first = link.stats().exchange(1)
    assert first is not None
    assert (first.answer_bytes, first.answered, first.closing) == (300, False, "fin")
    # without answer_bytes: half of the whole answer (head + 777-byte body)
    sock = _connect(link.address)
    sock.sendall(raw_request("GET", "/size/777"))
    received, how = read_until_closed(sock, timeout=2)
    assert how == "eof"
    head_size = received.index(b"\r\n\r\n") + 4
    assert len(received) == (head_size + 777) // 2
    assert link.stats().cuts["cut_mid_answer"] == 2


def test_a_black_hole_times_the_client_out_without_a_reset(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(script=[{"request": 2, "cut": "black_hole"}])
    sock = _connect(link.address)
    sock.sendall(raw_request("GET", "/first"))
    assert _read_answer(sock, b"ok /first").startswith(b"HTTP/1.1 200 OK")
    sock.sendall(raw_request("POST", "/t/v1/payments", b"{}"))
    assert read_until_closed(sock, timeout=0.5) == (b"", "timeout")
    assert read_until_closed(sock, timeout=0.3) == (b"", "timeout")  # still open, still silent
    assert upstream.paths() == ["/first"]
    stats = link.stats()
    assert stats.connections_open == 1
    assert stats.connections[0].black_holed
    sock.close()  # the client gives up; the link lets the connection go
    deadline = time.monotonic() + 2
    while link.stats().connections_open and time.monotonic() < deadline:
        time.sleep(0.02)
    assert link.stats().connections_open == 0
    assert link.stats().connections[0].ended_by == "cut"


def test_a_script_cuts_exactly_the_third_request_on_a_keep_alive_connection(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(
        profile=replace(QUICK, one_way_ms=5),
        script=[{"request": 3, "cut": "cut_before_answer"}],
    )
    conn = client(link.address)
    assert get(conn, "/one") == b"ok /one"
    assert get(conn, "/two") == b"ok /two"
    conn.request("GET", "/three")
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    conn.close()
    assert get(conn, "/four") == b"ok /four"  # http.client connects again
    assert get(conn, "/five") == b"ok /five"
    upstream.wait_for("/three", answered=True)
    assert upstream.paths() == ["/one", "/two", "/three", "/four", "/five"]
    stats = link.stats()
    assert [(e.index, e.connection, e.on_connection, e.cut) for e in stats.exchanges] == [
        (1, 1, 1, None),
        (2, 1, 2, None),
        (3, 1, 3, "cut_before_answer"),
        (4, 2, 1, None),
        (5, 2, 2, None),
    ]
    assert [e.answered for e in stats.exchanges] == [True, True, False, True, True]
    assert stats.cuts == {
        "drop_request": 0,
        "cut_before_answer": 1,
        "cut_mid_answer": 0,
        "black_hole": 0,
    }


def test_a_script_hits_the_second_payment_by_method_and_path(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(
        profile=replace(QUICK, one_way_ms=5),
        script=[{"method": "POST", "path": "^/t/v1/payments$", "nth": 2, "cut": "drop_request"}],
    )
    conn = client(link.address)
    outcomes: list[bytes | None] = []
    for method, path in [
        ("GET", "/t/v1/accounts/1"),
        ("POST", "/t/v1/payments"),
        ("GET", "/t/v1/accounts/2"),
        ("POST", "/t/v1/payments"),
        ("POST", "/t/v1/payments"),
    ]:
        try:
            conn.request(method, path, body=b"{}" if method == "POST" else None)
            outcomes.append(conn.getresponse().read())
        except (ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()
            outcomes.append(None)
    assert outcomes == [b"ok /t/v1/accounts/1", b"{}", b"ok /t/v1/accounts/2", None, b"{}"]
    assert [s.method for s in upstream.seen] == ["GET", "POST", "GET", "POST"]


def _run_chances(make_link: MakeLink, *, seed: int, profile: LinkProfile) -> list[str | None]:
    link = make_link(profile=profile, seed=seed)
    conn = client(link.address, timeout=2)
    for i in range(1, 16):
        try:
            get(conn, f"/r/{i}")
        except (OSError, http.client.HTTPException):
            conn.close()
    return [e.cut for e in link.stats().exchanges]


def test_the_same_seed_cuts_the_same_requests(make_link: MakeLink) -> None:
    chancy = LinkProfile(
        name="chancy",
        one_way_ms=2,
        drop_request_probability=0.2,
        cut_before_answer_probability=0.2,
        cut_mid_answer_probability=0.1,
    )
    first = _run_chances(make_link, seed=11, profile=chancy)
    second = _run_chances(make_link, seed=11, profile=chancy)
    predicted = [chance_decision(seed=11, index=i, profile=chancy).cut for i in range(1, 16)]
    assert first == second == [None if c is None else c.value for c in predicted]
    assert any(first)
    other = [chance_decision(seed=12, index=i, profile=chancy).cut for i in range(1, 16)]
    assert other != predicted
    assert _run_chances(make_link, seed=12, profile=chancy) == [
        None if c is None else c.value for c in other
    ]


def test_pulling_the_plug_refuses_new_connections_and_silences_open_ones(
    make_link: MakeLink, upstream: Upstream
) -> None:
    link = make_link(profile=replace(QUICK, one_way_ms=5))
    open_sock = _connect(link.address)
    open_sock.sendall(raw_request("GET", "/before"))
    _read_answer(open_sock, b"ok /before")
    link.partition(True)
    open_sock.sendall(raw_request("GET", "/during-open"))
    assert read_until_closed(open_sock, timeout=0.4) == (b"", "timeout")
    assert refused(link.address)
    link.partition(False)
    conn = client(link.address)
    assert get(conn, "/after") == b"ok /after"
    assert upstream.paths() == ["/before", "/after"]
    stats = link.stats()
    assert stats.connections_refused == 1
    assert stats.connections[0].ended_by == "partition"
    assert stats.connections[0].black_holed


def test_pulling_the_plug_in_reset_mode_resets_open_connections(make_link: MakeLink) -> None:
    link = make_link(profile=replace(QUICK, one_way_ms=5))
    sock = _connect(link.address)
    sock.sendall(raw_request("GET", "/before"))
    _read_answer(sock, b"ok /before")
    link.partition(True, mode=PartitionMode.RESET)
    assert read_until_closed(sock, timeout=1) == (b"", "reset")


def test_a_stall_holds_the_answer_for_its_length(make_link: MakeLink, upstream: Upstream) -> None:
    link = make_link(script=[{"request": 2, "stall_s": 0.3, "stall_on": "answer"}])
    conn = client(link.address)
    get(conn, "/one")
    took = _timed_get(conn, "/stalled")
    assert 0.3 + ONE_WAY <= took <= 0.3 + 2 * ONE_WAY + SLACK
    exchange = link.stats().exchange(2)
    assert exchange is not None
    assert (exchange.stall_s, exchange.stall_on) == (0.3, "answer")
    assert link.stats().stalls == 1


def test_bytes_are_counted_each_way_per_connection_and_per_request(make_link: MakeLink) -> None:
    link = make_link(profile=replace(QUICK, one_way_ms=2))
    sock = _connect(link.address)
    request = raw_request("POST", "/t/v1/payments", b'{"account_no":"0100200301","fen":12345}')
    sock.sendall(request)
    answer = _read_answer(sock, b'"fen":12345}')
    sock.sendall(raw_request("GET", "/q"))
    second = _read_answer(sock, b"ok /q")
    stats = link.stats()
    assert stats.bytes_up == len(request) + len(raw_request("GET", "/q"))
    assert stats.bytes_down == len(answer) + len(second)
    first = stats.exchange(1)
    assert first is not None
    assert (first.request_bytes, first.answer_bytes) == (len(request), len(answer))
    assert first.request_delivered
    assert first.answered
    (connection,) = stats.connections
    assert (connection.bytes_up, connection.bytes_down) == (stats.bytes_up, stats.bytes_down)
    assert connection.requests == 2
    assert stats.requests == stats.requests_delivered == stats.answers_delivered == 2


def test_a_quiet_connection_is_closed_at_the_idle_limit(make_link: MakeLink) -> None:
    link = make_link(profile=replace(QUICK, one_way_ms=2), idle_timeout_s=0.3)
    sock = _connect(link.address)
    sock.sendall(raw_request("GET", "/once"))
    started = time.perf_counter()
    received, how = read_until_closed(sock, timeout=2)
    assert how == "eof"
    assert received.endswith(b"ok /once")
    assert 0.3 <= time.perf_counter() - started <= 0.3 + SLACK + 0.05
    assert link.stats().connections[0].ended_by == "idle"


def test_bytes_that_are_not_http_pass_through_with_latency() -> None:
    echo = EchoServer()
    try:
        with RunningLink(upstream=echo.address, profile=QUICK, seed=1) as raw_link:
            sock = _connect(raw_link.address)
            sock.settimeout(2)
            sock.sendall(b"ping\n")
            assert sock.recv(100) == b"ping\n"
            started = time.perf_counter()
            sock.sendall(b"\x00\x01binary\xff")
            assert sock.recv(100) == b"\x00\x01binary\xff"
            assert 2 * ONE_WAY <= time.perf_counter() - started <= 2 * ONE_WAY + SLACK
            stats = raw_link.stats()
            assert stats.requests == 0
            assert stats.bytes_up == stats.bytes_down == 5 + 9
    finally:
        echo.close()


def test_a_new_profile_applies_to_open_connections(make_link: MakeLink) -> None:
    link = make_link()
    conn = client(link.address)
    get(conn, "/open")
    assert _timed_get(conn, "/slow") >= 2 * ONE_WAY
    link.set_profile(replace(QUICK, one_way_ms=0))
    get(conn, "/settle")
    assert _timed_get(conn, "/fast") < 2 * ONE_WAY / 2


def test_bodies_cross_whole_both_ways(make_link: MakeLink, upstream: Upstream) -> None:
    link = make_link(profile=LinkProfile(name="slow-line", one_way_ms=5, bandwidth_bps=2_000_000))
    conn = client(link.address)
    body = bytes(range(256)) * 40
    conn.request("POST", "/echo", body=body)
    assert conn.getresponse().read() == body
    assert upstream.seen[0].body == body


def test_an_unreachable_server_resets_the_client(upstream: Upstream) -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    closed_port = spare.getsockname()[1]
    spare.close()
    with RunningLink(upstream=("127.0.0.1", closed_port), profile=QUICK, seed=1) as link:
        assert refused(link.address)
        assert link.stats().connections_refused == 1


def test_cut_kinds_are_all_covered() -> None:
    assert {kind.value for kind in CutKind} == {
        "drop_request",
        "cut_before_answer",
        "cut_mid_answer",
        "black_hole",
    }


def test_a_stall_longer_than_the_idle_limit_does_not_close_the_connection(
    make_link: MakeLink,
) -> None:
    link = make_link(
        profile=replace(QUICK, one_way_ms=2),
        idle_timeout_s=0.2,
        script=[{"request": 1, "stall_s": 0.5, "stall_on": "request"}],
    )
    conn = client(link.address)
    assert _timed_get(conn, "/held") >= 0.5
    assert link.stats().connections[0].ended_by is None
