"""The body codec: compact JSON out, refusals with names in."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gridpos.protocol.codec import (
    MAX_BODY_BYTES,
    decode,
    decode_error,
    decode_params,
    encode,
    encode_error,
)
from gridpos.protocol.errors import ErrorCode, ProtocolError, error_body, internal_error
from gridpos.protocol.terminal.accounts import AccountAnswer, ArrearsQuery
from gridpos.protocol.terminal.payments import PayAnswer, PayRequest
from gridpos.protocol.terminal.session import SignInAnswer

from .samples import ACCOUNT_ANSWER, MIS_NOTICE, PAY_ANSWER, PAY_REQUEST, SIGN_IN_ANSWER


def test_a_request_is_written_compactly_with_wire_names() -> None:
    assert encode(PAY_REQUEST) == (
        b'{"txn":"34080017-1042-9f3a1c2e","trace":1042,"acct":"0301234567",'
        b'"cash":35300,"round":40,"due":35260,"at":1718418612}'
    )


def test_nulls_and_defaults_are_left_out_and_come_back() -> None:
    body = encode(PAY_ANSWER)
    data = orjson.loads(body)
    assert None not in data.values()
    # zero prepaid and rounding credit before, the confirmed state, offline=false: all defaults
    for default in ("pre_b", "pre_a", "rc_b", "state", "off"):
        assert default not in data
    assert data["rc_a"] == 40
    assert "pen" not in data["lines"][2]
    back = decode(PayAnswer, body)
    assert back == PAY_ANSWER
    assert back.prepaid_before == 0
    assert back.lines[2].penalty == 0
    assert back.offline is False


def test_chinese_travels_as_utf8_not_escapes() -> None:
    body = encode(PAY_ANSWER)
    assert "储德胜".encode() in body
    assert b"\\u" not in body


def test_a_notice_rides_in_an_answer() -> None:
    answer = ACCOUNT_ANSWER.model_copy(update={"notices": (MIS_NOTICE,)})
    back = decode(AccountAnswer, encode(answer))
    assert back.notices[0].known_code is ErrorCode.MIS_UNAVAILABLE
    assert back.notices[0].status == 200


@pytest.mark.parametrize("body", [b"", b"{", b"cash=35300", b"\xff\xfe", b'{"cash": 1}}'])
def test_not_json_is_malformed(body: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(PayRequest, body)
    assert caught.value.code == "malformed_request"
    assert caught.value.status == 400


@pytest.mark.parametrize("body", [b"[]", b"35300", b'"pay"', b"null"])
def test_json_that_is_not_an_object_is_malformed(body: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(PayRequest, body)
    assert caught.value.code == "malformed_request"
    assert "JSON 对象" in caught.value.body.message_zh


def test_an_integer_past_64_bits_is_refused_as_an_amount() -> None:
    # orjson reads an integer past 64 bits as a float; the money type refuses it by name
    data = orjson.loads(encode(PAY_REQUEST))
    body = orjson.dumps(data).replace(b'"cash":35300', b'"cash":123456789012345678901234567890')
    with pytest.raises(ProtocolError) as caught:
        decode(PayRequest, body)
    assert (caught.value.code, caught.value.field) == ("amount_invalid", "cash")


def test_a_body_past_the_limit_is_refused_before_parsing() -> None:
    body = b" " * (MAX_BODY_BYTES + 1)
    with pytest.raises(ProtocolError) as caught:
        decode(PayRequest, body)
    assert caught.value.code == "body_too_large"
    assert caught.value.status == 413
    assert caught.value.body.details == {"max": MAX_BODY_BYTES}


def test_python_names_are_not_the_wire_names() -> None:
    data: dict[str, Any] = orjson.loads(encode(PAY_REQUEST))
    data["account_no"] = data.pop("acct")
    with pytest.raises(ProtocolError) as caught:
        decode(PayRequest, orjson.dumps(data))
    assert caught.value.code == "invalid_field"
    assert caught.value.field == "acct"
    assert caught.value.body.details == {"reason": "missing", "errors": 2}
    assert caught.value.body.message_zh == "字段「acct」缺少此字段"


def test_a_request_with_an_unknown_field_is_refused() -> None:
    data = {**orjson.loads(encode(PAY_REQUEST)), "tip": 100}
    with pytest.raises(ProtocolError) as caught:
        decode(PayRequest, orjson.dumps(data))
    assert (caught.value.code, caught.value.field) == ("invalid_field", "tip")
    assert caught.value.body.details == {"reason": "extra_forbidden"}


def test_an_answer_with_an_unknown_field_is_read() -> None:
    # a newer server may add fields; terminals in the valleys upgrade later
    data = orjson.loads(encode(SIGN_IN_ANSWER))
    data["promo"] = "夏季用电提示"
    data["par"]["future"] = 1
    assert decode(SignInAnswer, orjson.dumps(data)) == SIGN_IN_ANSWER


def test_error_bodies_round_trip() -> None:
    body = error_body(ErrorCode.FLOAT_INSUFFICIENT, details={"float_available": 12000})
    assert decode_error(encode_error(body)) == body


def test_an_error_without_field_leaves_it_out() -> None:
    data = orjson.loads(encode_error(internal_error(reference="r-1")))
    assert set(data) == {"code", "message_zh", "message_en", "details"}


def test_a_proxy_page_is_not_an_error_body() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_error(b'{"detail": "Not Found"}')
    assert caught.value.code == "malformed_request"
    with pytest.raises(ProtocolError):
        decode_error(b"<html><body>502 Bad Gateway</body></html>")


def test_parameters_read_from_strings() -> None:
    query = decode_params(ArrearsQuery, {"area": "340828105", "after": "0301234567", "n": "50"})
    assert (query.area, query.after, query.limit) == ("340828105", "0301234567", 50)
    assert decode_params(ArrearsQuery, {}).limit == 50


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "int_type"),
        ("0", "greater_than_equal"),
        ("101", "less_than_equal"),
        ("-5", "int_type"),
        ("5.0", "int_type"),
        ("", "int_type"),
    ],
)
def test_a_bad_parameter_is_named(value: str, reason: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_params(ArrearsQuery, {"n": value})
    assert (caught.value.code, caught.value.field) == ("invalid_field", "n")
    assert caught.value.body.details == {"reason": reason}


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_params(ArrearsQuery, {"limit": "50"})
    assert (caught.value.code, caught.value.field) == ("invalid_field", "limit")
