"""Sending a rendered receipt to a printer: USB, serial, network (host:9100) or a file.

python-escpos provides the connections (``Usb``, ``Serial``, ``Network``, ``File``); the bytes
are ours (:mod:`.escpos_bytes`) and go out raw, in small chunks, so a failure part-way is known
for what it is. Every printer problem raises :class:`PrinterError` — the payment it prints is
already recorded, so the caller keeps it and offers a reprint:

- ``printer_absent``: the printer cannot be opened (unplugged, switched off, wrong address,
  USB support missing) or refused the very first bytes — nothing was printed;
- ``printer_out_of_paper``: the paper sensor says the roll is out, before printing (nothing
  printed) or after (the receipt is likely cut short). Only printers that answer the real-time
  status request (``DLE EOT 4``) can tell; one that stays silent is taken to have paper;
- ``printer_failed``: the connection broke after some bytes were sent — part of the receipt
  may be on paper.

``details`` of the error carry ``bytes_sent``, ``bytes_total`` and ``copies_sent``.

Addresses, as configured on a terminal (:func:`parse_printer`)::

    usb:0416:5011            USB vendor and product id, hexadecimal
    serial:/dev/ttyS1        serial port (9600 baud), or serial:/dev/ttyUSB0@115200
    tcp:192.168.1.50         network printer on port 9100, or tcp:printer.local:9101
    file:/var/spool/receipt.bin   raw bytes to a file or a device node such as /dev/usb/lp0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from escpos.escpos import Escpos
from escpos.printer import File, Network, Serial, Usb

from gridpos.domain.errors import DomainError
from gridpos.terminal.receipt.escpos_bytes import RenderedReceipt

DEFAULT_NETWORK_PORT: Final[int] = 9100
DEFAULT_BAUDRATE: Final[int] = 9600
CHUNK_BYTES: Final[int] = 512
STATUS_PAPER_OUT: Final[int] = 0
STATUS_TIMEOUT_S: Final[float] = 1.0

_USB = re.compile(r"usb:([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})", re.ASCII)
_SERIAL = re.compile(r"serial:([^@\s]+)(?:@([0-9]{3,7}))?", re.ASCII)
_NETWORK = re.compile(r"tcp:([0-9A-Za-z.\-]{1,253})(?::([0-9]{1,5}))?", re.ASCII)
_FILE = re.compile(r"file:(.+)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class UsbPrinter:
    """A printer on USB, found by vendor and product id; ``timeout_ms`` per write."""

    vendor_id: int
    product_id: int
    timeout_ms: int = 5000
    in_ep: int = 0x82
    out_ep: int = 0x01


@dataclass(frozen=True, slots=True)
class SerialPrinter:
    """A printer on a serial port; ``timeout_s`` for reads and writes."""

    device: str
    baudrate: int = DEFAULT_BAUDRATE
    timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class NetworkPrinter:
    """A network printer taking raw ESC/POS on a TCP port (9100)."""

    host: str
    port: int = DEFAULT_NETWORK_PORT
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class FilePrinter:
    """Raw bytes to a path: a spool file, or a device node such as ``/dev/usb/lp0``."""

    path: str


PrinterConnection = UsbPrinter | SerialPrinter | NetworkPrinter | FilePrinter


class _SpoolFile(File):  # type: ignore[misc]
    """python-escpos' file printer, appending: a spool file keeps every receipt printed to it
    (python-escpos opens with ``wb``, which would keep only the last); a device node takes the
    bytes alike."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        self.device = open(self.devfile, "ab")  # noqa: SIM115 - closed by Escpos.close()


@dataclass(frozen=True, slots=True)
class PrintReport:
    """What went out: bytes and copies."""

    bytes_sent: int
    copies_sent: int


class PrinterError(DomainError):
    """The printer could not print the receipt; the payment stands and waits for a reprint.

    Codes: ``printer_absent``, ``printer_out_of_paper``, ``printer_failed``,
    ``printer_address_invalid`` (see the module's documentation).
    """

    code = "printer_failed"


def _absent(detail: str, **details: Any) -> PrinterError:
    return PrinterError(
        code="printer_absent",
        field="printer",
        message_zh="未连接打印机或打印机未开机，收费已成功，请检查后重打收据",
        message_en="The printer is not connected or is off; the payment stands, reprint later",
        details={"reason": detail, **details},
    )


def _out_of_paper(**details: Any) -> PrinterError:
    return PrinterError(
        code="printer_out_of_paper",
        field="printer",
        message_zh="打印机缺纸，收费已成功，请装纸后重打收据",
        message_en="The printer is out of paper; the payment stands, load paper and reprint",
        details=details,
    )


def _failed(detail: str, **details: Any) -> PrinterError:
    return PrinterError(
        code="printer_failed",
        field="printer",
        message_zh="打印中断，收据可能不完整，收费已成功，请重打收据",
        message_en="Printing broke off; the receipt may be incomplete, the payment stands, reprint",
        details={"reason": detail, **details},
    )


