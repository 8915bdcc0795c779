"""The stable error codes of the terminal API and the shape of an error body.

Every refusal the server sends a terminal is one JSON object::

    {"code": "float_insufficient", "field": "cash",
     "message_zh": "本机可用余额不足", "message_en": "the agent float cannot cover this payment",
     "details": {"float_available": 12000}}

``field`` names the wire field (its short name, e.g. ``cash`` or ``lines.2.kwh``, or a header such
as ``X-GP-TS``) and is left out when the refusal concerns the request as a whole; ``details`` is
optional, small and flat. Codes are stable: a terminal decides what to do from the code alone and
shows the message as it came. A code the terminal does not know (from a newer server) is shown as
it came and treated as a refusal.

The HTTP status of each code lives in :data:`CATALOGUE`. One code is informational
(``mis_unavailable``): it rides in an answer's ``notices``, never as the refusal of a request, and
its status is 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorCode(StrEnum):
    """Every refusal of the terminal API, grouped by what went wrong."""

    # the request itself
    MALFORMED_REQUEST = "malformed_request"
    INVALID_FIELD = "invalid_field"
    BODY_TOO_LARGE = "body_too_large"
    ROUTE_UNKNOWN = "route_unknown"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UPGRADE_REQUIRED = "upgrade_required"
    # signing and the terminal's identity
    UNSIGNED = "unsigned"
    STALE_TIMESTAMP = "stale_timestamp"
    REPLAYED_COUNTER = "replayed_counter"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_TERMINAL = "unknown_terminal"
    TERMINAL_DISABLED = "terminal_disabled"
    ENROLMENT_CODE_INVALID = "enrolment_code_invalid"
    ENROLMENT_CODE_EXPIRED = "enrolment_code_expired"
    ENROLMENT_CODE_USED = "enrolment_code_used"
    # the collector's session (签到)
    AGENT_ACCOUNT_UNKNOWN = "agent_account_unknown"
    PASSWORD_WRONG = "password_wrong"  # noqa: S105 - an error code, not a password
    ORGANISATION_WRONG = "organisation_wrong"
    OPERATOR_LOCKED = "operator_locked"
    AGENT_DISABLED = "agent_disabled"
    NOT_SIGNED_IN = "not_signed_in"
    SESSION_EXPIRED = "session_expired"
    BUSINESS_DAY_CLOSED = "business_day_closed"
    # the customer
    ACCOUNT_UNKNOWN = "account_unknown"
    ACCOUNT_OTHER_COUNTY = "account_other_county"
    # a payment
    AMOUNT_INVALID = "amount_invalid"
    AMOUNT_BELOW_DUE = "amount_below_due"
    AMOUNT_DUE_CHANGED = "amount_due_changed"
    OVER_PAYMENT_LIMIT = "over_payment_limit"
    OVER_DAILY_LIMIT = "over_daily_limit"
    OFFLINE_ALLOWANCE_EXCEEDED = "offline_allowance_exceeded"
    FLOAT_INSUFFICIENT = "float_insufficient"
    TXN_ID_REUSED = "txn_id_reused"
    PAYMENT_NOT_FOUND = "payment_not_found"
    # undoing a payment (冲正 / 撤销)
    PAYMENT_ALREADY_REVERSED = "payment_already_reversed"
    REVERSAL_OTHER_TERMINAL = "reversal_other_terminal"
    REVERSAL_NOT_SAME_DAY = "reversal_not_same_day"
    REVERSAL_MISMATCH = "reversal_mismatch"
    VOID_NEEDS_SUPERVISOR = "void_needs_supervisor"
    SUPERVISOR_CREDENTIAL_WRONG = "supervisor_credential_wrong"
    VOID_NOT_SAME_DAY = "void_not_same_day"
    PAYMENT_STATE_CONFLICT = "payment_state_conflict"
    # the batch (扎帐 / 批上送)
    BATCH_ALREADY_CLOSED = "batch_already_closed"
    BATCH_MISMATCH = "batch_mismatch"
    # the server
    MIS_UNAVAILABLE = "mis_unavailable"
    SERVER_BUSY = "server_busy"
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """What the catalogue knows of one code: HTTP status, default messages, usual field."""

    code: ErrorCode
    status: int
    message_zh: str
    message_en: str
    field: str | None = None
    informational: bool = False


def _spec(
    code: ErrorCode,
    status: int,
    message_zh: str,
    message_en: str,
    *,
    field: str | None = None,
    informational: bool = False,
) -> ErrorSpec:
    return ErrorSpec(code, status, message_zh, message_en, field, informational)


_C = ErrorCode
_SPECS = (
    _spec(_C.MALFORMED_REQUEST, 400, "请求格式错误", "the request is not well-formed JSON"),
    _spec(_C.INVALID_FIELD, 422, "字段内容无效", "a field of the request is invalid"),
    _spec(_C.BODY_TOO_LARGE, 413, "请求内容过大", "the request body is too large"),
    _spec(_C.ROUTE_UNKNOWN, 404, "请求的功能不存在", "no such operation"),
    _spec(_C.METHOD_NOT_ALLOWED, 405, "请求方式不允许", "method not allowed for this operation"),
    _spec(
        _C.UPGRADE_REQUIRED,
        426,
        "终端程序版本过旧，请升级",
        "the terminal program is too old, please upgrade",
        field="ver",
    ),
    _spec(_C.UNSIGNED, 401, "请求未签名", "the request is not signed"),
    _spec(
        _C.STALE_TIMESTAMP,
        401,
        "终端时间与系统时间相差过大，请校准时钟",
        "the request timestamp is too far from the server's clock",
        field="X-GP-TS",
    ),
    _spec(
        _C.REPLAYED_COUNTER,
        401,
        "请求序号重复，疑似重放",
        "the request counter was already used (replay)",
        field="X-GP-N",
    ),
    _spec(_C.BAD_SIGNATURE, 401, "请求签名错误", "the request signature is wrong", field="X-GP-S"),
    _spec(
        _C.UNKNOWN_TERMINAL,
        401,
        "终端未登记",
        "this terminal is not enrolled",
        field="X-GP-T",
    ),
    _spec(
        _C.TERMINAL_DISABLED,
        403,
        "终端已停用，请联系供电所",
        "this terminal is disabled; contact the supply station",
        field="X-GP-T",
    ),
    _spec(
        _C.ENROLMENT_CODE_INVALID,
        403,
        "开通码错误",
        "the enrolment code is wrong",
        field="code",
    ),
    _spec(
        _C.ENROLMENT_CODE_EXPIRED,
        403,
        "开通码已过期，请重新申请",
        "the enrolment code has expired; ask for a new one",
        field="code",
    ),
    _spec(
        _C.ENROLMENT_CODE_USED,
        409,
        "开通码已被使用",
        "the enrolment code has already been used",
        field="code",
    ),
    _spec(
        _C.AGENT_ACCOUNT_UNKNOWN,
        401,
        "代理商账号不存在",
        "no such agent account",
        field="agent",
    ),
    _spec(_C.PASSWORD_WRONG, 401, "密码错误", "the password is wrong", field="pw"),
    _spec(
        _C.ORGANISATION_WRONG,
        401,
        "机构代码错误，该账号不属于此机构",
        "the organisation code is wrong for this account",
        field="org",
    ),
    _spec(
        _C.OPERATOR_LOCKED,
        423,
        "账号因多次密码错误已锁定，请联系供电所解锁",
        "the account is locked after repeated wrong passwords; ask the supply station",
        field="agent",
    ),
    _spec(
        _C.AGENT_DISABLED,
        403,
        "代理商已停止代收",
        "this agent is no longer allowed to collect",
        field="agent",
    ),
    _spec(_C.NOT_SIGNED_IN, 403, "终端未签到，请先签到", "the terminal is not signed in"),
    _spec(
        _C.SESSION_EXPIRED,
        403,
        "签到已失效，请重新签到",
        "the sign-in has expired; sign in again",
    ),
    _spec(
        _C.BUSINESS_DAY_CLOSED,
        409,
        "当前营业日已扎帐，请签退后重新签到",
        "this business day is closed; sign out and sign in again",
    ),
    _spec(_C.ACCOUNT_UNKNOWN, 404, "户号不存在", "no such customer number", field="acct"),
    _spec(
        _C.ACCOUNT_OTHER_COUNTY,
        403,
        "该户号不属于本单位，不能在此收费",
        "this customer belongs to another company and cannot pay here",
        field="acct",
    ),
    _spec(_C.AMOUNT_INVALID, 422, "金额无效", "the amount is invalid", field="cash"),
    _spec(
        _C.AMOUNT_BELOW_DUE,
        422,
        "缴费金额不足应缴金额，不允许部分缴费",
        "the amount is below the amount due; partial payment is not allowed",
        field="cash",
    ),
    _spec(
        _C.AMOUNT_DUE_CHANGED,
        409,
        "应缴金额已变化，请重新查询",
        "the amount due has changed; query the account again",
        field="due",
    ),
    _spec(
        _C.OVER_PAYMENT_LIMIT,
        422,
        "超过单笔收费限额",
        "the amount is over the per-payment limit",
        field="cash",
    ),
    _spec(
        _C.OVER_DAILY_LIMIT,
        422,
        "超过本机当日收费限额",
        "the amount would take the terminal over its daily limit",
        field="cash",
    ),
    _spec(
        _C.OFFLINE_ALLOWANCE_EXCEEDED,
        422,
        "超过脱机收费额度",
        "the amount is over the offline allowance",
        field="cash",
    ),
    _spec(
        _C.FLOAT_INSUFFICIENT,
        409,
        "本机可用余额不足，请先充值",
        "the agent float cannot cover this payment; top up first",
        field="cash",
    ),
    _spec(
        _C.TXN_ID_REUSED,
        409,
        "交易号已被另一笔不同内容的交易使用",
        "this transaction id was already used with different content",
        field="txn",
    ),
    _spec(_C.PAYMENT_NOT_FOUND, 404, "查无此交易", "no such payment", field="txn"),
    _spec(
        _C.PAYMENT_ALREADY_REVERSED,
        409,
        "该交易已冲正，原交易不再受理",
        "this payment was already reversed; the original is refused",
        field="txn",
    ),
    _spec(
        _C.REVERSAL_OTHER_TERMINAL,
        403,
        "只能冲正或撤销本终端的交易",
        "only this terminal's own payments can be reversed or voided",
        field="txn",
    ),
    _spec(
        _C.REVERSAL_NOT_SAME_DAY,
        409,
        "只能冲正当日交易",
        "only a payment of the current business day can be reversed",
        field="bd",
    ),
    _spec(
        _C.REVERSAL_MISMATCH,
        409,
        "冲正的流水号、日期或金额与原交易不符",
        "the trace number, date or amount does not match the original payment",
    ),
    _spec(
        _C.VOID_NEEDS_SUPERVISOR,
        403,
        "撤销交易需主管授权",
        "a void needs a supervisor's approval",
        field="sup",
    ),
    _spec(
        _C.SUPERVISOR_CREDENTIAL_WRONG,
        403,
        "主管账号或密码错误",
        "the supervisor's account or password is wrong",
        field="sup_pw",
    ),
    _spec(
        _C.VOID_NOT_SAME_DAY,
        409,
        "只能撤销当日交易",
        "only a payment of the current business day can be voided",
        field="bd",
    ),
    _spec(
        _C.PAYMENT_STATE_CONFLICT,
        409,
        "交易当前状态不允许此操作",
        "the payment's state does not allow this",
        field="txn",
    ),
    _spec(
        _C.BATCH_ALREADY_CLOSED,
        409,
        "该批次已扎帐",
        "this batch is already closed",
        field="batch",
    ),
    _spec(
        _C.BATCH_MISMATCH,
        409,
        "批次号与当前批次不符",
        "the batch number is not the terminal's open batch",
        field="batch",
    ),
    _spec(
        _C.MIS_UNAVAILABLE,
        200,
        "营销系统暂不可用，欠费信息以最近同步为准",
        "the MIS is unreachable; arrears are as of the last sync",
        informational=True,
    ),
    _spec(_C.SERVER_BUSY, 503, "系统繁忙，请稍后重试", "the server is busy; try again shortly"),
    _spec(
        _C.INTERNAL_ERROR,
        500,
        "系统内部错误，请记下参考号并联系供电所",
        "internal error; note the reference and contact the supply station",
    ),
)

CATALOGUE: Mapping[ErrorCode, ErrorSpec] = MappingProxyType({spec.code: spec for spec in _SPECS})
"""Every code with its HTTP status and default messages."""


def spec_of(code: ErrorCode) -> ErrorSpec:
    """The catalogue entry of ``code``."""
    return CATALOGUE[code]


class ErrorBody(BaseModel):
    """A refusal as it travels: stable code, the field concerned, zh and en messages, details.

    ``code`` is a plain string, not :class:`ErrorCode`, so that a terminal can read a code a newer
    server added; :attr:`known_code` tells whether it is one of ours.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    field: str | None = None
    message_zh: str
    message_en: str
    details: dict[str, Any] | None = None

    @property
    def known_code(self) -> ErrorCode | None:
        """The code as :class:`ErrorCode`, or ``None`` if this version does not know it."""
        try:
            return ErrorCode(self.code)
        except ValueError:
            return None

    @property
    def status(self) -> int:
        """The HTTP status that goes with the code (500 for a code this version does not know)."""
        known = self.known_code
        return CATALOGUE[known].status if known is not None else 500


