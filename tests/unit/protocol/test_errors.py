"""The error catalogue: complete, unique, bilingual, with statuses; the error body's shape."""

from __future__ import annotations

import re

import pytest

from gridpos.protocol.errors import (
    CATALOGUE,
    ErrorBody,
    ErrorCode,
    ProtocolError,
    error_body,
    internal_error,
    spec_of,
)

_HAN = re.compile(r"[\u4e00-\u9fff]")

# the refusals the terminal API must be able to name (from the payment server's issue)
REQUIRED = {
    "malformed_request",
    "invalid_field",
    "unsigned",
    "stale_timestamp",
    "replayed_counter",
    "bad_signature",
    "unknown_terminal",
    "terminal_disabled",
    "enrolment_code_invalid",
    "enrolment_code_expired",
    "enrolment_code_used",
    "agent_account_unknown",
    "password_wrong",
    "organisation_wrong",
    "operator_locked",
    "not_signed_in",
    "session_expired",
    "business_day_closed",
    "account_unknown",
    "account_other_county",
    "amount_invalid",
    "amount_below_due",
    "over_payment_limit",
    "over_daily_limit",
    "offline_allowance_exceeded",
    "float_insufficient",
    "txn_id_reused",
    "payment_already_reversed",
    "reversal_other_terminal",
    "reversal_not_same_day",
    "reversal_mismatch",
    "void_needs_supervisor",
    "supervisor_credential_wrong",
    "payment_not_found",
    "batch_already_closed",
    "mis_unavailable",
    "internal_error",
}


def test_every_required_refusal_has_a_code() -> None:
    assert REQUIRED - {code.value for code in ErrorCode} == set()


def test_every_code_is_in_the_catalogue_and_nothing_else() -> None:
    assert set(CATALOGUE) == set(ErrorCode)
    for code, spec in CATALOGUE.items():
        assert spec.code is code


def test_codes_are_unique_short_snake_case() -> None:
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    assert len(ErrorCode.__members__) == len(values)  # no aliases hiding a duplicate value
    for value in values:
        assert re.fullmatch(r"[a-z][a-z_]{2,31}", value), value


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_has_both_messages_and_a_status(code: ErrorCode) -> None:
    spec = spec_of(code)
    assert _HAN.search(spec.message_zh), spec.message_zh
    assert spec.message_en.isascii()
    assert len(spec.message_en) >= 8
    if spec.informational:
        assert spec.status == 200
    else:
        assert 400 <= spec.status <= 599


def test_only_the_mis_outage_is_informational() -> None:
    informational = {code for code, spec in CATALOGUE.items() if spec.informational}
    assert informational == {ErrorCode.MIS_UNAVAILABLE}


@pytest.mark.parametrize(
    ("code", "status", "field"),
    [
        (ErrorCode.MALFORMED_REQUEST, 400, None),
        (ErrorCode.INVALID_FIELD, 422, None),
        (ErrorCode.UNSIGNED, 401, None),
        (ErrorCode.STALE_TIMESTAMP, 401, "X-GP-TS"),
        (ErrorCode.TERMINAL_DISABLED, 403, "X-GP-T"),
        (ErrorCode.AGENT_ACCOUNT_UNKNOWN, 401, "agent"),
        (ErrorCode.PASSWORD_WRONG, 401, "pw"),
        (ErrorCode.ORGANISATION_WRONG, 401, "org"),
        (ErrorCode.OPERATOR_LOCKED, 423, "agent"),
        (ErrorCode.ACCOUNT_UNKNOWN, 404, "acct"),
        (ErrorCode.AMOUNT_INVALID, 422, "cash"),
        (ErrorCode.FLOAT_INSUFFICIENT, 409, "cash"),
        (ErrorCode.TXN_ID_REUSED, 409, "txn"),
        (ErrorCode.REVERSAL_NOT_SAME_DAY, 409, "bd"),
        (ErrorCode.SUPERVISOR_CREDENTIAL_WRONG, 403, "sup_pw"),
        (ErrorCode.PAYMENT_NOT_FOUND, 404, "txn"),
        (ErrorCode.INTERNAL_ERROR, 500, None),
    ],
)
def test_status_and_usual_field(code: ErrorCode, status: int, field: str | None) -> None:
    spec = CATALOGUE[code]
    assert (spec.status, spec.field) == (status, field)


def test_sign_in_failures_each_have_their_own_message() -> None:
    messages = {
        CATALOGUE[code].message_zh
        for code in (
            ErrorCode.AGENT_ACCOUNT_UNKNOWN,
            ErrorCode.PASSWORD_WRONG,
            ErrorCode.ORGANISATION_WRONG,
        )
    }
    assert len(messages) == 3


def test_error_body_takes_the_catalogue_defaults() -> None:
    body = error_body(ErrorCode.FLOAT_INSUFFICIENT, details={"float_available": 12000})
    assert body.model_dump(exclude_none=True) == {
        "code": "float_insufficient",
        "field": "cash",
        "message_zh": "本机可用余额不足，请先充值",
        "message_en": "the agent float cannot cover this payment; top up first",
        "details": {"float_available": 12000},
    }
    assert body.status == 409
    assert body.known_code is ErrorCode.FLOAT_INSUFFICIENT


def test_error_body_overrides_field_and_messages() -> None:
    body = error_body(
        ErrorCode.REVERSAL_MISMATCH, field="cash", message_zh="金额不符", message_en="amount"
    )
    assert (body.field, body.message_zh, body.message_en) == ("cash", "金额不符", "amount")
    assert body.details is None


def test_internal_error_carries_its_reference() -> None:
    body = internal_error(reference="e7c1-20240615-0042")
    assert body.code == "internal_error"
    assert body.details == {"ref": "e7c1-20240615-0042"}
    assert "e7c1-20240615-0042" in body.message_zh
    assert "e7c1-20240615-0042" in body.message_en
    assert body.status == 500


def test_a_code_from_a_newer_server_is_still_read() -> None:
    body = ErrorBody(code="quota_exhausted", message_zh="额度已用完", message_en="quota exhausted")
    assert body.known_code is None
    assert body.status == 500


def test_protocol_error_carries_its_body() -> None:
    error = ProtocolError.of(ErrorCode.ACCOUNT_UNKNOWN, details={"acct": "0301234567"})
    assert error.code == "account_unknown"
    assert error.field == "acct"
    assert error.status == 404
    assert error.body.details == {"acct": "0301234567"}
    assert str(error) == "account_unknown [acct]: 户号不存在 / no such customer number"
