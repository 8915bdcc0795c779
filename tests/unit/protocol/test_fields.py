"""Field validation on the wire: money, identifiers, dates and times refused by name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from gridpos.protocol.codec import decode
from gridpos.protocol.errors import ProtocolError
from gridpos.protocol.fields import MAX_AMOUNT_FEN
from gridpos.protocol.terminal.accounts import AccountAnswer
from gridpos.protocol.terminal.payments import PayRequest, ReverseRequest

from .samples import ACCOUNT_ANSWER, PAY_REQUEST, REVERSE_REQUEST

PAY: dict[str, Any] = {
    "txn": "34080017-1042-9f3a1c2e",
    "trace": 1042,
    "acct": "0301234567",
    "cash": 35300,
    "round": 40,
    "due": 35260,
    "at": 1718418612,
}


def _refusal(model: type[Any], data: dict[str, Any]) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        decode(model, orjson.dumps(data))
    return caught.value


def _pay_with(**changes: Any) -> dict[str, Any]:
    return {**PAY, **changes}


def test_the_sample_request_reads_back() -> None:
    assert decode(PayRequest, orjson.dumps(PAY)) == PAY_REQUEST


@pytest.mark.parametrize(
    ("cash", "reason", "zh"),
    [
        (35300.0, "not_integer", "整数"),
        (353.5, "not_integer", "整数"),
        (True, "not_integer", "整数"),
        (False, "not_integer", "整数"),
        ("35300", "not_integer", "整数"),
        (None, "not_integer", "整数"),
        ([35300], "not_integer", "整数"),
        (0, "zero", "不能为零"),
        (-35300, "negative", "负数"),
        (-1, "negative", "负数"),
        (MAX_AMOUNT_FEN + 1, "too_large", "不能超过"),
        (10**15, "too_large", "不能超过"),
    ],
)
def test_cash_must_be_a_positive_whole_number_of_fen(cash: Any, reason: str, zh: str) -> None:
    error = _refusal(PayRequest, _pay_with(cash=cash))
    assert error.code == "amount_invalid"
    assert error.field == "cash"
    assert error.status == 422
    assert error.body.details == {"reason": reason}
    assert error.body.message_zh.startswith("字段「cash」")
    assert zh in error.body.message_zh
    assert error.body.message_en.startswith("cash: ")


def test_the_largest_cash_is_accepted() -> None:
    assert decode(PayRequest, orjson.dumps(_pay_with(cash=MAX_AMOUNT_FEN))).cash == MAX_AMOUNT_FEN


def test_amount_due_may_be_zero_but_not_negative() -> None:
    assert decode(PayRequest, orjson.dumps(_pay_with(due=0, round=0))).amount_due == 0
    error = _refusal(PayRequest, _pay_with(due=-1))
    assert (error.code, error.field, error.body.details) == (
        "amount_invalid",
        "due",
        {"reason": "negative"},
    )


def test_round_up_is_under_one_yuan() -> None:
    error = _refusal(PayRequest, _pay_with(round=100))
    assert (error.code, error.field, error.body.details) == (
        "amount_invalid",
        "round",
        {"reason": "too_large"},
    )


def test_round_up_cannot_exceed_the_cash() -> None:
    error = _refusal(PayRequest, _pay_with(cash=50, round=60, due=0))
    assert (error.code, error.field) == ("amount_invalid", "round")
    assert error.body.details == {"reason": "round_up_over_cash"}
    assert "取整金额不能超过实收金额" in error.body.message_zh


def test_a_json_float_written_as_an_exponent_is_still_a_float() -> None:
    error = _refusal(PayRequest, {**PAY, "cash": 3.53e4})
    assert (error.code, error.field) == ("amount_invalid", "cash")


@pytest.mark.parametrize(
    "account_no",
    [
        "12345",
        "03012345678901234",
        "03O1234567",
        "0301 234567",
        "",
        "０３０１２３４５６７",
        301234567,
    ],
)
def test_a_malformed_customer_number_is_refused_by_name(account_no: Any) -> None:
    error = _refusal(PayRequest, _pay_with(acct=account_no))
    assert (error.code, error.field) == ("invalid_field", "acct")
    assert error.status == 422
    assert error.body.message_zh == "字段「acct」户号应为6至16位数字"
    assert error.body.details == {"reason": "account_no_invalid"}


@pytest.mark.parametrize(
    "txn",
    [
        "34080017-1042",
        "34080017-1042-9F3A1C2E",
        "3408001-1042-9f3a1c2e",
        "34080017-12345678901-9f3a1c2e",
        "34080017--9f3a1c2e",
    ],
)
def test_a_malformed_transaction_id_is_refused(txn: str) -> None:
    error = _refusal(PayRequest, _pay_with(txn=txn))
    assert (error.code, error.field) == ("invalid_field", "txn")


@pytest.mark.parametrize("trace", [0, 1_000_000, "1042", True, 1042.0, -5])
def test_a_trace_number_is_one_to_six_digits(trace: Any) -> None:
    error = _refusal(PayRequest, _pay_with(trace=trace))
    assert (error.code, error.field) == ("invalid_field", "trace")


@pytest.mark.parametrize(
    "at",
    [1718418612.5, "1718418612", "2024-06-15T02:30:12Z", True, 0, 946684799, 4102444800],
)
def test_cash_time_is_whole_unix_seconds_in_this_century(at: Any) -> None:
    error = _refusal(PayRequest, _pay_with(at=at))
    assert (error.code, error.field) == ("invalid_field", "at")
    assert "Unix" in error.body.message_zh


def test_cash_time_reads_as_aware_utc() -> None:
    request = decode(PayRequest, orjson.dumps(PAY))
    assert request.cash_time == datetime(2024, 6, 15, 2, 30, 12, tzinfo=UTC)
    assert request.cash_time.tzinfo is UTC


def test_a_python_time_is_converted_to_utc_whole_seconds() -> None:
    beijing = timezone(timedelta(hours=8))
    made = PayRequest(
        txn_id=PAY_REQUEST.txn_id,
        trace_no=1042,
        account_no="0301234567",
        cash=35300,
        round_up=40,
        amount_due=35260,
        cash_time=datetime(2024, 6, 15, 10, 30, 12, 999_999, tzinfo=beijing),
    )
    assert made.cash_time == datetime(2024, 6, 15, 2, 30, 12, tzinfo=UTC)
    assert made == PAY_REQUEST


def test_a_naive_python_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        PayRequest(
            txn_id="34080017-1042-9f3a1c2e",
            trace_no=1042,
            account_no="0301234567",
            cash=35300,
            amount_due=35260,
            cash_time=datetime(2024, 6, 15, 10, 30, 12),  # noqa: DTZ001 - the point of the test
        )


REVERSE: dict[str, Any] = {
    "txn": "34080017-1042-9f3a1c2e",
    "trace": 1042,
    "bd": "20240615",
    "cash": 35300,
    "rtrace": 1044,
}


def test_the_reversal_sample_reads_back() -> None:
    assert decode(ReverseRequest, orjson.dumps(REVERSE)) == REVERSE_REQUEST
    assert REVERSE_REQUEST.business_date == date(2024, 6, 15)


@pytest.mark.parametrize(
    "business_date",
    ["2024-06-15", "20240230", "20241301", "2024061", "202406150", 20240615, "19991231", ""],
)
def test_a_malformed_business_date_is_refused_by_name(business_date: Any) -> None:
    error = _refusal(ReverseRequest, {**REVERSE, "bd": business_date})
    assert (error.code, error.field) == ("invalid_field", "bd")
    assert error.body.message_zh == "字段「bd」日期格式应为YYYYMMDD，且为有效日期"


def test_a_leap_day_is_a_date() -> None:
    request = decode(ReverseRequest, orjson.dumps({**REVERSE, "bd": "20240229"}))
    assert request.business_date == date(2024, 2, 29)


def test_a_python_datetime_is_not_a_business_date() -> None:
    with pytest.raises(ValidationError, match="YYYYMMDD"):
        ReverseRequest(
            txn_id="34080017-1042-9f3a1c2e",
            trace_no=1042,
            business_date=datetime(2024, 6, 15, tzinfo=UTC),
            cash=35300,
            reversal_trace_no=1044,
        )


def _account_answer_data() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(orjson.dumps(ACCOUNT_ANSWER.model_dump(mode="json")))
    return data


def test_a_nested_field_is_named_by_its_path() -> None:
    data = _account_answer_data()
    data["lines"][1]["prin"] = 8593.0
    error = _refusal(AccountAnswer, data)
    assert (error.code, error.field) == ("amount_invalid", "lines.1.prin")
    assert error.body.message_zh.startswith("字段「lines.1.prin」")


@pytest.mark.parametrize("period", ["202413", "202400", "2024-05", "20245", 202405, "199912"])
def test_a_malformed_billing_month_is_refused(period: Any) -> None:
    data = _account_answer_data()
    data["lines"][0]["period"] = period
    error = _refusal(AccountAnswer, data)
    assert (error.code, error.field) == ("invalid_field", "lines.0.period")
    assert "YYYYMM" in error.body.message_zh


def test_a_category_outside_the_list_is_refused() -> None:
    data = _account_answer_data()
    data["cat"] = "industrial"
    error = _refusal(AccountAnswer, data)
    assert (error.code, error.field) == ("invalid_field", "cat")
    assert error.body.details == {"reason": "enum"}


def test_a_rounding_credit_the_replica_holds_above_one_yuan_is_answered() -> None:
    # the MIS keeps what it keeps: 1.50 yuan carried over months is shown, not refused
    data = _account_answer_data()
    data["rc"] = 150
    assert decode(AccountAnswer, orjson.dumps(data)).rounding_credit == 150
    data["rc"] = -1
    error = _refusal(AccountAnswer, data)
    assert (error.code, error.field) == ("amount_invalid", "rc")
