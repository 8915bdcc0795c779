"""Reading and validating the dated tariff configuration (plain mappings) into entries.

Refuses, with a ``TariffConfigError`` naming the entry and key: unknown or missing keys, unknown
categories, prices that are not positive integers of 1/10000 yuan, tiers out of order, dates
that are not the first day of a month, backwards ranges, overlaps and gaps between the entries of
one category.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError

# A sanity bound on a unit price: 10 yuan/kWh. Anything above is a typo (a price in fen, say).
MAX_PRICE_E4: Final[int] = 100_000

_FLAT_KEYS: Final = frozenset(
    {"category", "valid_from", "valid_to", "price_e4", "free_kwh_per_month"}
)
_TIERED_KEYS: Final = frozenset(
    {
        "category",
        "valid_from",
        "valid_to",
        "tiers",
        "accumulation",
        "free_kwh_per_month",
        "prorate_first_year",
    }
)
_TIER_KEYS: Final = frozenset({"monthly_up_to_kwh", "annual_up_to_kwh", "price_e4"})


class TariffConfigError(DomainError):
    """The tariff configuration is refused, or does not cover a billing month.

    Codes: ``tariff_config_invalid``, ``tariff_unknown_category``, ``tariff_bad_price``,
    ``tariff_backwards``, ``tariff_overlap``, ``tariff_gap``, ``tariff_not_in_force``.
    """

    code = "tariff_config_invalid"


class Accumulation(StrEnum):
    """How tier thresholds apply: to the calendar year's cumulative kWh, or to each month alone."""

    ANNUAL = "annual"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class TariffTier:
    """One band: kWh up to the thresholds (``None`` for the last, open band) at ``price_e4``."""

    monthly_up_to_kwh: int | None
    annual_up_to_kwh: int | None
    price_e4: int


@dataclass(frozen=True, slots=True)
class TariffEntry:
    """The pricing of one category over ``[valid_from, valid_to)``: flat or tiered."""

    category: CustomerCategory
    valid_from: date
    valid_to: date | None
    price_e4: int | None  # flat price; None when tiered
    tiers: tuple[TariffTier, ...]  # empty when flat
    accumulation: Accumulation
    free_kwh_per_month: int
    prorate_first_year: bool  # scale annual thresholds when annual tiers begin mid-year

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def _error(code: str, where: str, zh: str, en: str) -> TariffConfigError:
    return TariffConfigError(
        code=code,
        field=where,
        message_zh=f"电价配置 {where}：{zh}",
        message_en=f"Tariff {where}: {en}",
    )


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _error(
                "tariff_config_invalid", where, "日期应为 YYYY-MM-DD", "dates are YYYY-MM-DD"
            ) from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _error("tariff_config_invalid", where, "缺少有效日期", "a date is required")
    if value.day != 1:
        raise _error(
            "tariff_config_invalid",
            where,
            "电价按月计费，起止日期必须是某月1日",
            "bills are monthly, so the date must be the first of a month",
        )
    return value


