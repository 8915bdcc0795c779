"""Undoing a posting: reversal (冲正) on its own business day, cancellation (冲销) on a later one.

Both mark the posting (nothing is deleted), record who, why and on which business date, and put the
receivables and the customer's credits back as they were before the posting. The request names the
original: its MIS serial and its amount must match. Repeating an undo answers the same result; an
undo of the other kind on an undone posting is refused (``posting_already_reversed`` /
``posting_already_cancelled``). A posting whose prepaid or rounding credit has been spent since
cannot be undone (``prepaid_already_used``): the money is no longer there to take back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.engine import RowMapping

from gridpos.protocol.mis import UndoKind, UndoRequest, UndoResult
from gridpos.refmis.accounts import read_customer
from gridpos.refmis.changes import reserve_change_seqs
from gridpos.refmis.engine import write_transaction
from gridpos.refmis.errors import posting_not_found, refusal
from gridpos.refmis.posting import settle_state
from gridpos.refmis.tables import customers, posting_lines, postings, receivables

_STATE_AFTER: dict[UndoKind, str] = {"reversal": "reversed", "cancellation": "cancelled"}


def _result(row: RowMapping) -> UndoResult:
    return UndoResult(
        serial=row["serial"],
        payment_id=row["payment_id"],
        kind=row["undo_kind"],
        state=row["state"],
        amount_fen=row["amount_fen"],
        business_date=row["undo_business_date"],
        operator_id=row["undo_operator_id"],
        reason=row["undo_reason"],
        undone_at=row["undone_at"],
    )


def _check_names_original(row: RowMapping, request: UndoRequest) -> None:
    if request.serial != row["serial"]:
        raise refusal(
            "undo_mismatch",
            "serial",
            f"流水号与原进账 {row['serial']} 不符",
            f"the serial does not match the posting's {row['serial']}",
        )
    if request.amount_fen != row["amount_fen"]:
        raise refusal(
            "undo_mismatch",
            "amount_fen",
            f"金额与原进账 {row['amount_fen']} 分不符",
            f"the amount does not match the posting's {row['amount_fen']} fen",
        )


def _check_date(row: RowMapping, request: UndoRequest, kind: UndoKind) -> None:
    if kind == "reversal" and request.business_date != row["business_date"]:
        raise refusal(
            "reversal_not_same_day",
            "business_date",
            "冲正只能在原交易的清算日当天进行，隔日请冲销",
            "a reversal must be on the posting's own business date; use a cancellation later",
            posting_business_date=row["business_date"].isoformat(),
        )
    if request.business_date < row["business_date"]:
        raise refusal(
            "undo_date_invalid",
            "business_date",
            "冲销日期不能早于原交易的清算日期",
            "an undo cannot be dated before the posting's business date",
        )


def undo_posting(
    engine: Engine,
    *,
    payment_id: str,
    request: UndoRequest,
    kind: UndoKind,
    now: datetime,
) -> UndoResult:
    """Reverse or cancel the posting made under ``payment_id``.

    Raises :class:`~gridpos.refmis.errors.MisError`: ``posting_not_found``, ``undo_mismatch``,
    ``reversal_not_same_day``, ``undo_date_invalid``, ``posting_already_reversed``,
    ``posting_already_cancelled``, ``prepaid_already_used``. Nothing is written when it raises.
    """
    with write_transaction(engine) as connection:
        row = (
            connection.execute(
                select(postings).where(postings.c.payment_id == payment_id).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None:
            raise posting_not_found(payment_id)
        _check_names_original(row, request)
        if row["state"] == _STATE_AFTER[kind]:
            return _result(row)
        if row["state"] != "posted":
            raise refusal(
                f"posting_already_{row['state']}",
                "payment_id",
                "该进账已冲正" if row["state"] == "reversed" else "该进账已冲销",
                f"the posting is already {row['state']}",
                serial=row["serial"],
            )
        _check_date(row, request, kind)
        _restore(connection, row)
        connection.execute(
            update(postings)
            .where(postings.c.id == row["id"])
            .values(
                state=_STATE_AFTER[kind],
                undo_kind=kind,
                undo_business_date=request.business_date,
                undo_operator_id=request.operator_id,
                undo_reason=request.reason,
                undone_at=now,
            )
        )
        undone = connection.execute(select(postings).where(postings.c.id == row["id"])).mappings()
        return _result(undone.one())


def _restore(connection: Connection, posting: RowMapping) -> None:
    customer = read_customer(connection, posting["account_no"], for_update=True)
    prepaid = customer["prepaid"] - posting["prepaid_added"] + posting["prepaid_used"]
    rounding = customer["rounding_credit"] - posting["rounding_added"] + posting["rounding_used"]
    if prepaid < 0 or rounding < 0:
        raise refusal(
            "prepaid_already_used",
            "payment_id",
            "该笔进账转入的预存或调尾已被使用，不能撤回",
            "the prepaid or rounding credit this posting added has been spent since",
            prepaid=customer["prepaid"],
            rounding_credit=customer["rounding_credit"],
        )
    lines = (
        connection.execute(
            select(
                posting_lines.c.receivable_id,
                posting_lines.c.principal.label("line_principal"),
                posting_lines.c.penalty.label("line_penalty"),
                receivables.c.principal,
                receivables.c.principal_paid,
                receivables.c.penalty_paid,
                receivables.c.settled_on,
            )
            .join(receivables, receivables.c.id == posting_lines.c.receivable_id)
            .where(posting_lines.c.posting_id == posting["id"])
            .order_by(posting_lines.c.line_no)
        )
        .mappings()
        .all()
    )
    seq = reserve_change_seqs(connection, len(lines) + 1)
    for offset, line in enumerate(lines, start=1):
        principal_paid = line["principal_paid"] - line["line_principal"]
        penalty_paid = line["penalty_paid"] - line["line_penalty"]
        state = settle_state(
            principal=line["principal"],
            principal_paid=principal_paid,
            penalty_paid=penalty_paid,
        )
        connection.execute(
            update(receivables)
            .where(receivables.c.id == line["receivable_id"])
            .values(
                principal_paid=principal_paid,
                penalty_paid=penalty_paid,
                settle_state=state,
                settled_on=line["settled_on"] if state == "settled" else None,
                change_seq=seq + offset,
            )
        )
    connection.execute(
        update(customers)
        .where(customers.c.account_no == posting["account_no"])
        .values(prepaid=prepaid, rounding_credit=rounding, change_seq=seq)
    )
