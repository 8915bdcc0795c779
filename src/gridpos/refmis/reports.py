"""The daily posting report (日进账汇总 and 明细) and the daily reconciliation file.

Report for business date ``D``: one detail line per posting made on ``D`` (positive amounts) and one
per reversal or cancellation made on ``D`` (the undone posting's amounts, negated), so a posting
reversed the same day nets to zero and a cancellation on a later day shows on that day. The summary
groups the detail by supply station and channel; every summary figure is the sum of its detail.

Reconciliation file for ``D`` (``gridpos.protocol.bank_file``): the postings of ``D`` not undone
on ``D``; batch number ``YYYYMMDD`` + ``001``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, or_, select
from sqlalchemy.engine import RowMapping

from gridpos.protocol.bank_file import ReconciliationFile, ReconciliationLine
from gridpos.protocol.mis import PostingReport, ReportDetailLine, ReportSummaryLine
from gridpos.refmis.tables import customers, postings, stations


def _prepaid_net(row: RowMapping) -> int:
    added: int = row["prepaid_added"] + row["rounding_added"]
    used: int = row["prepaid_used"] + row["rounding_used"]
    return added - used


def _detail(row: RowMapping, *, business_date: date) -> list[ReportDetailLine]:
    lines: list[ReportDetailLine] = []
    kinds: list[tuple[str, int]] = []
    if row["business_date"] == business_date:
        kinds.append(("posting", 1))
    if row["undo_business_date"] == business_date:
        kinds.append((row["undo_kind"], -1))
    for kind, sign in kinds:
        lines.append(
            ReportDetailLine(
                kind=kind,
                serial=row["serial"],
                payment_id=row["payment_id"],
                account_no=row["account_no"],
                customer_name=row["name"],
                station_code=row["station_code"],
                channel=row["channel"],
                amount_fen=sign * row["amount_fen"],
                penalty=sign * row["penalty_total"],
                principal=sign * row["principal_total"],
                prepaid_net=sign * _prepaid_net(row),
                cash_date=row["cash_date"],
                collection_point_id=row["collection_point_id"],
                terminal_id=row["terminal_id"],
                operator_id=row["operator_id"],
            )
        )
    return lines


def _summary(
    detail: Sequence[ReportDetailLine], station_names: dict[str, str]
) -> list[ReportSummaryLine]:
    groups: dict[tuple[str, str], list[ReportDetailLine]] = {}
    for line in detail:
        groups.setdefault((line.station_code, line.channel), []).append(line)
    summary: list[ReportSummaryLine] = []
    for (station_code, channel), lines in sorted(groups.items()):
        postings_ = [line for line in lines if line.kind == "posting"]
        undos = [line for line in lines if line.kind != "posting"]
        summary.append(
            ReportSummaryLine(
                station_code=station_code,
                station_name_zh=station_names.get(station_code, station_code),
                channel=channel,
                posting_count=len(postings_),
                posting_amount=sum(line.amount_fen for line in postings_),
                undo_count=len(undos),
                undo_amount=sum(line.amount_fen for line in undos),
                net_amount=sum(line.amount_fen for line in lines),
                penalty=sum(line.penalty for line in lines),
                principal=sum(line.principal for line in lines),
                prepaid_net=sum(line.prepaid_net for line in lines),
            )
        )
    return summary


def read_posting_report(connection: Connection, *, business_date: date) -> PostingReport:
    """The posting report of one business date (see the module docstring)."""
    rows = connection.execute(
        select(postings, customers.c.name)
        .join(customers, customers.c.account_no == postings.c.account_no)
        .where(
            or_(
                postings.c.business_date == business_date,
                postings.c.undo_business_date == business_date,
            )
        )
        .order_by(postings.c.id)
    ).mappings()
    detail = [line for row in rows for line in _detail(row, business_date=business_date)]
    detail.sort(key=lambda line: (line.kind != "posting", line.serial))
    names = {
        str(code): str(name)
        for code, name in connection.execute(select(stations.c.code, stations.c.name_zh))
    }
    return PostingReport(
        business_date=business_date,
        summary=_summary(detail, names),
        detail=detail,
        posting_count=sum(1 for line in detail if line.kind == "posting"),
        undo_count=sum(1 for line in detail if line.kind != "posting"),
        net_amount=sum(line.amount_fen for line in detail),
    )


def read_reconciliation_file(connection: Connection, *, business_date: date) -> ReconciliationFile:
    """The reconciliation file of one business date (see the module docstring)."""
    rows = connection.execute(
        select(postings)
        .where(postings.c.business_date == business_date)
        .order_by(postings.c.serial)
    ).mappings()
    lines = tuple(
        ReconciliationLine(
            serial=row["serial"],
            payment_id=row["payment_id"],
            account_no=row["account_no"],
            amount_fen=row["amount_fen"],
            penalty_fen=row["penalty_total"],
            principal_fen=row["principal_total"],
            prepaid_fen=_prepaid_net(row),
            cash_date=row["cash_date"],
            channel=row["channel"],
            station_code=row["station_code"],
            collection_point_id=row["collection_point_id"],
            terminal_id=row["terminal_id"],
            operator_id=row["operator_id"],
        )
        for row in rows
        if row["undo_business_date"] != business_date
    )
    return ReconciliationFile(
        business_date=business_date, batch_no=f"{business_date:%Y%m%d}001", lines=lines
    )
