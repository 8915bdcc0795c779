"""扎帐记录: the batches of the terminals of the actor's subtree by business dates, organisation,
terminal and state (open, balanced, unbalanced), newest first in keyset pages with a bounded
count; and one batch — the terminal's totals against the server's (as compared at the close,
and as the server counts them now), the cash counted and its difference with the note, the
detail upload and every difference it named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from gridpos.adapters.db.console import OrganisationAdmin
from gridpos.adapters.db.console.batch_search import (
    BatchFilter,
    BatchKey,
    BatchRow,
    BatchSearch,
    DifferenceRow,
    UploadFacts,
)
from gridpos.adapters.db.payment_store import Totals
from gridpos.adapters.db.payment_store.reports import PaymentReports
from gridpos.adapters.db.tables.batches import BATCH_STATES
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import AccessDeniedError, NotFoundError, field_error
from gridpos.application.console.payments import county_today, read_date_range

MAX_DAYS: Final = 31
PAGE_SIZE: Final = 20
COUNT_CAP: Final = 1_000
_TERMINAL_NO: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True, slots=True)
class BatchQuery:
    """A batch search as typed (every part optional; no dates: the last 7 days)."""

    date_from: str = ""
    date_to: str = ""
    org_code: str = ""
    terminal_no: str = ""
    state: str = ""
    after: str = ""
    before: str = ""


@dataclass(frozen=True, slots=True)
class BatchPage:
    """A page of batches; ``total`` counted no further than :data:`COUNT_CAP`."""

    items: tuple[BatchRow, ...]
    total: int
    capped: bool
    has_previous: bool
    has_next: bool

    @property
    def first_key(self) -> str:
        return self.items[0].key.token() if self.items else ""

    @property
    def last_key(self) -> str:
        return self.items[-1].key.token() if self.items else ""


@dataclass(frozen=True, slots=True)
class BatchDetail:
    """One batch's page; ``server_now`` is what the server counts for the batch today."""

    batch: BatchRow
    server_now: Totals
    upload: UploadFacts
    differences: tuple[DifferenceRow, ...]
    payment_ids: dict[str, int]  # transaction id → payment id, for the differences' links


def _read_filter(
    search: BatchSearch, orgs: OrganisationAdmin, actor: Actor, query: BatchQuery, today: date
) -> BatchFilter:
    check = FieldChecks()
    start, end = read_date_range(
        check,
        query.date_from,
        query.date_to,
        max_days=MAX_DAYS,
        default_to=today,
        default_days=7,
    )
    root_path = actor.org_path
    org_code = (query.org_code or "").strip()
    if org_code:
        node = orgs.by_code(org_code[:32])
        if node is None or not actor.covers(node.path):
            check.add(
                field_error(
                    "organisation_unknown",
                    field="org",
                    message_zh=f"您的管辖范围内没有编码为 {org_code[:32]} 的单位",
                    message_en=f"there is no organisation {org_code[:32]} within your scope",
                )
            )
        else:
            root_path = node.path
    terminal_id = None
    terminal_no = (query.terminal_no or "").strip()
    if terminal_no:
        found = search.terminal(terminal_no) if _TERMINAL_NO.fullmatch(terminal_no) else None
        if found is None or not actor.covers(found[1]):
            check.add(
                field_error(
                    "terminal_unknown",
                    field="terminal",
                    message_zh=f"您的管辖范围内没有终端号为 {terminal_no[:32]} 的终端",
                    message_en=f"there is no terminal {terminal_no[:32]} within your scope",
                )
            )
        else:
            terminal_id = found[0]
    state = (query.state or "").strip()
    if state and state not in BATCH_STATES:
        check.add(
            field_error(
                "choice_invalid",
                field="state",
                message_zh="扎帐状态不在可选范围内",
                message_en="this batch state is not one you may choose",
            )
        )
    check.done()
    return BatchFilter(
        date_from=start,
        date_to=end,
        root_path=root_path,
        terminal_id=terminal_id,
        state=state or None,
    )


def batch_list(services: ConsoleServices, actor: Actor, query: BatchQuery) -> BatchPage:
    """One page of the batches of the terminals of the actor's subtree, newest first.

    Raises :class:`AccessDeniedError` without ``batches.view``;
    :class:`~gridpos.application.console.errors.InvalidFormError` for dates malformed,
    backwards or more than :data:`MAX_DAYS` apart (fields ``date_from``, ``date_to``), an
    organisation or terminal unknown or outside the subtree (``org``, ``terminal``), a state
    that is none (``state``).
    """
    require(actor, Permission.BATCHES_VIEW)
    today = county_today(services)
    after = BatchKey.parse(query.after) if query.after else None
    before = BatchKey.parse(query.before) if query.before and after is None else None
    with services.reading() as uow:
        search = BatchSearch(uow.connection)
        wanted = _read_filter(search, OrganisationAdmin(uow.connection), actor, query, today)
        rows = search.page(wanted, after=after, before=before, limit=PAGE_SIZE + 1)
        total = search.count(wanted, cap=COUNT_CAP + 1)
    more = len(rows) > PAGE_SIZE
    if before is not None:
        rows = rows[-PAGE_SIZE:] if more else rows
        has_previous, has_next = more, True
    else:
        rows = rows[:PAGE_SIZE]
        has_previous, has_next = after is not None, more
    return BatchPage(
        items=tuple(rows),
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        has_previous=has_previous,
        has_next=has_next,
    )


def batch_detail(services: ConsoleServices, actor: Actor, batch_id: int) -> BatchDetail:
    """The batch ``batch_id`` with its totals, upload and differences.

    Raises :class:`AccessDeniedError` without ``batches.view`` or when the batch's terminal
    lies outside the actor's subtree; :class:`NotFoundError` (``batch_unknown``).
    """
    require(actor, Permission.BATCHES_VIEW)
    with services.reading() as uow:
        search = BatchSearch(uow.connection)
        batch = search.batch(batch_id)
        if batch is None:
            raise NotFoundError(
                code="batch_unknown",
                field="batch_id",
                message_zh=f"扎帐记录 {batch_id} 不存在",
                message_en=f"there is no batch {batch_id}",
            )
        if not actor.covers(batch.org_path):
            raise AccessDeniedError()
        differences = tuple(search.differences(batch.id))
        server_now = PaymentReports(uow.connection).totals(
            batch.terminal_id, batch.business_date, batch_no=batch.batch_no
        )
        upload = search.upload(batch.id)
        payment_ids = search.payment_ids(
            batch.terminal_id, sorted({d.txn_id for d in differences if d.txn_id})
        )
    return BatchDetail(
        batch=batch,
        server_now=server_now,
        upload=upload,
        differences=differences,
        payment_ids=payment_ids,
    )
