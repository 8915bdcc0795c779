"""The daily reconciliation file (对账文件) in the 银电联网 style, and its parser.

GBK text, ``\\n`` line ends (``\\r\\n`` is read too), one header line then one line per
posting that succeeded on the business date (a posting reversed or cancelled the same day is left
out; one cancelled on a later day stays, since the file for a day never changes once the day is
over)::

    YYYYMMDD|count|total_fen|batch_no
    serial|payment_id|account_no|amount_fen|penalty_fen|principal_fen|prepaid_fen|cash_date|channel|station_code|collection_point_id|terminal_id|operator_id

- ``YYYYMMDD``: the business date (清算日期); ``count``: number of lines; ``total_fen``: the sum of
  ``amount_fen`` over the lines; ``batch_no``: the file's batch number (digits, up to 20).
- ``serial``: the MIS's posting serial (进账流水号); ``payment_id``: the poster's own id;
  ``account_no``: 户号 (10 digits); ``amount_fen``: the cash (> 0);
  ``penalty_fen`` + ``principal_fen`` + ``prepaid_fen`` == ``amount_fen``, where ``prepaid_fen``
  is the prepaid and rounding credit added less what the payment used of them (may be negative);
  ``cash_date``: YYYYMMDD; ``channel``: e.g. ``POS``; the last four name where the cash was taken.

:func:`render_reconciliation_file` writes the bytes; :func:`parse_reconciliation_file` reads them
back and checks the header against the lines, raising :class:`BankFileError` on the first problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

ENCODING: Final[str] = "gbk"
SEPARATOR: Final[str] = "|"
LINE_FIELDS: Final[int] = 13
_DATE = re.compile(r"[0-9]{8}", re.ASCII)
_INT = re.compile(r"-?[0-9]{1,15}", re.ASCII)
_BATCH = re.compile(r"[0-9]{1,20}", re.ASCII)
_ACCOUNT = re.compile(r"[0-9]{10}", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)


class BankFileError(ValueError):
    """A reconciliation file that does not read: ``code``, ``field`` (``header`` or ``line N``),
    and the message in Chinese and English."""

    def __init__(self, *, code: str, field: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code} [{field}]: {message_en}")
        self.code = code
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True, slots=True)
class ReconciliationLine:
    serial: str
    payment_id: str
    account_no: str
    amount_fen: int
    penalty_fen: int
    principal_fen: int
    prepaid_fen: int
    cash_date: date
    channel: str
    station_code: str
    collection_point_id: str
    terminal_id: str
    operator_id: str


@dataclass(frozen=True, slots=True)
class ReconciliationFile:
    business_date: date
    batch_no: str
    lines: tuple[ReconciliationLine, ...]

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


def _yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def render_reconciliation_file(file: ReconciliationFile) -> bytes:
    """The file as GBK bytes. Raises :class:`BankFileError` for a line the parser would refuse."""
    header = SEPARATOR.join(
        [_yyyymmdd(file.business_date), str(file.count), str(file.total_fen), file.batch_no]
    )
    rows = [header]
    for line in file.lines:
        rows.append(
            SEPARATOR.join(
                [
                    line.serial,
                    line.payment_id,
                    line.account_no,
                    str(line.amount_fen),
                    str(line.penalty_fen),
                    str(line.principal_fen),
                    str(line.prepaid_fen),
                    _yyyymmdd(line.cash_date),
                    line.channel,
                    line.station_code,
                    line.collection_point_id,
                    line.terminal_id,
                    line.operator_id,
                ]
            )
        )
    data = ("\n".join(rows) + "\n").encode(ENCODING)
    parse_reconciliation_file(data)  # never hand out a file that does not read back
    return data


def _refuse(code: str, field: str, zh: str, en: str) -> BankFileError:
    return BankFileError(code=code, field=field, message_zh=zh, message_en=en)


def _parse_date(text: str, field: str) -> date:
    if _DATE.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            pass
    raise _refuse("file_date_invalid", field, f"日期无效：{text}", f"invalid date {text!r}")


def _parse_int(text: str, field: str) -> int:
    if not _INT.fullmatch(text):
        raise _refuse("file_number_invalid", field, f"数字无效：{text}", f"invalid number {text!r}")
    return int(text)


def _check(pattern: re.Pattern[str], text: str, field: str, what: str) -> str:
    if not pattern.fullmatch(text):
        raise _refuse("file_field_invalid", field, f"{what}格式无效：{text}", f"invalid {what!r}")
    return text


def _parse_line(fields: list[str], field: str) -> ReconciliationLine:
    if len(fields) != LINE_FIELDS:
        raise _refuse(
            "file_line_malformed",
            field,
            f"明细行应有 {LINE_FIELDS} 个字段，实有 {len(fields)} 个",
            f"a detail line has {LINE_FIELDS} fields, this one {len(fields)}",
        )
    line = ReconciliationLine(
        serial=_check(_TOKEN, fields[0], field, "serial"),
        payment_id=_check(_TOKEN, fields[1], field, "payment_id"),
        account_no=_check(_ACCOUNT, fields[2], field, "account_no"),
        amount_fen=_parse_int(fields[3], field),
        penalty_fen=_parse_int(fields[4], field),
        principal_fen=_parse_int(fields[5], field),
        prepaid_fen=_parse_int(fields[6], field),
        cash_date=_parse_date(fields[7], field),
        channel=_check(_TOKEN, fields[8], field, "channel"),
        station_code=_check(_TOKEN, fields[9], field, "station_code"),
        collection_point_id=_check(_TOKEN, fields[10], field, "collection_point_id"),
        terminal_id=_check(_TOKEN, fields[11], field, "terminal_id"),
        operator_id=_check(_TOKEN, fields[12], field, "operator_id"),
    )
    if line.amount_fen <= 0 or line.penalty_fen < 0 or line.principal_fen < 0:
        raise _refuse("file_amount_invalid", field, "金额无效", "amounts must not be negative")
    if line.penalty_fen + line.principal_fen + line.prepaid_fen != line.amount_fen:
        raise _refuse(
            "file_amount_unbalanced",
            field,
            "违约金、本金与预存之和不等于缴费金额",
            "penalty + principal + prepaid differs from the amount",
        )
    return line


def parse_reconciliation_file(data: bytes) -> ReconciliationFile:
    """Read a reconciliation file and check its header against its lines.

    Raises :class:`BankFileError`: ``file_encoding`` (not GBK), ``file_empty``,
    ``file_header_malformed``, ``file_date_invalid``, ``file_number_invalid``,
    ``file_field_invalid``, ``file_line_malformed``, ``file_amount_invalid``,
    ``file_amount_unbalanced``, ``file_serial_repeated``, ``file_count_mismatch``,
    ``file_total_mismatch``.
    """
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise _refuse("file_encoding", "file", "文件不是 GBK 编码", "not GBK text") from exc
    rows = text.replace("\r\n", "\n").split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    if not rows:
        raise _refuse("file_empty", "header", "文件为空", "the file is empty")
    header = rows[0].split(SEPARATOR)
    if len(header) != 4:
        raise _refuse(
            "file_header_malformed", "header", "文件头应有 4 个字段", "the header has 4 fields"
        )
    business_date = _parse_date(header[0], "header")
    count = _parse_int(header[1], "header")
    total = _parse_int(header[2], "header")
    batch_no = _check(_BATCH, header[3], "header", "batch_no")
    lines: list[ReconciliationLine] = []
    serials: set[str] = set()
    for number, row in enumerate(rows[1:], start=1):
        line = _parse_line(row.split(SEPARATOR), f"line {number}")
        if line.serial in serials:
            raise _refuse(
                "file_serial_repeated",
                f"line {number}",
                f"流水号重复：{line.serial}",
                f"serial {line.serial} repeated",
            )
        serials.add(line.serial)
        lines.append(line)
    parsed = ReconciliationFile(business_date=business_date, batch_no=batch_no, lines=tuple(lines))
    if parsed.count != count:
        raise _refuse(
            "file_count_mismatch",
            "header",
            f"文件头笔数 {count} 与明细 {parsed.count} 笔不符",
            f"the header counts {count} lines, the file has {parsed.count}",
        )
    if parsed.total_fen != total:
        raise _refuse(
            "file_total_mismatch",
            "header",
            f"文件头金额 {total} 分与明细合计 {parsed.total_fen} 分不符",
            f"the header total {total} fen differs from the lines' {parsed.total_fen} fen",
        )
    return parsed
