"""The reconciliation file: written as GBK, read back by the parser, refused when inconsistent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gridpos.protocol.bank_file import (
    BankFileError,
    ReconciliationFile,
    ReconciliationLine,
    parse_reconciliation_file,
    render_reconciliation_file,
)


def _line(
    serial: str, amount: int, penalty: int, principal: int, prepaid: int
) -> ReconciliationLine:
    return ReconciliationLine(
        serial=serial,
        payment_id=f"T0001-{serial[-4:]}",
        account_no="0100100001",
        amount_fen=amount,
        penalty_fen=penalty,
        principal_fen=principal,
        prepaid_fen=prepaid,
        cash_date=date(2026, 5, 4),
        channel="POS",
        station_code="34082801",
        collection_point_id="CP-0007",
        terminal_id="T0001",
        operator_id="agent.07",
    )


FILE = ReconciliationFile(
    business_date=date(2026, 5, 5),
    batch_no="20260505001",
    lines=(
        _line("2026050500000001", 12000, 182, 11800, 18),
        _line("2026050500000002", 5088, 0, 5088, 0),
        # A payment that used 500 fen of prepaid: 4588 cash for 5088 of principal.
        _line("2026050500000003", 4588, 0, 5088, -500),
    ),
)


def test_round_trip_and_exact_bytes() -> None:
    data = render_reconciliation_file(FILE)
    text = data.decode("gbk")
    assert text.splitlines()[0] == "20260505|3|21676|20260505001"  # 12000 + 5088 + 4588
    assert text.splitlines()[3] == (
        "2026050500000003|T0001-0003|0100100001|4588|0|5088|-500|20260504|POS|34082801"
        "|CP-0007|T0001|agent.07"
    )
    assert text.endswith("\n")
    assert parse_reconciliation_file(data) == FILE
    assert parse_reconciliation_file(data.replace(b"\n", b"\r\n")) == FILE


def test_an_empty_day_has_only_a_header() -> None:
    empty = ReconciliationFile(business_date=date(2026, 5, 6), batch_no="20260506001", lines=())
    data = render_reconciliation_file(empty)
    assert data == b"20260506|0|0|20260506001\n"
    assert parse_reconciliation_file(data) == empty


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (b"", "file_empty", "header"),
        (b"20260505|1|100\n", "file_header_malformed", "header"),
        (b"20260532|0|0|1\n", "file_date_invalid", "header"),
        (b"20260505|x|0|1\n", "file_number_invalid", "header"),
        (b"20260505|1|0|1\n", "file_count_mismatch", "header"),
        (
            b"20260505|1|999|1\n1|P1|0100100001|100|0|100|0|20260505|POS|S1|C1|T1|O1\n",
            "file_total_mismatch",
            "header",
        ),
        (
            b"20260505|1|100|1\n1|P1|0100100001|100|0|90|0|20260505|POS|S1|C1|T1|O1\n",
            "file_amount_unbalanced",
            "line 1",
        ),
        (
            b"20260505|1|100|1\n1|P1|0100100001|100|0|100|0|20260505|POS|S1|C1|T1\n",
            "file_line_malformed",
            "line 1",
        ),
        (
            b"20260505|1|100|1\n1|P1|010010000|100|0|100|0|20260505|POS|S1|C1|T1|O1\n",
            "file_field_invalid",
            "line 1",
        ),
        (
            b"20260505|2|200|1\n1|P1|0100100001|100|0|100|0|20260505|POS|S1|C1|T1|O1\n"
            b"1|P2|0100100001|100|0|100|0|20260505|POS|S1|C1|T1|O1\n",
            "file_serial_repeated",
            "line 2",
        ),
        ("20260505|0|0|1\n中\xa5".encode(), "file_encoding", "file"),
    ],
)
def test_inconsistent_files_are_refused_with_a_code(data: bytes, code: str, field: str) -> None:
    with pytest.raises(BankFileError) as refused:
        parse_reconciliation_file(data)
    assert refused.value.code == code
    assert refused.value.field == field
    assert refused.value.message_zh
    assert refused.value.message_en


def test_render_refuses_a_line_the_parser_would_refuse() -> None:
    bad = replace(FILE, lines=(replace(FILE.lines[0], payment_id="has|bar"),))
    with pytest.raises(BankFileError) as refused:
        render_reconciliation_file(bad)
    assert refused.value.code == "file_line_malformed"
