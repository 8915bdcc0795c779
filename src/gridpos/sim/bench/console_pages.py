"""Which requests the console benchmark makes: every page the console registers, asked by each
of the three people who sign in (the county's admin, a station head, an agent) whose role may
see it, with the filters people use.

The pages come from the console's registry (:func:`~gridpos.interfaces.console.app.
default_modules`), so a page added later is measured without a change here: a page this module
has no filters for is asked for bare. Known pages get realistic searches: today's and a month's
payments by organisation, agent, terminal, state and customer, the next pages of a list (found
by following its ``rel="next"`` link), customers by the start of a number, name or address and by
a part of an address within a station, the MIS's daily report of a busy day, daily and monthly
reports by station, agent and terminal, the audit log by action, actor and subject, and so on.
The places a list leads to (a payment, a customer, an agent's statement, a batch) are measured
as pages of their own, named ``<page>/<part>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final
from urllib.parse import urlencode

from gridpos.application.console.access import ROLE_PERMISSIONS, Role
from gridpos.interfaces.console.app import MOUNT_PATH, default_modules
from gridpos.interfaces.console.registry import Page
from gridpos.sim.bench.console_data import DatasetFacts, Login

ROLES: Final = (Role.ADMIN, Role.STATION_HEAD, Role.AGENT)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One request of a page: who asks, and the URL (under the server's root); ``follow``
    ``rel="next"`` links to follow from it first (to measure a later page of a list)."""

    label: str
    role: Role
    url: str
    follow: int = 0


@dataclass(frozen=True, slots=True)
class PageSpec:
    """A page and the requests that measure it."""

    page: str
    requests: tuple[PageRequest, ...]


def registered_pages() -> list[Page]:
    """Every menu page the console registers, in registration order."""
    return [page for module in default_modules() for page in module.pages]


def login_of(facts: DatasetFacts, role: Role) -> Login:
    """Who signs in for ``role``."""
    return {
        Role.ADMIN: facts.admin,
        Role.STATION_HEAD: facts.station_head,
        Role.AGENT: facts.agent,
    }[role]


def _url(path: str, **query: object) -> str:
    given = {key: value for key, value in query.items() if value not in (None, "")}
    return f"{MOUNT_PATH}{path}" + (f"?{urlencode(given)}" if given else "")


