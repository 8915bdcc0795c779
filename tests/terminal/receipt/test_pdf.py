"""The PDF copy: Noto Sans CJK embedded, the paper's width, the text searchable."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader

from gridpos.terminal.receipt import Paper, ReceiptFormat, layout_receipt, receipt_pdf
from gridpos.terminal.receipt.pdf import receipt_html

from .samples import offline_receipt, online_receipt, rare_receipt

MM = 72 / 25.4  # PDF points per millimetre


def _text(reader: PdfReader) -> str:
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "")


@pytest.fixture(scope="module")
def online_pdf() -> PdfReader:
    return PdfReader(io.BytesIO(receipt_pdf(layout_receipt(online_receipt()))))


def test_the_pdf_text_has_the_customer_and_the_capital_numerals(online_pdf: PdfReader) -> None:
    text = _text(online_pdf)
    assert "王小明" in text
    assert "贰佰零叁元整" in text  # 实收 203.00
    assert "贰佰零贰元捌角玖分" in text  # 应缴 202.89
    assert "48213906" in text


def test_the_pdf_embeds_noto_sans_cjk(online_pdf: PdfReader) -> None:
    fonts: set[str] = set()
    for page in online_pdf.pages:
        resources = page["/Resources"]["/Font"]
        for ref in resources.values():
            font = ref.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert any("Noto-Sans-Mono-CJK-SC" in name for name in fonts), fonts


def test_the_page_is_the_paper_width_one_page_a_copy() -> None:
    reader = PdfReader(
        io.BytesIO(
            receipt_pdf(layout_receipt(offline_receipt(), ReceiptFormat(Paper.MM80, copies=2)))
        )
    )
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(80 * MM, abs=0.5)
    text = _text(reader)
    assert "第一联客户联" in text
    assert "第二联存根联" in text
    assert "【脱机】" in text


def test_the_qr_code_is_an_embedded_image(online_pdf: PdfReader) -> None:
    images = online_pdf.pages[0].images
    assert len(images) == 1
    assert images[0].image is not None
    assert images[0].image.width == images[0].image.height


def test_the_pdf_shows_the_rare_character_itself() -> None:
    # the PDF is not limited by a printer's font: 䶮 is in Noto Sans CJK
    reader = PdfReader(io.BytesIO(receipt_pdf(layout_receipt(rare_receipt()))))
    assert "刘䶮" in _text(reader)


def test_the_html_escapes_text() -> None:
    receipt = online_receipt()
    odd = dataclasses.replace(
        receipt, customer=dataclasses.replace(receipt.customer, name="<b>王&小明</b>")
    )
    html = receipt_html(layout_receipt(odd))
    assert "&lt;b&gt;王&amp;小明&lt;/b&gt;" in html
    assert "<b>王" not in html
