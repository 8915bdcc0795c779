"""The MIS side of a run, read from the MIS: its daily posting detail (日进账明细) or its
银电联网 reconciliation file, for each business date of the range.

Only postings of our channel are ours to compare (another channel's — a bank's counter — are
counted and left out). From the posting detail, a posting's state is the one it has at the end of
the range: an undo line on a date of the range marks it reversed or cancelled; an undo of a
posting made before the range is counted and left out. A file lists the postings that stood at
the end of their own day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from gridpos.adapters.db.reconciliation.loads import MisLine
from gridpos.application.mis_messages import CHANNEL
from gridpos.application.reconciliation.context import MisReader
from gridpos.protocol.bank_file import ReconciliationFile, parse_reconciliation_file

REPORT = "report"
FILE = "file"
_UNDO_STATE = {"reversal": "reversed", "cancellation": "cancelled"}


@dataclass(slots=True)
class FetchedMis:
    """What was read of the MIS: our postings, and what was left out."""

    lines: list[MisLine] = field(default_factory=list)
    other_count: int = 0
    other_amount: int = 0
    undos_before_range: int = 0


def days(date_from: date, date_to: date) -> list[date]:
    """Every date from ``date_from`` to ``date_to``."""
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def lines_of_file(file: ReconciliationFile, *, fetched: FetchedMis) -> None:
    """Add a parsed reconciliation file's lines of our channel to ``fetched``."""
    for number, line in enumerate(file.lines, start=1):
        if line.channel != CHANNEL:
            fetched.other_count += 1
            fetched.other_amount += line.amount_fen
            continue
        fetched.lines.append(
            MisLine(
                line_no=number,
                business_date=file.business_date,
                payment_id=line.payment_id,
                serial=line.serial,
                account_no=line.account_no,
                amount=line.amount_fen,
                penalty=line.penalty_fen,
                principal=line.principal_fen,
                prepaid_net=line.prepaid_fen,
                cash_date=line.cash_date,
                station_code=line.station_code,
                collection_point_code=line.collection_point_id,
                terminal_no=line.terminal_id,
                operator_code=line.operator_id,
            )
        )


def fetch_mis(mis: MisReader, *, date_from: date, date_to: date, source: str) -> FetchedMis:
    """Read the MIS side of the range.

    Raises :class:`gridpos.adapters.mis.MisError` when the MIS cannot answer, and
    :class:`gridpos.protocol.bank_file.BankFileError` for a file of the MIS that does not read.
    """
    fetched = FetchedMis()
    if source == FILE:
        for day in days(date_from, date_to):
            lines_of_file(parse_reconciliation_file(mis.reconciliation_file(day)), fetched=fetched)
        return fetched
    postings: dict[str, MisLine] = {}
    undos: dict[str, tuple[str, date]] = {}
    number = 0
    for day in days(date_from, date_to):
        report = mis.posting_report(day)
        for line in report.detail:
            if line.channel != CHANNEL:
                if line.kind == "posting":
                    fetched.other_count += 1
                    fetched.other_amount += line.amount_fen
                continue
            if line.kind != "posting":
                undos[line.payment_id] = (_UNDO_STATE[line.kind], day)
                continue
            number += 1
            postings[line.payment_id] = MisLine(
                line_no=number,
                business_date=day,
                payment_id=line.payment_id,
                serial=line.serial,
                account_no=line.account_no,
                amount=line.amount_fen,
                penalty=line.penalty,
                principal=line.principal,
                prepaid_net=line.prepaid_net,
                cash_date=line.cash_date,
                station_code=line.station_code,
                collection_point_code=line.collection_point_id,
                terminal_no=line.terminal_id,
                operator_code=line.operator_id,
            )
    for payment_id, (state, day) in undos.items():
        posting = postings.get(payment_id)
        if posting is None:
            fetched.undos_before_range += 1
            continue
        postings[payment_id] = replace(posting, state=state, undo_date=day)
    fetched.lines.extend(postings.values())
    return fetched
