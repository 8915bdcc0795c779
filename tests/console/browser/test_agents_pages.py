"""The agent pages in a real browser: a float top-up requested by station staff and approved
by finance (a second person), self-approval refused next to the decision, a zero amount
refused next to the field, the statement printed to PDF; an agent sees only their own."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .conftest import Served, sign_in


def test_a_top_up_requested_and_approved_by_two_people(
    page: Page, served: Served, screenshots: Path
) -> None:
    agent_id = served.tree.agent["A0101"]
    sign_in(page, served, "staff@34082801")
    page.goto(served.url("/agents"))
    page.click("tr[data-code='A0101'] a")
    expect(page.locator("h1")).to_contain_text("天堂镇便民超市")
    page.fill("#topup-form input[name=amount]", "0")
    page.click("#topup-form button[type=submit]")
    expect(page.locator("#topup-form .field-error")).to_have_text("金额不能为零")
    page.fill("#topup-form input[name=amount]", "1,500.00")
    page.fill("#topup-form input[name=note]", "现金交款")
    page.click("#topup-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("充值申请已提交，须由另一人审批。")
    row = page.locator("#topups tr[data-state=requested]").first
    expect(row).to_contain_text("1,500.00")
    expect(row.locator("form.decision")).to_have_count(0)  # staff cannot decide
    page.context.clear_cookies()

    sign_in(page, served, "finance@340828")
    page.goto(served.url(f"/agents/{agent_id}"))
    available = page.locator("dd[data-field=float_available]").inner_text()
    before = int(re.sub(r"[^0-9]", "", available))
    page.screenshot(path=screenshots / "agent-detail.png", full_page=True)
    # finance asks for one more itself, and may not approve its own request
    page.fill("#topup-form input[name=amount]", "10")
    page.click("#topup-form button[type=submit]")
    own = page.locator("#topups tr[data-state=requested]", has_text="10.00").first
    own.locator("button[name=approve][value='1']").click()
    expect(page.locator("form.decision .field-error")).to_have_text(
        "充值申请须由申请人以外的另一人审批"
    )
    staff_request = page.locator("#topups tr[data-state=requested]", has_text="1,500.00")
    staff_request.locator("button[name=approve][value='1']").click()
    expect(page.locator("p.notice")).to_have_text("充值已批准：可用余额已相应增加。")
    after = int(re.sub(r"[^0-9]", "", page.locator("dd[data-field=float_available]").inner_text()))
    assert after - before == 150_000

    page.click("#statement-link")
    expect(page.locator("dd[data-field=balanced]")).to_have_text("是")
    page.screenshot(path=screenshots / "agent-statement.png", full_page=True)
    answer = page.request.get(
        served.base + (page.locator("#statement-pdf").get_attribute("href") or "")
    )
    assert answer.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.body()))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "备付金对账单" in text
    assert "A0101" in text
    fonts = {
        str(font["/BaseFont"])
        for pdf_page in reader.pages
        for font in pdf_page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Noto-Sans-CJK" in font for font in fonts), fonts  # the print css, not a serif
    xlsx = page.request.get(
        served.base + (page.locator("#statement-xlsx").get_attribute("href") or "")
    )
    assert xlsx.body()[:2] == b"PK"  # a zip: the .xlsx container


def test_an_agent_sees_only_their_own_agent(page: Page, served: Served) -> None:
    sign_in(page, served, "agent01@3408280101")
    page.goto(served.url("/agents"))
    expect(page).to_have_url(re.compile(rf"/agents/{served.tree.agent['A0101']}$"))
    expect(page.locator("#topup-form")).to_have_count(0)
    # a heading after a table stands apart from it
    gap = page.evaluate(
        "() => parseFloat(getComputedStyle("
        "document.querySelector('#agent-terminals').previousElementSibling).marginTop)"
    )
    assert gap >= 16
    answer = page.goto(served.url(f"/agents/{served.tree.agent['A0201']}"))
    assert answer is not None
    assert answer.status == 403
    answer = page.goto(served.url(f"/agents/{served.tree.agent['A0201']}/statement"))
    assert answer is not None
    assert answer.status == 403
