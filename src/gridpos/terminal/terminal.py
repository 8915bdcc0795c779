"""The headless terminal: one object a POS screen, a simulator or a hardware integrator drives.

::

    terminal = Terminal(data_dir, "https://pos.example.cn", printer=EscPosPrinter(...))
    terminal.enrol("123456789012")                       # once, with the console's code
    terminal.sign_in(agent_account="a01", password="…", organisation_code="340828",
                     offline_allowance=200_000)         # opens the server's business day
    view = terminal.query_account("0012345678")          # online, or offline from the download
    outcome = terminal.pay(view, cash=view.rounded_total, round_up=True)
    if outcome.waiting:                                   # no answer: the journal keeps it
        terminal.cancel_unknown(outcome.txn_id)           # … or let the forwarder resolve it
    terminal.resolve_pending()                            # store-and-forward, in order
    terminal.close_batch(cash_counted=123_400, note=None) # 扎帐 with the cash count
    terminal.sign_out()

Every method is synchronous and serialised by one lock, so a screen may call it from a worker
thread while :meth:`Terminal.start_forwarding` resolves waiting payments in the background. The
clock, the UUID source and the monotonic clock are injected; nothing here reads the environment.
Errors are :class:`~gridpos.terminal.errors.TerminalError` subclasses with a stable code and
Chinese and English messages; the server's refusals come as it words them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeVar

import httpx

from gridpos.domain.errors import DomainError
from gridpos.protocol.terminal.journal_upload import MAX_JOURNAL_PARTS
from gridpos.protocol.terminal.session import HeartbeatAnswer, SignOutAnswer
from gridpos.terminal import batch, day, figures, journal_upload, offline, payments, undo
from gridpos.terminal.accounts import AccountView, no_answer_error, query_online
from gridpos.terminal.client import LinkState, NoAnswer, TerminalClient
from gridpos.terminal.config import Clock, Monotonic, NewUuid, TerminalConfig, system_clock
from gridpos.terminal.context import TerminalContext
from gridpos.terminal.errors import ServerRefusalError, sign_out_unfinished
from gridpos.terminal.forwarder import ForwardReport, resolve_pending
from gridpos.terminal.health import JournalHealth, check_journal
from gridpos.terminal.identity import Identity, ServerClock, load_identity
from gridpos.terminal.journal import Journal, disk_free_bytes
from gridpos.terminal.outcomes import PaymentOutcome, journalled_payment, outcome_for, outcome_of
from gridpos.terminal.printing import (
    ReceiptPrinter,
    needs_reprint_mark,
    print_record,
)
from gridpos.terminal.reprints import ReprintOutcome, reprint
from gridpos.terminal.sending import Step
from gridpos.terminal.session import Session, load_session

JOURNAL_FILE = "journal.sqlite3"
_LOG = logging.getLogger(__name__)
T = TypeVar("T")

AccountMode = Literal["auto", "online", "offline"]


class Terminal:
    """The terminal library's facade (see the module's docstring)."""

    def __init__(
        self,
        data_dir: Path,
        server_url: str,
        *,
        config: TerminalConfig | None = None,
        printer: ReceiptPrinter | None = None,
        clock: Clock = system_clock,
        new_uuid: NewUuid = uuid.uuid4,
        monotonic: Monotonic = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        disk_free: Callable[[Path], int] = disk_free_bytes,
    ) -> None:
        """Open the journal in ``data_dir``, check it, and resume the enrolment and session.

        Raises:
            JournalUnwritableError: the journal cannot be created or written.
            JournalFormatError: the file is not a journal of this program.
        """
        self.config = config or TerminalConfig()
        self.printer = printer
        journal = Journal.open(
            Path(data_dir) / JOURNAL_FILE,
            clock=clock,
            disk_free=disk_free,
            reserve_bytes=self.config.disk_reserve_bytes,
        )
        client = TerminalClient(
            server_url,
            timeouts=self.config.timeouts,
            clock=clock,
            monotonic=monotonic,
            slow_rtt_ms=self.config.slow_rtt_ms,
            transport=transport,
        )
        self._context = TerminalContext(
            journal=journal,
            client=client,
            server_clock=ServerClock(journal, clock),
            config=self.config,
            new_uuid=new_uuid,
        )
        self._lock = threading.RLock()
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._forwarding: threading.Thread | None = None
        self._probing: threading.Thread | None = None
        self._closing = threading.Event()
        self._damage_told = False  # the server answered a heartbeat carrying the damage report
        try:
            self.journal_health: JournalHealth = check_journal(journal)
            self._context.journal_damage = self.journal_health.report
            identity = load_identity(journal)
            if identity is not None:
                day.attach_identity(self._context, identity)
            self._context.session = load_session(journal)
            if self._context.session is not None and self.config.follow_server_timeout:
                client.set_read_timeout(float(self._context.session.params.timeout_s))
        except BaseException:
            client.close()
            journal.close()
            raise

    # ---- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop background forwarding and probing, close the connection and the journal."""
        self._closing.set()
        self.stop_forwarding()
        probe = self._probing
        if probe is not None:
            probe.join(timeout=self.config.query_timeout_s * 3)
        with self._lock:
            self._context.client.close()
            self._context.journal.close()

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _locked(self, action: Callable[[], T]) -> T:
        with self._lock:
            return action()

    # ---- state --------------------------------------------------------------------------------

    @property
    def identity(self) -> Identity | None:
        return self._context.identity

    @property
    def session(self) -> Session | None:
        return self._context.session

    @property
    def journal(self) -> Journal:
        """The journal (read it; never write to it from outside)."""
        return self._context.journal

    @property
    def client(self) -> TerminalClient:
        return self._context.client

    def link_state(self) -> LinkState:
        """Online / slow / offline and the last round trip, for the always-visible indicator."""
        return self._context.client.link_state()

    def waiting_count(self) -> int:
        """Journal rows waiting for the server (payments, reversals, voids, offline uploads)."""
        return self._locked(self._context.journal.waiting_count)

    def payment(self, txn_id: str) -> PaymentOutcome:
        """A journalled payment as it stands now.

        Raises:
            TerminalRefusalError: ``payment_not_found`` — not in this terminal's journal.
        """
        return self._locked(
            lambda: outcome_for(self._context, journalled_payment(self._context, txn_id))
        )

    def waiting_payments(self) -> list[PaymentOutcome]:
        """Every payment still waiting, oldest first."""
        return self._locked(
            lambda: [outcome_of(record) for record in self._context.journal.waiting()]
        )

    @property
    def sign_out_unfinished(self) -> bool:
        """A sign-out was sent and its answer lost: finish it with :meth:`sign_out`."""
        session = self._context.session
        return session is not None and session.sign_out_sent

    def offline_limits(self) -> offline.OfflineLimits:
        return self._locked(lambda: offline.offline_limits(self._context))

    # ---- enrolment and the day ----------------------------------------------------------------

    def enrol(self, code: str) -> Identity:
        """Enrol with the console's one-time code (see :func:`gridpos.terminal.day.enrol`)."""
        return self._locked(lambda: day.enrol(self._context, code))

    def sign_in(
        self,
        *,
        agent_account: str,
        password: str,
        organisation_code: str,
        offline_allowance: int = 0,
        download_arrears: bool | None = None,
    ) -> Session:
        """签到; with an allowance, also download the area's arrears (unless told not to).

        A download that fails leaves the sign-in standing; :meth:`download_arrears` retries.
        Raises what :func:`gridpos.terminal.day.sign_in` raises.
        """

        def act() -> Session:
            session = day.sign_in(
                self._context,
                agent_account=agent_account,
                password=password,
                organisation_code=organisation_code,
                offline_allowance=offline_allowance,
            )
            journal_upload.note_request(self._context, session.answer.journal_request)
            wanted = session.offline_allowance > 0 if download_arrears is None else download_arrears
            if wanted:
                try:
                    offline.download_arrears(self._context)
                except DomainError:
                    _LOG.warning("arrears download failed after sign-in")
            self._damage_told = True  # the sign-in's heartbeat carried any damage report
            return session

        return self._locked(act)

    def download_arrears(self, area: str | None = None) -> int:
        """Download the area's arrears for offline collection; how many customers are kept."""
        return self._locked(lambda: offline.download_arrears(self._context, area=area))

    def sign_out(self) -> SignOutAnswer | None:
        """签退 (see :func:`gridpos.terminal.day.sign_out`); waiting payments get one forwarder
        pass first, so the server hears of them while the day is still open. ``None`` when an
        earlier sign-out whose answer was lost had already ended the day on the server (known
        across a restart: the sign-out is journalled before it is sent)."""

        def act() -> SignOutAnswer | None:
            if self._context.journal.waiting_count():
                resolve_pending(self._context)
            return day.sign_out(self._context)

        return self._locked(act)

    def heartbeat(self) -> HeartbeatAnswer:
        """Send the heartbeat (see :func:`gridpos.terminal.day.heartbeat`); it carries the
        journal-damage report while the journal is damaged."""

        def act() -> HeartbeatAnswer:
            answer = day.heartbeat(self._context)
            journal_upload.note_request(self._context, answer.journal_request)
            self._damage_told = True
            return answer

        return self._locked(act)

    def _tell_damage(self) -> None:
        """Send a heartbeat carrying the journal-damage report, if there is one the server has
        not yet answered; without an answer it is tried again on the next pass."""
        if self._damage_told or self._context.journal_damage is None or self.identity is None:
            return
        try:
            self.heartbeat()
        except DomainError:
            _LOG.warning("journal damage report not answered")

    # ---- collecting ---------------------------------------------------------------------------

    def query_account(self, account_no: str, *, mode: AccountMode = "auto") -> AccountView:
        """欠费查询. ``auto``: the server, or the downloaded arrears when it does not answer.

        The server gets at most the query timeout (``query_timeout_s``). In ``auto`` mode, when
        the link is known down (the last exchange brought no answer) and the customer is in the
        download, the offline view comes at once without asking; either way a background probe
        (the server's health check, holding nothing) then watches for the link to return
        (:meth:`link_probe_running`).

        Raises:
            TerminalRefusalError: ``account_no_invalid`` (nothing sent), ``not_signed_in``,
                ``account_unknown`` (offline: not in the download).
            ServerRefusalError: ``account_unknown``, ``account_other_county``… in the server's
                words.
            NoAnswerError: no answer and (``online``) no offline fallback wanted or possible.
        """

        def act() -> AccountView:
            context = self._context
            if mode == "offline":
                return offline.offline_view(context, account_no)
            downloaded = mode == "auto" and self._downloaded(account_no)
            if downloaded and context.client.link_known_down():
                self._probe_link()
                return offline.offline_view(context, account_no)
            result = query_online(context, account_no)
            if not isinstance(result, NoAnswer):
                return result
            if downloaded:
                self._probe_link()
                return offline.offline_view(context, account_no)
            raise no_answer_error(result)

        return self._locked(act)

    def _downloaded(self, account_no: str) -> bool:
        number = account_no.strip() if isinstance(account_no, str) else ""
        return bool(number) and offline.OfflineStore(self._context).get(number) is not None

    def link_probe_running(self) -> bool:
        """Whether the background probe is watching for the link to return."""
        probe = self._probing
        return probe is not None and probe.is_alive()

    def _probe_link(self) -> None:
        """Start the background probe unless it runs: the server's health check at once and then
        every ``probe_every_s`` while the link is known down, at most ``probe_attempts`` times,
        until one is answered. It holds neither the journal nor the terminal's lock."""
        if self.link_probe_running() or self._closing.is_set():
            return
        config = self.config
        client = self._context.client

        def run() -> None:
            for attempt in range(max(config.probe_attempts, 0)):
                if attempt and self._closing.wait(config.probe_every_s):
                    return
                if self._closing.is_set() or not client.link_known_down():
                    return
                if client.probe(timeout_s=config.query_timeout_s):
                    return

        self._probing = threading.Thread(target=run, name="gridpos-link-probe", daemon=True)
        self._probing.start()

    def ready_to_collect(self) -> None:
        """Check, before the collector takes cash, that a payment could be journalled now.

        Raises:
            TerminalRefusalError: ``not_signed_in``, ``not_enrolled``, ``sign_out_unfinished``.
            JournalUnwritableError: disk full, read-only, low space.
        """

        def act() -> None:
            self._require_collecting()
            self._context.journal.ensure_writable()

        self._locked(act)

    def pay(
        self, account: AccountView, cash: int, *, round_up: bool = False, print_receipt: bool = True
    ) -> PaymentOutcome:
        """缴费: online for an online view, 脱机 for an offline one; prints when it may.

        Online: journalled ``pending``, sent, and answered ``confirmed`` (receipt printed),
        ``rejected`` (the server's words in ``error``), or left ``unknown``/``pending`` for the
        forwarder when no answer came (no receipt). Offline: journalled, receipt printed marked
        脱机, uploaded later.

        Raises:
            TerminalRefusalError: the terminal's own checks (amount, limits, partial payment,
                round-up, session, ``sign_out_unfinished``) — nothing journalled, nothing sent.
            JournalUnwritableError: the journal cannot be written — no payment started.
        """

        def act() -> PaymentOutcome:
            context = self._context
            self._require_collecting()
            if account.offline:
                record = offline.collect_offline(context, account, cash=cash, round_up=round_up)
            else:
                round_part = payments.check_payment(context, account, cash=cash, round_up=round_up)
                started = payments.start_payment(context, account, cash=cash, round_part=round_part)
                record = payments.send_payment(context, started, first=True).record
            printed = None
            if print_receipt and (record.offline or record.state.value == "confirmed"):
                printed = print_record(context, self.printer, record, reprint=False)
                record = journalled_payment(self._context, record.txn_id)
            return outcome_for(self._context, record, printed)

        return self._locked(act)

    def _require_collecting(self) -> None:
        """Raises :class:`TerminalRefusalError` ``not_signed_in`` / ``sign_out_unfinished``."""
        if self._context.require_session().sign_out_sent:
            raise sign_out_unfinished()

    def cancel_unknown(self, txn_id: str) -> PaymentOutcome:
        """冲正: the collector cancels a payment whose outcome is unknown (cash handed back).

        The reversal is journalled, then sent once; without an answer it waits for the forwarder.

        Raises:
            TerminalRefusalError: ``payment_not_found``, ``payment_state_conflict``.
            JournalUnwritableError: the reversal could not be journalled (nothing sent).
        """

        def act() -> PaymentOutcome:
            record = undo.request_reversal(self._context, journalled_payment(self._context, txn_id))
            result = undo.send_reversal(self._context, record)
            return outcome_for(self._context, result.record)

        return self._locked(act)

    def void(self, txn_id: str, *, supervisor: str, supervisor_password: str) -> PaymentOutcome:
        """撤销 a confirmed payment of today with the supervisor's credential.

        Raises:
            TerminalRefusalError: ``payment_not_found``, ``payment_state_conflict``,
                ``void_not_same_day``, ``void_needs_supervisor``.
            ServerRefusalError: ``supervisor_credential_wrong``… in the server's words.
        """

        def act() -> PaymentOutcome:
            record, request = undo.request_void(
                self._context,
                journalled_payment(self._context, txn_id),
                supervisor=supervisor,
                supervisor_password=supervisor_password,
            )
            result = undo.send_void(self._context, record, request)
            if result.error is not None and result.step is Step.RESOLVED:
                raise ServerRefusalError(result.error)
            return outcome_for(self._context, result.record)

        return self._locked(act)

    # ---- store-and-forward --------------------------------------------------------------------

    def resolve_pending(self, *, budget: int | None = None) -> ForwardReport:
        """One pass of the forwarder: resolve waiting payments in order until the link fails."""
        return self._locked(lambda: resolve_pending(self._context, budget=budget))

    def receipts_waiting(self) -> list[PaymentOutcome]:
        """Payments whose receipt should be printed and is not known to be (after a crash, a
        printer fault, or a payment confirmed by the forwarder)."""
        return self._locked(
            lambda: [outcome_of(record) for record in self._context.journal.receipts_waiting()]
        )

    def print_waiting(self) -> list[PaymentOutcome]:
        """Print every waiting receipt (重打 where part of one may exist); the outcomes."""

        def act() -> list[PaymentOutcome]:
            outcomes = []
            for record in self._context.journal.receipts_waiting():
                printed = print_record(
                    self._context, self.printer, record, reprint=needs_reprint_mark(record)
                )
                outcomes.append(
                    outcome_for(
                        self._context, journalled_payment(self._context, record.txn_id), printed
                    )
                )
            return outcomes

        return self._locked(act)

    def start_forwarding(self, *, interval_s: float = 30.0) -> None:
        """In a background thread, every ``interval_s`` seconds: resolve waiting payments (when
        the link is known down, only after the server's health check is answered, so a dead
        link does not hold the terminal for a payment's timeout), and send the heartbeat when
        the day's ``hb_s`` has passed since the last one. A damaged journal is reported at once,
        and on every pass until the server has answered."""
        if self._forwarding is not None:
            return
        self._stop.clear()
        monotonic = self._monotonic
        last_heartbeat = monotonic()

        def run() -> None:
            nonlocal last_heartbeat
            self._tell_damage()
            while not self._stop.wait(interval_s):
                self._tell_damage()
                try:
                    if self.waiting_count() and self._link_answers():
                        self.resolve_pending()
                    session = self._context.session
                    if session is not None and (
                        monotonic() - last_heartbeat >= session.params.heartbeat_s
                    ):
                        last_heartbeat = monotonic()
                        self.heartbeat()
                    self.upload_journal(stop=self._stop)
                except DomainError:
                    _LOG.warning("background forwarding pass failed")

        self._forwarding = threading.Thread(target=run, name="gridpos-forwarder", daemon=True)
        self._forwarding.start()

    def _link_answers(self) -> bool:
        """Whether to send writes now: the link is not known down, or the server's health check
        (which holds nothing, and waits at most the query timeout) was answered."""
        client = self._context.client
        return not client.link_known_down() or client.probe(timeout_s=self.config.query_timeout_s)

    def journal_request(self) -> journal_upload.PendingJournalRequest | None:
        """The company's request for this terminal's journal (终端流水调阅) still to answer."""
        return self._locked(lambda: journal_upload.pending_request(self._context))

    def upload_journal(self, *, stop: threading.Event | None = None) -> journal_upload.UploadStep:
        """Answer the pending journal request (see :mod:`gridpos.terminal.journal_upload`), one
        part per hold of the terminal, so collecting goes on between parts; stops early when
        ``stop`` is set. What the last part sent came to.

        Raises:
            JournalUnwritableError: the progress could not be kept (the part goes again).
        """
        step = journal_upload.UploadStep.NOTHING
        for _part in range(MAX_JOURNAL_PARTS + 1):
            step = self._locked(lambda: journal_upload.upload_next_part(self._context))
            if step is not journal_upload.UploadStep.SENT or (stop is not None and stop.is_set()):
                return step
        return step

    def stop_forwarding(self) -> None:
        thread = self._forwarding
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=max(self.config.timeouts.read_s, 1.0) * 3)
        self._forwarding = None

    # ---- the batch, figures, reprints ---------------------------------------------------------

    def close_batch(
        self, cash_counted: int, note: str | None = None, *, resolve_first: bool = True
    ) -> batch.BatchCloseOutcome:
        """扎帐 with the cash count (see :func:`gridpos.terminal.batch.close_batch`); waiting
        payments get one forwarder pass first."""

        def act() -> batch.BatchCloseOutcome:
            if resolve_first and self._context.journal.waiting_count():
                resolve_pending(self._context)
            return batch.close_batch(self._context, cash_counted=cash_counted, note=note)

        return self._locked(act)

    def statistics(self, *, page: int = 1, online: bool = True) -> figures.TerminalStatistics:
        """终端统计: the server's figures when it answers, the journal's always."""
        return self._locked(lambda: figures.statistics(self._context, page=page, online=online))

    def reconcile(self, date_from: date, date_to: date) -> figures.Reconciliation:
        """对帐: the journal's totals per business date against the server's."""
        return self._locked(
            lambda: figures.reconcile(self._context, date_from=date_from, date_to=date_to)
        )

    def reprint(self, txn_id: str | None = None, *, trace_no: int | None = None) -> ReprintOutcome:
        """重打 (see :func:`gridpos.terminal.reprints.reprint`)."""
        return self._locked(
            lambda: reprint(self._context, self.printer, txn_id=txn_id, trace_no=trace_no)
        )
