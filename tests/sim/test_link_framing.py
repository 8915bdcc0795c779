"""HTTP/1.1 framing: where each request and answer starts and ends, whatever the chunking."""

from __future__ import annotations

import pytest

from gridpos.sim.link.framing import Piece, RequestFramer, ResponseFramer

GET = b"GET /t/v1/accounts/0100200301 HTTP/1.1\r\nHost: link\r\n\r\n"
POST = b'POST /t/v1/payments HTTP/1.1\r\nHost: link\r\nContent-Length: 11\r\n\r\n{"fen":125}'
CHUNKED_POST = (
    b"POST /t/v1/batches HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
)


def _messages(pieces: list[Piece]) -> list[tuple[str, bytes]]:
    """(start line summary, whole message bytes) for each complete message in ``pieces``."""
    out: list[tuple[str, bytes]] = []
    current = bytearray()
    label = ""
    for piece in pieces:
        if piece.head is not None:
            current = bytearray()
            head = piece.head
            label = f"{head.method} {head.target}" if head.method else str(head.status)
        current += piece.data
        if piece.ends:
            out.append((label, bytes(current)))
    return out


def test_requests_are_framed_by_length_chunks_and_no_body() -> None:
    stream = GET + POST + CHUNKED_POST + GET
    pieces = RequestFramer().feed(stream)
    assert _messages(pieces) == [
        ("GET /t/v1/accounts/0100200301", GET),
        ("POST /t/v1/payments", POST),
        ("POST /t/v1/batches", CHUNKED_POST),
        ("GET /t/v1/accounts/0100200301", GET),
    ]
    assert b"".join(p.data for p in pieces) == stream
    heads = [p.head for p in pieces if p.head is not None]
    # total size known from the head: GET 40 + 12 + 2 = 54; POST head 30 + 12 + 20 + 2 = 64
    # plus an 11-byte body = 75; the chunked one is unknown until its end
    assert [h.total_bytes for h in heads] == [len(GET), len(POST), None, len(GET)]
    assert len(GET) == 54
    assert len(POST) == 75


def test_any_split_of_the_stream_frames_the_same_messages() -> None:
    stream = GET + POST + CHUNKED_POST
    expected = _messages(RequestFramer().feed(stream))
    for cut_at in range(1, len(stream)):
        framer = RequestFramer()
        pieces = framer.feed(stream[:cut_at]) + framer.feed(stream[cut_at:])
        assert _messages(pieces) == expected, cut_at
        assert b"".join(p.data for p in pieces) == stream
    framer = RequestFramer()
    byte_by_byte = [piece for i in range(len(stream)) for piece in framer.feed(stream[i : i + 1])]
    assert _messages(byte_by_byte) == expected


def test_answers_follow_the_methods_of_their_requests() -> None:
    head_answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    continue_then_ok = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    )
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    framer = ResponseFramer()
    for method in ("HEAD", "DELETE", "POST", "GET"):
        framer.expect_answer_to(method)
    pieces = framer.feed(head_answer + no_content + continue_then_ok + chunked)
    assert [label for label, _ in _messages(pieces)] == ["200", "204", "100", "200", "200"]
    assert _messages(pieces)[0][1] == head_answer  # the answer to HEAD has no body
    assert _messages(pieces)[3][1].endswith(b"ok")
    assert _messages(pieces)[4][1] == chunked


def test_an_answer_without_length_runs_until_the_connection_closes() -> None:
    framer = ResponseFramer()
    framer.expect_answer_to("GET")
    pieces = framer.feed(b"HTTP/1.0 200 OK\r\n\r\npart one ")
    pieces += framer.feed(b"part two")
    assert not any(p.ends for p in pieces)
    pieces += framer.finish()
    assert pieces[-1] == Piece(b"", ends=True)
    assert _messages(pieces) == [("200", b"HTTP/1.0 200 OK\r\n\r\npart one part two")]


@pytest.mark.parametrize(
    "stream",
    [
        b"ping\n",
        b"\x16\x03\x01\x02\x00\x01",
        b"GET / SMTP/1.0\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabc",
    ],
)
def test_what_is_not_http_passes_through_raw(stream: bytes) -> None:
    framer = RequestFramer()
    pieces = framer.feed(stream)
    assert framer.raw
    assert b"".join(p.data for p in pieces) == stream
    assert all(p.head is None and not p.ends for p in pieces)
    assert framer.feed(b"more") == [Piece(b"more")]


def test_a_broken_chunk_size_switches_to_raw_without_losing_bytes() -> None:
    stream = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nrest"
    framer = RequestFramer()
    pieces = framer.feed(stream)
    assert framer.raw
    assert b"".join(p.data for p in pieces) == stream


def test_after_switching_protocols_the_stream_is_raw() -> None:
    framer = ResponseFramer()
    framer.expect_answer_to("GET")
    pieces = framer.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\x81\x05hello")
    assert framer.raw
    assert pieces[0].head is not None
    assert pieces[0].head.status == 101
    assert pieces[-1] == Piece(b"\x81\x05hello")
