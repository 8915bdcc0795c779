"""收费明细 in a real browser: payments made through the running server's terminal API found in
the list; a void asked for by station staff and approved by finance (a second person), the
requester unable to decide their own request; a date range backwards refused next to the
field; another station's payment refused by URL; the terminal's open batch on 扎帐记录."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from gridpos.adapters.db.engine import create_engine_for
from gridpos.adapters.db.tables import payments

from .conftest import Served, sign_in
from .payments_world import PAY_TERMINAL, PaymentsWorld, payments_world

__all__ = ["payments_world"]


def _state(served: Served, payment: int) -> str:
    engine = create_engine_for(served.database_url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(select(payments.c.state).where(payments.c.id == payment)).scalar_one()
            )
    finally:
        engine.dispose()


def test_a_void_asked_by_one_operator_and_approved_by_another(
    page: Page, served: Served, payments_world: PaymentsWorld, screenshots: Path
) -> None:
    voided = payments_world.voided_id
    sign_in(page, served, "staff@34082801")
    page.goto(served.url("/payments"))
    page.fill("#payment-filters input[name=terminal]", PAY_TERMINAL)
    page.click("#payment-filters button.primary")
    rows = page.locator("#payments tr[data-payment]")
    expect(rows).to_have_count(2)
    page.screenshot(path=screenshots / "payments.png", full_page=True)
    page.locator(f"#payments tr[data-payment='{voided}'] a").click()
    expect(page.locator("dd[data-field=cash]")).to_contain_text("88.00")
    expect(page.locator("#undo-request-form h2")).to_have_text("申请撤销（当日）")
    page.click("#undo-request-form button[type=submit]")  # no reason
    expect(page.locator("#undo-request-form .field-error[data-field=reason]")).to_have_text(
        "请填写原因"
    )
    page.fill("#undo-request-form input[name=reason]", "收错户号，顾客取回现金")
    page.click("#undo-request-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("申请已提交，须由另一人审批。")
    expect(page.locator("#undo-requests tr[data-state=requested]")).to_have_count(1)
    expect(page.locator("#decision-form button[name=approve]")).to_have_count(0)  # staff cannot
    assert _state(served, voided) == "confirmed"  # nothing moves while it waits
    page.context.clear_cookies()

    sign_in(page, served, "finance@340828")
    page.goto(served.url("/payments"))
    waiting = page.locator("#waiting-requests tr", has_text="收错户号")
    expect(waiting).to_have_count(1)
    waiting.locator("a").click()
    page.screenshot(path=screenshots / "payment-undo-request.png", full_page=True)
    page.fill("#decision-form input[name=note]", "已核实")
    page.click("#decision-form button[name=approve][value='1']")
    expect(page.locator("p.notice")).to_have_text("申请已审批通过：这笔收费已撤回。")
    expect(page.locator("dd[data-field=state]")).to_have_text("已撤销")
    expect(page.locator("dd[data-field=approved_by]")).to_contain_text("李账务")
    expect(page.locator("table.ledger[data-kind=void]")).to_have_count(1)
    page.screenshot(path=screenshots / "payment-voided.png", full_page=True)
    assert _state(served, voided) == "voided"

    # finance asks for the other one itself: it may not approve its own request
    page.goto(served.url(f"/payments/{payments_world.kept_id}"))
    page.fill("#undo-request-form input[name=reason]", "核对用")
    page.click("#undo-request-form button[type=submit]")
    expect(page.locator("#decision-form")).to_contain_text("这是您本人提出的申请：须由另一人审批。")
    expect(page.locator("#decision-form button[name=approve]")).to_have_count(0)
    assert _state(served, payments_world.kept_id) == "confirmed"


def test_a_range_backwards_and_another_stations_payment_are_refused(
    page: Page, served: Served, payments_world: PaymentsWorld, screenshots: Path
) -> None:
    sign_in(page, served, "head@34082801")
    page.goto(served.url("/batches"))
    batch = page.locator("#batches tr[data-batch]", has_text=PAY_TERMINAL)
    expect(batch).to_have_count(1)  # opened when the terminal signed in
    page.screenshot(path=screenshots / "batches.png", full_page=True)
    batch.locator("a").click()
    expect(page.locator("dd[data-field=state]")).to_have_text("未扎帐")
    page.goto(served.url("/payments"))
    page.fill("#payment-filters input[name=date_from]", "2024-05-02")
    page.fill("#payment-filters input[name=date_to]", "2024-05-01")
    page.click("#payment-filters button.primary")
    expect(page.locator(".field-error[data-field=date_to]")).to_have_text(
        "结束日期不能早于开始日期"
    )
    page.context.clear_cookies()
    sign_in(page, served, "head2@34082802")
    answer = page.goto(served.url(f"/payments/{payments_world.kept_id}"))
    assert answer is not None
    assert answer.status == 403
