"""审计日志: the audit log a page at a time, searched by who, what, subject and dates, and the
chain check (the whole database verified: ledger invariants, the audit chain and its triggers).

Who may read it: the company admin and the auditor (permission ``audit.view``), at a county
company or above. Finance may not: the log records finance's own approvals and postings, and the
auditor checks them — separation of duties. The log is one hash chain for the whole database and
its entries name no organisation (an actor is ``operator:…``, ``terminal:…``), so it cannot be
cut to a station's subtree: an operator placed at a station or a collection point is refused
rather than shown other stations' entries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Final

from gridpos.adapters.db.breaks import CheckResult
from gridpos.adapters.db.console.audit_search import AuditFilter, AuditOrder, AuditRow, AuditSearch
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork
from gridpos.application.audit_verify import verify_database
from gridpos.application.console.access import Actor, Permission, require
from gridpos.application.console.checks import FieldChecks
from gridpos.application.console.context import ConsoleServices
from gridpos.application.console.errors import AccessDeniedError, ConsoleError, field_error

COUNTY_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
PAGE_SIZE: Final = 50
COUNT_CAP: Final = 10_000
MAX_RANGE_DAYS: Final = 366
TEXT_MAX: Final = 100
BREAKS_SHOWN: Final = 20
READING_LEVELS: Final = ("province", "city", "county")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """How a page of the log is asked for (text as typed; every part optional)."""

    actor: str = ""
    action: str = ""
    subject: str = ""
    date_from: str = ""
    date_to: str = ""
    order: str = "desc"
    after: int | None = None
    before: int | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of entries; ``total`` counted no further than :data:`COUNT_CAP` (``capped``)."""

    entries: tuple[AuditRow, ...]
    total: int
    capped: bool
    order: AuditOrder
    has_previous: bool
    has_next: bool

    @property
    def first_id(self) -> int | None:
        return self.entries[0].id if self.entries else None

    @property
    def last_id(self) -> int | None:
        return self.entries[-1].id if self.entries else None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of the chain check: each check, where the chain ends, and when it ran."""

    checks: tuple[CheckResult, ...]
    head_id: int
    head_hash: str
    checked_at: datetime

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


class ChainCheckBusyError(ConsoleError):
    """A chain check is already running in this process. Code ``chain_check_busy``."""

    code = "chain_check_busy"


_CHECK_RUNNING = threading.Lock()


def reads_audit_log(actor: Actor) -> bool:
    """Whether the actor may read the audit log: permission ``audit.view``, and placed at a
    county company or above (the page refuses the others, the menu does not offer it)."""
    return actor.can(Permission.AUDIT_VIEW) and actor.org_level in READING_LEVELS


def require_audit_reader(actor: Actor) -> None:
    """Raises :class:`AccessDeniedError` unless the actor may read the audit log
    (:func:`reads_audit_log`)."""
    require(actor, Permission.AUDIT_VIEW)
    if not reads_audit_log(actor):
        raise AccessDeniedError(
            message_zh="审计日志只向县公司及以上的系统管理员和稽查人员开放",
            message_en="the audit log is open to admins and auditors of a county company or above",
        )


def _day(check: FieldChecks, text: str, *, field: str, label: tuple[str, str]) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        check.add(
            field_error(
                "date_invalid",
                field=field,
                message_zh=f"{label[0]}应为 YYYY-MM-DD 格式的日期",
                message_en=f"the {label[1]} must be a date as YYYY-MM-DD",
            )
        )
        return None


def _text(check: FieldChecks, text: str, *, field: str, label: tuple[str, str]) -> str | None:
    text = text.strip()
    if len(text) > TEXT_MAX:
        check.add(
            field_error(
                "field_too_long",
                field=field,
                message_zh=f"{label[0]}最多 {TEXT_MAX} 个字符",
                message_en=f"the {label[1]} may have at most {TEXT_MAX} characters",
            )
        )
    return text or None


def read_filter(query: AuditQuery) -> AuditFilter:
    """The filter of ``query``, the dates taken as whole days in the county's time.

    Raises :class:`~gridpos.application.console.errors.InvalidFormError`: a date that is not
    ``YYYY-MM-DD`` (``date_invalid``), a range backwards (``date_range_backwards``) or longer
    than :data:`MAX_RANGE_DAYS` days (``date_range_too_long``), a text too long.
    """
    check = FieldChecks()
    first = _day(check, query.date_from, field="date_from", label=("开始日期", "start date"))
    last = _day(check, query.date_to, field="date_to", label=("结束日期", "end date"))
    if first is not None and last is not None:
        if last < first:
            check.add(
                field_error(
                    "date_range_backwards",
                    field="date_to",
                    message_zh="结束日期不能早于开始日期",
                    message_en="the end date cannot be before the start date",
                )
            )
        elif (last - first).days + 1 > MAX_RANGE_DAYS:
            check.add(
                field_error(
                    "date_range_too_long",
                    field="date_to",
                    message_zh=f"日期范围最长 {MAX_RANGE_DAYS} 天",
                    message_en=f"the dates may span at most {MAX_RANGE_DAYS} days",
                )
            )
    actor = _text(check, query.actor, field="actor", label=("操作者", "actor"))
    action = _text(check, query.action, field="action", label=("操作", "action"))
    subject = _text(check, query.subject, field="subject", label=("对象", "subject"))
    check.done()
    prefix = action is not None and (action.endswith(".") or action.endswith("*"))
    return AuditFilter(
        actor=actor,
        action=None if prefix else action,
        action_prefix=action.rstrip("*") if prefix and action else None,
        subject=subject,
        since=None if first is None else datetime.combine(first, time(), COUNTY_TIME),
        until=None
        if last is None
        else datetime.combine(last + timedelta(days=1), time(), COUNTY_TIME),
    )


def _too_many(wanted: AuditFilter) -> ConsoleError:
    field = "actor" if wanted.actor else "subject" if wanted.subject else "action"
    return field_error(
        "search_too_broad",
        field=field,
        message_zh=f"以此开头的记录超过 {COUNT_CAP:,} 条：请多输入几个字，或缩小日期范围",
        message_en=(
            f"more than {COUNT_CAP:,} entries start with this: type more of it or narrow the dates"
        ),
    )


def audit_entries(services: ConsoleServices, actor: Actor, query: AuditQuery) -> AuditPage:
    """One page of the audit log, newest first unless asked otherwise.

    Raises :class:`AccessDeniedError` (see :func:`require_audit_reader`), and
    :class:`~gridpos.application.console.errors.InvalidFormError` for the filter's refusals
    (:func:`read_filter`) and for a prefix matching more than :data:`COUNT_CAP` entries
    (``search_too_broad``: it would have to sort that much of the history).
    """
    require_audit_reader(actor)
    wanted = read_filter(query)
    order = AuditOrder.OLDEST_FIRST if query.order == "asc" else AuditOrder.NEWEST_FIRST
    with services.reading() as uow:
        search = AuditSearch(uow.connection)
        total = search.count(wanted, cap=COUNT_CAP)
        if wanted.has_prefix and total > COUNT_CAP:
            check = FieldChecks()
            check.add(_too_many(wanted))
            check.done()
        after = search.position(query.after) if query.after is not None else None
        before = (
            search.position(query.before) if query.before is not None and after is None else None
        )
        rows = search.page(wanted, order=order, limit=PAGE_SIZE + 1, after=after, before=before)
    more = len(rows) > PAGE_SIZE
    if before is not None:
        rows = rows[-PAGE_SIZE:] if more else rows
        has_previous, has_next = more, True
    else:
        rows = rows[:PAGE_SIZE]
        has_previous, has_next = after is not None, more
    return AuditPage(
        entries=tuple(rows),
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        order=order,
        has_previous=has_previous,
        has_next=has_next,
    )


def run_chain_check(services: ConsoleServices, actor: Actor) -> ChainCheck:
    """Verify the whole database (application ``audit_verify``): every ledger invariant, the
    audit chain and the triggers keeping it append-only; at most :data:`BREAKS_SHOWN` breaks
    named per check. One check at a time per process.

    Raises :class:`AccessDeniedError` (see :func:`require_audit_reader`),
    :class:`ChainCheckBusyError` while another check runs.
    """
    require_audit_reader(actor)
    if not _CHECK_RUNNING.acquire(blocking=False):
        raise ChainCheckBusyError(
            message_zh="另一次校验正在进行，请稍后再试",
            message_en="another check is running: try again in a moment",
        )
    try:
        report = verify_database(SqlUnitOfWork(services.engine, write=False), limit=BREAKS_SHOWN)
        with services.reading() as uow:
            head_id, head_hash = uow.audit.head()
    finally:
        _CHECK_RUNNING.release()
    return ChainCheck(
        checks=report.checks,
        head_id=head_id,
        head_hash=head_hash,
        checked_at=services.clock.now(),
    )
