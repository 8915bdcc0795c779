"""The customer pages in a real browser: search by number start, a search that would read
every customer refused next to the search box, and the customer's page with today's arrears."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import insert

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import customers, receivables

from .conftest import Served, sign_in


def test_find_a_customer_and_see_what_they_owe(
    page: Page, served: Served, screenshots: Path
) -> None:
    engine = create_engine_for(served.database_url)
    try:
        with engine.begin() as conn:
            customer_id = conn.execute(
                insert(customers)
                .values(
                    account_no="0177000001",
                    name="储大山",
                    address="岳西县天堂镇黄尾村五组",
                    category="residential",
                    station_org_id=served.tree.org["34082801"],
                    prepaid=1_250,
                )
                .returning(customers.c.id)
            ).scalar_one()
            conn.execute(
                insert(receivables).values(
                    mis_receivable_id="browser-r1",
                    customer_id=customer_id,
                    period="202001",
                    principal=5_000,
                    due_date=date(2020, 2, 20),
                )
            )
    finally:
        engine.dispose()
    sign_in(page, served, "admin@340828")
    page.goto(served.url("/customers"))
    page.select_option("select[name=field]", "address")
    page.select_option("select[name=mode]", "contains")
    page.fill("input[name=q]", "黄尾村")
    page.click("#customer-search button[type=submit]")
    expect(page.locator(".field-error[data-field=q]")).to_contain_text("须先选定一个供电所")
    page.fill("input[name=station]", "34082801")
    page.click("#customer-search button[type=submit]")
    expect(page.locator("tr[data-account='0177000001']")).to_contain_text("储大山")
    page.screenshot(path=screenshots / "customers.png", full_page=True)

    page.goto(served.url("/customers?field=account_no&mode=prefix&q=01770"))
    page.click("tr[data-account='0177000001'] a")
    expect(page.locator("h1")).to_contain_text("储大山")
    expect(page.locator("dd[data-field=principal]")).to_have_text("50.00")
    expect(page.locator("dd[data-field=prepaid]")).to_have_text("12.50")
    penalty = int(page.locator("dd[data-field=penalty]").inner_text().replace(".", ""))
    assert penalty > 5_000  # years overdue at 1‰ a day: more than the principal itself
    page.screenshot(path=screenshots / "customer-detail.png", full_page=True)
    answer = page.goto(served.url(f"/customers/{customer_id}"))
    assert answer is not None
    assert answer.status == 200
    page.context.clear_cookies()
    sign_in(page, served, "head2@34082802")
    answer = page.goto(served.url(f"/customers/{customer_id}"))
    assert answer is not None
    assert answer.status == 403