def _known(facts: DatasetFacts, *, own: bool) -> dict[str, list[tuple[str, str, int]]]:
    """Per page key: (label, URL, links to follow) for the people who may see it; ``own``: the
    agent's, with their own agent, customer and payment."""
    today = facts.today
    agent_id = facts.own_agent_id if own else facts.agent_id
    payment_id = facts.own_payment_id if own else facts.payment_id
    account_no = facts.own_account_no if own else facts.account_no
    week = (today - timedelta(days=6)).isoformat()
    month = (today - timedelta(days=30)).isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return {
        "monitoring": [
            ("default", _url("/monitoring"), 0),
            ("most collected first", _url("/monitoring", sort="amount"), 0),
            ("offline", _url("/monitoring", status="offline"), 0),
            ("longest silent first, page 2", _url("/monitoring", sort="quiet", page=2), 0),
        ],
        "monitoring/charts": [
            (f"{chart}", _url(f"/monitoring/charts/{chart}.json"), 0)
            for chart in ("hourly", "daily", "stations")
        ],
        "organisations": [
            ("default", _url("/organisations"), 0),
            ("collection points", _url("/organisations", level="collection_point"), 0),
            ("by name", _url("/organisations", q=facts.township_name), 0),
        ],
        "operators": [
            ("default", _url("/operators"), 0),
            ("agents", _url("/operators", role="agent"), 0),
            ("by account", _url("/operators", q=facts.agent_code[:6]), 0),
        ],
        "agents": [
            ("default", _url("/agents"), 0),
            ("float low", _url("/agents", low="1"), 0),
            ("by float", _url("/agents", sort="float", dir="desc"), 0),
            ("by code", _url("/agents", q=facts.agent_code[:7]), 0),
            ("page 2", _url("/agents"), 1),
        ],
        "agents/detail": [("float, terminals, top-ups", _url(f"/agents/{agent_id}"), 0)],
        "agents/commission": [
            ("this month", _url("/agents/commission"), 0),
            ("last month", _url("/agents/commission", period=last_month.replace("-", "")), 0),
        ],
        "agents/statement": [
            ("this month", _url(f"/agents/{agent_id}/statement"), 0),
            (
                "a year",
                _url(
                    f"/agents/{agent_id}/statement",
                    date_from=(today - timedelta(days=364)).isoformat(),
                    date_to=today.isoformat(),
                ),
                0,
            ),
        ],
        "agents/collections": [
            ("a week", _url(f"/agents/{agent_id}/collections"), 0),
            (
                "a month, page 3",
                _url(f"/agents/{agent_id}/collections", date_from=month, date_to=today.isoformat()),
                2,
            ),
        ],
        "terminals": [
            ("default", _url("/terminals"), 0),
            ("silent", _url("/terminals", silent="1"), 0),
            ("by number", _url("/terminals", q=facts.terminal_no[:4]), 0),
            ("page 2", _url("/terminals"), 1),
        ],
        "customers": [
            (
                "number prefix",
                _url("/customers", field="account_no", mode="prefix", q=facts.account_no[:6]),
                0,
            ),
            (
                "number exact",
                _url("/customers", field="account_no", mode="exact", q=facts.account_no),
                0,
            ),
            ("name prefix", _url("/customers", field="name", mode="prefix", q=facts.surname), 0),
            (
                "name prefix, page 3",
                _url("/customers", field="name", mode="prefix", q=facts.surname),
                2,
            ),
            (
                "name, two characters",
                _url("/customers", field="name", mode="prefix", q=facts.name_start),
                0,
            ),
            (
                "address prefix",
                _url("/customers", field="address", mode="prefix", q=facts.township),
                0,
            ),
            (
                "address part in a station",
                _url(
                    "/customers",
                    field="address",
                    mode="contains",
                    q=facts.village,
                    station=facts.station_code,
                ),
                0,
            ),
        ],
        "customers/detail": [("arrears and payments", _url(f"/customers/{facts.customer_id}"), 0)],
        "payments": [
            ("today", _url("/payments"), 0),
            ("today, page 5", _url("/payments"), 4),
            ("a week", _url("/payments", date_from=week, date_to=today.isoformat()), 0),
            (
                "a month, oldest first",
                _url("/payments", date_from=month, date_to=today.isoformat(), order="asc"),
                0,
            ),
            (
                "a month, voided",
                _url("/payments", date_from=month, date_to=today.isoformat(), state="voided"),
                0,
            ),
            (
                "a month, station",
                _url(
                    "/payments", date_from=month, date_to=today.isoformat(), org=facts.station_code
                ),
                0,
            ),
            (
                "a month, agent",
                _url(
                    "/payments", date_from=month, date_to=today.isoformat(), agent=facts.agent_code
                ),
                0,
            ),
            (
                "a month, terminal",
                _url(
                    "/payments",
                    date_from=month,
                    date_to=today.isoformat(),
                    terminal=facts.terminal_no,
                ),
                0,
            ),
            (
                "a year, customer",
                _url(
                    "/payments",
                    date_from=(today - timedelta(days=365)).isoformat(),
                    date_to=today.isoformat(),
                    account_no=account_no,
                ),
                0,
            ),
        ],
        "payments/detail": [("allocation and ledger", _url(f"/payments/{payment_id}"), 0)],
        "batches": [
            ("default", _url("/batches"), 0),
            ("a month", _url("/batches", date_from=month, date_to=today.isoformat()), 0),
            (
                "a month, unbalanced",
                _url("/batches", date_from=month, date_to=today.isoformat(), state="unbalanced"),
                0,
            ),
            (
                "a month, terminal",
                _url(
                    "/batches",
                    date_from=month,
                    date_to=today.isoformat(),
                    terminal=facts.terminal_no,
                ),
                0,
            ),
            ("a month, page 3", _url("/batches", date_from=month, date_to=today.isoformat()), 2),
        ],
        "batches/detail": [("differences", _url(f"/batches/{facts.batch_id}"), 0)],
        "mis_postings": [
            ("yesterday", _url("/mis-postings", date=yesterday), 0),
            ("today", _url("/mis-postings"), 0),
            (
                "yesterday, station",
                _url("/mis-postings", date=yesterday, station=facts.station_code),
                0,
            ),
            ("yesterday, page 5", _url("/mis-postings", date=yesterday, page=5), 0),
        ],
        "reports": [
            ("today by station", _url("/reports"), 0),
            ("yesterday by agent", _url("/reports", kind="daily", day=yesterday, group="agent"), 0),
            (
                "yesterday by terminal",
                _url("/reports", kind="daily", day=yesterday, group="terminal"),
                0,
            ),
            (
                "this month by station",
                _url("/reports", kind="monthly", month=today.strftime("%Y-%m"), group="station"),
                0,
            ),
            (
                "last month by terminal",
                _url("/reports", kind="monthly", month=last_month, group="terminal"),
                0,
            ),
        ],
        "audit": [
            ("default", _url("/audit"), 0),
            ("payments", _url("/audit", action="payment.collect"), 0),
            (
                "an agent's, two days",
                _url(
                    "/audit",
                    actor=f"operator:{facts.agent_code}",
                    **{"from": yesterday, "to": today.isoformat()},
                ),
                0,
            ),
            ("a terminal's batches", _url("/audit", subject=f"batch:{facts.terminal_no}"), 0),
            (
                "a month, oldest first",
                _url("/audit", **{"from": month, "to": today.isoformat()}, order="asc"),
                0,
            ),
            ("page 3", _url("/audit"), 2),
        ],
        "parameters": [("overview", _url("/parameters"), 0)],
    }


