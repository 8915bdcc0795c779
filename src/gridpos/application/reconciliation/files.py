"""银电联网 reconciliation files both ways.

**Export**: our daily file for a business date, in the GBK format the reference MIS produces
(:mod:`gridpos.protocol.bank_file`): one line per payment standing at the end of the day — the
MIS's serial is ours (the date and the payment's id), the payment id is the terminal's
transaction id, the cash date is the day the cash changed hands (an offline payment's own day).

**Import**: a file to reconcile against, checked whole before anything is written — the encoding,
the header against its lines, every line's fields, every customer known, the date within the
run's range and no cash date after it; the first problem refuses the file with its line number
and reason, and nothing is applied. A file that reads becomes an MIS load (source ``import``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.adapters.db.reconciliation.exports import day_payments, known_accounts
from gridpos.adapters.db.reconciliation.loads import MisLoads
from gridpos.application.mis_messages import CHANNEL
from gridpos.application.reconciliation.context import ReconciliationServices
from gridpos.application.reconciliation.errors import ReconciliationError, refusal
from gridpos.application.reconciliation.mis_side import FetchedMis, lines_of_file
from gridpos.application.reconciliation.scope import resolve_scope
from gridpos.domain.audit import AuditAction
from gridpos.protocol.bank_file import (
    BankFileError,
    ReconciliationFile,
    ReconciliationLine,
    parse_reconciliation_file,
    render_reconciliation_file,
)

MAX_FILE_BYTES: Final = 64 * 1024 * 1024
_TOKEN: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _token(value: str, fallback: str) -> str:
    return value if _TOKEN.fullmatch(value) else fallback


def export_file(
    services: ReconciliationServices, *, business_date: date, scope_code: str | None = None
) -> bytes:
    """Our reconciliation file of ``business_date`` (of a node: everything by default).

    Raises :class:`ReconciliationError` ``scope_unknown``.
    """
    with services.reading() as uow:
        scope = resolve_scope(uow.connection, scope_code)
        lines = tuple(
            ReconciliationLine(
                serial=f"{business_date:%Y%m%d}{payment.id:010d}",
                payment_id=payment.txn_id,
                account_no=payment.account_no,
                amount_fen=payment.cash,
                penalty_fen=payment.penalty,
                principal_fen=payment.principal,
                prepaid_fen=payment.prepaid_net,
                cash_date=min(services.today(payment.cash_time), business_date)
                if payment.offline
                else business_date,
                channel=CHANNEL,
                station_code=_token(payment.station_code, "station"),
                collection_point_id=_token(payment.point_code, "point"),
                terminal_id=_token(payment.terminal_no, "terminal"),
                operator_id=_token(payment.operator_account, "operator"),
            )
            for payment in day_payments(
                uow.connection,
                business_date,
                org_prefix=scope.org_prefix,
                agent_id=scope.agent_id,
                terminal_id=scope.terminal_id,
            )
        )
    return render_reconciliation_file(
        ReconciliationFile(
            business_date=business_date, batch_no=f"{business_date:%Y%m%d}001", lines=lines
        )
    )


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """A file that read: its load, date, and what it held."""

    load_id: int
    business_date: date
    count: int
    total_fen: int
    ours: int  # lines of our channel, compared
    others: int  # lines of other channels, left out


def _file_refusal(exc: BankFileError) -> ReconciliationError:
    return refusal(
        exc.code,
        field=exc.field,
        zh=f"{exc.field}：{exc.message_zh}",
        en=f"{exc.field}: {exc.message_en}",
    )


def read_file(
    services: ReconciliationServices,
    data: bytes,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ReconciliationFile:
    """Parse and check a file without writing anything (see the module docstring).

    Raises :class:`ReconciliationError` with the parser's codes (``file_encoding``,
    ``file_header_malformed``, ``file_line_malformed``, ``file_count_mismatch``,
    ``file_total_mismatch``…, field ``header`` or ``line N``) and ``file_too_large``,
    ``file_date_outside_run`` (field ``header``), ``file_cash_date_after`` and
    ``file_customer_unknown`` (field ``line N``).
    """
    if len(data) > MAX_FILE_BYTES:
        raise refusal(
            "file_too_large",
            field="file",
            zh="文件过大",
            en=f"the file is larger than {MAX_FILE_BYTES} bytes",
        )
    try:
        parsed = parse_reconciliation_file(data)
    except BankFileError as exc:
        raise _file_refusal(exc) from exc
    day = parsed.business_date
    if (date_from is not None and day < date_from) or (date_to is not None and day > date_to):
        raise refusal(
            "file_date_outside_run",
            field="header",
            zh=f"header：文件日期 {day:%Y%m%d} 不在对账日期范围内",
            en=f"header: the file's date {day:%Y%m%d} lies outside the run's dates",
        )
    for number, line in enumerate(parsed.lines, start=1):
        if line.cash_date > day:
            raise refusal(
                "file_cash_date_after",
                field=f"line {number}",
                zh=f"line {number}：缴费日期 {line.cash_date:%Y%m%d} 晚于清算日期",
                en=f"line {number}: the cash date {line.cash_date:%Y%m%d} is after the file's date",
            )
    with services.reading() as uow:
        known = known_accounts(uow.connection, (line.account_no for line in parsed.lines))
    for number, line in enumerate(parsed.lines, start=1):
        if line.account_no not in known:
            raise refusal(
                "file_customer_unknown",
                field=f"line {number}",
                zh=f"line {number}：户号 {line.account_no} 不存在",
                en=f"line {number}: there is no customer {line.account_no}",
            )
    return parsed


def import_file(
    services: ReconciliationServices,
    data: bytes,
    *,
    actor: str,
    file_name: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ImportedFile:
    """Check a file whole, then keep it as an MIS load to reconcile against.

    Raises what :func:`read_file` raises; nothing is written then.
    """
    parsed = read_file(services, data, date_from=date_from, date_to=date_to)
    fetched = FetchedMis()
    lines_of_file(parsed, fetched=fetched)
    now = services.clock.now()
    with services.writing() as uow:
        load_id = MisLoads(uow.connection).add(
            source="import",
            date_from=parsed.business_date,
            date_to=parsed.business_date,
            lines=fetched.lines,
            other_count=fetched.other_count,
            other_amount=fetched.other_amount,
            created_at=now,
            created_by=actor,
            file_name=(file_name or "")[:255] or None,
            file_sha256=hashlib.sha256(data).hexdigest(),
        )
        uow.audit.append(
            occurred_at=now,
            actor=actor,
            action=AuditAction.RECONCILIATION_IMPORT_FILE,
            subject=f"reconciliation_mis_load:{load_id}",
            details={
                "business_date": parsed.business_date,
                "count": parsed.count,
                "total_fen": parsed.total_fen,
                "file_name": file_name or "",
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
        uow.commit()
    return ImportedFile(
        load_id=load_id,
        business_date=parsed.business_date,
        count=parsed.count,
        total_fen=parsed.total_fen,
        ours=len(fetched.lines),
        others=fetched.other_count,
    )
