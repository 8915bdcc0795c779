"""Posting a payment (进账): checked against the MIS's own state, applied atomically, idempotent.

Idempotency: a posting is keyed by the poster's ``payment_id`` and remembers the SHA-256 of the
request (``PostingRequest.content_hash``). The same id with the same content answers the first
result (with the posting's state now); the same id with other content is refused
(``payment_id_reused``).
Two identical posts at once produce one posting: the unique constraint on ``payment_id`` stops the
second, which then answers the first's result.

Checks, all made before anything is written (a refused posting changes nothing):

- the customer exists; no receivable appears twice; every line names an open receivable of the
  customer (``receivable_not_found``, ``receivable_settled``) and pays something on it;
- no line pays more principal than is unpaid (``receivable_overpaid``);
- penalty: the MIS recomputes each receivable's penalty on the **cash date** (so a payment taken
  offline or posted late accrues nothing after the cash was handed over). A line that pays principal
  must carry exactly that penalty; a line paying only part of the penalty pays no principal (penalty
  first). **A differing penalty is refused** (``penalty_mismatch``, with the MIS's figure in the
  details) rather than silently replaced: the poster allocated the cash with its figure, and
  replacing it would change what the customer was told they paid. With a minimum penalty per
  payment, only the total is checked against the minimum;
- order (先陈欠后新欠): after the posting no receivable older than one it pays may still have unpaid
  principal, and nothing goes to prepaid or rounding credit while arrears remain
  (``allocation_order``);
- credits used exist (``prepaid_insufficient``, ``rounding_credit_insufficient``);
- the funds balance: cash + credits used == penalty + principal + credits added
  (``allocation_unbalanced``); the cash date is not after the business date
  (``cash_date_invalid``), and the business date is not after tomorrow (``business_date_invalid``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.penalty import PenaltyRules
from gridpos.protocol.mis import PostedLine, PostingRequest, PostingResult
from gridpos.refmis import posting_checks
from gridpos.refmis.accounts import open_receivables, read_customer
from gridpos.refmis.changes import next_posting_number, reserve_change_seqs
from gridpos.refmis.engine import read_transaction, write_transaction
from gridpos.refmis.errors import posting_not_found, refusal
from gridpos.refmis.tables import customers, posting_lines, postings, receivables


def settle_state(*, principal: int, principal_paid: int, penalty_paid: int) -> str:
    """欠费 / 部分结清 / 全部结清 of a receivable from what has been paid on it."""
    if principal_paid >= principal:
        return "settled"
    return "partial" if principal_paid or penalty_paid else "unpaid"


def read_posting(connection: Connection, payment_id: str) -> PostingResult:
    """A posting by the poster's payment id. Raises ``posting_not_found``."""
    row = _find(connection, payment_id)
    if row is None:
        raise posting_not_found(payment_id)
    return posting_result(connection, row)


def _find(connection: Connection, payment_id: str) -> RowMapping | None:
    return (
        connection.execute(select(postings).where(postings.c.payment_id == payment_id))
        .mappings()
        .first()
    )


def posting_result(connection: Connection, row: RowMapping) -> PostingResult:
    lines = connection.execute(
        select(posting_lines)
        .where(posting_lines.c.posting_id == row["id"])
        .order_by(posting_lines.c.line_no)
    ).mappings()
    return PostingResult(
        serial=row["serial"],
        payment_id=row["payment_id"],
        account_no=row["account_no"],
        station_code=row["station_code"],
        amount_fen=row["amount_fen"],
        cash_date=row["cash_date"],
        business_date=row["business_date"],
        channel=row["channel"],
        state=row["state"],
        penalty_total=row["penalty_total"],
        principal_total=row["principal_total"],
        prepaid_used=row["prepaid_used"],
        prepaid_added=row["prepaid_added"],
        rounding_used=row["rounding_used"],
        rounding_added=row["rounding_added"],
        lines=[
            PostedLine(
                period=line["period"],
                run_no=line["run_no"],
                penalty=line["penalty"],
                principal=line["principal"],
                settle_state=line["settle_state_after"],
            )
            for line in lines
        ],
        posted_at=row["posted_at"],
    )


def _repeat(connection: Connection, row: RowMapping, content_hash: str) -> PostingResult:
    if row["content_hash"] != content_hash:
        raise refusal(
            "payment_id_reused",
            "payment_id",
            f"交易号 {row['payment_id']} 已用于另一笔不同内容的进账（流水号 {row['serial']}）",
            f"payment id {row['payment_id']} was already posted with other content"
            f" (serial {row['serial']})",
            serial=row["serial"],
        )
    return posting_result(connection, row)


