"""Reading the forms of the parameters page: each wrong field named at once, in both languages.

Amounts are typed in yuan (read by ``domain.money.parse_yuan`` into fen), prices in yuan per kWh
with up to four decimals (kept as 1/10000 yuan), rates in per mille (‰) as decimal text — never a
float anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from gridpos.application.commission import MAX_FIXED_FEN, MAX_RATE_PPM
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.errors import field_error
from gridpos.domain.categories import CustomerCategory
from gridpos.domain.money import MoneyError, parse_yuan
from gridpos.protocol.fields import MAX_AMOUNT_FEN

# (parameter key, form field)
LIMIT_FIELDS: Final = (
    ("collection.per_payment_limit", "per_payment_limit"),
    ("collection.per_day_limit", "per_day_limit"),
    ("collection.offline_per_payment_limit", "offline_per_payment_limit"),
    ("collection.offline_per_day_limit", "offline_per_day_limit"),
    ("collection.offline_allowance_max", "offline_allowance_max"),
)
_LIMIT_LABELS: Final = {
    "per_payment_limit": ("单笔限额", "per-payment limit"),
    "per_day_limit": ("单日限额", "per-day limit"),
    "offline_per_payment_limit": ("脱机单笔限额", "offline per-payment limit"),
    "offline_per_day_limit": ("脱机单日限额", "offline per-day limit"),
    "offline_allowance_max": ("脱机额度上限", "largest offline allowance"),
}
_LIMIT_CEILINGS: Final = {
    "per_payment_limit": MAX_AMOUNT_FEN,  # what one payment can carry on the wire
    "offline_per_payment_limit": MAX_AMOUNT_FEN,
    "per_day_limit": 1_000_000_000,  # 10,000,000.00 yuan
    "offline_per_day_limit": 1_000_000_000,
    "offline_allowance_max": 1_000_000_000,
}
# (smaller, larger): the first may not exceed the second
_LIMIT_ORDER: Final = (
    ("per_payment_limit", "per_day_limit"),
    ("offline_per_payment_limit", "offline_per_day_limit"),
    ("offline_per_payment_limit", "per_payment_limit"),
    ("offline_per_day_limit", "per_day_limit"),
)
_PRICE: Final = re.compile(r"[0-9]{1,2}(\.[0-9]{1,4})?", re.ASCII)
_KWH: Final = re.compile(r"[0-9]{1,7}", re.ASCII)
_PER_MILLE: Final = re.compile(r"[0-9]{1,4}(\.[0-9]{1,4})?", re.ASCII)
_COMMISSION_RATE: Final = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})?", re.ASCII)
MAX_MINIMUM_FEN: Final = 10_000
TIER_COUNT: Final = 3


@dataclass(frozen=True, slots=True)
class LimitsForm:
    """The limits form as typed (amounts in yuan)."""

    valid_from: str = ""
    per_payment_limit: str = ""
    per_day_limit: str = ""
    offline_per_payment_limit: str = ""
    offline_per_day_limit: str = ""
    offline_allowance_max: str = ""


@dataclass(frozen=True, slots=True)
class CommissionForm:
    """The commission form as typed: yuan per payment and ‰ of the cash."""

    valid_from: str = ""
    fixed_yuan: str = ""
    rate_per_mille: str = ""


@dataclass(frozen=True, slots=True)
class TariffForm:
    """A new tariff entry as typed: flat (``price``) or three tiers."""

    category: str = ""
    valid_from: str = ""
    kind: str = "flat"
    price: str = ""
    tier1_monthly: str = ""
    tier1_annual: str = ""
    tier1_price: str = ""
    tier2_monthly: str = ""
    tier2_annual: str = ""
    tier2_price: str = ""
    tier3_price: str = ""
    accumulation: str = "annual"
    free_kwh: str = "0"


@dataclass(frozen=True, slots=True)
class PenaltyForm:
    """A new penalty rule as typed: daily rates in ‰, the minimum in yuan."""

    valid_from: str = ""
    residential: str = ""
    current_year: str = ""
    cross_year: str = ""
    minimum_yuan: str = ""
    minimum_scope: str = "receivable"


def read_valid_from(
    check: FieldChecks, text: str, *, today: date, first_of_month: bool = False
) -> date:
    """The first day of a new value: a date after ``today`` (the first of a month when asked).
    Notes ``date_invalid``, ``valid_from_not_future`` or ``valid_from_not_first_of_month`` (and
    answers ``today``, never used: :meth:`FieldChecks.done` refuses the form)."""
    raw = check.required(text, field="valid_from", label_zh="生效日期", label_en="start date")
    if not raw:
        return today
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        check.add(
            field_error(
                "date_invalid",
                field="valid_from",
                message_zh="生效日期应为 YYYY-MM-DD 格式的日期",
                message_en="the start date must be a date as YYYY-MM-DD",
            )
        )
        return today
    if day <= today:
        check.add(
            field_error(
                "valid_from_not_future",
                field="valid_from",
                message_zh="生效日期须晚于今天：已生效的参数不能修改",
                message_en="the start date must be after today: what is in force is never changed",
            )
        )
    elif first_of_month and day.day != 1:
        check.add(
            field_error(
                "valid_from_not_first_of_month",
                field="valid_from",
                message_zh="电价按月计费，生效日期须为某月1日",
                message_en="bills are monthly: the start date must be the first of a month",
            )
        )
    return day


def _yuan(
    check: FieldChecks, text: str, *, field: str, label: tuple[str, str], ceiling: int, zero: bool
) -> int:
    """The amount in fen (0 when refused: the refusal is noted)."""
    raw = check.required(text, field=field, label_zh=label[0], label_en=label[1])
    if not raw:
        return 0
    try:
        return parse_yuan(raw, field=field, ceiling_fen=ceiling, allow_zero=zero)
    except MoneyError as refused:
        check.add(
            field_error(
                refused.code,
                field=field,
                message_zh=f"{label[0]}：{refused.message_zh}",
                message_en=f"{label[1]}: {refused.message_en}",
            )
        )
        return 0


def _pattern(
    check: FieldChecks,
    text: str,
    pattern: re.Pattern[str],
    *,
    field: str,
    label: tuple[str, str],
    hint: tuple[str, str],
) -> str:
    """The text if it matches ``pattern`` ("" when refused: the refusal is noted)."""
    raw = check.required(text, field=field, label_zh=label[0], label_en=label[1])
    if raw and not pattern.fullmatch(raw):
        check.add(
            field_error(
                "field_malformed",
                field=field,
                message_zh=f"{label[0]}应为{hint[0]}",
                message_en=f"the {label[1]} must be {hint[1]}",
            )
        )
        return ""
    return raw


def read_limits(form: LimitsForm, *, today: date) -> tuple[date, dict[str, int]]:
    """The first day and the limits in fen by parameter key.

    Raises :class:`~gridpos.application.console.errors.InvalidFormError`: the day (see
    :func:`read_valid_from`), an amount malformed, zero or over its ceiling, or a limit above
    the one that must hold it (``limit_order``: per payment ≤ per day, offline ≤ online).
    """
    check = FieldChecks()
    day = read_valid_from(check, form.valid_from, today=today)
    fen: dict[str, int] = {
        name: _yuan(
            check,
            getattr(form, name),
            field=name,
            label=_LIMIT_LABELS[name],
            ceiling=_LIMIT_CEILINGS[name],
            zero=False,
        )
        for _key, name in LIMIT_FIELDS
    }
    for smaller, larger in _LIMIT_ORDER:
        low, high = fen[smaller], fen[larger]
        if low and high and low > high and not check.has(smaller):
            check.add(
                field_error(
                    "limit_order",
                    field=smaller,
                    message_zh=f"{_LIMIT_LABELS[smaller][0]}不能大于{_LIMIT_LABELS[larger][0]}",
                    message_en=(
                        f"the {_LIMIT_LABELS[smaller][1]} cannot exceed the"
                        f" {_LIMIT_LABELS[larger][1]}"
                    ),
                )
            )
    check.done()
    return day, {key: fen[name] for key, name in LIMIT_FIELDS}


def read_commission(form: CommissionForm, *, today: date) -> tuple[date, int, int]:
    """The first day, fixed fen per payment and the rate in parts per million.

    Raises :class:`~gridpos.application.console.errors.InvalidFormError` for each wrong field
    (the fixed part at most 100 yuan, the rate at most 100‰, three decimals).
    """
    check = FieldChecks()
    day = read_valid_from(check, form.valid_from, today=today)
    fixed = _yuan(
        check,
        form.fixed_yuan,
        field="fixed_yuan",
        label=("每笔固定手续费", "fixed commission per payment"),
        ceiling=MAX_FIXED_FEN,
        zero=True,
    )
    rate_text = _pattern(
        check,
        form.rate_per_mille,
        _COMMISSION_RATE,
        field="rate_per_mille",
        label=("按金额比例", "rate"),
        hint=("千分数，最多三位小数", "per mille with at most three decimals"),
    )
    rate_ppm = 0
    if rate_text:
        whole, _, decimals = rate_text.partition(".")
        rate_ppm = int(whole) * 1000 + int(decimals.ljust(3, "0"))
        if rate_ppm > MAX_RATE_PPM:
            check.add(
                field_error(
                    "commission_invalid",
                    field="rate_per_mille",
                    message_zh=f"比例最多 {MAX_RATE_PPM // 1000}‰",
                    message_en=f"the rate is at most {MAX_RATE_PPM // 1000}‰",
                )
            )
    check.done()
    return day, fixed, rate_ppm


def _price_e4(text: str) -> int:
    whole, _, decimals = text.partition(".")
    return int(whole) * 10_000 + int(decimals.ljust(4, "0"))


def read_tariff(form: TariffForm, *, today: date) -> tuple[date, Mapping[str, Any]]:
    """The first day (the first of a later month) and the entry's mapping (without its dates).

    Raises :class:`~gridpos.application.console.errors.InvalidFormError` for each wrong field:
    category, day, kind, a price (yuan per kWh, up to four decimals), a kWh bound, the
    accumulation, the free kWh.
    """
    check = FieldChecks()
    categories = tuple(category.value for category in CustomerCategory)
    category = check.choice(
        form.category, categories, field="category", label_zh="用电类别", label_en="category"
    )
    day = read_valid_from(check, form.valid_from, today=today, first_of_month=True)
    kind = check.choice(
        form.kind, ("flat", "tiered"), field="kind", label_zh="计价方式", label_en="kind of price"
    )
    price_hint = ("以元/千瓦时计、最多四位小数的价格（如 0.5653）", "yuan per kWh, e.g. 0.5653")
    kwh_hint = ("整数千瓦时", "whole kWh")
    free = _pattern(
        check,
        form.free_kwh or "0",
        _KWH,
        field="free_kwh",
        label=("每月免费电量", "free kWh a month"),
        hint=kwh_hint,
    )
    entry: dict[str, Any] = {"category": category, "free_kwh_per_month": int(free or 0)}
    if kind == "flat":
        price = _pattern(
            check, form.price, _PRICE, field="price", label=("电价", "price"), hint=price_hint
        )
        entry["price_e4"] = _price_e4(price) if price else 0
    elif kind == "tiered":
        accumulation = check.choice(
            form.accumulation,
            ("annual", "monthly"),
            field="accumulation",
            label_zh="累计方式",
            label_en="accumulation",
        )
        tiers: list[dict[str, Any]] = []
        for number in range(1, TIER_COUNT + 1):
            last = number == TIER_COUNT
            bounds: list[int | None] = [None, None]
            if not last:
                for index, part in enumerate(("monthly", "annual")):
                    name = f"tier{number}_{part}"
                    text = _pattern(
                        check,
                        getattr(form, name),
                        _KWH,
                        field=name,
                        label=(f"第{number}档上限", f"band {number} bound"),
                        hint=kwh_hint,
                    )
                    bounds[index] = int(text) if text else None
            name = f"tier{number}_price"
            text = _pattern(
                check,
                getattr(form, name),
                _PRICE,
                field=name,
                label=(f"第{number}档电价", f"band {number} price"),
                hint=price_hint,
            )
            tiers.append(
                {
                    "monthly_up_to_kwh": bounds[0],
                    "annual_up_to_kwh": bounds[1],
                    "price_e4": _price_e4(text) if text else 0,
                }
            )
        entry.update(accumulation=accumulation, prorate_first_year=False, tiers=tiers)
    check.done()
    return day, entry


def read_penalty(form: PenaltyForm, *, today: date) -> tuple[date, Mapping[str, Any]]:
    """The first day and the rule's mapping (without its dates): rates as ‰ text, the minimum
    in fen.

    Raises :class:`~gridpos.application.console.errors.InvalidFormError` for each wrong field.
    """
    check = FieldChecks()
    day = read_valid_from(check, form.valid_from, today=today)
    hint = ("千分数（如 1 或 0.5）", "per mille, e.g. 1 or 0.5")
    rates = {
        key: _pattern(check, getattr(form, name), _PER_MILLE, field=name, label=label, hint=hint)
        for key, name, label in (
            ("residential_per_mille", "residential", ("居民日违约金率", "residential daily rate")),
            (
                "non_residential_current_year_per_mille",
                "current_year",
                ("非居民当年日违约金率", "non-residential current-year rate"),
            ),
            (
                "non_residential_cross_year_per_mille",
                "cross_year",
                ("非居民跨年日违约金率", "non-residential cross-year rate"),
            ),
        )
    }
    minimum = _yuan(
        check,
        form.minimum_yuan,
        field="minimum_yuan",
        label=("最低违约金", "minimum penalty"),
        ceiling=MAX_MINIMUM_FEN,
        zero=True,
    )
    scope = check.choice(
        form.minimum_scope,
        ("receivable", "payment"),
        field="minimum_scope",
        label_zh="最低违约金适用范围",
        label_en="scope of the minimum",
    )
    check.done()
    return day, {**rates, "minimum_fen": minimum, "minimum_scope": scope}
