"""Helpers of the reference MIS tests: the worked-example county, a settable clock, customers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from gridpos.refmis.changes import reserve_change_seqs
from gridpos.refmis.engine import write_transaction
from gridpos.refmis.tables import customers

API_KEY = "test-refmis-key"

# account: (category, station, readings for 202601..202603, principals worked out by hand)
# 居民 A: 150 kWh at 0.5653 = 84.795 → 8480; 1950 kWh (cumulative 2100 ≤ 2160) → 1102.335 → 110234;
#   300 kWh from 2100: 60 at 0.5653 (3391.8 → 3392) + 240 at 0.6153 (14767.2 → 14767) = 18159.
# 低保 B: 8 kWh all free → 0 (settled at billing); 50 kWh − 10 free = 40 × 0.5653 → 2261;
#   100 kWh − 10 free = 90 × 0.5653 = 50.877 → 5088.
# 非居民 C: 1000 × 0.7760 = 77600; 500 → 38800; 1000 → 77600.
# 合表 D: 333 × 0.5853 = 194.9049 → 19490; 100 → 5853; 100 → 5853.
WORKED: dict[str, tuple[str, str, tuple[int, int, int], tuple[int, int, int]]] = {
    "0100100001": ("residential", "34082801", (150, 2100, 2400), (8480, 110234, 18159)),
    "0100100002": ("subsidised", "34082801", (8, 58, 158), (0, 2261, 5088)),
    "0200100001": ("non_residential", "34082802", (1000, 1500, 2500), (77600, 38800, 77600)),
    "0200100002": ("shared_meter", "34082802", (333, 433, 533), (19490, 5853, 5853)),
}
PERIODS = ("202601", "202602", "202603")
DUE = date(2026, 4, 25)  # billed on 2026-04-10: max(25th of the next month, billing + 15 days)


class Clock:
    """A clock the test moves by hand (10:00 Beijing time on the chosen day)."""

    def __init__(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def set_day(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def add_customer(
    engine: Engine,
    account_no: str,
    *,
    category: str,
    station_code: str = "34082801",
    name: str = "储建国",
    prepaid: int = 0,
    rounding_credit: int = 0,
    base_kwh: int = 100,
) -> None:
    with write_transaction(engine) as connection:
        seq = reserve_change_seqs(connection, 1)
        connection.execute(
            insert(customers).values(
                account_no=account_no,
                name=name,
                address="安徽省岳西县天堂镇城西村3组",
                category=category,
                station_code=station_code,
                segment_code=f"{station_code}001",
                meter_no=f"34{account_no}",
                base_kwh=base_kwh,
                prepaid=prepaid,
                rounding_credit=rounding_credit,
                status="active",
                opened_on=date(2010, 5, 1),
                change_seq=seq,
            )
        )


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()
