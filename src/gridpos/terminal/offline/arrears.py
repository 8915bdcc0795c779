"""The area's arrears kept on the terminal for offline collection, and their download."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date

import orjson

from gridpos.protocol.codec import decode, encode
from gridpos.protocol.terminal.accounts import ArrearsQuery, OfflineAccount
from gridpos.protocol.terminal.routes import ARREARS
from gridpos.terminal.client import NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import NoAnswerError, ServerRefusalError, refusal
from gridpos.terminal.journal import EventKind

GENERATION_META = "arrears_generation"
PROGRESS_META = "arrears_download"
_LOG = logging.getLogger(__name__)


# ---- the local copy of the arrears --------------------------------------------------------------


class OfflineStore:
    """The area's customers and open receivables, as downloaded (and paid down offline)."""

    def __init__(self, context: TerminalContext) -> None:
        self._journal = context.journal

    def put(
        self,
        accounts: tuple[OfflineAccount, ...],
        *,
        area: str,
        business_date: date,
        generation: int,
    ) -> None:
        with self._journal.transaction():
            self._journal.connection.executemany(
                "INSERT OR REPLACE INTO offline_accounts"
                " (account_no, area, business_date, generation, data) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        account.account_no,
                        area,
                        business_date.isoformat(),
                        generation,
                        encode(account).decode("utf-8"),
                    )
                    for account in accounts
                ],
            )

    def drop_older(self, generation: int) -> int:
        """Forget customers a complete download no longer lists (paid off, moved away)."""
        with self._journal.transaction():
            cursor = self._journal.connection.execute(
                "DELETE FROM offline_accounts WHERE generation < ?", (generation,)
            )
        return cursor.rowcount

    def get(self, account_no: str) -> tuple[OfflineAccount, date] | None:
        """The customer and the business date of the download, if the terminal has it."""
        row = self._journal.connection.execute(
            "SELECT data, business_date FROM offline_accounts WHERE account_no = ?", (account_no,)
        ).fetchone()
        if row is None:
            return None
        return decode(OfflineAccount, str(row[0]).encode("utf-8")), date.fromisoformat(row[1])

    def replace(self, account: OfflineAccount) -> None:
        """Keep the customer as a payment left it (inside the payment's transaction)."""
        with self._journal.transaction():
            self._journal.connection.execute(
                "UPDATE offline_accounts SET data = ? WHERE account_no = ?",
                (encode(account).decode("utf-8"), account.account_no),
            )

    def count(self) -> int:
        row = self._journal.connection.execute("SELECT count(*) FROM offline_accounts").fetchone()
        return int(row[0])


# ---- the download, resumable ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """A download under way, kept in the journal file with the pages it stored.

    ``as_of`` is the business date of its first page: every page of one download is priced on
    that date, so a complete download is one consistent copy. ``after`` is the last customer
    number stored (the next page starts after it).
    """

    area: str | None
    generation: int
    as_of: date | None = None
    after: str | None = None
    pages: int = 0
    accounts: int = 0
    attempts: int = 1

    def as_json(self) -> str:
        return orjson.dumps(
            {
                "area": self.area,
                "gen": self.generation,
                "bd": self.as_of.isoformat() if self.as_of else None,
                "after": self.after,
                "pages": self.pages,
                "accts": self.accounts,
                "tries": self.attempts,
            }
        ).decode("utf-8")

    @classmethod
    def from_json(cls, text: str) -> DownloadProgress:
        data = orjson.loads(text)
        return cls(
            area=data["area"],
            generation=int(data["gen"]),
            as_of=date.fromisoformat(data["bd"]) if data["bd"] else None,
            after=data["after"],
            pages=int(data["pages"]),
            accounts=int(data["accts"]),
            attempts=int(data["tries"]),
        )


def download_progress(context: TerminalContext) -> DownloadProgress | None:
    """The download left incomplete (by a failure or a restart), if there is one."""
    text = context.journal.meta(PROGRESS_META)
    return DownloadProgress.from_json(text) if text else None


def _fresh(context: TerminalContext, area: str | None) -> DownloadProgress:
    generation = int(context.journal.meta(GENERATION_META) or "0") + 1
    progress = DownloadProgress(area=area, generation=generation)
    with context.journal.transaction():
        context.journal.set_meta(GENERATION_META, str(generation))
        context.journal.set_meta(PROGRESS_META, progress.as_json())
    return progress


def _resume_or_start(context: TerminalContext, area: str | None) -> DownloadProgress:
    """The incomplete download of the same area and business day, one attempt more; else a new
    one (a download of another day or area is abandoned: its pages go with the next complete)."""
    session = context.require_session()
    progress = download_progress(context)
    if (
        progress is not None
        and progress.area == area
        and progress.as_of in (None, session.business_date)
    ):
        resumed = replace(progress, attempts=progress.attempts + 1)
        context.journal.set_meta(PROGRESS_META, resumed.as_json())
        return resumed
    return _fresh(context, area)


def download_arrears(context: TerminalContext, *, area: str | None = None) -> int:
    """Download the area's arrears page by page into the local copy; the customers stored.

    Each page is stored with the download's progress in one journal transaction, so a download
    cut part-way — by the link or by a restart — keeps what it got and the next call resumes
    after the last page stored. All pages of one download carry the business date of its first
    (its as-of): should the server's day change part-way, the download starts again from the
    first page. A complete download forgets customers no longer listed.

    Raises:
        NoAnswerError: the link failed (the pages stored so far are kept; call again to resume).
        ServerRefusalError: the server refused.
        TerminalRefusalError: ``not_signed_in``; ``arrears_too_many_pages``.
    """
    session = context.require_session()
    store = OfflineStore(context)
    journal = context.journal
    progress = _resume_or_start(context, area)
    area_name = area or ""
    for _page in range(context.config.max_arrears_pages):
        query = ArrearsQuery(
            area=area, after=progress.after, limit=context.config.arrears_page_size
        )
        result = context.client.call(ARREARS, query)
        if isinstance(result, NoAnswer):
            raise NoAnswerError(result.reason.value, body=result.error)
        if isinstance(result, Refused):
            raise ServerRefusalError(result.error)
        page = result.answer
        area_name = page.area
        if progress.as_of is not None and page.business_date != progress.as_of:
            _LOG.info("arrears download restarted: the business date changed part-way")
            progress = _fresh(context, area)
            continue
        progress = replace(
            progress,
            as_of=page.business_date,
            after=page.next_after or progress.after,
            pages=progress.pages + 1,
            accounts=progress.accounts + len(page.accounts),
        )
        with journal.transaction():
            store.put(
                page.accounts,
                area=page.area,
                business_date=page.business_date,
                generation=progress.generation,
            )
            journal.set_meta(PROGRESS_META, progress.as_json())
        if page.next_after is None:
            break
    else:
        raise refusal(
            "arrears_too_many_pages",
            field="area",
            message_zh="片区欠费资料过多，下载未完成",
            message_en="the area's arrears run past the page limit; the download is incomplete",
            details={"pages": context.config.max_arrears_pages},
        )
    with journal.transaction():
        dropped = store.drop_older(progress.generation)
        journal.set_meta(PROGRESS_META, None)
        journal.append(
            EventKind.ARREARS_DOWNLOADED,
            {
                "area": area_name,
                "accounts": progress.accounts,
                "dropped": dropped,
                "as_of": progress.as_of.isoformat() if progress.as_of else None,
                "pages": progress.pages,
                "tries": progress.attempts,
            },
            business_date=session.business_date,
            batch_no=session.batch_no,
        )
    return progress.accounts
