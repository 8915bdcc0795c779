"""A reconciliation run's report as documents, in the visitor's language: a printable PDF
(WeasyPrint, Chinese set in Noto CJK; at most :data:`PDF_ROWS` differences listed, the rest in
the Excel workbook) and an Excel workbook (XlsxWriter) with the figures per side, the
differences by kind and every difference."""

from __future__ import annotations

from typing import Final

from starlette.responses import Response

from gridpos.application.reconciliation import RunReport
from gridpos.interfaces.console.documents import PRINT_CSS, pdf_response
from gridpos.interfaces.console.routes.reconciliation_common import (
    CHANGE_LABELS,
    KIND_LABELS,
    MIS_SOURCE_LABELS,
    OUTCOME_LABELS,
    RECORD_STATE_LABELS,
    REMEDY_LABELS,
    RUN_STATE_LABELS,
    SIDES_LABELS,
    labels,
    note_reader,
    readers,
    run_state,
)
from gridpos.interfaces.console.spreadsheets import Column, ColumnKind, Sheet, xlsx_response
from gridpos.interfaces.console.web import Visit

PDF_ROWS: Final = 2_000  # WeasyPrint is slow on very long tables


def _filename(report: RunReport, extension: str) -> str:
    run = report.summary
    return (
        f"reconciliation-{run.id}-{run.scope_code}-{run.date_from:%Y%m%d}-{run.date_to:%Y%m%d}"
        f".{extension}"
    )


async def report_pdf(visit: Visit, report: RunReport) -> Response:
    """The report as a PDF download."""
    html = visit.runtime.renderer.render(
        visit.locale,
        "reconciliation/run_print.html",
        {
            "report": report,
            "run": report.summary,
            "shown": report.differences[:PDF_ROWS],
            "left_out": max(len(report.differences) - PDF_ROWS, 0),
            "print_css": PRINT_CSS,
            "html_lang": "zh-CN" if visit.locale == "zh_CN" else "en",
            **labels(),
            **readers(visit),
        },
    )
    return await pdf_response(html, filename=_filename(report, "pdf"))


def _state(visit: Visit, state: str | None) -> str:
    if state is None:
        return ""
    return visit.gettext(RECORD_STATE_LABELS.get(state, state))


def _sheets(visit: Visit, report: RunReport) -> list[Sheet]:
    _ = visit.gettext
    run = report.summary
    title = (
        f"{_('Reconciliation run')} {run.id} · {run.date_from.isoformat()} – "
        f"{run.date_to.isoformat()} · {run.scope_code} {run.scope_name}"
    )
    figures = Sheet(
        name=_("Figures"),
        title=title,
        columns=(
            Column(_("Item")),
            Column(_("Count"), ColumnKind.INTEGER),
            Column(_("Amount"), ColumnKind.FEN),
        ),
        rows=[
            (_("Terminal journals"), run.terminal.count, run.terminal.amount),
            (_("Terminal journals undone"), run.terminal_undone.count, run.terminal_undone.amount),
            (_("Attested by balanced batches"), run.attested.count, run.attested.amount),
            (_("Not yet reported by the terminal"), run.unreported.count, run.unreported.amount),
            (_("Company payments"), run.company.count, run.company.amount),
            (_("Company payments undone"), run.company_undone.count, run.company_undone.amount),
            (_("MIS postings"), run.mis.count, run.mis.amount),
            (_("MIS postings undone"), run.mis_undone.count, run.mis_undone.amount),
            (_("Matched"), run.matched, None),
            (_("Differences"), run.differences, None),
            (_("Repaired automatically"), run.repaired, None),
            (_("Left for a person"), run.open, None),
            (_("New since the previous run"), run.new, None),
            (_("Found again"), run.again, None),
            (_("Cleared since the previous run"), run.cleared, None),
            (f"{_('Status')}: {_(RUN_STATE_LABELS[run_state(run)])}", None, None),
            (
                f"{_('MIS side')}: {_(MIS_SOURCE_LABELS.get(run.mis_source, run.mis_source))}",
                None,
                None,
            ),
        ],
    )
    by_kind = Sheet(
        name=_("By kind"),
        columns=(
            Column(_("Between")),
            Column(_("Difference kind")),
            Column(_("Change")),
            Column(_("Count"), ColumnKind.INTEGER),
            Column(_("Still open"), ColumnKind.INTEGER),
        ),
        rows=[
            (
                _(SIDES_LABELS[k.sides]),
                _(KIND_LABELS[k.kind]),
                _(CHANGE_LABELS.get(k.change, k.change)),
                k.count,
                k.still_open,
            )
            for k in report.by_kind
        ],
    )
    read_note = note_reader(visit)
    differences = Sheet(
        name=_("Differences"),
        columns=(
            Column(_("Transaction id")),
            Column(_("Business date"), ColumnKind.DATE),
            Column(_("Terminal number")),
            Column(_("Customer number")),
            Column(_("Between")),
            Column(_("Difference kind")),
            Column(_("Change")),
            Column(_("Terminal journal"), ColumnKind.FEN),
            Column(_("Terminal journal status")),
            Column(_("Company payment"), ColumnKind.FEN),
            Column(_("Company payment status")),
            Column(_("MIS posting"), ColumnKind.FEN),
            Column(_("MIS posting status")),
            Column(_("Proposed remedy")),
            Column(_("Outcome")),
            Column(_("Note")),
        ),
        rows=[
            (
                d.txn_id,
                d.business_date,
                d.terminal_no or "",
                d.account_no,
                _(SIDES_LABELS[d.sides]),
                _(KIND_LABELS[d.kind]),
                _(CHANGE_LABELS.get(d.change, d.change)),
                d.journal_cash,
                _state(visit, d.journal_state),
                d.company_cash,
                _state(visit, d.company_state),
                d.mis_cash,
                _state(visit, d.mis_state),
                _(REMEDY_LABELS.get(d.remedy, d.remedy)),
                _(OUTCOME_LABELS.get(d.outcome, d.outcome)),
                read_note(d.outcome_note),
            )
            for d in report.differences
        ],
    )
    return [figures, by_kind, differences]


async def report_xlsx(visit: Visit, report: RunReport) -> Response:
    """The report as an Excel download."""
    return await xlsx_response(_sheets(visit, report), filename=_filename(report, "xlsx"))
