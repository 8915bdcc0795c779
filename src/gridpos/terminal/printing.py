"""Printing receipts from the journal: only after ``confirmed``, or marked 脱机 when offline.

A receipt is built from what the journal holds — the server's stored answer for an online
payment, the terminal's own record for an offline one — never from what the screen showed. Each
print is journalled: ``print_started`` before the first byte, then ``printed`` or
``print_failed``. A crash between the two leaves the receipt *waiting*: on restart it is offered
again, marked 重打, because part of it may already be on paper. A failing printer never undoes a
payment: the payment stands and its receipt waits for a reprint.

The printer itself is anything with :meth:`ReceiptPrinter.print_receipt`; :class:`EscPosPrinter`
prints through :mod:`gridpos.terminal.receipt`, :class:`PreviewPrinter` writes the text preview
to a file.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError
from gridpos.protocol.codec import decode, validate
from gridpos.protocol.terminal.payments import OfflinePayment, PayAnswer
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import JournalUnwritableError, refusal
from gridpos.terminal.journal import EventKind, ReceiptStatus, TxnRecord
from gridpos.terminal.receipt import (
    GBK_PRINTER,
    Paper,
    PrinterConnection,
    PrinterProfile,
    Receipt,
    ReceiptCustomer,
    ReceiptFormat,
    ReceiptHeader,
    ReceiptMonth,
    layout_receipt,
    print_receipt,
    receipt_from_offline_payment,
    receipt_from_pay_answer,
    receipt_preview,
    render_escpos,
)


class ReceiptPrinter(Protocol):
    """Puts one receipt on paper (or wherever).

    Raises a :class:`DomainError` (e.g. ``PrinterError``: ``printer_absent``,
    ``printer_out_of_paper``, ``printer_failed``) when it cannot.
    """

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class EscPosPrinter:
    """An ESC/POS thermal printer (USB, serial, network or file), 58 or 80 mm."""

    connection: PrinterConnection
    paper: Paper = Paper.MM58
    profile: PrinterProfile = GBK_PRINTER

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        layout = layout_receipt(
            receipt, ReceiptFormat(paper=self.paper, copies=copies, reprint=reprint)
        )
        print_receipt(render_escpos(layout, profile=self.profile), connection=self.connection)


@dataclass(frozen=True, slots=True)
class PreviewPrinter:
    """Appends each receipt's text preview to a file (for demos, simulators and tests)."""

    path: Path
    paper: Paper = Paper.MM58

    def print_receipt(self, receipt: Receipt, *, copies: int, reprint: bool) -> None:
        layout = layout_receipt(
            receipt, ReceiptFormat(paper=self.paper, copies=copies, reprint=reprint)
        )
        with self.path.open("a", encoding="utf-8") as out:
            out.write(receipt_preview(layout))
            out.write("\n")


@dataclass(frozen=True, slots=True)
class PrintResult:
    """Whether the receipt reached the printer, and why not."""

    printed: bool
    error: DomainError | None = None


# ---- the receipt of a journalled payment ---------------------------------------------------------


def offline_receipt_context(
    *,
    header: ReceiptHeader,
    customer: ReceiptCustomer,
    business_date: date,
    months: tuple[ReceiptMonth, ...],
    prepaid_before: int,
    prepaid_after: int,
    rounding_credit_before: int,
    rounding_credit_after: int,
) -> dict[str, Any]:
    """What an offline payment's receipt prints beyond the payment, as journalled."""
    return {
        "co": header.company,
        "stn": header.station,
        "pt": header.collection_point,
        "term": header.terminal_no,
        "op": header.operator,
        "acct": customer.account_no,
        "name": customer.name,
        "addr": customer.address,
        "cat": customer.category.value,
        "bd": business_date.isoformat(),
        "months": [[m.period, m.kwh, m.principal, m.penalty] for m in months],
        "pre_b": prepaid_before,
        "pre_a": prepaid_after,
        "rc_b": rounding_credit_before,
        "rc_a": rounding_credit_after,
    }


