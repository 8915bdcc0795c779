"""Just enough HTTP/1.1 framing to know where each request and each answer starts and ends.

The link forwards bytes; these framers only cut the byte stream into pieces and say which piece
starts a message (with its parsed head) and which ends it. Bodies are framed by Content-Length or
chunked encoding; an answer with neither runs until the connection closes; answers to HEAD and
1xx/204/304 answers have no body. A stream that is not HTTP/1.x (or a head over 64 KiB) switches
the framer to raw mode for good: bytes still flow, no messages are counted. After a 101 answer the
stream is raw both ways.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
_MAX_CHUNK_LINE = 1024
_REQUEST_LINE = re.compile(rb"([A-Z]{1,20}) (\S+) HTTP/1\.([01])\r?")
_REQUEST_PREFIX = re.compile(rb"[A-Z]{1,20} |[A-Z]{0,20}\Z")
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) (\d{3})(?: .*)?\r?")
_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class MessageHead:
    """A parsed request or answer head. ``method``/``target`` for requests, ``status`` for answers.

    ``total_bytes`` is the whole message's size when it is known from the head (no body, or a
    Content-Length), else ``None``.
    """

    size: int
    headers: tuple[tuple[str, str], ...]
    method: str = ""
    target: str = ""
    status: int = 0
    total_bytes: int | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of bytes; ``head`` when it starts a message, ``ends`` when it ends one."""

    data: bytes
    head: MessageHead | None = None
    ends: bool = False


class _NotHttpError(Exception):
    pass


class _Body:
    """Counts a body's bytes as they pass; ``consume`` returns (bytes taken, body finished)."""

    def consume(self, data: bytes, start: int) -> tuple[int, bool]:
        raise NotImplementedError


class _LengthBody(_Body):
    def __init__(self, length: int) -> None:
        self.remaining = length

    def consume(self, data: bytes, start: int) -> tuple[int, bool]:
        taken = min(self.remaining, len(data) - start)
        self.remaining -= taken
        return taken, self.remaining == 0


class _UntilClose(_Body):
    def consume(self, data: bytes, start: int) -> tuple[int, bool]:
        return len(data) - start, False


class _ChunkedBody(_Body):
    """Chunk-size line, data, CRLF … then a zero chunk and trailer lines up to an empty line."""

    def __init__(self) -> None:
        self.state = "size"
        self.remaining = 0
        self.line = bytearray()

    def consume(self, data: bytes, start: int) -> tuple[int, bool]:
        position = start
        while position < len(data):
            if self.state == "data":
                taken = min(self.remaining, len(data) - position)
                position += taken
                self.remaining -= taken
                if self.remaining == 0:
                    self.state = "data_end"
                continue
            end = data.find(b"\n", position)
            if end < 0:
                self.line += data[position:]
                self._check_line()
                return len(data) - start, False
            self.line += data[position : end + 1]
            position = end + 1
            line = bytes(self.line).strip()
            self.line.clear()
            if self._after_line(line):
                return position - start, True
        return position - start, False

    def _check_line(self) -> None:
        if len(self.line) > _MAX_CHUNK_LINE:
            raise _NotHttpError

    def _after_line(self, line: bytes) -> bool:
        if self.state == "size":
            size_text = line.split(b";", 1)[0].strip()
            try:
                self.remaining = int(size_text, 16)
            except ValueError:
                raise _NotHttpError from None
            self.state = "data" if self.remaining else "trailer"
            return False
        if self.state == "data_end":
            self.state = "size"
            return False
        return line == b""  # a trailer line, or the empty line that ends the message