def post_payment(
    engine: Engine, request: PostingRequest, *, now: datetime, rules: PenaltyRules
) -> PostingResult:
    """Post a payment, or answer the result of the posting already made under its payment id.

    Raises :class:`~gridpos.refmis.errors.MisError` with the codes in the module docstring, and
    ``account_not_found``; nothing is written when it raises.
    """
    content_hash = request.content_hash()
    try:
        with write_transaction(engine) as connection:
            existing = _find(connection, request.payment_id)
            if existing is not None:
                return _repeat(connection, existing, content_hash)
            customer = read_customer(connection, request.account_no, for_update=True)
            # Under PostgreSQL a concurrent post of the same id may have committed while we waited.
            existing = _find(connection, request.payment_id)
            if existing is not None:
                return _repeat(connection, existing, content_hash)
            return _apply(connection, request, customer, content_hash, now=now, rules=rules)
    except IntegrityError:
        with read_transaction(engine) as connection:
            existing = _find(connection, request.payment_id)
            if existing is None:
                raise
            return _repeat(connection, existing, content_hash)


def _apply(
    connection: Connection,
    request: PostingRequest,
    customer: RowMapping,
    content_hash: str,
    *,
    now: datetime,
    rules: PenaltyRules,
) -> PostingResult:
    posting_checks.check_dates(request, now)
    if customer["status"] != "active":
        raise refusal("account_closed", "account_no", "该户已销户", "the account is closed")
    category = CustomerCategory(customer["category"])
    open_rows = open_receivables(connection, request.account_no)
    matched = posting_checks.matched_lines(connection, request, open_rows)
    posting_checks.check_penalties(
        matched, category=category, cash_date=request.cash_date, rules=rules
    )
    posting_checks.check_order(request, matched, open_rows)
    posting_checks.check_funds(request, customer)

    serial = f"{request.business_date:%Y%m%d}{next_posting_number(connection):08d}"
    seq = reserve_change_seqs(connection, len(matched) + 1)
    line_rows: list[dict[str, Any]] = []
    for line_no, (line, row) in enumerate(matched, start=1):
        principal_paid = row["principal_paid"] + line.principal
        penalty_paid = row["penalty_paid"] + line.penalty
        state = settle_state(
            principal=row["principal"], principal_paid=principal_paid, penalty_paid=penalty_paid
        )
        connection.execute(
            update(receivables)
            .where(receivables.c.id == row["id"])
            .values(
                principal_paid=principal_paid,
                penalty_paid=penalty_paid,
                settle_state=state,
                settled_on=request.cash_date if state == "settled" else None,
                change_seq=seq + line_no,
            )
        )
        line_rows.append(
            {
                "line_no": line_no,
                "receivable_id": row["id"],
                "period": line.period,
                "run_no": line.run_no,
                "penalty": line.penalty,
                "principal": line.principal,
                "settle_state_after": state,
            }
        )
    connection.execute(
        update(customers)
        .where(customers.c.account_no == request.account_no)
        .values(
            prepaid=customers.c.prepaid + request.prepaid_added - request.prepaid_used,
            rounding_credit=customers.c.rounding_credit
            + request.rounding_added
            - request.rounding_used,
            change_seq=seq,
        )
    )
    posting_id = connection.execute(
        insert(postings)
        .values(
            serial=serial,
            payment_id=request.payment_id,
            content_hash=content_hash,
            account_no=request.account_no,
            station_code=customer["station_code"],
            amount_fen=request.amount_fen,
            penalty_total=sum(line.penalty for line, _ in matched),
            principal_total=sum(line.principal for line, _ in matched),
            prepaid_used=request.prepaid_used,
            prepaid_added=request.prepaid_added,
            rounding_used=request.rounding_used,
            rounding_added=request.rounding_added,
            cash_date=request.cash_date,
            business_date=request.business_date,
            channel=request.channel,
            collection_point_id=request.collection_point_id,
            terminal_id=request.terminal_id,
            operator_id=request.operator_id,
            state="posted",
            posted_at=now,
        )
        .returning(postings.c.id)
    ).scalar_one()
    if line_rows:
        connection.execute(
            insert(posting_lines), [{"posting_id": posting_id, **row} for row in line_rows]
        )
    row = connection.execute(select(postings).where(postings.c.id == posting_id)).mappings().one()
    return posting_result(connection, row)
