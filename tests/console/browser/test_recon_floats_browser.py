"""代理商资金对账 in a real browser: finance chooses an agent from the 对账 menu, sees the float
reconciled, records a cash handover and downloads the printed PDF (Chinese set in Noto CJK);
the 银电联网 file page is one click away."""

from __future__ import annotations

import io
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .conftest import Served, sign_in


def test_the_float_page_records_a_handover_and_downloads_its_pdf(
    page: Page, served: Served, screenshots: Path
) -> None:
    sign_in(page, served, "finance@340828")
    page.click("a[data-page=reconciliation_floats]")
    page.fill("#float-filters input[name=agent]", "A0101")
    page.click("#float-filters button[type=submit]")
    expect(page.locator("h1")).to_contain_text("天堂镇便民超市")
    expect(page.locator("#float-problems [data-problem=none]")).to_be_visible()

    # the business date is offered when the agent collected in the range: left empty, it is asked
    page.fill("#handover-form input[name=covers_date]", "")
    page.fill("#handover-form input[name=amount]", "12.50")
    page.click("#handover-form button[type=submit]")
    expect(page.locator("#handover-form .field-error").first).to_be_visible()  # no date chosen
    covers = page.locator("#handover-form input[name=received_on]").input_value()
    page.fill("#handover-form input[name=covers_date]", covers)
    page.fill("#handover-form input[name=amount]", "12.50")
    page.fill("#handover-form input[name=note]", "浏览器登记")
    page.click("#handover-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("交款已登记。")
    row = page.locator(f"#float-days tr[data-date='{covers}']")
    expect(row.locator("[data-field=handed_over]")).to_have_text("12.50")
    expect(page.locator("#float-handovers")).to_contain_text("浏览器登记")
    page.screenshot(path=screenshots / "recon-floats.png", full_page=True)

    with page.expect_download() as downloading:
        page.click("#float-pdf")
    download = downloading.value
    assert download.suggested_filename.startswith("float-reconciliation-A0101-")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "代理商资金对账" in text
    assert "浏览器登记" in text
    fonts = {
        str(font["/BaseFont"])
        for pdf_page in reader.pages
        for font in pdf_page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Noto-Sans-CJK" in font for font in fonts), fonts

    page.click("a[data-page=reconciliation_files]")
    expect(page.locator("h1")).to_have_text("银电联网对账文件")
    page.screenshot(path=screenshots / "recon-files.png", full_page=True)