def error_body(
    code: ErrorCode,
    *,
    field: str | None = None,
    details: Mapping[str, Any] | None = None,
    message_zh: str | None = None,
    message_en: str | None = None,
) -> ErrorBody:
    """The body of a refusal with ``code``; messages and field default to the catalogue's."""
    spec = CATALOGUE[code]
    return ErrorBody(
        code=code.value,
        field=field if field is not None else spec.field,
        message_zh=message_zh if message_zh is not None else spec.message_zh,
        message_en=message_en if message_en is not None else spec.message_en,
        details=dict(details) if details else None,
    )


def internal_error(*, reference: str) -> ErrorBody:
    """The refusal of an unanticipated failure, carrying the reference id logged on the server."""
    spec = CATALOGUE[ErrorCode.INTERNAL_ERROR]
    return error_body(
        ErrorCode.INTERNAL_ERROR,
        details={"ref": reference},
        message_zh=f"{spec.message_zh}（参考号 {reference}）",
        message_en=f"{spec.message_en} (reference {reference})",
    )


class ProtocolError(Exception):
    """A refusal of the wire contract, carrying the :class:`ErrorBody` to send or received."""

    def __init__(self, body: ErrorBody) -> None:
        super().__init__(f"{body.code}: {body.message_en}")
        self.body = body

    @classmethod
    def of(
        cls,
        code: ErrorCode,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
        message_zh: str | None = None,
        message_en: str | None = None,
    ) -> ProtocolError:
        """A refusal built from the catalogue (see :func:`error_body`)."""
        return cls(
            error_body(
                code,
                field=field,
                details=details,
                message_zh=message_zh,
                message_en=message_en,
            )
        )

    @property
    def code(self) -> str:
        return self.body.code

    @property
    def field(self) -> str | None:
        return self.body.field

    @property
    def status(self) -> int:
        return self.body.status

    def __str__(self) -> str:
        where = f" [{self.body.field}]" if self.body.field else ""
        return f"{self.body.code}{where}: {self.body.message_zh} / {self.body.message_en}"
