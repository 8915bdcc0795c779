"""Receipts from the POS program: ESC/POS to the printer, the preview, the PDF copy; options."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridpos.terminal.receipt import FilePrinter, Paper, PrinterError
from gridpos.terminal.ui import PosOptions, receipt_output
from gridpos.terminal.ui.output import ReceiptOutput, pdf_path, preview_text
from terminal.receipt.samples import online_receipt


def test_pdf_copies_never_overwrite_each_other(tmp_path: Path) -> None:
    receipt = online_receipt()  # trace 1042 of 2024-06-15
    first = pdf_path(tmp_path, receipt, reprint=False)
    assert first.name == "20240615-001042.pdf"
    first.write_bytes(b"x")
    assert pdf_path(tmp_path, receipt, reprint=False).name == "20240615-001042-r1.pdf"
    assert pdf_path(tmp_path, receipt, reprint=True).name == "20240615-001042-r1.pdf"


def test_receipt_to_the_printer_with_a_pdf_copy_and_two_copies(tmp_path: Path) -> None:
    output = ReceiptOutput(
        connection=FilePrinter(str(tmp_path / "printer.bin")),
        copies=2,
        pdf_folder=tmp_path / "receipts",
    )
    output.print_receipt(online_receipt(), copies=1, reprint=False)  # the option wins: 2
    printed = (tmp_path / "printer.bin").read_bytes()
    assert "王小明".encode("gbk") in printed
    assert "客户联".encode("gbk") in printed
    assert "存根联".encode("gbk") in printed
    pdfs = list((tmp_path / "receipts").iterdir())
    assert [pdf.name for pdf in pdfs] == ["20240615-001042.pdf"]
    assert pdfs[0].read_bytes().startswith(b"%PDF")


def test_an_absent_printer_raises_the_printer_error(tmp_path: Path) -> None:
    output = ReceiptOutput(connection=FilePrinter(str(tmp_path / "missing" / "printer.bin")))
    with pytest.raises(PrinterError) as failed:
        output.print_receipt(online_receipt(), copies=1, reprint=False)
    assert failed.value.code == "printer_absent"


def test_the_preview_is_the_printed_layout() -> None:
    text = preview_text(online_receipt(), paper=Paper.MM58, reprint=True)
    assert "王小明" in text
    assert "重打" in text
    assert "贰佰零叁元整" in text  # 203.00 paid


def test_the_default_printer_is_a_spool_file_in_the_data_dir(tmp_path: Path) -> None:
    options = PosOptions(server_url="http://127.0.0.1:1", data_dir=tmp_path)
    assert receipt_output(options).connection == FilePrinter(str(tmp_path / "printer.bin"))
    assert receipt_output(options).pdf_folder is None
    with_pdf = PosOptions(server_url="http://x", data_dir=tmp_path, pdf_copies=True)
    assert receipt_output(with_pdf).pdf_folder == tmp_path / "receipts"
    with pytest.raises(PrinterError) as refused:
        receipt_output(PosOptions(server_url="http://x", data_dir=tmp_path, printer="lpt1"))
    assert refused.value.code == "printer_address_invalid"
