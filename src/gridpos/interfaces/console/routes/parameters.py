"""参数设置: the parameters in force and their history (limits, partial payment, commission,
tariff schedule, penalty rules), and — for the company admin — the forms adding a dated value."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from gridpos.application.console import Done, InvalidFormError, Permission
from gridpos.application.console.parameter_admin import (
    add_penalty_rule,
    add_tariff_entry,
    parameter_overview,
    set_commission_rates,
    set_limits,
    set_partial_payment,
)
from gridpos.application.console.parameter_forms import (
    LIMIT_FIELDS,
    CommissionForm,
    LimitsForm,
    PenaltyForm,
    TariffForm,
)
from gridpos.domain.categories import CustomerCategory
from gridpos.domain.money import format_yuan
from gridpos.interfaces.console.i18n import N_
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section
from gridpos.interfaces.console.web import Visit, console_page, new_token

PAGE = Page(
    key="parameters",
    path="/parameters",
    label=N_("Parameters"),
    section=Section.SYSTEM,
    permission=Permission.PARAMETERS_VIEW,
    order=30,
)
FORMS = ("limits", "partial", "commission", "tariff", "penalty")
DONE_NOTICES = {
    "limits": N_("The new limits were recorded."),
    "partial": N_("The partial payment setting was recorded."),
    "commission": N_("The new commission was recorded."),
    "tariff": N_("The new tariff entry was recorded."),
    "penalty": N_("The new penalty rule was recorded."),
    "repeated": N_("This form had already been sent: nothing was done twice."),
}
LIMIT_LABELS = {
    "per_payment_limit": N_("Per payment"),
    "per_day_limit": N_("Per terminal and day"),
    "offline_per_payment_limit": N_("Offline, per payment"),
    "offline_per_day_limit": N_("Offline, per terminal and day"),
    "offline_allowance_max": N_("Largest offline allowance"),
}
CATEGORY_LABELS = {
    CustomerCategory.RESIDENTIAL.value: N_("Residential"),
    CustomerCategory.SHARED_METER.value: N_("Residential, shared meter"),
    CustomerCategory.SUBSIDISED.value: N_("Subsidised household"),
    CustomerCategory.NON_RESIDENTIAL.value: N_("Non-residential"),
}
SCOPE_LABELS = {"receivable": N_("each receivable"), "payment": N_("each payment")}
ACCUMULATION_LABELS = {"annual": N_("over the calendar year"), "monthly": N_("each month alone")}
_FORM_CLASSES: dict[str, Any] = {
    "limits": LimitsForm,
    "commission": CommissionForm,
    "tariff": TariffForm,
    "penalty": PenaltyForm,
}


def price_text(price_e4: int | None) -> str:
    """A price in 1/10000 yuan per kWh as yuan with four decimals (5653 → ``0.5653``)."""
    if price_e4 is None:
        return "—"
    return f"{price_e4 // 10_000}.{price_e4 % 10_000:04d}"


def per_mille_text(ppm: int) -> str:
    """Parts per million as per mille (1500 → ``1.5``)."""
    whole, part = divmod(ppm, 1000)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".")


def _blank(form: str) -> dict[str, str]:
    """Every field of ``form``, empty."""
    return dict.fromkeys(_FORM_CLASSES[form].__dataclass_fields__, "")


def _form_values(visit: Visit, form: str) -> dict[str, str]:
    names = _FORM_CLASSES[form].__dataclass_fields__ if form in _FORM_CLASSES else {}
    values = {name: visit.field(name) for name in names}
    if form == "partial":
        values = {"valid_from": visit.field("valid_from"), "allowed": visit.field("allowed")}
    return values


async def _page(
    visit: Visit, *, status: int = 200, failed_form: str = "", errors: Any = None
) -> Response:
    overview = await run_in_threadpool(parameter_overview, visit.services, visit.actor)
    settings = overview.settings
    tomorrow = overview.today + timedelta(days=1)
    next_month = (overview.today.replace(day=1) + timedelta(days=32)).replace(day=1)
    defaults: dict[str, dict[str, str]] = {
        "limits": {
            "valid_from": tomorrow.isoformat(),
            **{name: format_yuan(int(settings[key].in_force)) for key, name in LIMIT_FIELDS},
        },
        "partial": {
            "valid_from": tomorrow.isoformat(),
            "allowed": "yes" if overview.in_force.partial_allowed else "no",
        },
        "commission": {
            "valid_from": tomorrow.isoformat(),
            "fixed_yuan": format_yuan(overview.in_force.commission_fixed_fen),
            "rate_per_mille": per_mille_text(overview.in_force.commission_rate_ppm),
        },
        "tariff": {
            **_blank("tariff"),
            "valid_from": next_month.isoformat(),
            "kind": "flat",
            "accumulation": "annual",
            "free_kwh": "0",
        },
        "penalty": {
            **_blank("penalty"),
            "valid_from": tomorrow.isoformat(),
            "minimum_scope": "receivable",
        },
    }
    if failed_form:
        defaults[failed_form] = _form_values(visit, failed_form)
    return visit.render(
        "parameters/overview.html",
        status_code=status,
        overview=overview,
        limit_fields=LIMIT_FIELDS,
        limit_labels=LIMIT_LABELS,
        category_labels=CATEGORY_LABELS,
        scope_labels=SCOPE_LABELS,
        accumulation_labels=ACCUMULATION_LABELS,
        values=defaults,
        tokens={
            form: (visit.field("form_token") if form == failed_form else "") or new_token()
            for form in FORMS
        },
        failed_form=failed_form,
        errors=errors or {},
        notice=DONE_NOTICES.get(visit.query("done"), ""),
        yuan=format_yuan,
        price_text=price_text,
        per_mille_text=per_mille_text,
    )


@console_page(Permission.PARAMETERS_VIEW)
async def overview_page(visit: Visit) -> Response:
    """The parameters in force and their history (forms only for those who may change)."""
    return await _page(visit)


def _submit(form: str, call: Callable[[Visit], Done]) -> Callable[[Visit], Awaitable[Response]]:
    async def submit(visit: Visit) -> Response:
        try:
            done = await run_in_threadpool(call, visit)
        except InvalidFormError as refused:
            return await _page(
                visit, status=422, failed_form=form, errors=visit.field_errors(refused.errors)
            )
        return visit.redirect(f"/parameters?done={'repeated' if done.repeated else form}#{form}")

    submit.__name__ = f"{form}_submit"
    return submit


def _read(visit: Visit, form: str) -> Any:
    return _FORM_CLASSES[form](**_form_values(visit, form))


def _limits(visit: Visit) -> Done:
    return set_limits(
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        form=_read(visit, "limits"),
    )


def _partial(visit: Visit) -> Done:
    return set_partial_payment(
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        valid_from=visit.field("valid_from"),
        allowed=visit.field("allowed"),
    )


def _commission(visit: Visit) -> Done:
    return set_commission_rates(
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        form=_read(visit, "commission"),
    )


def _tariff(visit: Visit) -> Done:
    return add_tariff_entry(
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        form=_read(visit, "tariff"),
    )


def _penalty(visit: Visit) -> Done:
    return add_penalty_rule(
        visit.services,
        visit.actor,
        form_token=visit.field("form_token"),
        form=_read(visit, "penalty"),
    )


def module() -> ConsoleModule:
    """The parameters page's routes and menu entry."""
    calls = {
        "limits": _limits,
        "partial": _partial,
        "commission": _commission,
        "tariff": _tariff,
        "penalty": _penalty,
    }
    routes = [Route("/parameters", overview_page, methods=["GET"])]
    routes += [
        Route(
            f"/parameters/{form}",
            console_page(Permission.PARAMETERS_MANAGE)(_submit(form, call)),
            methods=["POST"],
        )
        for form, call in calls.items()
    ]
    return ConsoleModule(name="parameters", routes=routes, pages=[PAGE])
