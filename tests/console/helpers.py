"""Signing in as a seeded operator, and fresh form tokens, for the server-side tests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from gridpos.application.console import ConsoleServices, CurrentSession, sign_in

from .seed import PASSWORD

_tokens = itertools.count(1)
T = TypeVar("T")


def token() -> str:
    """A fresh one-time form token (or session token)."""
    return f"test-token-{next(_tokens):08d}-abcdef"


def signed_in(services: ConsoleServices, who: str) -> CurrentSession:
    """Sign in as ``account@org_code`` with the seeded password."""
    account, org_code = who.split("@")
    return sign_in(
        services,
        org_code=org_code,
        account=account,
        password=PASSWORD,
        session_token=token(),
        csrf_token=token(),
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a fresh event loop in its own thread (the browser tests'
    Playwright keeps an event loop running on the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=60)
