"""Chinese receipts (电费收据 / 小票): model, layout, GB18030/GBK encoding, ESC/POS, preview, PDF.

The flow, each step pure until the last::

    receipt = receipt_from_pay_answer(answer)             # or receipt_from_offline_payment(...)
    layout = layout_receipt(receipt, ReceiptFormat(paper=Paper.MM58, copies=2, reprint=False))
    rendered = render_escpos(layout, profile=GBK_PRINTER)  # bytes + characters replaced
    print_receipt(rendered, connection=parse_printer("usb:0416:5011"))   # PrinterError on trouble
    receipt_preview(layout)                                # the same lines as text
    receipt_pdf(layout)                                    # the PDF copy

- :mod:`.model`: the :class:`Receipt` and its builders, :class:`ReceiptError`;
- :mod:`.text`: printer columns (ASCII 1, everything else 2) and wrapping;
- :mod:`.layout`: 58/80 mm layout, copies (客户联 / 存根联), 脱机 and 重打 marks;
- :mod:`.encoding`: our own GBK/GB18030 encoder with a visible fallback, printer profiles;
- :mod:`.escpos_bytes`: the ESC/POS bytes; :mod:`.printers`: USB, serial, network, file;
- :mod:`.qr`: the QR content ``GP1|…``; :mod:`.preview` and :mod:`.pdf`.
"""

from __future__ import annotations

from gridpos.terminal.receipt.encoding import (
    GB18030_PRINTER,
    GBK_PRINTER,
    Charset,
    EncodedText,
    EncodingError,
    PrinterProfile,
    Replacement,
    encode_text,
    printable_text,
)
from gridpos.terminal.receipt.escpos_bytes import RenderedReceipt, ReplacedChar, render_escpos
from gridpos.terminal.receipt.layout import (
    CHINA_STANDARD_TIME,
    CopyLayout,
    LineStyle,
    Paper,
    QrBlock,
    ReceiptFormat,
    ReceiptLayout,
    TextLine,
    YuanSign,
    layout_receipt,
)
from gridpos.terminal.receipt.model import (
    Receipt,
    ReceiptCustomer,
    ReceiptError,
    ReceiptHeader,
    ReceiptMonth,
    checked_receipt,
    receipt_from_offline_payment,
    receipt_from_pay_answer,
)
from gridpos.terminal.receipt.pdf import receipt_pdf
from gridpos.terminal.receipt.preview import preview_lines, receipt_preview
from gridpos.terminal.receipt.printers import (
    FilePrinter,
    NetworkPrinter,
    PrinterConnection,
    PrinterError,
    PrintReport,
    SerialPrinter,
    UsbPrinter,
    connect,
    parse_printer,
    print_receipt,
    write_receipt,
)
from gridpos.terminal.receipt.qr import QrContentError, QrPayload, parse_qr_content, qr_content

__all__ = [
    "CHINA_STANDARD_TIME",
    "GB18030_PRINTER",
    "GBK_PRINTER",
    "Charset",
    "CopyLayout",
    "EncodedText",
    "EncodingError",
    "FilePrinter",
    "LineStyle",
    "NetworkPrinter",
    "Paper",
    "PrintReport",
    "PrinterConnection",
    "PrinterError",
    "PrinterProfile",
    "QrBlock",
    "QrContentError",
    "QrPayload",
    "Receipt",
    "ReceiptCustomer",
    "ReceiptError",
    "ReceiptFormat",
    "ReceiptHeader",
    "ReceiptLayout",
    "ReceiptMonth",
    "RenderedReceipt",
    "ReplacedChar",
    "Replacement",
    "SerialPrinter",
    "TextLine",
    "UsbPrinter",
    "YuanSign",
    "checked_receipt",
    "connect",
    "encode_text",
    "layout_receipt",
    "parse_printer",
    "parse_qr_content",
    "preview_lines",
    "print_receipt",
    "printable_text",
    "qr_content",
    "receipt_from_offline_payment",
    "receipt_from_pay_answer",
    "receipt_pdf",
    "receipt_preview",
    "render_escpos",
    "write_receipt",
]
