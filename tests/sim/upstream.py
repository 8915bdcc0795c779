"""A tiny HTTP/1.1 keep-alive server in a thread, standing in for the payment server.

It records what it received and whether it finished answering, so a test can see a cut from the
server's side. ``GET /size/N`` answers N bytes; ``POST`` echoes the body; anything else answers
``ok <path>``.
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    body: bytes
    connection: int
    answered: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.connections = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    server: _Server
    timeout = 10

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.connection_no = self.server.connections

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self, body: bytes) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length) if length else b""
        seen = Seen(self.command, self.path, received, self.connection_no)
        with self.server.lock:
            self.server.seen.append(seen)
        if self.command == "POST":
            body = received
        elif self.path.startswith("/size/"):
            body = b"x" * int(self.path.removeprefix("/size/"))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        seen.answered = True

    def do_GET(self) -> None:
        self._answer(f"ok {self.path}".encode())

    def do_POST(self) -> None:
        self._answer(b"")


class Upstream:
    """Start with ``Upstream()``; ``address``, ``seen``, ``paths()``; ``close()`` when done."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def seen(self) -> list[Seen]:
        with self._server.lock:
            return list(self._server.seen)

    @property
    def connections(self) -> int:
        with self._server.lock:
            return self._server.connections

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def wait_for(self, path: str, *, answered: bool, timeout: float = 3.0) -> Seen:
        """The request for ``path`` once seen (and answered, if asked); fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for seen in self.seen:
                if seen.path == path and (seen.answered or not answered):
                    return seen
            time.sleep(0.01)
        raise AssertionError(f"upstream never saw {path} (answered={answered}): {self.seen}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class EchoServer(socketserver.ThreadingTCPServer):
    """Echoes raw bytes back (not HTTP): the link must pass them through untouched."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(10)
        while True:
            try:
                data = self.request.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.request.sendall(data)


def client(address: tuple[str, int], *, timeout: float = 3.0) -> http.client.HTTPConnection:
    """A keep-alive HTTP client through ``address``."""
    return http.client.HTTPConnection(address[0], address[1], timeout=timeout)


def get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, (response.status, body)
    return body


def raw_request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: link\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("ascii") + b"\r\n" + body


def refused(address: tuple[str, int]) -> bool:
    """Whether a new connection with a request on it is reset, whenever the reset is noticed
    (at connect, at send or at receive: on loopback the reset can beat any of them)."""
    try:
        sock = socket.create_connection(address, timeout=3)
        sock.sendall(raw_request("GET", "/refused"))
        received, how = read_until_closed(sock, timeout=1)
    except (ConnectionResetError, BrokenPipeError):
        return True
    return (received, how) == (b"", "reset")


def read_until_closed(sock: socket.socket, *, timeout: float) -> tuple[bytes, str]:
    """Everything the socket yields, and how it ended: ``eof``, ``reset`` or ``timeout``."""
    sock.settimeout(timeout)
    received = bytearray()
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return bytes(received), "reset"
        except TimeoutError:
            return bytes(received), "timeout"
        if not data:
            return bytes(received), "eof"
        received += data
