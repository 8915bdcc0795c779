"""The small county of the MIS tests, billed through the MIS's HTTP interface.

The four customers and their bills are the reference MIS's worked examples (``tests.refmis``):
every principal below was worked out by hand there from the readings and the Anhui tariff.
"""

from __future__ import annotations

from typing import Any

import httpx

from gridpos.protocol.mis import API_KEY_HEADER
from refmis.support import PERIODS, WORKED, add_customer

from .harness import API_KEY, RunningMis

__all__ = [
    "PERIODS",
    "WORKED",
    "add_customers",
    "add_worked_customers",
    "bill",
    "mis_http",
    "post_elsewhere",
]


def mis_http(mis: RunningMis) -> httpx.Client:
    return httpx.Client(base_url=mis.url, headers={API_KEY_HEADER: API_KEY}, timeout=10)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def add_worked_customers(mis: RunningMis) -> None:
    for account_no, (category, station, _, _) in WORKED.items():
        add_customer(mis.engine, account_no, category=category, station_code=station)


def bill(mis: RunningMis, period: str, *, worked_readings: bool = True) -> dict[str, Any]:
    """Read the worked customers' meters for ``period`` (others are estimated) and bill it."""
    with mis_http(mis) as http:
        if worked_readings:
            index = PERIODS.index(period)
            for account_no, (_, _, readings, _) in WORKED.items():
                _ok(
                    http.post(
                        "/v1/meter-readings",
                        json={
                            "account_no": account_no,
                            "period": period,
                            "reading": readings[index],
                            "read_on": f"{period[:4]}-{period[4:]}-28",
                        },
                    )
                )
        result: dict[str, Any] = _ok(http.post("/v1/billing-runs", json={"period": period}))
        return result


def add_customers(mis: RunningMis, count: int, *, station_code: str = "34082801") -> list[str]:
    """``count`` residential customers of one station (bills estimated from 100 kWh a month)."""
    numbers = [f"01{station_code[-2:]}9{n:05d}" for n in range(1, count + 1)]
    for account_no in numbers:
        add_customer(mis.engine, account_no, category="residential", station_code=station_code)
    return numbers


def post_elsewhere(
    mis: RunningMis,
    *,
    payment_id: str,
    account_no: str,
    period: str,
    principal: int,
    business_date: str = "2026-04-10",
) -> None:
    """A payment taken by another channel (a bank), posted straight into the MIS."""
    with mis_http(mis) as http:
        _ok(
            http.post(
                "/v1/postings",
                json={
                    "payment_id": payment_id,
                    "account_no": account_no,
                    "amount_fen": principal,
                    "cash_date": business_date,
                    "business_date": business_date,
                    "channel": "BANK",
                    "collection_point_id": "BANK-01",
                    "terminal_id": "BANK",
                    "operator_id": "teller",
                    "lines": [
                        {"period": period, "run_no": 1, "penalty": 0, "principal": principal}
                    ],
                },
            )
        )