class _Framer:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._body: _Body | None = None
        self._raw = False
        self._raw_after_message = False

    @property
    def raw(self) -> bool:
        return self._raw

    def feed(self, data: bytes) -> list[Piece]:
        """Cut ``data`` into pieces. Head bytes are held until the head is complete."""
        if self._raw:
            return [Piece(data)] if data else []
        pieces: list[Piece] = []
        try:
            self._feed(data, pieces)
        except _NotHttpError:
            self._raw = True
            rest = bytes(self._buffer)
            self._buffer.clear()
            pieces.append(Piece(rest))
        return [piece for piece in pieces if piece.data or piece.head or piece.ends]

    def finish(self) -> list[Piece]:
        """The stream has ended: an answer running until close ends here; held bytes are freed."""
        if self._raw:
            return []
        if isinstance(self._body, _UntilClose):
            self._body = None
            return [Piece(b"", ends=True)]
        rest = bytes(self._buffer)
        self._buffer.clear()
        return [Piece(rest)] if rest else []

    def _feed(self, data: bytes, pieces: list[Piece]) -> None:
        position = 0
        while position < len(data):
            if self._raw:
                pieces.append(Piece(data[position:]))
                return
            if self._body is not None:
                try:
                    taken, done = self._body.consume(data, position)
                except _NotHttpError:
                    self._raw = True
                    pieces.append(Piece(data[position:]))
                    return
                pieces.append(Piece(data[position : position + taken], ends=done))
                position += taken
                if done:
                    self._body = None
                    self._message_ended()
                continue
            self._buffer += data[position:]
            position = len(data)
            head_piece = self._take_head()
            if head_piece is None:
                return
            pieces.append(head_piece)
            data, position = bytes(self._buffer), 0
            self._buffer.clear()
            if head_piece.ends:
                self._message_ended()

    def _message_ended(self) -> None:
        if self._raw_after_message:
            self._raw = True

    def _take_head(self) -> Piece | None:
        buffer = bytes(self._buffer)
        line_end = buffer.find(b"\n")
        if line_end < 0:
            if not self._plausible_start(buffer) or len(buffer) > MAX_HEAD_BYTES:
                raise _NotHttpError
            return None
        start_line = buffer[:line_end]
        match = _HEAD_END.search(buffer)
        if match is None:
            if not self._plausible_line(start_line) or len(buffer) > MAX_HEAD_BYTES:
                raise _NotHttpError
            return None
        size = match.end()
        if size > MAX_HEAD_BYTES:
            raise _NotHttpError
        lines = buffer[:size].split(b"\n")
        headers = tuple(_header(line) for line in lines[1:] if b":" in line)
        head, body = self._parse_head(start_line, headers, size)
        del self._buffer[:size]
        self._body = body
        return Piece(buffer[:size], head=head, ends=body is None)

    def _plausible_start(self, buffer: bytes) -> bool:
        raise NotImplementedError

    def _plausible_line(self, line: bytes) -> bool:
        raise NotImplementedError

    def _parse_head(
        self, start_line: bytes, headers: tuple[tuple[str, str], ...], size: int
    ) -> tuple[MessageHead, _Body | None]:
        raise NotImplementedError


def _header(line: bytes) -> tuple[str, str]:
    name, _, value = line.partition(b":")
    return name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")


def _body_framing(
    headers: tuple[tuple[str, str], ...], size: int, *, until_close: bool
) -> tuple[_Body | None, int | None]:
    """The body framing from the headers and the message's total size when known."""
    values = dict(headers)
    coding = values.get("transfer-encoding")
    if coding is not None and coding.lower().split(",")[-1].strip() == "chunked":
        return _ChunkedBody(), None
    length_text = values.get("content-length")
    if length_text is not None:
        lengths = {part.strip() for part in length_text.split(",")}
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise _NotHttpError
        length = int(next(iter(lengths)))
        return (_LengthBody(length) if length else None), size + length
    if until_close:
        return _UntilClose(), None
    return None, size


class RequestFramer(_Framer):
    """Frames the client's requests."""

    def _plausible_start(self, buffer: bytes) -> bool:
        return _REQUEST_PREFIX.match(buffer) is not None

    def _plausible_line(self, line: bytes) -> bool:
        return _REQUEST_LINE.fullmatch(line) is not None

    def _parse_head(
        self, start_line: bytes, headers: tuple[tuple[str, str], ...], size: int
    ) -> tuple[MessageHead, _Body | None]:
        match = _REQUEST_LINE.fullmatch(start_line)
        if match is None:
            raise _NotHttpError
        body, total = _body_framing(headers, size, until_close=False)
        head = MessageHead(
            size=size,
            headers=headers,
            method=match.group(1).decode("ascii"),
            target=match.group(2).decode("latin-1"),
            total_bytes=total,
        )
        if head.method == "CONNECT":
            self._raw_after_message = True
        return head, body


class ResponseFramer(_Framer):
    """Frames the server's answers; told the method of each request so HEAD answers have no body."""

    def __init__(self) -> None:
        super().__init__()
        self._methods: deque[str] = deque()

    def expect_answer_to(self, method: str) -> None:
        """A request with ``method`` went up; its answer is the next final answer down."""
        self._methods.append(method)

    def _plausible_start(self, buffer: bytes) -> bool:
        probe = buffer[:7]
        return b"HTTP/1."[: len(probe)] == probe

    def _plausible_line(self, line: bytes) -> bool:
        return _STATUS_LINE.fullmatch(line) is not None

    def _parse_head(
        self, start_line: bytes, headers: tuple[tuple[str, str], ...], size: int
    ) -> tuple[MessageHead, _Body | None]:
        match = _STATUS_LINE.fullmatch(start_line)
        if match is None:
            raise _NotHttpError
        status = int(match.group(2))
        informational = 100 <= status < 200
        method = "GET"
        if not informational and self._methods:
            method = self._methods.popleft()
        body: _Body | None = None
        total: int | None = size
        if not (informational or status in (204, 304) or method == "HEAD"):
            body, total = _body_framing(headers, size, until_close=True)
        if status == 101:
            self._raw_after_message = True
        head = MessageHead(size=size, headers=headers, status=status, total_bytes=total)
        return head, body
