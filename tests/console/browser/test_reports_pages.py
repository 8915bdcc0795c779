"""统计报表 in a real browser: today's collections by terminal on the page, the same report
downloaded as a PDF whose text (Chinese set in an embedded Noto CJK face) reads back with the
page's figures, and the Excel export; a month written wrongly refused next to the field."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .conftest import Served, sign_in
from .payments_world import PAY_TERMINAL, PaymentsWorld, payments_world

__all__ = ["payments_world"]


def test_a_pdf_report_is_downloaded_and_reads_back(
    page: Page, served: Served, payments_world: PaymentsWorld, screenshots: Path
) -> None:
    del payments_world  # its payments are today's collections at 天堂镇代收点
    sign_in(page, served, "finance@340828")
    page.goto(served.url("/reports"))
    page.select_option("#report-filters select[name=group]", "terminal")
    page.click("#report-filters button.primary")
    line = page.locator(f"#report tr[data-code='{PAY_TERMINAL}']")
    expect(line).to_have_count(1)
    cells = line.locator("td").all_inner_texts()
    total = page.locator("#report-total td[data-field=amount]").inner_text()
    page.screenshot(path=screenshots / "reports.png", full_page=True)

    with page.expect_download() as download:
        page.click("#print-pdf")
    saved = screenshots / "report.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("collections-daily-terminal-")
    reader = PdfReader(io.BytesIO(saved.read_bytes()))
    text = "".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", "", text)  # table cells wrap their text
    assert "收费日报" in text
    assert "按终端" in text
    assert "岳西县供电公司" in text
    assert PAY_TERMINAL in text
    assert "天堂供电所·天堂镇代收点" in flat
    # the line as the page shows it: its place, then its count and amount
    assert f"天堂镇代收点{cells[3]}{cells[4]}" in flat, (cells, flat)
    assert total in flat
    fonts = {
        str(font["/BaseFont"])
        for pdf_page in reader.pages
        for font in pdf_page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("Noto-Sans-CJK" in font for font in fonts), fonts

    with page.expect_download() as workbook:
        page.click("#export-xlsx")
    assert workbook.value.suggested_filename.endswith(".xlsx")

    page.select_option("#report-filters select[name=kind]", "monthly")
    page.fill("#report-filters input[name=month]", "2024-13")
    page.click("#report-filters button.primary")
    expect(page.locator(".field-error[data-field=month]")).to_have_text(
        "月份应写作 YYYYMM，如 202405"
    )
