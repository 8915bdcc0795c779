"""参数设置: the dated parameters in force and their history — collection limits, the partial
payment switch, the commission, the tariff schedule and the penalty rules — and the forms that add
a new dated value.

Reading needs ``parameters.view`` (admin, finance, auditor); changing needs
``parameters.manage`` (the company admin), placed at a county company or above: the parameters
hold for the whole database (one county company per database in the design), not for a subtree.

Nothing already in force is edited: a new value starts on a later day than today (the county's
business date), and a tariff entry on the first day of a month. A value recorded for a future day
may be replaced until that day comes. Each change is one transaction with its audit entry
(``parameter.set``) and the form's one-time token, so a form sent twice acts once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final

from sqlalchemy import select

from gridpos.adapters.db.parameter_history import DatedValue, ParameterHistory
from gridpos.adapters.db.parameter_store import parameters_in_force
from gridpos.adapters.db.tables import organisations
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.commission import FIXED_KEY, RATE_KEY
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import AccessDeniedError, Done, field_error
from gridpos.application.console.parameter_forms import (
    LIMIT_FIELDS,
    CommissionForm,
    LimitsForm,
    PenaltyForm,
    TariffForm,
    read_commission,
    read_limits,
    read_penalty,
    read_tariff,
    read_valid_from,
)
from gridpos.application.console.submissions import claim_form, settle_form
from gridpos.application.dated_rules import (
    PENALTY_KEY,
    TARIFF_KEY_PREFIX,
    DatedEntry,
    penalty_entries,
    penalty_rules_of,
    recorded_penalty_entries,
    recorded_tariff_entries,
    tariff_entries,
    tariff_schedule_of,
)
from gridpos.application.parameters import KEYS, CollectionParameters, parse_parameters
from gridpos.domain.audit import AuditAction
from gridpos.domain.errors import DomainError

COUNTY_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
CHANGING_LEVELS: Final = ("province", "city", "county")
PARTIAL_KEY: Final = "collection.partial_allowed"
SHOWN_KEYS: Final = (*(key for key, _name in LIMIT_FIELDS), PARTIAL_KEY, FIXED_KEY, RATE_KEY)
_DEFAULTS = CollectionParameters()


@dataclass(frozen=True, slots=True)
class SettingHistory:
    """One parameter: the value in force today (or its default), and its dated values."""

    key: str
    in_force: Any
    in_force_from: date | None
    upcoming: tuple[DatedValue, ...]
    earlier: tuple[DatedValue, ...]


@dataclass(frozen=True, slots=True)
class ParameterOverview:
    """Everything the parameters page shows, as of ``today``."""

    today: date
    in_force: CollectionParameters
    settings: Mapping[str, SettingHistory]
    tariffs: tuple[DatedEntry, ...]
    penalties: tuple[DatedEntry, ...]
    may_change: bool


def county_today(now: datetime) -> date:
    """The business date in the county at ``now``."""
    return now.astimezone(COUNTY_TIME).date()


def _history(key: str, values: Sequence[DatedValue], today: date) -> SettingHistory:
    mine = [item for item in values if item.key == key]
    current = [item for item in mine if item.valid_from <= today]
    default = getattr(_DEFAULTS, KEYS[key])
    return SettingHistory(
        key=key,
        in_force=current[-1].value if current else default,
        in_force_from=current[-1].valid_from if current else None,
        upcoming=tuple(item for item in mine if item.valid_from > today),
        earlier=tuple(reversed(current[:-1])),
    )


def _may_change(uow: SqlUnitOfWork, actor: Actor) -> bool:
    if not actor.can(Permission.PARAMETERS_MANAGE):
        return False
    level = uow.connection.execute(
        select(organisations.c.level).where(organisations.c.id == actor.org_id)
    ).scalar_one_or_none()
    return level in CHANGING_LEVELS


def parameter_overview(services: ConsoleServices, actor: Actor) -> ParameterOverview:
    """The parameters in force today, their history and the dated tariff and penalty entries.

    Raises :class:`AccessDeniedError` without ``parameters.view``.
    """
    require(actor, Permission.PARAMETERS_VIEW)
    today = county_today(services.clock.now())
    with services.reading() as uow:
        in_force = parse_parameters(parameters_in_force(uow.connection, on=today))
        values = ParameterHistory(uow.connection).values(keys=SHOWN_KEYS)
        tariffs = tariff_entries(recorded_tariff_entries(uow.connection))
        penalties = penalty_entries(recorded_penalty_entries(uow.connection))
        may_change = _may_change(uow, actor)
    return ParameterOverview(
        today=today,
        in_force=in_force,
        settings={key: _history(key, values, today) for key in SHOWN_KEYS},
        tariffs=tuple(tariffs),
        penalties=tuple(penalties),
        may_change=may_change,
    )


def _require_changer(uow: SqlUnitOfWork, actor: Actor) -> None:
    require(actor, Permission.PARAMETERS_MANAGE)
    if not _may_change(uow, actor):
        raise AccessDeniedError(
            message_zh="参数对全系统有效，只能由县公司及以上的系统管理员修改",
            message_en="parameters hold for the whole system: only an admin of a county company"
            " or above changes them",
        )


def _record(
    services: ConsoleServices,
    actor: Actor,
    *,
    form_token: str,
    group: str,
    valid_from: date,
    values: Mapping[str, Any],
    check_merged: Any = None,
) -> Done:
    """Record ``values`` (key → JSON value) from ``valid_from`` in one transaction with the
    form's token and an audit entry; ``check_merged(uow)`` validates what the change makes
    (raising :class:`InvalidFormError`) before anything is written."""
    require(actor, Permission.PARAMETERS_MANAGE)
    now = services.clock.now()
    with services.writing() as uow:
        _require_changer(uow, actor)
        earlier = claim_form(
            uow, form_token=form_token, actor=actor, action=f"parameter.{group}", now=now
        )
        if earlier is not None:
            return earlier
        if check_merged is not None:
            check_merged(uow)
        history = ParameterHistory(uow.connection)
        replaced = [
            key
            for key, value in values.items()
            if history.record(key=key, valid_from=valid_from, value=value)
        ]
        uow.audit.append(
            occurred_at=now,
            actor=actor.audit_name,
            action=AuditAction.PARAMETER_SET,
            subject=f"parameters:{group}",
            details={"valid_from": valid_from, "values": dict(values), "replaced": replaced},
        )
        done = settle_form(uow, form_token=form_token, subject=f"parameters:{group}")
        uow.commit()
    return done


def set_limits(
    services: ConsoleServices, actor: Actor, *, form_token: str, form: LimitsForm
) -> Done:
    """Record the collection limits (yuan as typed) from the form's day on.

    Raises :class:`AccessDeniedError` unless the actor may change parameters, and
    :class:`~gridpos.application.console.errors.InvalidFormError` naming each wrong field (see
    :func:`~gridpos.application.console.parameter_forms.read_limits`).
    """
    require(actor, Permission.PARAMETERS_MANAGE)
    today = county_today(services.clock.now())
    valid_from, values = read_limits(form, today=today)
    return _record(
        services, actor, form_token=form_token, group="limits", valid_from=valid_from, values=values
    )


def set_partial_payment(
    services: ConsoleServices, actor: Actor, *, form_token: str, valid_from: str, allowed: str
) -> Done:
    """Allow (``allowed`` = "yes") or forbid ("no") paying a receivable in part, from a later day.

    Raises :class:`AccessDeniedError`, and
    :class:`~gridpos.application.console.errors.InvalidFormError` for the day or the choice.
    """
    require(actor, Permission.PARAMETERS_MANAGE)
    check = FieldChecks()
    day = read_valid_from(check, valid_from, today=county_today(services.clock.now()))
    choice = check.choice(
        allowed, ("yes", "no"), field="allowed", label_zh="是否允许部分缴费", label_en="choice"
    )
    check.done()
    return _record(
        services,
        actor,
        form_token=form_token,
        group="partial_payment",
        valid_from=day,
        values={PARTIAL_KEY: choice == "yes"},
    )


def set_commission_rates(
    services: ConsoleServices, actor: Actor, *, form_token: str, form: CommissionForm
) -> Done:
    """Record the commission (fixed yuan per payment and a share of the cash in ‰) from a
    later day (the keys of :mod:`gridpos.application.commission`).

    Raises :class:`AccessDeniedError`, and
    :class:`~gridpos.application.console.errors.InvalidFormError` for each wrong field.
    """
    require(actor, Permission.PARAMETERS_MANAGE)
    valid_from, fixed_fen, rate_ppm = read_commission(
        form, today=county_today(services.clock.now())
    )
    return _record(
        services,
        actor,
        form_token=form_token,
        group="commission",
        valid_from=valid_from,
        values={FIXED_KEY: fixed_fen, RATE_KEY: rate_ppm},
    )


def _config_refused(error: DomainError, *, field: str) -> Any:
    check = FieldChecks()
    check.add(
        field_error(
            error.code, field=field, message_zh=error.message_zh, message_en=error.message_en
        )
    )
    check.done()


def add_tariff_entry(
    services: ConsoleServices, actor: Actor, *, form_token: str, form: TariffForm
) -> Done:
    """Add a dated tariff entry for one category from the first day of a later month; the entry
    in force then ends that day. The whole schedule is validated
    (``TariffSchedule.from_config``) before anything is written.

    Raises :class:`AccessDeniedError`, and
    :class:`~gridpos.application.console.errors.InvalidFormError` for each wrong field, or on
    field ``tariff`` when the schedule would not hold together.
    """
    require(actor, Permission.PARAMETERS_MANAGE)
    valid_from, entry = read_tariff(form, today=county_today(services.clock.now()))
    category = str(entry["category"])

    def check_merged(uow: SqlUnitOfWork) -> None:
        recorded = [
            item
            for item in recorded_tariff_entries(uow.connection)
            if not (item[0] == valid_from and item[1].get("category") == category)
        ]
        try:
            tariff_schedule_of(tariff_entries([*recorded, (valid_from, entry)]))
        except DomainError as refused:
            _config_refused(refused, field="tariff")

    return _record(
        services,
        actor,
        form_token=form_token,
        group=f"tariff_{category}",
        valid_from=valid_from,
        values={f"{TARIFF_KEY_PREFIX}{category}": entry},
        check_merged=check_merged,
    )


def add_penalty_rule(
    services: ConsoleServices, actor: Actor, *, form_token: str, form: PenaltyForm
) -> Done:
    """Add a dated penalty rule from a later day; the rule in force then ends that day. The whole
    set of rules is validated (``PenaltyRules.from_config``) before anything is written.

    Raises :class:`AccessDeniedError`, and
    :class:`~gridpos.application.console.errors.InvalidFormError` for each wrong field, or on
    field ``penalty`` when the rules would not hold together.
    """
    require(actor, Permission.PARAMETERS_MANAGE)
    valid_from, rule = read_penalty(form, today=county_today(services.clock.now()))

    def check_merged(uow: SqlUnitOfWork) -> None:
        recorded = [
            item for item in recorded_penalty_entries(uow.connection) if item[0] != valid_from
        ]
        try:
            penalty_rules_of(penalty_entries([*recorded, (valid_from, rule)]))
        except DomainError as refused:
            _config_refused(refused, field="penalty")

    return _record(
        services,
        actor,
        form_token=form_token,
        group="penalty",
        valid_from=valid_from,
        values={PENALTY_KEY: rule},
        check_merged=check_merged,
    )
