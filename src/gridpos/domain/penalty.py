"""The late-payment penalty (电费违约金, 《供电营业规则》 art. 98), from dated rules.

From the day after the due date to the payment day, simple daily interest on the unpaid principal:
residential customers (合表 and 低保/五保 included) at one daily rate; non-residential customers
at a current-year rate for the days in the due date's calendar year and a cross-year rate for the
days from 1 January of the following year on. The amount is computed exactly and rounded half-up to
the fen once. A positive penalty under the minimum (1 yuan) is charged as the minimum, per
receivable or per payment as the rules say.

Which rule applies: the one in force on the **pay date** (the business date of the payment), for
every day of the delay — the penalty is assessed when it is paid, and one receivable is never priced
under two rule sets. Configuration entries (plain mappings)::

    {"valid_from": "1996-10-08", "valid_to": None, "residential_per_mille": "1",
     "non_residential_current_year_per_mille": "2", "non_residential_cross_year_per_mille": "3",
     "minimum_fen": 100, "minimum_scope": "receivable"}

``valid_to`` is exclusive (``None``: still in force); rates are per mille per day, as integers or
decimal text (never floats); entries may not overlap, leave gaps or run backwards.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError
from gridpos.domain.money import round_half_up_div
from gridpos.domain.rules_anhui import PENALTY_ENTRIES

_KEYS: Final = frozenset(
    {
        "valid_from",
        "valid_to",
        "residential_per_mille",
        "non_residential_current_year_per_mille",
        "non_residential_cross_year_per_mille",
        "minimum_fen",
        "minimum_scope",
    }
)
_RATE_KEYS: Final = (
    "residential_per_mille",
    "non_residential_current_year_per_mille",
    "non_residential_cross_year_per_mille",
)
_MAX_PER_MILLE: Final = Fraction(1000)  # 100 % a day: anything above is a typo


class PenaltyConfigError(DomainError):
    """The penalty rules are refused, or none is in force on a date.

    Codes: ``penalty_config_invalid``, ``penalty_backwards``, ``penalty_overlap``, ``penalty_gap``,
    ``penalty_not_in_force``.
    """

    code = "penalty_config_invalid"


class PenaltyError(DomainError):
    """Bad input to a penalty computation. Code ``principal_invalid``."""

    code = "principal_invalid"


class MinimumScope(StrEnum):
    """What the minimum penalty applies to: each receivable, or the total of one payment."""

    RECEIVABLE = "receivable"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class PenaltyRule:
    """The rates and minimum in force over ``[valid_from, valid_to)``; rates per mille per day."""

    valid_from: date
    valid_to: date | None
    residential_per_mille: Fraction
    non_residential_current_year_per_mille: Fraction
    non_residential_cross_year_per_mille: Fraction
    minimum_fen: int
    minimum_scope: MinimumScope

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def _error(code: str, where: str, zh: str, en: str) -> PenaltyConfigError:
    return PenaltyConfigError(
        code=code,
        field=where,
        message_zh=f"违约金规则 {where}：{zh}",
        message_en=f"Penalty {where}: {en}",
    )


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _error(
                "penalty_config_invalid", where, "日期应为 YYYY-MM-DD", "dates are YYYY-MM-DD"
            ) from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _error("penalty_config_invalid", where, "缺少有效日期", "a date is required")
    return value


def _parse_rate(value: Any, where: str) -> Fraction:
    refused = _error(
        "penalty_config_invalid",
        where,
        '日利率应为千分数，整数或小数文本（如 "2" 或 "0.5"）',
        'a daily rate is per mille, an integer or decimal text ("2" or "0.5")',
    )
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise refused
    try:
        rate = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise refused from None
    if not 0 <= rate <= _MAX_PER_MILLE:
        raise refused
    return rate


def _parse_rule(raw: Any, where: str) -> PenaltyRule:
    if not isinstance(raw, Mapping):
        raise _error("penalty_config_invalid", where, "每项应为映射", "each entry is a mapping")
    unknown, missing = sorted(set(raw) - _KEYS), sorted(_KEYS - set(raw))
    if unknown or missing:
        raise _error(
            "penalty_config_invalid",
            where,
            f"未知配置项 {unknown}，缺少 {missing}",
            f"unknown keys {unknown}, missing {missing}",
        )
    valid_from = _parse_date(raw["valid_from"], f"{where}.valid_from")
    valid_to = (
        None if raw["valid_to"] is None else _parse_date(raw["valid_to"], f"{where}.valid_to")
    )
    if valid_to is not None and valid_to <= valid_from:
        raise _error(
            "penalty_backwards",
            f"{where}.valid_to",
            "截止日期须晚于起始日期",
            "valid_to must be after valid_from",
        )
    minimum = raw["minimum_fen"]
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise _error(
            "penalty_config_invalid",
            f"{where}.minimum_fen",
            "最低违约金应为非负整数（分）",
            "the minimum is a non-negative integer of fen",
        )
    try:
        scope = MinimumScope(raw["minimum_scope"])
    except ValueError:
        raise _error(
            "penalty_config_invalid",
            f"{where}.minimum_scope",
            "最低违约金范围应为 receivable 或 payment",
            "the minimum's scope is 'receivable' or 'payment'",
        ) from None
    residential, current_year, cross_year = (
        _parse_rate(raw[key], f"{where}.{key}") for key in _RATE_KEYS
    )
    return PenaltyRule(
        valid_from=valid_from,
        valid_to=valid_to,
        residential_per_mille=residential,
        non_residential_current_year_per_mille=current_year,
        non_residential_cross_year_per_mille=cross_year,
        minimum_fen=minimum,
        minimum_scope=scope,
    )


class PenaltyRules:
    """The dated penalty rules. Build them with ``from_config``."""

    def __init__(self, rules: Sequence[PenaltyRule]) -> None:
        self._rules = tuple(sorted(rules, key=lambda rule: rule.valid_from))

    @classmethod
    def from_config(cls, entries: Sequence[Mapping[str, Any]]) -> PenaltyRules:
        """Validate the configuration and build the rules.

        Raises:
            PenaltyConfigError: a missing or unknown key, a bad date, rate or minimum, an empty
            configuration, a backwards range (``penalty_backwards``), an overlap
            (``penalty_overlap``) or a gap (``penalty_gap``) between entries.
        """
        if isinstance(entries, str | bytes) or not isinstance(entries, Sequence) or not entries:
            raise _error("penalty_config_invalid", "entries", "规则为空", "the rules are empty")
        rules = sorted(
            (_parse_rule(raw, f"entries[{index}]") for index, raw in enumerate(entries)),
            key=lambda rule: rule.valid_from,
        )
        for before, after in itertools.pairwise(rules):
            where = f"@{after.valid_from.isoformat()}"
            if before.valid_to is None or after.valid_from < before.valid_to:
                raise _error("penalty_overlap", where, "有效期重叠", "entries overlap")
            if after.valid_from > before.valid_to:
                raise _error(
                    "penalty_gap",
                    where,
                    f"{before.valid_to} 至 {after.valid_from} 之间没有规则",
                    f"no rule from {before.valid_to} to {after.valid_from}",
                )
        return cls(rules)

    def rule_in_force(self, on: date) -> PenaltyRule:
        """The rule in force on a day.

        Raises:
            PenaltyConfigError: ``penalty_not_in_force`` when no entry covers the day.
        """
        for rule in self._rules:
            if rule.covers(on):
                return rule
        raise PenaltyConfigError(
            code="penalty_not_in_force",
            field="pay_date",
            message_zh=f"{on.isoformat()} 没有适用的违约金规则",
            message_en=f"No penalty rule in force on {on.isoformat()}",
        )


def default_penalty_rules() -> PenaltyRules:
    """The default rules (《供电营业规则》 art. 98), from ``rules_anhui``."""
    return PenaltyRules.from_config(PENALTY_ENTRIES)


def _require_date(value: date, name: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def overdue_days(*, due_date: date, pay_date: date) -> tuple[int, int]:
    """Days of delay, split as (in the due date's calendar year, from the next 1 January on).

    The delay runs from the day after the due date to the pay date, both included; paying on or
    before the due date gives ``(0, 0)``. Raises ``TypeError`` unless both are plain dates.
    """
    _require_date(due_date, "due_date")
    _require_date(pay_date, "pay_date")
    days = (pay_date - due_date).days
    if days <= 0:
        return 0, 0
    next_january = date(due_date.year + 1, 1, 1)
    current_year = min(days, (next_january - due_date).days - 1)
    return current_year, days - current_year


def compute_penalty(
    *,
    principal_unpaid: int,
    due_date: date,
    pay_date: date,
    category: CustomerCategory,
    rules: PenaltyRules,
) -> int:
    """The penalty in fen on one receivable's unpaid principal, paid on ``pay_date``.

    Exact arithmetic, rounded half-up to the fen once; a positive penalty under the rule's minimum
    is raised to the minimum when the minimum's scope is ``receivable`` (for scope ``payment`` use
    ``apply_payment_minimum`` on the payment's total). Zero principal or no delay gives 0.

    Raises:
        PenaltyError: ``principal_invalid`` for a principal that is not a non-negative int.
        PenaltyConfigError: ``penalty_not_in_force`` when no rule covers the pay date.
        TypeError: a date that is not a plain ``date``.
    """
    if isinstance(principal_unpaid, bool) or not isinstance(principal_unpaid, int):
        raise PenaltyError(
            field="principal_unpaid",
            message_zh="欠费本金应为整数（分）",
            message_en="The unpaid principal must be an integer of fen",
        )
    if principal_unpaid < 0:
        raise PenaltyError(
            field="principal_unpaid",
            message_zh="欠费本金不能为负数",
            message_en="The unpaid principal cannot be negative",
            details={"principal_unpaid": principal_unpaid},
        )
    current_year, cross_year = overdue_days(due_date=due_date, pay_date=pay_date)
    if principal_unpaid == 0 or current_year + cross_year == 0:
        return 0
    rule = rules.rule_in_force(pay_date)
    if CustomerCategory(category).is_residential:
        per_mille_days = rule.residential_per_mille * (current_year + cross_year)
    else:
        per_mille_days = (
            rule.non_residential_current_year_per_mille * current_year
            + rule.non_residential_cross_year_per_mille * cross_year
        )
    exact = principal_unpaid * per_mille_days / 1000
    penalty = round_half_up_div(exact.numerator, exact.denominator)
    if exact > 0 and rule.minimum_scope is MinimumScope.RECEIVABLE:
        penalty = max(penalty, rule.minimum_fen)
    return penalty


def apply_payment_minimum(*, penalty_total: int, pay_date: date, rules: PenaltyRules) -> int:
    """Raise a payment's positive penalty total to the minimum when its scope is ``payment``.

    Under scope ``receivable`` the minimum was already applied per receivable and the total is
    returned unchanged. The total is of rounded fen: a payment whose every penalty rounds to 0 fen
    is left at 0. Raises ``PenaltyConfigError`` (``penalty_not_in_force``) for a pay date no
    rule covers.
    """
    rule = rules.rule_in_force(pay_date)
    if rule.minimum_scope is MinimumScope.PAYMENT and 0 < penalty_total < rule.minimum_fen:
        return rule.minimum_fen
    return penalty_total
