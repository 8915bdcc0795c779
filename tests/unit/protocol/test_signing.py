"""Request signing: round trip, the documented canonical string, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.signing import (
    HEADER_COUNTER,
    HEADER_SIGNATURE,
    HEADER_TERMINAL,
    HEADER_TIMESTAMP,
    SIGNED_HEADERS,
    SignatureRefusal,
    SignedHeaders,
    decode_key,
    encode_key,
    read_signed_headers,
    receipt_code,
    receipt_code_matches,
    sign_request,
    verify_request,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = datetime(2024, 6, 15, 2, 30, 12, tzinfo=UTC)
NOW_S = 1718418612
TARGET = "/t/v1/pay"
BODY = b'{"txn":"34080017-1042-9f3a1c2e","cash":35300}'


def _sign(**overrides: object) -> dict[str, str]:
    arguments: dict[str, object] = {
        "key": KEY,
        "method": "POST",
        "target": TARGET,
        "body": BODY,
        "terminal_no": "34080017",
        "counter": 5821,
        "now": NOW,
    }
    arguments.update(overrides)
    return sign_request(**arguments)  # type: ignore[arg-type]


def _verify(
    headers: dict[str, str],
    *,
    key: bytes = KEY,
    method: str = "POST",
    target: str = TARGET,
    body: bytes = BODY,
    now: datetime = NOW,
    last_counter: int | None = 5820,
    allowed_skew_s: int = 300,
) -> SignatureRefusal | None:
    signed = read_signed_headers(headers)
    assert isinstance(signed, SignedHeaders), signed
    return verify_request(
        signed=signed,
        key=key,
        method=method,
        target=target,
        body=body,
        now=now,
        last_counter=last_counter,
        allowed_skew_s=allowed_skew_s,
    )


def test_round_trip_accepts_a_genuine_request() -> None:
    headers = _sign()
    assert headers[HEADER_TERMINAL] == "34080017"
    assert headers[HEADER_TIMESTAMP] == str(NOW_S)
    assert headers[HEADER_COUNTER] == "5821"
    assert len(headers[HEADER_SIGNATURE]) == 43
    assert _verify(headers) is None


def test_signature_is_hmac_sha256_of_the_documented_canonical_string() -> None:
    body_hash = hashlib.sha256(BODY).hexdigest()
    canonical = f"GP1\nPOST\n/t/v1/pay\n34080017\n{NOW_S}\n5821\n{body_hash}".encode()
    digest = hmac.new(KEY, canonical, hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert _sign()[HEADER_SIGNATURE] == expected


def test_first_request_of_a_terminal_has_no_last_counter() -> None:
    assert _verify(_sign(counter=1), last_counter=None) is None


def test_header_names_are_matched_case_insensitively() -> None:
    headers = {name.lower(): value for name, value in _sign().items()}
    assert _verify(headers) is None


def test_get_signs_the_query_and_the_empty_body() -> None:
    target = "/t/v1/reconcile?from=20240601&to=20240615"
    headers = _sign(method="GET", target=target, body=b"")
    assert _verify(headers, method="GET", target=target, body=b"") is None
    swapped = "/t/v1/reconcile?from=20240501&to=20240615"
    refusal = _verify(headers, method="GET", target=swapped, body=b"")
    assert refusal is not None
    assert refusal.code is ErrorCode.BAD_SIGNATURE


def test_method_is_signed_in_upper_case() -> None:
    assert _sign(method="post") == _sign(method="POST")


@pytest.mark.parametrize("missing", SIGNED_HEADERS)
def test_a_missing_header_is_unsigned_and_named(missing: str) -> None:
    headers = _sign()
    del headers[missing]
    refusal = read_signed_headers(headers)
    assert isinstance(refusal, SignatureRefusal)
    assert refusal.code is ErrorCode.UNSIGNED
    assert refusal.field == missing


def test_no_headers_at_all_is_unsigned() -> None:
    refusal = read_signed_headers({"Content-Type": "application/json"})
    assert isinstance(refusal, SignatureRefusal)
    assert refusal.code is ErrorCode.UNSIGNED
    assert refusal.field == HEADER_TERMINAL


def test_an_empty_header_is_unsigned() -> None:
    headers = _sign()
    headers[HEADER_COUNTER] = ""
    refusal = read_signed_headers(headers)
    assert isinstance(refusal, SignatureRefusal)
    assert (refusal.code, refusal.field) == (ErrorCode.UNSIGNED, HEADER_COUNTER)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (HEADER_TERMINAL, "3408001"),
        (HEADER_TERMINAL, "3408001A"),
        (HEADER_TIMESTAMP, "1.718e9"),
        (HEADER_TIMESTAMP, "-1718418612"),
        (HEADER_COUNTER, "5821x"),
        (HEADER_COUNTER, "99999999999999999999"),
    ],
)
def test_an_unreadable_header_is_unsigned_and_named(header: str, value: str) -> None:
    headers = _sign()
    headers[header] = value
    refusal = read_signed_headers(headers)
    assert isinstance(refusal, SignatureRefusal)
    assert (refusal.code, refusal.field) == (ErrorCode.UNSIGNED, header)


@pytest.mark.parametrize(
    "value",
    ["abc", "A" * 44, "A" * 42 + "=", "A" * 42 + "+", "A" * 42 + "/"],
)
def test_a_malformed_signature_is_a_bad_signature(value: str) -> None:
    headers = _sign()
    headers[HEADER_SIGNATURE] = value
    refusal = read_signed_headers(headers)
    assert isinstance(refusal, SignatureRefusal)
    assert (refusal.code, refusal.field) == (ErrorCode.BAD_SIGNATURE, HEADER_SIGNATURE)


@pytest.mark.parametrize(
    ("tamper", "value"),
    [
        ("body", b'{"txn":"34080017-1042-9f3a1c2e","cash":95300}'),
        ("body", b""),
        ("target", "/t/v1/void"),
        ("target", "/t/v1/pay?x=1"),
        ("method", "PUT"),
        ("key", OTHER_KEY),
    ],
)
def test_anything_altered_is_a_bad_signature(tamper: str, value: object) -> None:
    refusal = _verify(_sign(), **{tamper: value})  # type: ignore[arg-type]
    assert refusal is not None
    assert (refusal.code, refusal.field) == (ErrorCode.BAD_SIGNATURE, HEADER_SIGNATURE)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (HEADER_TIMESTAMP, str(NOW_S + 1)),
        (HEADER_COUNTER, "5822"),
        (HEADER_TERMINAL, "34080018"),
    ],
)
def test_an_altered_signed_header_is_a_bad_signature(header: str, value: str) -> None:
    headers = _sign()
    headers[header] = value
    refusal = _verify(headers)
    assert refusal is not None
    assert refusal.code is ErrorCode.BAD_SIGNATURE


@pytest.mark.parametrize("offset_s", [301, -301, 3600, -86_400])
def test_a_timestamp_past_the_skew_either_way_is_stale(offset_s: int) -> None:
    # the terminal signed at NOW; the server's clock reads NOW + offset
    server_now = NOW + timedelta(seconds=offset_s)
    refusal = _verify(_sign(), now=server_now)
    assert refusal is not None
    assert (refusal.code, refusal.field) == (ErrorCode.STALE_TIMESTAMP, HEADER_TIMESTAMP)
    assert refusal.details["server_time"] == NOW_S + offset_s


@pytest.mark.parametrize("offset_s", [300, -300, 0, 59])
def test_a_timestamp_within_the_skew_is_fresh(offset_s: int) -> None:
    assert _verify(_sign(), now=NOW + timedelta(seconds=offset_s)) is None


def test_the_allowed_skew_is_the_callers() -> None:
    refusal = _verify(_sign(), now=NOW + timedelta(seconds=31), allowed_skew_s=30)
    assert refusal is not None
    assert refusal.code is ErrorCode.STALE_TIMESTAMP


@pytest.mark.parametrize("last_counter", [5821, 5822, 9_000_000])
def test_a_counter_not_above_the_last_is_replayed(last_counter: int) -> None:
    refusal = _verify(_sign(counter=5821), last_counter=last_counter)
    assert refusal is not None
    assert (refusal.code, refusal.field) == (ErrorCode.REPLAYED_COUNTER, HEADER_COUNTER)
    assert refusal.details == {"last": last_counter}


def test_a_counter_may_jump_ahead() -> None:
    assert _verify(_sign(counter=9_000_000), last_counter=5821) is None


def test_a_wrong_signature_says_nothing_of_clock_or_counter() -> None:
    # stale and replayed, but signed with another key: only "bad signature" is told
    headers = _sign(key=OTHER_KEY, counter=3)
    refusal = _verify(headers, now=NOW + timedelta(days=1), last_counter=5821)
    assert refusal is not None
    assert refusal.code is ErrorCode.BAD_SIGNATURE
    assert dict(refusal.details) == {}


def test_a_stale_and_replayed_request_is_refused_as_stale() -> None:
    refusal = _verify(_sign(counter=5), now=NOW + timedelta(hours=1), last_counter=5821)
    assert refusal is not None
    assert refusal.code is ErrorCode.STALE_TIMESTAMP


def test_a_refusal_becomes_an_error_body() -> None:
    refusal = _verify(_sign(), last_counter=5821)
    assert refusal is not None
    body = refusal.body()
    assert body.code == "replayed_counter"
    assert body.field == HEADER_COUNTER
    assert body.details == {"last": 5821}
    assert body.status == 401
    assert "重放" in body.message_zh


def test_signing_refuses_programming_errors() -> None:
    with pytest.raises(ValueError, match="timezone"):
        _sign(now=datetime(2024, 6, 15, 10, 30))  # noqa: DTZ001 - the naive time is the point
    with pytest.raises(ValueError, match="32 bytes"):
        _sign(key=b"short")
    with pytest.raises(ValueError, match="counter"):
        _sign(counter=0)
    with pytest.raises(ValueError, match="8 digits"):
        _sign(terminal_no="T1")


def test_verifying_refuses_a_naive_clock() -> None:
    signed = read_signed_headers(_sign())
    assert isinstance(signed, SignedHeaders)
    with pytest.raises(ValueError, match="timezone"):
        verify_request(
            signed=signed,
            key=KEY,
            method="POST",
            target=TARGET,
            body=BODY,
            now=datetime(2024, 6, 15, 2, 30, 12),  # noqa: DTZ001
            last_counter=None,
        )


def test_key_travels_as_43_base64url_characters() -> None:
    text = encode_key(KEY)
    assert len(text) == 43
    assert text == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    assert decode_key(text) == KEY


@pytest.mark.parametrize(
    "text",
    [
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  # padded
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",  # 42 characters
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+",  # base64, not base64url
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",  # non-canonical last character
    ],
)
def test_a_malformed_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="43 base64url"):
        decode_key(text)


def test_only_a_32_byte_key_is_encoded() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encode_key(KEY[:31])


def test_receipt_code_is_eight_digits_of_the_documented_hmac() -> None:
    message = b"GPRC1\n34080017-1042-9f3a1c2e\n0301234567\n35300"
    digest = hmac.new(KEY, message, hashlib.sha256).digest()
    expected = f"{int.from_bytes(digest[:8], 'big') % 100_000_000:08d}"
    code = receipt_code(
        key=KEY, txn_id="34080017-1042-9f3a1c2e", account_no="0301234567", cash=35300
    )
    assert code == expected
    assert len(code) == 8
    assert code.isdigit()


def test_receipt_code_checks_out_only_for_its_own_payment() -> None:
    code = receipt_code(
        key=KEY, txn_id="34080017-1042-9f3a1c2e", account_no="0301234567", cash=35300
    )
    common = {"txn_id": "34080017-1042-9f3a1c2e", "account_no": "0301234567"}
    assert receipt_code_matches(key=KEY, cash=35300, code=code, **common)
    assert not receipt_code_matches(key=KEY, cash=35400, code=code, **common)
    assert not receipt_code_matches(key=OTHER_KEY, cash=35300, code=code, **common)
    assert not receipt_code_matches(key=KEY, cash=35300, code="收据", **common)
