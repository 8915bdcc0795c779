"""Answers that are documents: a PDF made from HTML by WeasyPrint (Chinese set in Debian's
Noto CJK fonts, which WeasyPrint embeds), rendered off the event loop.

WeasyPrint is slow on very long tables: pages that print a lot should paginate their HTML.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

# the CSS every printed page starts from: A4, and the CJK face WeasyPrint finds through
# fontconfig (package fonts-noto-cjk)
PRINT_CSS = """
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; font-size: 10pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.5pt solid #999; padding: 2pt 4pt; }
td.num { text-align: right; }
"""


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html``."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy, and only printing pages need it

    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value for ``filename`` (Chinese kept, RFC 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


async def pdf_response(html: str, *, filename: str, base_url: str | None = None) -> Response:
    """``html`` printed to a PDF download named ``filename``."""
    pdf = await run_in_threadpool(render_pdf, html, base_url=base_url)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": attachment(filename), "Cache-Control": "no-store"},
    )
