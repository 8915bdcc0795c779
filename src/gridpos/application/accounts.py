"""Account query (欠费查询) and the offline arrears download.

The account is refreshed from the MIS first (a short timeout, through the
:class:`~gridpos.application.ports.AccountRefresher` port); when the MIS does not answer, the
replica answers with the ``mis_unavailable`` notice and the time of its last sync. A terminal
serves only customers of its own county company's subtree.
"""

from __future__ import annotations

from gridpos.adapters.db.payment_store import CustomerRecord
from gridpos.application.arrears import PricedReceivable, price
from gridpos.application.context import Services
from gridpos.application.ports import RefreshOutcome
from gridpos.application.refusals import RefusalError
from gridpos.application.terminals.authentication import SignedRequest, claim
from gridpos.application.terminals.day import require_day
from gridpos.application.text import printable
from gridpos.domain.allocation import amount_due, round_up_amount
from gridpos.protocol.errors import ErrorCode, error_body
from gridpos.protocol.fields import WireCategory
from gridpos.protocol.terminal.accounts import (
    AccountAnswer,
    AccountQuery,
    ArrearsAnswer,
    ArrearsQuery,
    OfflineAccount,
    ReceivableLine,
)


def _lines(priced: list[PricedReceivable]) -> tuple[ReceivableLine, ...]:
    return tuple(
        ReceivableLine(
            period=item.record.period,
            run=item.record.run_no,
            kwh=item.record.kwh,
            principal=item.record.principal_unpaid,
            penalty=item.penalty,
            due_date=item.record.due_date,
        )
        for item in priced
    )


def _due(customer: CustomerRecord, priced: list[PricedReceivable]) -> int:
    return amount_due(
        receivables=[item.open for item in priced if item.open.owed > 0],
        prepaid=customer.prepaid,
        rounding_credit=customer.rounding_credit,
    )


def query_account(services: Services, signed: SignedRequest, query: AccountQuery) -> AccountAnswer:
    """What the terminal shows before taking cash.

    Raises :class:`RefusalError`: ``account_unknown``, ``account_other_county``, ``not_signed_in``,
    ``session_expired``, and the signing refusals of
    :func:`~gridpos.application.terminals.authentication.claim`.
    """
    outcome = services.refresher.refresh(query.account_no)
    now = services.clock.now()
    terminal = signed.terminal
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now, collecting=False)
        customer = uow.payments.customer(query.account_no, county_path=terminal.place.county_path)
        if customer is None:
            raise RefusalError(ErrorCode.ACCOUNT_UNKNOWN, details={"acct": query.account_no})
        if not customer.in_county:
            raise RefusalError(ErrorCode.ACCOUNT_OTHER_COUNTY, details={"acct": query.account_no})
        priced = price(
            uow.payments.open_receivables(customer.id),
            category=customer.category,
            on=day.business_date,
            rules=day.params.penalty_rules or services.penalty_rules,
        )
        uow.commit()
    due = _due(customer, priced)
    unavailable = outcome is RefreshOutcome.UNAVAILABLE
    return AccountAnswer(
        account_no=customer.account_no,
        name=printable(customer.name, 64),
        address=printable(customer.address, 128),
        category=WireCategory(customer.category),
        business_date=day.business_date,
        lines=_lines(priced),
        prepaid=customer.prepaid,
        rounding_credit=customer.rounding_credit,
        total_due=due,
        round_up=round_up_amount(due=due) - due,
        synced_at=customer.mis_updated_at if unavailable else None,
        notices=(error_body(ErrorCode.MIS_UNAVAILABLE),) if unavailable else (),
    )


def download_arrears(
    services: Services, signed: SignedRequest, query: ArrearsQuery
) -> ArrearsAnswer:
    """One page of an area's customers with their open receivables, for offline collection.

    The area is an organisation code in the terminal's county (a station or below) or a
    meter-reading segment code; left out, the terminal's own station.

    Raises :class:`RefusalError`: ``not_signed_in``, ``session_expired``, and the signing refusals.
    """
    now = services.clock.now()
    terminal = signed.terminal
    place = terminal.place
    area = query.area or place.station_code
    with services.writing() as uow:
        session = claim(uow, signed, services)
        day = require_day(uow, services, terminal, session, now=now, collecting=False)
        org_path = uow.customers.organisation_path(area)
        in_county = org_path is not None and org_path.startswith(place.county_path)
        page = uow.customers.page(
            county_path=place.county_path,
            org_path=org_path if in_county else None,
            segment=None if in_county else area,
            after=query.after,
            limit=query.limit + 1,
        )
        more = len(page) > query.limit
        page = page[: query.limit]
        open_by_customer = uow.customers.open_receivables([customer.id for customer in page])
        uow.commit()
    accounts = []
    for customer in page:
        priced = price(
            open_by_customer[customer.id],
            category=customer.category,
            on=day.business_date,
            rules=day.params.penalty_rules or services.penalty_rules,
        )
        accounts.append(
            OfflineAccount(
                account_no=customer.account_no,
                name=printable(customer.name, 64),
                address=printable(customer.address, 128),
                category=WireCategory(customer.category),
                lines=_lines(priced),
                prepaid=customer.prepaid,
                rounding_credit=customer.rounding_credit,
            )
        )
    return ArrearsAnswer(
        business_date=day.business_date,
        area=area,
        accounts=tuple(accounts),
        next_after=page[-1].account_no if more and page else None,
    )
