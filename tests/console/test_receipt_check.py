"""The public receipt check: the QR text read as the terminal writes it, genuine receipts of every
state (confirmed, reversed by tombstone or after, offline not yet uploaded), receipts that are not
genuine, the check by hand, a rotated key, the rate limit, and the page over HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gridpos.adapters.db.tables import payments, terminals
from gridpos.application.console import ConsoleServices, InvalidFormError
from gridpos.application.console.receipt_check import (
    CheckRefusedError,
    QrClaim,
    ReceiptCheckLimiter,
    ReceiptStatus,
    TypedClaim,
    check_receipt,
    mask_account_no,
    read_claim,
)
from gridpos.interfaces.console import ConsoleConfig, CookieSecurity, console_routes
from gridpos.protocol.signing import receipt_code
from gridpos.protocol.terminal import routes
from gridpos.protocol.terminal.payments import ReverseRequest, make_txn_id
from gridpos.terminal.receipt.qr import QrContentError, parse_qr_content, qr_content

from .collecting import Collecting, seed_collecting
from .conftest import SettableClock
from .seed import Tree

DAY = date(2024, 5, 1)  # the clock fixture's 08:00 UTC is 16:00 in the county


@pytest.fixture
def collecting(engine: Engine, tree: Tree, clock: SettableClock) -> Iterator[Collecting]:
    world = seed_collecting(engine, tree, clock, day=DAY)
    yield world
    world.http.close()


def _qr(terminal_no: str, txn_id: str, account_no: str, cash: int, code: str) -> str:
    return f"GP1|{terminal_no}|{txn_id}|{account_no}|{cash}|{code}"


def _check(services: ConsoleServices, claim: QrClaim | TypedClaim, client: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return check_receipt(services, ReceiptCheckLimiter(), client=client, claim=claim)


# ---- reading what was scanned or typed ---------------------------------------------------------


def test_the_qr_text_is_read_exactly_as_the_terminal_writes_it() -> None:
    txn_id = make_txn_id(terminal_no="34080101", serial=1042, nonce=uuid.UUID(int=0x9F3A1C2E))
    text = qr_content(
        terminal_no="34080101",
        txn_id=txn_id,
        account_no="0100000001",
        cash=12500,
        verification_code="48213906",
    )
    claim = read_claim(qr=f"  {text}\n")
    terminal_reads = parse_qr_content(text)
    assert claim == QrClaim(
        terminal_no=terminal_reads.terminal_no,
        txn_id=terminal_reads.txn_id,
        account_no=terminal_reads.account_no,
        cash=terminal_reads.cash,
        verification_code=terminal_reads.verification_code,
    )
    assert claim.cash == 12500
    refused = [
        "GP2|34080101|34080101-1-0000abcd|0100000001|100|12345678",  # another layout
        "GP1|34080101|34080102-1-0000abcd|0100000001|100|12345678",  # txn of another terminal
        "GP1|34080101|34080101-1-0000abcd|0100000001|0|12345678",  # no cash
        "GP1|34080101|34080101-1-0000abcd|0100000001|100|1234567",  # seven-digit code
        "GP1|34080101|34080101-1-0000ABCD|0100000001|100|12345678",  # upper-case nonce
        "34080101|12345678",
    ]
    for text in refused:
        with pytest.raises(QrContentError):
            parse_qr_content(text)
        with pytest.raises(InvalidFormError) as caught:
            read_claim(qr=text)
        assert [(e.field, e.code) for e in caught.value.errors] == [("qr", "receipt_qr_invalid")]


def test_the_fields_typed_by_hand_are_each_named_when_wrong() -> None:
    assert read_claim(terminal_no="34080101", trace_no="17", code="01234567") == TypedClaim(
        terminal_no="34080101", trace_no=17, verification_code="01234567"
    )
    with pytest.raises(InvalidFormError) as caught:
        read_claim(terminal_no="3408", trace_no="", code="12a45678")
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("terminal_no", "field_malformed"),
        ("trace_no", "field_required"),
        ("code", "field_malformed"),
    }
    by_field = {e.field: e for e in caught.value.errors}
    assert by_field["terminal_no"].message_zh == "终端号应为8 位数字"
    assert by_field["code"].message_en == "the verification code is 8 digits"


def test_a_customer_number_is_masked() -> None:
    assert mask_account_no("0100000001") == "01****0001"
    assert mask_account_no("3408001234567890") == "34**********7890"
    assert mask_account_no("123456") == "****56"


# ---- verdicts -----------------------------------------------------------------------------------


def test_a_confirmed_payment_is_genuine_from_its_qr_code_and_by_hand(
    services: ConsoleServices, collecting: Collecting
) -> None:
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    paid = terminal.pay("0100000001", 12_345)
    verdict = _check(
        services,
        read_claim(qr=_qr("34080101", paid.txn_id, "0100000001", 12_345, paid.verification_code)),
    )
    assert verdict.genuine
    covered = verdict.coverage
    assert covered is not None
    assert covered.status is ReceiptStatus.CONFIRMED
    assert (covered.cash, covered.account_masked, covered.terminal_no) == (
        12_345,
        "01****0001",
        "34080101",
    )
    assert covered.collection_point == "天堂镇代收点"
    assert covered.business_date == DAY
    assert covered.trace_no == paid.trace_no
    assert not covered.offline

    typed = _check(
        services,
        read_claim(
            terminal_no="34080101", trace_no=str(paid.trace_no), code=paid.verification_code
        ),
    )
    assert typed.genuine
    assert typed.coverage == covered


def test_what_does_not_match_is_not_genuine_and_shows_nothing(
    services: ConsoleServices, collecting: Collecting
) -> None:
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    paid = terminal.pay("0100000001", 5_000)
    wrong_code = f"{(int(paid.verification_code) + 1) % 10**8:08d}"
    forged = [
        _qr("34080101", paid.txn_id, "0100000001", 50_000, paid.verification_code),  # cash
        _qr("34080101", paid.txn_id, "0100000002", 5_000, paid.verification_code),  # customer
        _qr("34080101", paid.txn_id, "0100000001", 5_000, wrong_code),
        _qr(
            "34089999",
            paid.txn_id.replace("34080101", "34089999"),
            "0100000001",
            5_000,
            paid.verification_code,
        ),  # no such terminal
    ]
    for text in forged:
        verdict = _check(services, read_claim(qr=text))
        assert (verdict.genuine, verdict.coverage) == (False, None), text
    for typed in (
        read_claim(terminal_no="34080101", trace_no=str(paid.trace_no), code=wrong_code),
        read_claim(terminal_no="34080101", trace_no="999", code=paid.verification_code),
        read_claim(
            terminal_no="34080201", trace_no=str(paid.trace_no), code=paid.verification_code
        ),
    ):
        assert not _check(services, typed).genuine


def test_an_offline_receipt_not_yet_uploaded_is_checked_with_the_terminals_key(
    services: ConsoleServices, collecting: Collecting
) -> None:
    key = collecting.keys["34080201"]
    txn_id = make_txn_id(terminal_no="34080201", serial=7, nonce=uuid.uuid4())
    code = receipt_code(key=key, txn_id=txn_id, account_no="0100000002", cash=8_800)
    verdict = _check(services, read_claim(qr=_qr("34080201", txn_id, "0100000002", 8_800, code)))
    assert verdict.genuine
    assert verdict.coverage is not None
    assert verdict.coverage.status is ReceiptStatus.NOT_UPLOADED
    assert verdict.coverage.offline
    assert verdict.coverage.collection_point == "店前代收点"
    assert verdict.coverage.business_date is None
    # by hand it cannot be found (the serial is not known to the company yet)
    assert not _check(services, read_claim(terminal_no="34080201", trace_no="7", code=code)).genuine
    # the same code with another amount is not this receipt's
    other = read_claim(qr=_qr("34080201", txn_id, "0100000002", 8_801, code))
    assert not _check(services, other).genuine


def test_reversed_payments_show_as_reversed(
    services: ConsoleServices, collecting: Collecting
) -> None:
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    paid = terminal.pay("0100000001", 3_000)
    _unused, trace_no = terminal.next_txn()
    terminal.send(
        routes.REVERSE,
        ReverseRequest(
            txn_id=paid.txn_id,
            trace_no=paid.trace_no,
            business_date=DAY,
            cash=3_000,
            reversal_trace_no=trace_no,
        ),
    )
    reversed_later = _check(
        services,
        read_claim(qr=_qr("34080101", paid.txn_id, "0100000001", 3_000, paid.verification_code)),
    )
    assert reversed_later.coverage is not None
    assert reversed_later.coverage.status is ReceiptStatus.REVERSED
    # a reversal that arrived before its payment (a tombstone): the receipt was printed offline
    # or before the answer was lost, and the payment can never be recorded
    lost_txn, lost_trace = terminal.next_txn()
    _txn, reversal_trace = terminal.next_txn()
    terminal.send(
        routes.REVERSE,
        ReverseRequest(
            txn_id=lost_txn,
            trace_no=lost_trace,
            business_date=DAY,
            cash=4_000,
            reversal_trace_no=reversal_trace,
        ),
    )
    code = receipt_code(
        key=collecting.keys["34080101"], txn_id=lost_txn, account_no="0100000001", cash=4_000
    )
    tombstoned = _check(
        services, read_claim(qr=_qr("34080101", lost_txn, "0100000001", 4_000, code))
    )
    assert tombstoned.genuine
    assert tombstoned.coverage is not None
    assert tombstoned.coverage.status is ReceiptStatus.REVERSED
    assert tombstoned.coverage.trace_no == lost_trace
    assert tombstoned.coverage.business_date == DAY


def test_voided_and_cancelled_payments_say_so(
    services: ConsoleServices, collecting: Collecting, engine: Engine
) -> None:
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    for state, status in (("voided", ReceiptStatus.VOIDED), ("cancelled", ReceiptStatus.CANCELLED)):
        paid = terminal.pay("0100000001", 1_500)
        with engine.begin() as conn:  # as the undo use cases leave it
            conn.execute(
                update(payments).where(payments.c.txn_id == paid.txn_id).values(state=state)
            )
        claim = read_claim(
            qr=_qr("34080101", paid.txn_id, "0100000001", 1_500, paid.verification_code)
        )
        verdict = _check(services, claim)
        assert verdict.coverage is not None
        assert verdict.coverage.status is status


def test_a_receipt_printed_before_the_key_was_rotated_is_still_genuine(
    services: ConsoleServices, collecting: Collecting, engine: Engine
) -> None:
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    paid = terminal.pay("0100000001", 2_000)
    with engine.begin() as conn:
        conn.execute(
            update(terminals)
            .where(terminals.c.terminal_no == "34080101")
            .values(key_material=uuid.uuid4().bytes * 2, key_version=terminals.c.key_version + 1)
        )
    claim = read_claim(qr=_qr("34080101", paid.txn_id, "0100000001", 2_000, paid.verification_code))
    assert _check(services, claim).genuine


# ---- the limit against guessing -----------------------------------------------------------------


def test_checks_are_limited_per_address_and_overall(services: ConsoleServices, tree: Tree) -> None:
    del tree
    clock_start = services.clock.now()
    limiter = ReceiptCheckLimiter(per_client=3, overall=5, window=timedelta(minutes=10))
    claim = read_claim(terminal_no="34080101", trace_no="1", code="12345678")
    for _ in range(3):
        assert not check_receipt(services, limiter, client="10.0.0.1", claim=claim).genuine
    with pytest.raises(CheckRefusedError) as refused:
        check_receipt(services, limiter, client="10.0.0.1", claim=claim)
    assert refused.value.code == "receipt_check_rate_limited"
    assert refused.value.message_zh == "查验次数过多，请 10 分钟后再试"
    # another address may still check, until everyone together has used the window's checks
    check_receipt(services, limiter, client="10.0.0.2", claim=claim)
    check_receipt(services, limiter, client="10.0.0.3", claim=claim)
    with pytest.raises(CheckRefusedError):
        check_receipt(services, limiter, client="10.0.0.4", claim=claim)
    # the window slides: ten minutes later the first address may check again
    assert isinstance(services.clock, SettableClock)
    services.clock.advance(timedelta(minutes=10, seconds=1))
    check_receipt(services, limiter, client="10.0.0.1", claim=claim)
    assert services.clock.now() > clock_start


def test_the_limiter_forgets_old_addresses_beyond_its_bound() -> None:
    limiter = ReceiptCheckLimiter(per_client=1, overall=100, max_clients=3)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for index in range(5):
        limiter.admit(f"10.0.0.{index}", now=start + timedelta(seconds=index))
    assert limiter.remembered == 3


# ---- the page -----------------------------------------------------------------------------------


def _client(services: ConsoleServices) -> TestClient:
    app = Starlette(
        routes=console_routes(
            services, ConsoleConfig(cookie_security=CookieSecurity.NEVER, node_modules=None)
        )
    )
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_page_needs_no_sign_in_and_answers_in_the_visitors_language(
    services: ConsoleServices, collecting: Collecting
) -> None:
    terminal = collecting.terminal("34080101")
    terminal.sign_in()
    paid = terminal.pay("0100000001", 12_345)
    with _client(services) as client:
        page = client.get("/console/receipt-check")
        assert page.status_code == 200
        assert "收据查验" in page.text
        token = _csrf(page.text)
        # without the form's token: refused, nothing checked
        assert client.post("/console/receipt-check", data={"qr": "x"}).status_code == 403
        answer = client.post(
            "/console/receipt-check",
            data={
                "csrf_token": token,
                "qr": _qr("34080101", paid.txn_id, "0100000001", 12_345, paid.verification_code),
            },
        )
        assert answer.status_code == 200
        assert 'data-genuine="yes"' in answer.text
        assert "真实收据" in answer.text
        assert "123.45" in answer.text
        assert "01****0001" in answer.text
        assert "0100000001" not in answer.text.replace(paid.txn_id, "")
        wrong = client.post(
            "/console/receipt-check",
            data={
                "csrf_token": token,
                "terminal_no": "34080101",
                "trace_no": "1",
                "code": "00000000",
            },
            headers={"accept-language": "en"},
        )
        assert 'data-genuine="no"' in wrong.text
        client.cookies.set("gp_lang", "en")
        bad = client.post(
            "/console/receipt-check",
            data={"csrf_token": token, "terminal_no": "12", "trace_no": "1", "code": "1"},
        )
        assert bad.status_code == 422
        assert 'data-field="terminal_no">the terminal number is 8 digits<' in bad.text
        assert 'data-field="code">the verification code is 8 digits<' in bad.text


def test_the_page_refuses_a_client_that_checked_too_often(
    services: ConsoleServices, tree: Tree
) -> None:
    del tree
    with _client(services) as client:
        token = _csrf(client.get("/console/receipt-check").text)
        form = {"csrf_token": token, "terminal_no": "34080101", "trace_no": "1", "code": "12345678"}
        statuses = [client.post("/console/receipt-check", data=form).status_code for _ in range(21)]
        assert statuses == [200] * 20 + [429]
        refused = client.post("/console/receipt-check", data=form)
        assert 'id="check-refused"' in refused.text
        assert "查验次数过多" in refused.text