def _offline_receipt(wire: str, data: dict[str, Any]) -> Receipt:
    payment = decode(OfflinePayment, wire.encode("utf-8"))
    return receipt_from_offline_payment(
        payment=payment,
        header=ReceiptHeader(
            company=data["co"],
            station=data["stn"],
            collection_point=data["pt"],
            terminal_no=data["term"],
            operator=data["op"],
        ),
        customer=ReceiptCustomer(
            account_no=data["acct"],
            name=data["name"],
            address=data["addr"],
            category=CustomerCategory(data["cat"]),
        ),
        business_date=date.fromisoformat(data["bd"]),
        months=tuple(
            ReceiptMonth(period=str(m[0]), kwh=int(m[1]), principal=int(m[2]), penalty=int(m[3]))
            for m in data["months"]
        ),
        prepaid_before=int(data["pre_b"]),
        prepaid_after=int(data["pre_a"]),
        rounding_credit_before=int(data["rc_b"]),
        rounding_credit_after=int(data["rc_a"]),
    )


def stored_answer(context: TerminalContext, record: TxnRecord) -> PayAnswer | None:
    """The server's answer kept for this payment (the receipt it confirmed), if any."""
    if record.answer_seq is None:
        return None
    row = context.journal.row(record.answer_seq)
    if row is None or "answer" not in row.body:
        return None
    return validate(PayAnswer, row.body["answer"])


def receipt_of(context: TerminalContext, record: TxnRecord) -> Receipt:
    """The receipt of a journalled payment.

    Raises:
        TerminalRefusalError: ``receipt_not_available`` — not confirmed (nor collected offline), or
            its rows are missing from a damaged journal.
        ReceiptError: the stored payment cannot make a receipt.
    """
    if record.offline:
        row = context.journal.row(record.request_seq)
        if row is not None:
            return _offline_receipt(str(row.body["wire"]), row.body["receipt"])
    else:
        answer = stored_answer(context, record)
        if answer is not None:
            return receipt_from_pay_answer(answer)
    raise refusal(
        "receipt_not_available",
        field="txn",
        message_zh="该交易未成功，没有收据可打印",
        message_en="this payment is not confirmed; there is no receipt to print",
        details={"txn": record.txn_id, "state": record.state.value},
    )


def print_record(
    context: TerminalContext,
    printer: ReceiptPrinter | None,
    record: TxnRecord,
    *,
    reprint: bool,
    copies: int | None = None,
) -> PrintResult:
    """Print a payment's receipt, journalling the attempt and its result.

    Never raises for the printer or the journal: a payment that stands stays standing; the
    result says what went wrong (``printer_missing`` when no printer is configured).
    """
    if printer is None:
        return PrintResult(
            False,
            refusal(
                "printer_missing",
                field="printer",
                message_zh="未配置打印机，收据待重打",
                message_en="no printer is configured; the receipt waits for a reprint",
            ),
        )
    receipt = receipt_of(context, record)
    if copies is None:
        session = context.session
        copies = session.params.receipt_copies if session is not None else 1
    body = {"copies": copies, "reprint": reprint}
    journal = context.journal
    try:
        journal.append(EventKind.PRINT_STARTED, body, txn_id=record.txn_id)
    except JournalUnwritableError as exc:
        return PrintResult(False, exc)
    try:
        printer.print_receipt(receipt, copies=copies, reprint=reprint)
    except DomainError as exc:
        with contextlib.suppress(JournalUnwritableError):
            journal.append(
                EventKind.PRINT_FAILED, {**body, "err": exc.as_dict()}, txn_id=record.txn_id
            )
        return PrintResult(False, exc)
    try:
        journal.append(EventKind.PRINTED, body, txn_id=record.txn_id)
    except JournalUnwritableError as exc:
        return PrintResult(True, exc)
    return PrintResult(True)


def needs_reprint_mark(record: TxnRecord) -> bool:
    """Whether the next print of this receipt is a 重打 (part of it may already exist)."""
    return record.receipt in (ReceiptStatus.STARTED, ReceiptStatus.FAILED, ReceiptStatus.PRINTED)