def _parse_price(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PRICE_E4:
        raise _error(
            "tariff_bad_price",
            where,
            "电价应为正整数，单位为万分之一元/千瓦时（如 5653 表示 0.5653 元）",
            "a price is a positive integer of 1/10000 yuan per kWh (5653 means 0.5653)",
        )
    return value


def _parse_kwh(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(
            "tariff_config_invalid", where, "电量应为非负整数", "kWh must be a non-negative integer"
        )
    return value


def _check_keys(entry: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise _error(
            "tariff_config_invalid", where, f"未知配置项 {unknown}", f"unknown keys {unknown}"
        )


def _parse_tiers(value: Any, where: str) -> tuple[TariffTier, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < 2:
        raise _error(
            "tariff_config_invalid", where, "阶梯至少两档", "tiers need at least two bands"
        )
    tiers: list[TariffTier] = []
    for index, raw in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(raw, Mapping):
            raise _error("tariff_config_invalid", here, "每档应为映射", "each band is a mapping")
        _check_keys(raw, _TIER_KEYS, here)
        missing = sorted(_TIER_KEYS - set(raw))
        if missing:
            raise _error("tariff_config_invalid", here, f"缺少 {missing}", f"missing {missing}")
        tier = TariffTier(
            monthly_up_to_kwh=_parse_kwh(raw["monthly_up_to_kwh"], f"{here}.monthly_up_to_kwh"),
            annual_up_to_kwh=_parse_kwh(raw["annual_up_to_kwh"], f"{here}.annual_up_to_kwh"),
            price_e4=_parse_price(raw["price_e4"], f"{here}.price_e4"),
        )
        last = index == len(value) - 1
        bounds = (tier.monthly_up_to_kwh, tier.annual_up_to_kwh)
        if last != (bounds == (None, None)) or (not last and None in bounds):
            raise _error(
                "tariff_config_invalid",
                here,
                "只有最后一档不设上限，其余各档须同时给出月度和年度上限",
                "only the last band is open; the others need monthly and annual bounds",
            )
        if tiers:
            before = tiers[-1]
            if not last and (
                (tier.monthly_up_to_kwh or 0) <= (before.monthly_up_to_kwh or 0)
                or (tier.annual_up_to_kwh or 0) <= (before.annual_up_to_kwh or 0)
            ):
                raise _error(
                    "tariff_config_invalid", here, "各档上限须递增", "band bounds must increase"
                )
            if tier.price_e4 < before.price_e4:
                raise _error(
                    "tariff_bad_price",
                    here,
                    "高档电价不能低于低档",
                    "a higher band cannot be cheaper",
                )
        elif (tier.monthly_up_to_kwh or 0) == 0 or (tier.annual_up_to_kwh or 0) == 0:
            raise _error(
                "tariff_config_invalid",
                here,
                "第一档上限须大于零",
                "the first band must be non-empty",
            )
        tiers.append(tier)
    return tuple(tiers)


def _parse_entry(raw: Any, where: str) -> TariffEntry:
    if not isinstance(raw, Mapping):
        raise _error("tariff_config_invalid", where, "每项应为映射", "each entry is a mapping")
    tiered = "tiers" in raw
    _check_keys(raw, _TIERED_KEYS if tiered else _FLAT_KEYS, where)
    try:
        category = CustomerCategory(str(raw.get("category")))
    except ValueError:
        raise _error(
            "tariff_unknown_category",
            f"{where}.category",
            f"未知用电类别 {raw.get('category')!r}",
            f"unknown category {raw.get('category')!r}",
        ) from None
    valid_from = _parse_date(raw.get("valid_from"), f"{where}.valid_from")
    raw_to = raw.get("valid_to")
    valid_to = None if raw_to is None else _parse_date(raw_to, f"{where}.valid_to")
    if valid_to is not None and valid_to <= valid_from:
        raise _error(
            "tariff_backwards",
            f"{where}.valid_to",
            "截止日期须晚于起始日期",
            "valid_to must be after valid_from",
        )
    free = _parse_kwh(raw.get("free_kwh_per_month", 0), f"{where}.free_kwh_per_month") or 0
    if not tiered:
        return TariffEntry(
            category=category,
            valid_from=valid_from,
            valid_to=valid_to,
            price_e4=_parse_price(raw.get("price_e4"), f"{where}.price_e4"),
            tiers=(),
            accumulation=Accumulation.MONTHLY,
            free_kwh_per_month=free,
            prorate_first_year=False,
        )
    try:
        accumulation = Accumulation(raw.get("accumulation", Accumulation.ANNUAL))
    except ValueError:
        raise _error(
            "tariff_config_invalid",
            f"{where}.accumulation",
            "累计方式应为 annual 或 monthly",
            "accumulation is 'annual' or 'monthly'",
        ) from None
    prorate = raw.get("prorate_first_year", False)
    if not isinstance(prorate, bool):
        raise _error(
            "tariff_config_invalid",
            f"{where}.prorate_first_year",
            "应为布尔值",
            "must be a boolean",
        )
    return TariffEntry(
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        price_e4=None,
        tiers=_parse_tiers(raw["tiers"], f"{where}.tiers"),
        accumulation=accumulation,
        free_kwh_per_month=free,
        prorate_first_year=prorate,
    )


def parse_tariff_entries(
    entries: Sequence[Mapping[str, Any]],
) -> dict[CustomerCategory, tuple[TariffEntry, ...]]:
    """Validate every entry and their succession per category; entries sorted by ``valid_from``.

    Raises ``TariffConfigError`` as the module docstring lists.
    """
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence) or not entries:
        raise _error("tariff_config_invalid", "entries", "电价配置为空", "the tariff is empty")
    parsed = [_parse_entry(raw, f"entries[{index}]") for index, raw in enumerate(entries)]
    by_category: dict[CustomerCategory, list[TariffEntry]] = {}
    for entry in parsed:
        by_category.setdefault(entry.category, []).append(entry)
    for category, spans in by_category.items():
        spans.sort(key=lambda entry: entry.valid_from)
        for before, after in itertools.pairwise(spans):
            where = f"{category.value}@{after.valid_from.isoformat()}"
            if before.valid_to is None or after.valid_from < before.valid_to:
                raise _error(
                    "tariff_overlap",
                    where,
                    f"{category.label_zh}电价有效期重叠",
                    f"{category.label_en} tariff entries overlap",
                )
            if after.valid_from > before.valid_to:
                raise _error(
                    "tariff_gap",
                    where,
                    f"{category.label_zh}电价在 {before.valid_to} 至 {after.valid_from} 之间缺失",
                    f"{category.label_en} has no tariff"
                    f" from {before.valid_to} to {after.valid_from}",
                )
    return {category: tuple(spans) for category, spans in by_category.items()}
