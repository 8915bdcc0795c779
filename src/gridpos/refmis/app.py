"""The reference MIS's HTTP interface (FastAPI): parse, authenticate, call one operation, answer.

Routes and messages are in ``gridpos.protocol.mis``; OpenAPI at ``/openapi.json`` and ``/docs``.
Every route but ``/healthz`` and the documents needs the API key header. Refusals answer an
``ErrorResponse`` whose status comes from ``refmis.errors.http_status``; malformed requests answer
422 with codes ``amount_not_integer``, ``amount_not_positive``, ``amount_negative``,
``amount_too_large`` (for amount fields), ``field_missing`` or ``field_invalid``, and a body that
is not JSON answers 400 ``malformed_request``; an unknown route 404 ``route_not_found``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException

from gridpos.domain.errors import DomainError
from gridpos.domain.penalty import PenaltyRules, default_penalty_rules
from gridpos.domain.tariff import TariffSchedule, default_tariff_schedule
from gridpos.protocol.bank_file import render_reconciliation_file
from gridpos.protocol.mis import (
    API_KEY_HEADER,
    API_PREFIX,
    MAX_PAGE_SIZE,
    Arrears,
    BillingRunRequest,
    BillingRunResult,
    ChangesPage,
    CustomerRecord,
    ErrorBody,
    ErrorResponse,
    FaultSettings,
    MeterReadingRecord,
    MeterReadingRequest,
    Organisation,
    PostingEdit,
    PostingReport,
    PostingRequest,
    PostingResult,
    Station,
    UndoRequest,
    UndoResult,
)
from gridpos.refmis import accounts, admin_edits, billing, changes, posting, reports, undo
from gridpos.refmis.county import COMPANY_NAME_ZH, COUNTY_CODE, COUNTY_NAME_ZH
from gridpos.refmis.engine import read_transaction
from gridpos.refmis.errors import http_status, refusal
from gridpos.refmis.faults import FaultMiddleware, FaultState
from gridpos.refmis.pricing import BillingPolicy
from gridpos.refmis.tables import stations

Clock = Callable[[], datetime]
AMOUNT_FIELDS: Final = frozenset(
    {
        "amount_fen",
        "penalty",
        "principal",
        "prepaid_used",
        "prepaid_added",
        "rounding_used",
        "rounding_added",
    }
)
_ACCOUNT_PATH = Path(pattern=r"^[0-9]{10}$", description="户号, ten digits")
_PAYMENT_ID_PATH = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 404, 409, 422, 503)
}


def _error_response(error: DomainError, status: int | None = None) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            code=error.code,
            field=error.field,
            message_zh=error.message_zh,
            message_en=error.message_en,
            details=error.details,
        )
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status or http_status(error.code))


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [part for part in location if part not in {"body", "query", "path", "header"}]
    text_ = ""
    for part in parts:
        text_ += f"[{part}]" if isinstance(part, int) else (f".{part}" if text_ else str(part))
    return text_ or "body"


def _validation_refusal(exc: RequestValidationError) -> tuple[DomainError, int]:
    first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "type": "json_invalid"}
    location = tuple(first.get("loc", ("body",)))
    kind = str(first.get("type", ""))
    field = _field_path(location)
    if kind == "json_invalid":
        zh, en, code = (
            "请求不是有效的 JSON",
            "the request body is not valid JSON",
            "malformed_request",
        )
        return refusal(code, "body", zh, en), 400
    last = location[-1] if location else ""
    if kind == "missing":
        return refusal("field_missing", field, f"缺少字段 {field}", f"{field} is missing"), 422
    if last in AMOUNT_FIELDS:
        if kind == "greater_than":
            code, zh, en = "amount_not_positive", "金额必须大于零", "the amount must be above zero"
        elif kind == "greater_than_equal":
            code, zh, en = "amount_negative", "金额不能为负数", "the amount cannot be negative"
        elif kind in {"less_than_equal", "less_than"}:
            code, zh, en = "amount_too_large", "金额超出上限", "the amount is beyond the limit"
        else:
            code, zh, en = "amount_not_integer", "金额必须是整数分", "amounts are whole fen (int)"
        return refusal(code, field, f"{field}：{zh}", f"{field}: {en}"), 422
    message = str(first.get("msg", "invalid"))
    return refusal("field_invalid", field, f"字段 {field} 无效", f"{field}: {message}"), 422


def create_app(
    *,
    engine: Engine,
    api_key: str,
    clock: Clock,
    schedule: TariffSchedule | None = None,
    rules: PenaltyRules | None = None,
    policy: BillingPolicy | None = None,
    faults: FaultState | None = None,
) -> FastAPI:
    """The reference MIS as an ASGI app over ``engine`` (whose schema must exist)."""
    schedule = schedule or default_tariff_schedule()
    rules = rules or default_penalty_rules()
    policy = policy or BillingPolicy()
    fault_state = faults or FaultState()

    def today() -> date:
        return clock().astimezone(accounts.CHINA_TIME).date()

    def require_key(
        key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
    ) -> None:
        if key is None or not hmac.compare_digest(key.encode(), api_key.encode()):
            raise refusal(
                "unauthorized", API_KEY_HEADER, "API 密钥缺失或错误", "missing or wrong API key"
            )

    app = FastAPI(
        title="gridpos reference MIS (营销MIS)",
        version="1",
        description="Customers, receivables, postings, reports of a county's marketing MIS.",
    )
    app.state.faults = fault_state

    @app.exception_handler(DomainError)
    async def _refused(_request: Request, exc: DomainError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _malformed(_request: Request, exc: RequestValidationError) -> JSONResponse:
        error, status = _validation_refusal(exc)
        return _error_response(error, status)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        error = refusal(code, None, f"请求无法处理（HTTP {exc.status_code}）", str(exc.detail))
        return _error_response(error, exc.status_code)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(require_key)], responses=_ERRORS)

    @api.get("/organisation")
    def organisation() -> Organisation:
        with read_transaction(engine) as connection:
            rows = connection.execute(stations.select().order_by(stations.c.sort_order))
            found = [
                Station(code=r.code, name_zh=r.name_zh, township_zh=r.township_zh) for r in rows
            ]
        return Organisation(
            county_code=COUNTY_CODE,
            company_name_zh=COMPANY_NAME_ZH,
            county_name_zh=COUNTY_NAME_ZH,
            stations=found,
        )

    @api.get("/changes")
    def read_changes(
        since: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 1000,
    ) -> ChangesPage:
        with read_transaction(engine) as connection:
            return changes.read_changes(connection, since=since, limit=limit)

    @api.get("/customers/{account_no}")
    def read_customer(account_no: Annotated[str, _ACCOUNT_PATH]) -> CustomerRecord:
        with read_transaction(engine) as connection:
            return accounts.read_customer_record(connection, account_no)

    @api.get("/customers/{account_no}/arrears")
    def read_arrears(
        account_no: Annotated[str, _ACCOUNT_PATH], as_of: date | None = None
    ) -> Arrears:
        with read_transaction(engine) as connection:
            return accounts.read_arrears(
                connection,
                account_no=account_no,
                as_of=as_of or today(),
                schedule=schedule,
                rules=rules,
            )

    @api.post("/meter-readings")
    def record_meter_reading(request: MeterReadingRequest) -> MeterReadingRecord:
        return billing.record_meter_reading(engine, request, today=today())

    @api.post("/billing-runs")
    def run_billing(request: BillingRunRequest) -> BillingRunResult:
        return billing.run_billing(
            engine, period=request.period, today=today(), schedule=schedule, policy=policy
        )

    @api.post("/postings")
    def post_payment(request: PostingRequest) -> PostingResult:
        return posting.post_payment(engine, request, now=clock(), rules=rules)

    @api.get("/postings/{payment_id}")
    def read_posting(payment_id: Annotated[str, _PAYMENT_ID_PATH]) -> PostingResult:
        with read_transaction(engine) as connection:
            return posting.read_posting(connection, payment_id)

    @api.post("/postings/{payment_id}/reversal")
    def reverse_posting(
        payment_id: Annotated[str, _PAYMENT_ID_PATH], request: UndoRequest
    ) -> UndoResult:
        return undo.undo_posting(
            engine, payment_id=payment_id, request=request, kind="reversal", now=clock()
        )

    @api.post("/postings/{payment_id}/cancellation")
    def cancel_posting(
        payment_id: Annotated[str, _PAYMENT_ID_PATH], request: UndoRequest
    ) -> UndoResult:
        return undo.undo_posting(
            engine, payment_id=payment_id, request=request, kind="cancellation", now=clock()
        )

    @api.get("/reports/postings")
    def read_posting_report(business_date: date) -> PostingReport:
        with read_transaction(engine) as connection:
            return reports.read_posting_report(connection, business_date=business_date)

    @api.get(
        "/reconciliation-files/{day}",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "GBK text"}},
    )
    def read_reconciliation_file(
        day: Annotated[str, Path(pattern=r"^[0-9]{8}$", description="YYYYMMDD")],
    ) -> Response:
        try:
            business_date = datetime.strptime(day, "%Y%m%d").date()  # noqa: DTZ007 - a date
        except ValueError:
            raise refusal("field_invalid", "day", "日期无效", "not a valid date") from None
        with read_transaction(engine) as connection:
            file = reports.read_reconciliation_file(connection, business_date=business_date)
        return Response(
            content=render_reconciliation_file(file),
            media_type="text/plain; charset=GBK",
            headers={"Content-Disposition": f'attachment; filename="DZ{day}.txt"'},
        )

    admin = APIRouter(prefix="/admin", dependencies=[Depends(require_key)], responses=_ERRORS)

    @admin.get("/faults")
    def read_faults() -> FaultSettings:
        return fault_state.settings

    @admin.post("/faults")
    def set_faults(settings: FaultSettings) -> FaultSettings:
        return fault_state.set(settings)

    @admin.post("/postings/{payment_id}/lose")
    def lose_posting(payment_id: Annotated[str, _PAYMENT_ID_PATH]) -> PostingResult:
        return admin_edits.lose_posting(engine, payment_id)

    @admin.post("/postings/{payment_id}/edit")
    def edit_posting(
        payment_id: Annotated[str, _PAYMENT_ID_PATH], edit: PostingEdit
    ) -> PostingResult:
        return admin_edits.edit_posting(engine, payment_id, amount_fen=edit.amount_fen)

    app.include_router(api)
    app.include_router(admin)
    app.add_middleware(FaultMiddleware, state=fault_state)
    return app
