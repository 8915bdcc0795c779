"""A printed page: WeasyPrint embeds Debian's Noto CJK, so the Chinese text survives."""

from __future__ import annotations

import io

from pypdf import PdfReader

from gridpos.interfaces.console.documents import PRINT_CSS, attachment, pdf_response

from .helpers import run_async


def test_a_pdf_answer_keeps_its_chinese_text() -> None:
    html = (
        f"<html><head><style>{PRINT_CSS}</style></head><body>"
        "<h1>岳西县供电公司 收费日报</h1><table><tr><td>天堂供电所</td>"
        '<td class="num">壹佰贰拾叁元肆角伍分</td></tr></table></body></html>'
    )
    response = run_async(pdf_response(html, filename="收费日报-2024-05-01.pdf"))
    assert response.media_type == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="____-2024-05-01.pdf";'
        " filename*=UTF-8''%E6%94%B6%E8%B4%B9%E6%97%A5%E6%8A%A5-2024-05-01.pdf"
    )
    text = PdfReader(io.BytesIO(bytes(response.body))).pages[0].extract_text()
    assert "岳西县供电公司" in text
    assert "壹佰贰拾叁元肆角伍分" in text


def test_attachment_names_without_chinese_stay_plain() -> None:
    assert attachment("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
