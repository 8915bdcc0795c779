"""What one payment costs on the wire through the link emulator: one round trip on a warm
connection, request plus answer within the issue's 1,500 bytes (headers included)."""

from __future__ import annotations

from pathlib import Path

from .world import ARREARS_ACCOUNT, ServedCounty, enrolled_terminal

BUDGET_BYTES = 1500


def test_a_payment_is_one_round_trip_within_the_byte_budget(
    county: ServedCounty, tmp_path: Path
) -> None:
    terminal = enrolled_terminal(county, tmp_path)
    view = terminal.query_account(ARREARS_ACCOUNT)  # warms the connection
    county.link.reset_stats()
    outcome = terminal.pay(view, view.total_due)
    assert outcome.confirmed
    stats = county.link.stats()
    (exchange,) = stats.exchanges
    assert (exchange.method, exchange.target) == ("POST", "/t/v1/pay")
    assert stats.round_trips == 1
    assert stats.connections_accepted == 0  # the kept-alive connection carried it
    total = exchange.request_bytes + exchange.answer_bytes
    print(f"pay on the wire: {exchange.request_bytes} up + {exchange.answer_bytes} down = {total}")
    assert total <= BUDGET_BYTES
    terminal.close()
