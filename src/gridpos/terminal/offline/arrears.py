"""The area's arrears kept on the terminal for offline collection, and their download."""

from __future__ import annotations

from datetime import date

from gridpos.protocol.codec import decode, encode
from gridpos.protocol.terminal.accounts import ArrearsQuery, OfflineAccount
from gridpos.protocol.terminal.routes import ARREARS
from gridpos.terminal.client import NoAnswer, Refused
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import NoAnswerError, ServerRefusalError, refusal
from gridpos.terminal.journal import EventKind

GENERATION_META = "arrears_generation"


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


def download_arrears(context: TerminalContext, *, area: str | None = None) -> int:
    """Download the area's arrears page by page into the local copy; the customers stored.

    Each page is stored as it comes, so a download cut part-way keeps what it got; a complete
    download forgets customers no longer listed.

    Raises:
        NoAnswerError: the link failed (the pages stored so far are kept).
        ServerRefusalError: the server refused.
        TerminalRefusalError: ``not_signed_in``.
    """
    session = context.require_session()
    store = OfflineStore(context)
    journal = context.journal
    generation = int(journal.meta(GENERATION_META) or "0") + 1
    journal.set_meta(GENERATION_META, str(generation))
    after: str | None = None
    stored = 0
    area_name = area or ""
    for _page in range(context.config.max_arrears_pages):
        query = ArrearsQuery(area=area, after=after, limit=context.config.arrears_page_size)
        result = context.client.call(ARREARS, query)
        if isinstance(result, NoAnswer):
            raise NoAnswerError(result.reason.value, body=result.error)
        if isinstance(result, Refused):
            raise ServerRefusalError(result.error)
        page = result.answer
        area_name = page.area
        store.put(
            page.accounts,
            area=page.area,
            business_date=page.business_date,
            generation=generation,
        )
        stored += len(page.accounts)
        if page.next_after is None:
            break
        after = page.next_after
    else:
        raise refusal(
            "arrears_too_many_pages",
            field="area",
            message_zh="片区欠费资料过多，下载未完成",
            message_en="the area's arrears run past the page limit; the download is incomplete",
            details={"pages": context.config.max_arrears_pages},
        )
    dropped = store.drop_older(generation)
    journal.append(
        EventKind.ARREARS_DOWNLOADED,
        {"area": area_name, "accounts": stored, "dropped": dropped},
        business_date=session.business_date,
        batch_no=session.batch_no,
    )
    return stored