def parse_printer(text: str) -> PrinterConnection:
    """Read a printer address (see the module's documentation).

    Raises:
        PrinterError: ``printer_address_invalid`` for anything else, including a port outside
        1-65535 and a USB id of zero.
    """
    text = text.strip() if isinstance(text, str) else ""
    if match := _USB.fullmatch(text):
        vendor, product = int(match.group(1), 16), int(match.group(2), 16)
        if vendor and product:
            return UsbPrinter(vendor_id=vendor, product_id=product)
    elif match := _SERIAL.fullmatch(text):
        return SerialPrinter(
            device=match.group(1), baudrate=int(match.group(2) or DEFAULT_BAUDRATE)
        )
    elif match := _NETWORK.fullmatch(text):
        port = int(match.group(2) or DEFAULT_NETWORK_PORT)
        if 1 <= port <= 65535:
            return NetworkPrinter(host=match.group(1), port=port)
    elif (match := _FILE.fullmatch(text)) and match.group(1).strip():
        return FilePrinter(path=match.group(1))
    raise PrinterError(
        code="printer_address_invalid",
        field="printer",
        message_zh="打印机地址格式不正确（如 usb:0416:5011、serial:/dev/ttyS1、"
        "tcp:主机:9100、file:路径）",
        message_en="Printer address must look like usb:0416:5011, serial:/dev/ttyS1, "
        "tcp:host:9100 or file:/path",
        details={"address": text[:80]},
    )


def connect(connection: PrinterConnection) -> Escpos:
    """Open the printer (python-escpos object) at ``connection``.

    Raises:
        PrinterError: ``printer_absent`` if it cannot be opened.
    """
    printer: Escpos
    match connection:
        case UsbPrinter():
            printer = Usb(
                idVendor=connection.vendor_id,
                idProduct=connection.product_id,
                timeout=connection.timeout_ms,
                in_ep=connection.in_ep,
                out_ep=connection.out_ep,
            )
        case SerialPrinter():
            printer = Serial(
                devfile=connection.device,
                baudrate=connection.baudrate,
                timeout=connection.timeout_s,
                dsrdtr=False,
            )
        case NetworkPrinter():
            printer = Network(
                host=connection.host, port=connection.port, timeout=connection.timeout_s
            )
        case FilePrinter():
            printer = _SpoolFile(devfile=connection.path)
    try:
        printer.open()
    except Exception as exc:  # unplugged, refused, no USB backend: all mean "absent"
        raise _absent(type(exc).__name__) from exc
    if isinstance(connection, SerialPrinter):
        printer.device.write_timeout = connection.timeout_s
    return printer


def _paper_status(printer: Escpos) -> int | None:
    """2 plenty, 1 near the end, 0 out; None when the printer cannot say.

    A printer that ignores ``DLE EOT 4`` is waited for :data:`STATUS_TIMEOUT_S` only.
    """
    if isinstance(printer, File):
        return None
    device = printer.device
    if isinstance(printer, Network):
        saved = device.gettimeout()
        device.settimeout(STATUS_TIMEOUT_S)
    elif isinstance(printer, Serial):
        saved = device.timeout
        device.timeout = STATUS_TIMEOUT_S
    try:
        status = printer.paper_status()
    except Exception:  # no answer to DLE EOT 4 (timeout, not implemented): cannot tell
        status = None
    finally:
        if isinstance(printer, Network):
            device.settimeout(saved)
        elif isinstance(printer, Serial):
            device.timeout = saved
    return status if isinstance(status, int) else None


def write_receipt(
    printer: Escpos, rendered: RenderedReceipt, *, check_paper: bool = True
) -> PrintReport:
    """Send every copy of ``rendered`` to an open printer, in chunks of 512 bytes.

    With ``check_paper``, the paper sensor is asked before and after (printers that answer).

    Raises:
        PrinterError: ``printer_out_of_paper``, ``printer_absent`` (the first write failed) or
        ``printer_failed`` (a later write failed); ``details`` say how far it got.
    """
    total = sum(len(data) for data in rendered.copies)
    if check_paper and _paper_status(printer) == STATUS_PAPER_OUT:
        raise _out_of_paper(bytes_sent=0, bytes_total=total, copies_sent=0)
    sent = 0
    for copies_sent, data in enumerate(rendered.copies):
        for start in range(0, len(data), CHUNK_BYTES):
            chunk = data[start : start + CHUNK_BYTES]
            try:
                printer._raw(chunk)
            except Exception as exc:  # USB, serial or socket errors all mean the same here
                where = {"bytes_sent": sent, "bytes_total": total, "copies_sent": copies_sent}
                if sent == 0:
                    raise _absent(type(exc).__name__, **where) from exc
                raise _failed(type(exc).__name__, **where) from exc
            sent += len(chunk)
    copies = len(rendered.copies)
    if check_paper and _paper_status(printer) == STATUS_PAPER_OUT:
        raise _out_of_paper(bytes_sent=sent, bytes_total=total, copies_sent=copies)
    return PrintReport(bytes_sent=sent, copies_sent=copies)


def print_receipt(
    rendered: RenderedReceipt, *, connection: PrinterConnection, check_paper: bool = True
) -> PrintReport:
    """Open the printer at ``connection``, print every copy, close it.

    Raises:
        PrinterError: see :func:`connect` and :func:`write_receipt`; also ``printer_failed`` when
        the last bytes cannot be flushed on closing.
    """
    printer = connect(connection)
    try:
        report = write_receipt(printer, rendered, check_paper=check_paper)
    except PrinterError:
        _close_quietly(printer)
        raise
    try:
        printer.close()
    except Exception as exc:
        raise _failed(
            type(exc).__name__,
            bytes_sent=report.bytes_sent,
            bytes_total=report.bytes_sent,
            copies_sent=report.copies_sent,
        ) from exc
    return report


def _close_quietly(printer: Escpos) -> None:
    try:
        printer.close()
    except Exception:  # already failing: the first error is the one to report
        return
