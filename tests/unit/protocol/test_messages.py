"""Terminal API messages: round trips, byte budgets over GPRS, routes, cross-field rules."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from gridpos.protocol.codec import MAX_ANSWER_BYTES, decode, decode_params, encode
from gridpos.protocol.errors import ProtocolError
from gridpos.protocol.messages import WireAnswer, WireParams, WireRequest
from gridpos.protocol.signing import receipt_code_matches, sign_request
from gridpos.protocol.terminal import accounts, batches, enrolment, payments, routes, session
from gridpos.protocol.terminal.accounts import MAX_ARREARS_PAGE

from . import samples

PAY_REQUEST_BUDGET = 300
PAY_ANSWER_BUDGET = 900
EXCHANGE_BUDGET = 1500


# ---- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("message", samples.SAMPLES, ids=lambda m: type(m).__name__)
def test_every_sample_survives_the_wire(message: BaseModel) -> None:
    if isinstance(message, WireParams):
        route = next(r for r in routes.ROUTES if r.request is type(message))
        assert _read_target(route, route.target(message)) == message
    else:
        assert decode(type(message), encode(message)) == message


def test_every_route_has_samples_of_what_it_sends_and_answers() -> None:
    kinds = {type(message) for message in samples.SAMPLES}
    for route in routes.ROUTES:
        assert route.request in kinds, route.name
        assert route.answer in kinds or route.answer is payments.UndoAnswer, route.name


def _read_target(route: routes.Route[Any, Any], target: str) -> BaseModel:
    parts = urlsplit(target)
    template = route.path.split("/")
    sent = parts.path.split("/")
    assert len(template) == len(sent)
    params = {
        name[1:-1]: value
        for name, value in zip(template, sent, strict=True)
        if name.startswith("{")
    }
    params.update(parse_qsl(parts.query, keep_blank_values=True))
    message: BaseModel = decode_params(route.request, params)
    return message


# ---- the pay exchange over GPRS ------------------------------------------------------------


def test_pay_request_fits_its_budget() -> None:
    body = encode(samples.PAY_REQUEST)
    assert len(body) == 117
    assert len(body) <= PAY_REQUEST_BUDGET


def test_pay_answer_for_three_billing_months_fits_its_budget() -> None:
    body = encode(samples.PAY_ANSWER)
    assert len(samples.PAY_ANSWER.lines) == 3
    assert len(body) <= PAY_ANSWER_BUDGET


def test_the_whole_pay_exchange_with_headers_fits_a_gprs_budget() -> None:
    request_body = encode(samples.PAY_REQUEST)
    answer_body = encode(samples.PAY_ANSWER)
    signing = sign_request(
        key=samples.KEY,
        method="POST",
        target=routes.PAY.path,
        body=request_body,
        terminal_no=samples.TERMINAL_NO,
        counter=5821,
        now=samples.CASH_TIME,
    )
    heartbeat = session.heartbeat_header(samples.HEARTBEAT)
    request_head = [
        f"POST {routes.PAY.path} HTTP/1.1",
        "Host: gridpos.yx.ah.sgcc.com.cn",
        "Content-Type: application/json",
        f"Content-Length: {len(request_body)}",
        *(f"{name}: {value}" for name, value in signing.items()),
        f"{session.HEARTBEAT_HEADER}: {heartbeat}",
    ]
    answer_head = [
        "HTTP/1.1 200 OK",
        "date: Sat, 15 Jun 2024 02:30:13 GMT",
        "server: uvicorn",
        "content-type: application/json",
        f"content-length: {len(answer_body)}",
    ]
    request_bytes = len(("\r\n".join(request_head) + "\r\n\r\n").encode()) + len(request_body)
    answer_bytes = len(("\r\n".join(answer_head) + "\r\n\r\n").encode()) + len(answer_body)
    assert request_bytes + answer_bytes < EXCHANGE_BUDGET


def test_a_full_arrears_page_fits_what_a_terminal_reads() -> None:
    line = samples.RECEIVABLES[0]
    lines = tuple(line.model_copy(update={"period": f"2023{m:02d}"}) for m in range(1, 13))
    account = samples.ARREARS_ANSWER.accounts[0].model_copy(update={"lines": lines})
    page = accounts.ArrearsAnswer(
        business_date=samples.BUSINESS_DATE,
        area="340828105",
        accounts=tuple(
            account.model_copy(update={"account_no": f"{301234567 + i:010d}"})
            for i in range(MAX_ARREARS_PAGE)
        ),
    )
    body = encode(page)
    assert len(body) <= MAX_ANSWER_BYTES
    assert decode(accounts.ArrearsAnswer, body) == page


# ---- routes ------------------------------------------------------------------------------------


def test_routes_are_unique_and_versioned() -> None:
    names = [route.name for route in routes.ROUTES]
    endpoints = [(route.method, route.path) for route in routes.ROUTES]
    assert len(set(names)) == len(names)
    assert len(set(endpoints)) == len(endpoints)
    for route in routes.ROUTES:
        assert route.path.startswith("/t/v1/")
        assert issubclass(route.answer, WireAnswer)
        expected = WireRequest if route.method == "POST" else WireParams
        assert issubclass(route.request, expected)


def test_only_enrolment_is_unsigned() -> None:
    assert [route.name for route in routes.ROUTES if not route.signed] == ["enrol"]


@pytest.mark.parametrize(
    ("route", "params", "target"),
    [
        (routes.ACCOUNT, samples.ACCOUNT_QUERY, "/t/v1/acct/0301234567"),
        (routes.PAYMENT_STATUS, samples.STATUS_QUERY, "/t/v1/pay/34080017-1042-9f3a1c2e"),
        (routes.ARREARS, samples.ARREARS_QUERY, "/t/v1/arrears?area=340828105"),
        (routes.ARREARS, accounts.ArrearsQuery(limit=80), "/t/v1/arrears?n=80"),
        (routes.STATISTICS, batches.StatisticsQuery(), "/t/v1/stats"),
        (routes.STATISTICS, samples.STATISTICS_QUERY, "/t/v1/stats?page=2&n=10"),
        (routes.REPRINT, payments.ReprintQuery(trace_no=1042), "/t/v1/reprint?trace=1042"),
        (routes.RECONCILE, samples.RECONCILE_QUERY, "/t/v1/reconcile?from=20240601&to=20240615"),
        (routes.PAY, None, "/t/v1/pay"),
    ],
)
def test_targets_are_written_exactly(
    route: routes.Route[Any, Any], params: WireParams | None, target: str
) -> None:
    assert route.target(params) == target


def test_a_target_needs_its_path_parameters() -> None:
    with pytest.raises(ValueError, match="AccountQuery"):
        routes.ACCOUNT.target()
    with pytest.raises(ValueError, match="takes AccountQuery"):
        routes.ACCOUNT.target(samples.STATUS_QUERY)


# ---- transaction ids ---------------------------------------------------------------------------


def test_transaction_id_is_terminal_serial_and_nonce() -> None:
    nonce = uuid.UUID("9f3a1c2e-5b7d-4c1a-8e2f-0a1b2c3d4e5f")
    txn_id = payments.make_txn_id(terminal_no="34080017", serial=1042, nonce=nonce)
    assert txn_id == "34080017-1042-9f3a1c2e"
    parts = payments.parse_txn_id(txn_id)
    assert (parts.terminal_no, parts.serial, parts.nonce) == ("34080017", 1042, "9f3a1c2e")
    longest = payments.make_txn_id(terminal_no="34080017", serial=9_999_999_999, nonce=nonce)
    assert len(longest) == 28


@pytest.mark.parametrize(
    ("terminal_no", "serial"), [("3408001", 1), ("34080017", 0), ("34080017", 10**10)]
)
def test_a_transaction_id_is_not_made_from_bad_parts(terminal_no: str, serial: int) -> None:
    with pytest.raises(ValueError, match=r"between|8 digits"):
        payments.make_txn_id(terminal_no=terminal_no, serial=serial, nonce=uuid.UUID(int=1))


@pytest.mark.parametrize("txn_id", ["34080017-0-9f3a1c2e", "34080017-1042", "x-1-9f3a1c2e"])
def test_a_malformed_transaction_id_does_not_parse(txn_id: str) -> None:
    with pytest.raises(ValueError, match="transaction id"):
        payments.parse_txn_id(txn_id)


# ---- session -----------------------------------------------------------------------------------


def test_heartbeat_header_round_trip() -> None:
    header = session.heartbeat_header(samples.HEARTBEAT)
    assert header == "s=-71,b=83,q=0,v=1.4.2"
    assert session.read_heartbeat_header(header) == samples.HEARTBEAT


def test_heartbeat_header_leaves_out_what_the_terminal_lacks() -> None:
    mains_powered = session.Heartbeat(queue_depth=3, version="1.4.2")
    header = session.heartbeat_header(mains_powered)
    assert header == "q=3,v=1.4.2"
    assert session.read_heartbeat_header(header) == mains_powered


@pytest.mark.parametrize(
    "header",
    [
        "",
        "s=-71",
        "s=-71,b=83,q=0",
        "x=1,q=0,v=1",
        "q=0,q=1,v=1",
        "q=-1,v=1",
        "s=-200,q=0,v=1",
        "q=0.5,v=1",
        "b=101,q=0,v=1",
        "q=0,v=1 4",
        "q=0;v=1",
    ],
)
def test_a_malformed_heartbeat_header_is_named(header: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        session.read_heartbeat_header(header)
    assert (caught.value.code, caught.value.field) == ("invalid_field", "X-GP-H")


HEARTBEAT_BUDGET = 160


def test_a_damaged_journal_rides_in_the_heartbeat_compactly() -> None:
    body = encode(samples.DAMAGED_HEARTBEAT)
    assert orjson.loads(body) == {
        "sig": -71,
        "bat": 83,
        "q": 0,
        "ver": "1.4.2",
        "jd": {"n": 3, "first": 1043, "last": 1187, "k": ["missing", "link_broken", "altered"]},
    }
    assert len(body) == 40 + 78  # the report: ,"jd":{…} is 78 bytes
    assert len(encode(samples.HEARTBEAT)) == 40  # an intact journal adds nothing
    assert decode(session.Heartbeat, body) == samples.DAMAGED_HEARTBEAT


def test_the_largest_damage_report_stays_within_the_heartbeat_budget() -> None:
    worst = samples.DAMAGED_HEARTBEAT.model_copy(
        update={
            "journal_damage": session.JournalDamage(
                problems=999_999_999,
                first_seq=999_999_998,
                last_seq=999_999_999,
                kinds=tuple(session.JournalDamageKind),
            )
        }
    )
    assert len(encode(worst)) <= HEARTBEAT_BUDGET


def test_the_damage_report_never_rides_in_the_header() -> None:
    assert session.heartbeat_header(samples.DAMAGED_HEARTBEAT) == "s=-71,b=83,q=0,v=1.4.2"


def _damaged(**changes: object) -> bytes:
    data = orjson.loads(encode(samples.DAMAGED_HEARTBEAT))
    data["jd"].update(changes)
    return orjson.dumps({key: value for key, value in data.items() if value is not None})


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"first": 1200}, "jd.last", "journal_damage_reversed"),
        ({"k": ["altered", "altered"]}, "jd.k", "journal_damage_kind_repeated"),
        ({"k": ["burnt"]}, "jd.k.0", "enum"),
        ({"k": []}, "jd.k", "too_short"),
        ({"k": ["altered", "missing", "link_broken", "truncated", "altered"]}, "jd.k", "too_long"),
        ({"n": 0}, "jd.n", "greater_than_equal"),
        ({"first": 0}, "jd.first", "greater_than_equal"),
        ({"last": 10**9}, "jd.last", "less_than_equal"),
        ({"rows": [1043]}, "jd.rows", "extra_forbidden"),
    ],
)
def test_a_malformed_damage_report_is_named(
    changes: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(session.Heartbeat, _damaged(**changes))
    assert (caught.value.code, caught.value.field) == ("invalid_field", field)
    assert caught.value.body.details is not None
    assert caught.value.body.details["reason"] == reason


def test_sign_in_carries_the_three_credentials_and_the_allowance() -> None:
    data = orjson.loads(encode(samples.SIGN_IN_REQUEST))
    assert data == {
        "agent": "yx0317",
        "pw": "Dq#2024pos",
        "org": "340828",
        "off": 300_000,
        "hb": {"sig": -71, "bat": 83, "q": 0, "ver": "1.4.2"},
    }


def test_parameters_default_to_the_cautious_rules() -> None:
    params = decode(session.TerminalParams, encode(samples.PARAMS))
    assert params.partial_allowed is False
    assert params.receipt_copies == 1
    assert params.allowed_skew_s == 300


# ---- enrolment ---------------------------------------------------------------------------------


def test_enrolment_answer_hands_over_the_key() -> None:
    answer = decode(enrolment.EnrolAnswer, encode(samples.ENROL_ANSWER))
    assert answer.key_bytes == samples.KEY


@pytest.mark.parametrize("code", ["48291365027", "4829136502710", "48291365027A", 482913650271])
def test_enrolment_code_is_twelve_digits(code: Any) -> None:
    data = {**orjson.loads(encode(samples.ENROL_REQUEST)), "code": code}
    with pytest.raises(ProtocolError) as caught:
        decode(enrolment.EnrolRequest, orjson.dumps(data))
    assert (caught.value.code, caught.value.field) == ("invalid_field", "code")
    assert caught.value.body.message_zh == "字段「code」开通码应为12位数字"


def test_a_malformed_key_in_the_enrolment_answer_is_refused() -> None:
    data = {**orjson.loads(encode(samples.ENROL_ANSWER)), "key": "A" * 42}
    with pytest.raises(ProtocolError) as caught:
        decode(enrolment.EnrolAnswer, orjson.dumps(data))
    assert caught.value.field == "key"


# ---- payments ----------------------------------------------------------------------------------


def test_the_receipt_code_of_an_offline_payment_checks_out() -> None:
    payment = samples.OFFLINE_PAYMENT
    assert receipt_code_matches(
        key=samples.KEY,
        txn_id=payment.txn_id,
        account_no=payment.account_no,
        cash=payment.cash,
        code=payment.verification_code,
    )


def _offline(seq: int, serial: int) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(encode(samples.OFFLINE_PAYMENT))
    data["seq"] = seq
    data["txn"] = f"34080017-{serial}-0c4d2e11"
    return data


def test_offline_upload_must_be_in_sequence() -> None:
    body = orjson.dumps({"pays": [_offline(12, 1043), _offline(12, 1044)]})
    with pytest.raises(ProtocolError) as caught:
        decode(payments.OfflineUploadRequest, body)
    assert (caught.value.code, caught.value.field) == ("invalid_field", "pays")
    assert "序号递增" in caught.value.body.message_zh


def test_offline_upload_refuses_a_repeated_transaction_id() -> None:
    body = orjson.dumps({"pays": [_offline(12, 1043), _offline(13, 1043)]})
    with pytest.raises(ProtocolError) as caught:
        decode(payments.OfflineUploadRequest, body)
    assert caught.value.field == "pays"
    assert caught.value.body.details == {"reason": "offline_duplicate"}


@pytest.mark.parametrize(("count", "reason"), [(0, "too_short"), (21, "too_long")])
def test_offline_upload_carries_one_to_twenty(count: int, reason: str) -> None:
    body = orjson.dumps({"pays": [_offline(seq, 2000 + seq) for seq in range(1, count + 1)]})
    with pytest.raises(ProtocolError) as caught:
        decode(payments.OfflineUploadRequest, body)
    assert (caught.value.field, caught.value.body.details) == ("pays", {"reason": reason})


def test_an_offline_payment_in_an_upload_is_named_by_position() -> None:
    second = {**_offline(13, 1044), "cash": 86.0}
    body = orjson.dumps({"pays": [_offline(12, 1043), second]})
    with pytest.raises(ProtocolError) as caught:
        decode(payments.OfflineUploadRequest, body)
    assert (caught.value.code, caught.value.field) == ("amount_invalid", "pays.1.cash")


def test_a_void_needs_the_supervisor_fields() -> None:
    data = orjson.loads(encode(samples.VOID_REQUEST))
    del data["sup_pw"]
    with pytest.raises(ProtocolError) as caught:
        decode(payments.VoidRequest, orjson.dumps(data))
    assert (caught.value.code, caught.value.field) == ("invalid_field", "sup_pw")


# ---- batches -----------------------------------------------------------------------------------


def test_an_upload_part_cannot_pass_the_count_of_parts() -> None:
    data = {**orjson.loads(encode(samples.UPLOAD_REQUEST)), "part": 3, "parts": 2}
    with pytest.raises(ProtocolError) as caught:
        decode(batches.UploadBatchRequest, orjson.dumps(data))
    assert (caught.value.code, caught.value.field) == ("invalid_field", "part")


def test_an_upload_part_carries_at_most_fifty_rows() -> None:
    data = orjson.loads(encode(samples.UPLOAD_REQUEST))
    data["items"] = data["items"] * (batches.MAX_UPLOAD_ITEMS + 1)
    with pytest.raises(ProtocolError) as caught:
        decode(batches.UploadBatchRequest, orjson.dumps(data))
    assert caught.value.field == "items"
    full = {**data, "items": data["items"][: batches.MAX_UPLOAD_ITEMS]}
    assert len(encode(decode(batches.UploadBatchRequest, orjson.dumps(full)))) < 10_000


def test_a_batch_close_names_the_totals_field() -> None:
    data = orjson.loads(encode(samples.CLOSE_REQUEST))
    data["tot"]["amt"] = -35300
    with pytest.raises(ProtocolError) as caught:
        decode(batches.CloseBatchRequest, orjson.dumps(data))
    assert (caught.value.code, caught.value.field) == ("amount_invalid", "tot.amt")


def test_reconciliation_covers_at_most_31_days_forward() -> None:
    month = decode_params(batches.ReconcileQuery, {"from": "20240501", "to": "20240531"})
    assert month.days == 31
    for dates, reason in (
        ({"from": "20240501", "to": "20240601"}, "date_range_too_long"),
        ({"from": "20240615", "to": "20240614"}, "date_range_reversed"),
    ):
        with pytest.raises(ProtocolError) as caught:
            decode_params(batches.ReconcileQuery, dates)
        assert (caught.value.field, caught.value.body.details) == ("to", {"reason": reason})


def test_a_single_day_is_a_range() -> None:
    query = batches.ReconcileQuery(date_from=date(2024, 6, 15), date_to=date(2024, 6, 15))
    assert query.days == 1


def test_messages_are_immutable() -> None:
    with pytest.raises(ValidationError):
        samples.PAY_REQUEST.cash = 1  # type: ignore[misc]