# what an agent asks of the pages they may see: their own things only
_AGENT_LABELS: Final = {
    "agents": ("default",),
    "terminals": ("default",),
    "payments": ("today", "a week", "a month, oldest first", "a year, customer"),
    "mis_postings": ("yesterday", "today"),
    "agents/detail": ("float, terminals, top-ups",),
    "agents/commission": ("this month",),
    "agents/statement": ("this month", "a year"),
    "agents/collections": ("a week", "a month, page 3"),
    "payments/detail": ("allocation and ledger",),
}
# the places a list leads to, and the page whose permission they need
_PARTS: Final = {
    "monitoring/charts": "monitoring",
    "agents/detail": "agents",
    "agents/commission": "agents",
    "agents/statement": "agents",
    "agents/collections": "agents",
    "customers/detail": "customers",
    "payments/detail": "payments",
    "batches/detail": "batches",
}


def page_specs(facts: DatasetFacts, pages: Sequence[Page] | None = None) -> list[PageSpec]:
    """The requests of every registered page (and the places lists lead to), in menu
    registration order."""
    pages = registered_pages() if pages is None else list(pages)
    known = {role: _known(facts, own=role is Role.AGENT) for role in ROLES}
    keys: list[tuple[str, Page]] = []
    for page in pages:
        keys.append((page.key, page))
        keys.extend((part, page) for part, parent in _PARTS.items() if parent == page.key)
    specs: list[PageSpec] = []
    for key, page in keys:
        bare = [("default", f"{MOUNT_PATH}{page.path}", 0)]
        requests: list[PageRequest] = []
        for role in ROLES:
            if page.permission not in ROLE_PERMISSIONS[role]:
                continue
            for label, url, follow in known[role].get(key, bare):
                if (
                    role is Role.AGENT
                    and key in known[role]
                    and label not in _AGENT_LABELS.get(key, ())
                ):
                    continue
                requests.append(PageRequest(f"{role.value}: {label}", role, url, follow))
        if requests:
            specs.append(PageSpec(key, tuple(requests)))
    return specs
