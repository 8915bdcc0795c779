"""The console benchmark's people at work: signed in over HTTP, asking for pages one after
another, each answer timed from the request's first byte to the answer's last.

Each person is an ``httpx`` client with its own cookies (sign-in form token, session) and a
keep-alive connection, as a browser would hold. A page's requests are warmed up once each (not
counted; a request that follows ``rel="next"`` links finds its URL then), then asked in turn until
the page has its count of timed answers or its time is up.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from gridpos.application.console.access import Role
from gridpos.interfaces.console.app import MOUNT_PATH
from gridpos.interfaces.console.web import SESSION_COOKIE, SIGN_IN_COOKIE
from gridpos.sim.bench.console_data import Login
from gridpos.sim.bench.console_pages import PageRequest, PageSpec
from gridpos.sim.bench.figures import percentile, rounded

REQUEST_TIMEOUT_S: Final = 60.0
_NEXT_LINK: Final = re.compile(r'<a href="([^"]+)" rel="next">')


class SignInFailedError(RuntimeError):
    """The console did not sign a benchmark person in."""


class ConsoleUser:
    """One person's browser-like client of the console."""

    def __init__(self, base_url: str, login: Login) -> None:
        self.login = login
        self.client = httpx.Client(
            base_url=base_url, timeout=REQUEST_TIMEOUT_S, follow_redirects=True
        )

    def sign_in(self) -> None:
        """Sign in through the form. Raises :class:`SignInFailedError` when refused."""
        self.client.get(f"{MOUNT_PATH}/sign-in").raise_for_status()
        token = self.client.cookies.get(SIGN_IN_COOKIE)
        answer = self.client.post(
            f"{MOUNT_PATH}/sign-in",
            data={
                "csrf_token": token or "",
                "next": "/",
                "org_code": self.login.org_code,
                "account": self.login.account,
                "password": self.login.password,
            },
        )
        if answer.status_code != 200 or not self.client.cookies.get(SESSION_COOKIE):
            raise SignInFailedError(
                f"{self.login.role} {self.login.account}@{self.login.org_code}:"
                f" HTTP {answer.status_code}"
            )

    def get(self, url: str) -> tuple[float, int, str]:
        """GET ``url``: seconds from the first byte sent to the last read, status, body."""
        started = time.perf_counter()
        answer = self.client.get(url)
        body = answer.text
        return time.perf_counter() - started, answer.status_code, body

    def close(self) -> None:
        self.client.close()


def next_link(body: str) -> str | None:
    """The ``rel="next"`` link of a page, if it has one."""
    found = _NEXT_LINK.search(body)
    return html.unescape(found.group(1)) if found else None


@dataclass(slots=True)
class _Timed:
    label: str
    url: str
    role: Role
    seconds: list[float] = field(default_factory=list)
    errors: int = 0


def _resolve(user: ConsoleUser, request: PageRequest) -> tuple[str | None, str]:
    """The URL to time (after following links), or None and why not; warms the page up."""
    url = request.url
    _, status, body = user.get(url)
    for _ in range(request.follow):
        link = next_link(body)
        if link is None:
            return None, "no next page to follow"
        url = link
        _, status, body = user.get(url)
    if status != 200:
        return None, f"HTTP {status}"
    return url, ""


def timing_figures(seconds: Sequence[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "requests": 0}
    return {
        "p50_ms": rounded(percentile(ordered, 50) * 1000),
        "p95_ms": rounded(percentile(ordered, 95) * 1000),
        "max_ms": rounded(ordered[-1] * 1000),
        "requests": len(ordered),
    }


def measure_page(
    spec: PageSpec,
    users: Mapping[Role, ConsoleUser],
    *,
    requests: int,
    time_limit_s: float,
) -> dict[str, Any]:
    """Warm the page's requests up, then time ``requests`` answers (each request at least
    once; at most ``time_limit_s`` seconds of them), the requests in turn; the page's figures
    and each request's."""
    timed: list[_Timed] = []
    skipped: list[dict[str, str]] = []
    for request in spec.requests:
        url, why = _resolve(users[request.role], request)
        if url is None:
            skipped.append({"request": request.label, "url": request.url, "reason": why})
        else:
            timed.append(_Timed(request.label, url, request.role))
    every: list[float] = []
    errors = 0
    deadline = time.monotonic() + time_limit_s
    count = 0
    wanted = max(requests, len(timed))
    while timed and count < wanted and time.monotonic() < deadline:
        entry = timed[count % len(timed)]
        seconds, status, _ = users[entry.role].get(entry.url)
        count += 1
        entry.seconds.append(seconds)
        every.append(seconds)
        if status != 200:
            entry.errors += 1
            errors += 1
    result: dict[str, Any] = {"page": spec.page, **timing_figures(every), "errors": errors}
    result["variants"] = [
        {
            "request": entry.label,
            "url": entry.url,
            **timing_figures(entry.seconds),
            "errors": entry.errors,
        }
        for entry in timed
    ]
    if skipped:
        result["skipped"] = skipped
    return result


def measure_pages(
    specs: Sequence[PageSpec],
    users: Mapping[Role, ConsoleUser],
    *,
    requests: int,
    time_limit_s: float,
    progress: Callable[[str], None],
) -> list[dict[str, Any]]:
    """:func:`measure_page` for every page, in order."""
    pages: list[dict[str, Any]] = []
    for spec in specs:
        figures = measure_page(spec, users, requests=requests, time_limit_s=time_limit_s)
        progress(
            f"{spec.page}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
            f" ({figures['requests']} requests, {figures['errors']} errors)"
        )
        pages.append(figures)
    return pages
