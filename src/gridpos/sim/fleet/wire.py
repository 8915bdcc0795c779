"""What the payments cost on the wire, from the link emulator's own records of every exchange.

- **bytes per payment**: request plus answer of one payment (``POST …/pay`` answered in full), as
  the link delivered them — headers and bodies, what crosses GPRS;
- **round trips per payment**: the link's round trips spent on payments — each pay, status query
  (``GET …/pay/{txn}``) and reversal answered in full, plus the TCP handshake of every connection
  a payment request opened — divided by the online payments journalled;
- **warm payments**: pay exchanges on a connection that was already open; their time, request
  to answer, and that time in round trips of the profile once the time the bytes take at its
  bandwidth is taken off (one round trip when nothing but the request and its answer crossed;
  not computed on a link faster than :data:`MIN_RTT_S`, where the server's own work dominates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gridpos.protocol.terminal.routes import PAY, REVERSE
from gridpos.sim.fleet.truth import percentile

_PAY_PATH = PAY.target()
_STATUS_PREFIX = _PAY_PATH + "/"
_REVERSE_PATH = REVERSE.target()
MIN_RTT_S = 0.05


@dataclass(frozen=True, slots=True)
class WireFigures:
    """The figures above, and the link's totals."""

    pay_exchanges: int
    bytes_per_payment: float | None
    pay_request_bytes: float | None
    pay_answer_bytes: float | None
    pay_bytes_max: int | None
    payment_round_trips: int
    round_trips_per_payment: float | None
    warm_payments: int
    round_trips_per_warm_payment: float | None
    warm_pay_p50_s: float | None
    bytes_total: int
    round_trips_total: int
    requests_total: int
    exchanges_kept: int
    cuts: dict[str, int]
    stalls: int

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _is_payment(record: Mapping[str, Any]) -> bool:
    method, target = str(record.get("method")), str(record.get("target"))
    if method == "POST":
        return target in (_PAY_PATH, _REVERSE_PATH)
    return method == "GET" and target.startswith(_STATUS_PREFIX)


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def wire_figures(
    stats: Mapping[str, Any],
    *,
    online_payments: int,
    one_way_s: float,
    bytes_per_s: float | None,
) -> WireFigures:
    """The figures from the link's ``/stats`` (with detail), the online payments journalled and
    the profile's latency and bandwidth."""
    exchanges: list[Mapping[str, Any]] = list(stats.get("exchanges", []))
    answered = [record for record in exchanges if record.get("answered")]
    pays = [r for r in answered if r.get("method") == "POST" and r.get("target") == _PAY_PATH]
    sizes = [int(r["request_bytes"]) + int(r["answer_bytes"]) for r in pays]
    first_on_connection: dict[int, Mapping[str, Any]] = {}
    for record in exchanges:
        connection = int(record.get("connection", 0))
        if int(record.get("on_connection", 0)) == 1:
            first_on_connection[connection] = record
    handshake = bool(stats.get("handshakes", 0))
    payment_trips = sum(1 for record in answered if _is_payment(record))
    if handshake:
        payment_trips += sum(1 for record in first_on_connection.values() if _is_payment(record))
    warm = [record for record in pays if int(record.get("on_connection", 0)) > 1]
    warm_times: list[float] = []
    warm_trips: list[float] = []
    for record in warm:
        if record.get("answered_s") is None:
            continue
        took = float(record["answered_s"]) - float(record["started_s"])
        warm_times.append(took)
        if one_way_s * 2 >= MIN_RTT_S:
            size = int(record["request_bytes"]) + int(record["answer_bytes"])
            on_line = size / bytes_per_s if bytes_per_s else 0.0
            warm_trips.append((took - on_line) / (2 * one_way_s))
    p50 = percentile(warm_times, 0.5)
    trips = percentile(warm_trips, 0.5)
    return WireFigures(
        pay_exchanges=len(pays),
        bytes_per_payment=_mean(sizes),
        pay_request_bytes=_mean([int(r["request_bytes"]) for r in pays]),
        pay_answer_bytes=_mean([int(r["answer_bytes"]) for r in pays]),
        pay_bytes_max=max(sizes) if sizes else None,
        payment_round_trips=payment_trips,
        round_trips_per_payment=round(payment_trips / online_payments, 3)
        if online_payments
        else None,
        warm_payments=len(warm),
        round_trips_per_warm_payment=round(trips, 2) if trips is not None else None,
        warm_pay_p50_s=round(p50, 3) if p50 is not None else None,
        bytes_total=int(stats.get("bytes_up", 0)) + int(stats.get("bytes_down", 0)),
        round_trips_total=int(stats.get("round_trips", 0)),
        requests_total=int(stats.get("requests", 0)),
        exchanges_kept=len(exchanges),
        cuts={str(k): int(v) for k, v in dict(stats.get("cuts", {})).items()},
        stalls=int(stats.get("stalls", 0)),
    )
