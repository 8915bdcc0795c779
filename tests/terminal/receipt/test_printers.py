"""Printer outputs: file, network (a local TCP listener), serial (a pseudo-terminal), USB absent,
and the named errors when a printer is absent, out of paper or fails mid-receipt."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from escpos.escpos import Escpos

from gridpos.terminal.receipt import (
    FilePrinter,
    NetworkPrinter,
    PrinterError,
    PrintReport,
    ReceiptFormat,
    RenderedReceipt,
    SerialPrinter,
    UsbPrinter,
    layout_receipt,
    parse_printer,
    print_receipt,
    render_escpos,
    write_receipt,
)
from gridpos.terminal.receipt import printers as printers_module

from .samples import online_receipt

PAPER_STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4
PAPER_OK = b"\x12"
PAPER_OUT = b"\x72"


@pytest.fixture(scope="module")
def rendered() -> RenderedReceipt:
    return render_escpos(layout_receipt(online_receipt(), ReceiptFormat(copies=2)))


# ---- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("usb:0416:5011", UsbPrinter(vendor_id=0x0416, product_id=0x5011)),
        ("serial:/dev/ttyS1", SerialPrinter(device="/dev/ttyS1", baudrate=9600)),
        ("serial:/dev/ttyUSB0@115200", SerialPrinter(device="/dev/ttyUSB0", baudrate=115200)),
        ("tcp:192.168.1.50", NetworkPrinter(host="192.168.1.50", port=9100)),
        ("tcp:printer.local:9101", NetworkPrinter(host="printer.local", port=9101)),
        (" file:/var/spool/receipt.bin ", FilePrinter(path="/var/spool/receipt.bin")),
    ],
)
def test_printer_addresses_are_read(text: str, expected: object) -> None:
    assert parse_printer(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "usb:0:5011", "usb:0416", "usb:04165:5011", "tcp:", "tcp:host:0", "tcp:host:70000",
     "serial:", "file:", "file:  ", "lpt:1", "192.168.1.50:9100"],
)  # fmt: skip
def test_bad_printer_addresses_are_refused(text: str) -> None:
    with pytest.raises(PrinterError) as caught:
        parse_printer(text)
    assert caught.value.code == "printer_address_invalid"
    assert caught.value.field == "printer"
    assert "打印机地址" in caught.value.message_zh


# ---- file ---------------------------------------------------------------------------------------


def test_a_file_gets_exactly_the_receipt_bytes(tmp_path: Path, rendered: RenderedReceipt) -> None:
    target = tmp_path / "receipt.bin"
    report = print_receipt(rendered, connection=FilePrinter(path=str(target)))
    assert report == PrintReport(bytes_sent=len(rendered.data), copies_sent=2)
    assert target.read_bytes() == rendered.data


def test_a_spool_file_keeps_every_receipt_printed_to_it(
    tmp_path: Path, rendered: RenderedReceipt
) -> None:
    target = tmp_path / "spool.bin"
    for _ in range(2):
        print_receipt(rendered, connection=FilePrinter(path=str(target)))
    assert target.read_bytes() == rendered.data * 2


def test_a_file_that_cannot_be_opened_is_an_absent_printer(
    tmp_path: Path, rendered: RenderedReceipt
) -> None:
    with pytest.raises(PrinterError) as caught:
        print_receipt(rendered, connection=FilePrinter(path=str(tmp_path / "no" / "dir" / "r.bin")))
    assert caught.value.code == "printer_absent"
    assert "收费已成功" in caught.value.message_zh


# ---- network ------------------------------------------------------------------------------------


class _PrinterServer:
    """A one-connection TCP 'printer' on loopback: records bytes, answers paper status."""

    def __init__(self, paper_answers: list[bytes]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.answers = list(paper_answers)
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        connection.settimeout(5)
        deadline = time.monotonic() + 5
        with connection:
            while time.monotonic() < deadline:
                try:
                    chunk = connection.recv(4096)
                except OSError:
                    return
                if not chunk:
                    return
                self.received += chunk
                if chunk.endswith(PAPER_STATUS_QUERY) and self.answers:
                    connection.sendall(self.answers.pop(0))

    def finish(self) -> bytes:
        self.thread.join(timeout=5)
        self.listener.close()
        return bytes(self.received)


def test_a_network_printer_gets_the_receipt_between_two_paper_checks(
    rendered: RenderedReceipt,
) -> None:
    server = _PrinterServer([PAPER_OK, PAPER_OK])
    report = print_receipt(rendered, connection=NetworkPrinter(host="127.0.0.1", port=server.port))
    assert report.bytes_sent == len(rendered.data)
    assert server.finish() == PAPER_STATUS_QUERY + rendered.data + PAPER_STATUS_QUERY


def test_a_network_printer_out_of_paper_prints_nothing(rendered: RenderedReceipt) -> None:
    server = _PrinterServer([PAPER_OUT])
    connection = NetworkPrinter(host="127.0.0.1", port=server.port)
    with pytest.raises(PrinterError) as caught:
        print_receipt(rendered, connection=connection)
    assert caught.value.code == "printer_out_of_paper"
    assert caught.value.details["bytes_sent"] == 0
    assert server.finish() == PAPER_STATUS_QUERY


def test_a_printer_silent_to_the_status_request_is_taken_to_have_paper(
    rendered: RenderedReceipt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printers_module, "STATUS_TIMEOUT_S", 0.2)
    server = _PrinterServer([])
    started = time.monotonic()
    print_receipt(rendered, connection=NetworkPrinter(host="127.0.0.1", port=server.port))
    assert time.monotonic() - started < 3
    assert server.finish() == PAPER_STATUS_QUERY + rendered.data + PAPER_STATUS_QUERY


def test_nobody_listening_is_an_absent_printer(rendered: RenderedReceipt) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(PrinterError) as caught:
        print_receipt(rendered, connection=NetworkPrinter(host="127.0.0.1", port=port))
    assert caught.value.code == "printer_absent"


# ---- serial -------------------------------------------------------------------------------------


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def test_a_serial_printer_gets_the_receipt(
    pty_pair: tuple[int, str], rendered: RenderedReceipt
) -> None:
    master, device = pty_pair
    received = bytearray()

    def read_all() -> None:
        deadline = time.monotonic() + 5
        while len(received) < len(rendered.data) and time.monotonic() < deadline:
            received.extend(os.read(master, 4096))

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    report = print_receipt(
        rendered, connection=SerialPrinter(device=device, baudrate=115200), check_paper=False
    )
    reader.join(timeout=5)
    assert report.bytes_sent == len(rendered.data)
    assert bytes(received) == rendered.data


def test_a_missing_serial_port_is_an_absent_printer(rendered: RenderedReceipt) -> None:
    with pytest.raises(PrinterError) as caught:
        print_receipt(rendered, connection=SerialPrinter(device="/dev/ttyGRIDPOS-none"))
    assert caught.value.code == "printer_absent"


# ---- USB ----------------------------------------------------------------------------------------


def test_a_usb_printer_not_plugged_in_is_absent(rendered: RenderedReceipt) -> None:
    with pytest.raises(PrinterError) as caught:
        print_receipt(rendered, connection=UsbPrinter(vendor_id=0x0416, product_id=0x5011))
    assert caught.value.code == "printer_absent"
    assert caught.value.field == "printer"


# ---- failures part-way, with a hand-written fake printer ----------------------------------------


class _FakePrinter(Escpos):
    """Accepts ``accept`` writes, then fails; answers paper status from a list."""

    def __init__(self, *, accept: int = 1_000, paper: list[bytes] | None = None) -> None:
        super().__init__()
        self.accept = accept
        self.paper = list(paper or [])
        self.written = bytearray()
        self.writes = 0

    def _raw(self, msg: bytes) -> None:
        if msg == PAPER_STATUS_QUERY:
            return
        if self.writes >= self.accept:
            raise OSError(5, "Input/output error")
        self.writes += 1
        self.written += msg

    def _read(self) -> bytes:
        return self.paper.pop(0) if self.paper else b""


def test_a_failure_after_some_bytes_is_printer_failed_with_how_far_it_got(
    rendered: RenderedReceipt,
) -> None:
    first_copy = len(rendered.copies[0])
    assert 1024 < first_copy <= 1536  # three chunks of 512 bytes
    printer = _FakePrinter(accept=4)  # the whole first copy, then one chunk of the second
    with pytest.raises(PrinterError) as caught:
        write_receipt(printer, rendered)
    assert caught.value.code == "printer_failed"
    assert caught.value.details["bytes_sent"] == first_copy + 512
    assert caught.value.details["bytes_total"] == len(rendered.data)
    assert caught.value.details["copies_sent"] == 1
    assert bytes(printer.written) == rendered.data[: first_copy + 512]
    assert "重打" in caught.value.message_zh


def test_a_failure_on_the_first_write_is_an_absent_printer(rendered: RenderedReceipt) -> None:
    with pytest.raises(PrinterError) as caught:
        write_receipt(_FakePrinter(accept=0), rendered)
    assert caught.value.code == "printer_absent"
    assert caught.value.details["bytes_sent"] == 0


def test_paper_running_out_during_the_receipt_is_reported_after_it(
    rendered: RenderedReceipt,
) -> None:
    printer = _FakePrinter(paper=[PAPER_OK, PAPER_OUT])
    with pytest.raises(PrinterError) as caught:
        write_receipt(printer, rendered)
    assert caught.value.code == "printer_out_of_paper"
    assert caught.value.details["bytes_sent"] == len(rendered.data)
    assert bytes(printer.written) == rendered.data


def test_a_healthy_fake_prints_everything_in_chunks(rendered: RenderedReceipt) -> None:
    printer = _FakePrinter(paper=[PAPER_OK, PAPER_OK])
    report = write_receipt(printer, rendered)
    assert report == PrintReport(bytes_sent=len(rendered.data), copies_sent=2)
    assert bytes(printer.written) == rendered.data
    chunks_per_copy = [-(-len(copy) // 512) for copy in rendered.copies]
    assert printer.writes == sum(chunks_per_copy)


class _UnflushablePrinter(_FakePrinter):
    failed = False

    def close(self) -> None:
        if not self.failed:  # once: python-escpos closes again when the object is collected
            self.failed = True
            raise OSError(28, "No space left on device")


def test_a_printer_that_cannot_flush_on_closing_has_failed(
    rendered: RenderedReceipt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printers_module, "connect", lambda connection: _UnflushablePrinter())
    with pytest.raises(PrinterError) as caught:
        print_receipt(rendered, connection=FilePrinter(path="/unused"), check_paper=False)
    assert caught.value.code == "printer_failed"
    assert caught.value.details["bytes_sent"] == len(rendered.data)
