"""One collector's day on one headless terminal, as :mod:`.plan` drew it.

签到 (with an offline allowance for some), then customer after customer: the collector types
(the plan's think time, not counted as serving), queries the account — online, or from the
downloaded arrears when the link does not answer — and takes the cash the customer hands over.
The handover is told to the fleet *before* 确认, with the payment id the terminal is about to
make; then the terminal journals and sends it. No answer: some collectors cancel (冲正, the cash
goes back), the others let the customer wait a little for the forwarder and otherwise go on. A
few customers change their mind after the receipt (撤销 with the station head). Between
customers the forwarder resolves what waits; every few customers a heartbeat tells the queue.
At the end of the day every waiting payment is resolved, the batch closed with the cash counted
and the collector signs out (:mod:`.closing`).

Every wait is bounded: by attempts, by the day's deadline for customers and by the sync deadline
for the end of the day. Deadlines are wall-clock instants (``time.time()``) so a terminal process
shares them with the fleet.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from gridpos.domain.errors import DomainError
from gridpos.sim.fleet.closing import end_of_day
from gridpos.sim.fleet.counter import cash_for, counter_result
from gridpos.sim.fleet.events import CounterResult, Event, Sink
from gridpos.sim.fleet.faults import CrashingTransport, CrashSwitch, FleetPrinter, NonceSource
from gridpos.sim.fleet.plan import TerminalPlan, Visit
from gridpos.sim.fleet.spec import CollectorSettings, terminal_config
from gridpos.terminal import (
    AccountView,
    NoAnswerError,
    PaymentOutcome,
    ServerRefusalError,
    Terminal,
    TerminalError,
)

T = TypeVar("T")

QUERY_ATTEMPTS = 10  # a customer waiting while there is no signal: tries again…
QUERY_PATIENCE_S = 45.0  # …for about this long before going away unserved
SERVICE_ATTEMPTS = 8  # sign-in, 扎帐, sign-out
COUNTER_RESOLVE_PASSES = 2  # how long a customer waits for an unknown outcome
PAUSE_S = 1.0
HEARTBEAT_EVERY = 5
RECEIPTS_FILE = "receipts.txt"


class Collector:
    """Works one :class:`TerminalPlan` (see the module's docstring)."""

    def __init__(
        self,
        plan: TerminalPlan,
        settings: CollectorSettings,
        *,
        sink: Sink,
        kill: Callable[[], None] | None = None,
    ) -> None:
        self.plan = plan
        self.settings = settings
        self._sink = sink
        self.switch = CrashSwitch(sink=sink, terminal_no=plan.terminal_no, kill=kill)
        self.nonces = NonceSource(self.switch)
        self._crashes = list(plan.crashes[settings.crashes_done :])

    # ---- telling the fleet ------------------------------------------------------------------

    def emit(self, kind: str, **fields: object) -> None:
        event: Event = {"ev": kind, "term": self.plan.terminal_no, "t": round(time.time(), 3)}
        event.update(fields)
        self._sink(event)

    def problem(self, what: str, exc: BaseException) -> None:
        code = exc.code if isinstance(exc, DomainError) else type(exc).__name__
        self.emit("problem", what=what, code=code, detail=str(exc)[:300])

    # ---- the terminal -------------------------------------------------------------------------

    def open_terminal(self) -> Terminal:
        """The terminal on its data directory (journal checked on opening)."""
        data_dir = self.settings.data_dir
        return Terminal(
            data_dir,
            self.settings.server_url,
            config=terminal_config(
                self.settings.timeouts, device_serial=f"FLEET-{self.plan.terminal_no}"
            ),
            printer=FleetPrinter(
                path=data_dir / RECEIPTS_FILE,
                sink=self._sink,
                terminal_no=self.plan.terminal_no,
                switch=self.switch,
            ),
            new_uuid=self.nonces,
            transport=CrashingTransport(self.switch),
        )

    def retry(self, what: str, action: Callable[[], T], *, until: float) -> T | None:
        """``action`` again after no answer, at most :data:`SERVICE_ATTEMPTS` times."""
        for attempt in range(SERVICE_ATTEMPTS):
            try:
                return action()
            except NoAnswerError as exc:
                if attempt == SERVICE_ATTEMPTS - 1 or time.time() + PAUSE_S > until:
                    self.problem(what, exc)
                    return None
                time.sleep(PAUSE_S * (attempt + 1))
            except DomainError as exc:
                self.problem(what, exc)
                return None
        return None

    # ---- the day ------------------------------------------------------------------------------

    def run(self) -> None:
        """The whole day, from opening the terminal to signing out."""
        terminal = self.open_terminal()
        try:
            health = terminal.journal_health
            self.emit(
                "phase",
                name="started",
                intact=health.intact,
                rows=health.rows,
                waiting=terminal.waiting_count(),
                resume_from=self.settings.resume_from,
            )
            fresh = self.settings.resume_from == 0 and self.settings.crashes_done == 0
            if terminal.session is not None and fresh:
                self._leave_old_session(terminal)
            if terminal.session is None and not self._sign_in(terminal):
                self.emit("phase", name="day_done", signed_in=False)
                return
            self._sync(terminal, until=self.settings.deadline, passes=2)
            for visit in self.plan.visits[self.settings.resume_from :]:
                if time.time() >= self.settings.deadline:
                    break
                self._serve(terminal, visit)
                self.emit("visit_done", visit=visit.index)
                if (visit.index + 1) % HEARTBEAT_EVERY == 0:
                    self._between_customers(terminal)
            self.emit("phase", name="visits_done")
            end_of_day(self, terminal)
        finally:
            terminal.close()

    def _leave_old_session(self, terminal: Terminal) -> None:
        """A session left open by an earlier run (not this day's restart): settle and sign out."""
        self._sync(terminal, until=self.settings.deadline, passes=3)
        if self.retry("sign_out", terminal.sign_out, until=self.settings.deadline) is not None:
            self.emit("phase", name="old_session_closed")

    def _sign_in(self, terminal: Terminal) -> bool:
        credentials = self.plan.collector

        def sign_in(allowance: int) -> object:
            return terminal.sign_in(
                agent_account=credentials.account,
                password=credentials.password,
                organisation_code=credentials.organisation_code,
                offline_allowance=allowance,
                download_arrears=False,
            )

        until = self.settings.deadline
        session = self.retry("sign_in", lambda: sign_in(self.plan.offline_allowance), until=until)
        if session is None and self.plan.offline_allowance:
            session = self.retry("sign_in", lambda: sign_in(0), until=until)
        if terminal.session is None:
            return False
        downloaded = None
        if terminal.session.offline_allowance > 0:
            # the area's arrears for collecting offline, retried here so a failure is told
            downloaded = self.retry("download_arrears", terminal.download_arrears, until=until)
        self.emit(
            "phase",
            name="signed_in",
            business_date=terminal.session.business_date.isoformat(),
            batch=terminal.session.batch_no,
            allowance=terminal.session.offline_allowance,
            downloaded=downloaded,
        )
        return True

    def _between_customers(self, terminal: Terminal) -> None:
        with contextlib.suppress(DomainError):  # the indicator shows it; nothing else to do
            terminal.heartbeat()
        self._sync(terminal, until=self.settings.deadline, passes=1)

    def _sync(self, terminal: Terminal, *, until: float, passes: int) -> None:
        """A few forwarder passes while something waits (each bounded by its request budget)."""
        for _ in range(passes):
            if not terminal.waiting_count() or time.time() >= until:
                break
            try:
                report = terminal.resolve_pending(budget=20)
            except DomainError as exc:
                self.problem("resolve_pending", exc)
                break
            if report.stopped_by is not None:
                break
        self.print_waiting(terminal)

    def print_waiting(self, terminal: Terminal) -> None:
        try:
            terminal.print_waiting()
        except DomainError as exc:
            self.problem("print_waiting", exc)

    # ---- one customer -------------------------------------------------------------------------

    def _query(self, terminal: Terminal, visit: Visit) -> AccountView | None:
        waiting_since = time.monotonic()
        for attempt in range(QUERY_ATTEMPTS):
            started = time.monotonic()
            try:
                view = terminal.query_account(visit.account_no)
            except NoAnswerError as exc:
                self.emit(
                    "query",
                    visit=visit.index,
                    result="no_answer",
                    code=exc.code,
                    query_s=round(time.monotonic() - started, 3),
                )
                patient = time.monotonic() - waiting_since + PAUSE_S < QUERY_PATIENCE_S
                if (
                    patient
                    and attempt < QUERY_ATTEMPTS - 1
                    and time.time() + PAUSE_S < self.settings.deadline
                ):
                    time.sleep(PAUSE_S)
                    continue
                return None
            except (TerminalError, ServerRefusalError) as exc:
                self.emit("query", visit=visit.index, result="refused", code=exc.code)
                return None
            self.emit(
                "query",
                visit=visit.index,
                result="offline" if view.offline else "online",
                query_s=round(time.monotonic() - started, 3),
            )
            return view
        return None

    def _serve(self, terminal: Terminal, visit: Visit) -> None:
        time.sleep(visit.think_s)  # typing the customer number
        started = time.monotonic()
        view = self._query(terminal, visit)
        if view is None:
            return
        session = terminal.session
        partial = session.params.partial_allowed if session is not None else False
        cash, round_up = cash_for(view, visit, partial_allowed=partial)
        nonce = self.plan.nonce(visit.index)
        self.emit(
            "handover",
            visit=visit.index,
            nonce=nonce.hex[:8],
            acct=view.account_no,
            cash=cash,
            offline=view.offline,
            round_up=round_up,
        )
        self.nonces.prepare(nonce)
        # a planned crash waits for a payment that passes its point (an offline payment sends
        # nothing, so a crash after sending waits for the next online one)
        if self._crashes and self._crashes[0].visit <= visit.index:
            self.switch.arm(self._crashes[0].point, visit=visit.index)
        try:
            outcome = terminal.pay(view, cash, round_up=round_up)
        except DomainError as exc:
            self.emit(
                "outcome",
                visit=visit.index,
                nonce=nonce.hex[:8],
                result=CounterResult.REFUSED.value,
                code=exc.code,
                served_s=round(time.monotonic() - started, 3),
            )
            return
        finally:
            self.switch.disarm()
        self.emit(
            "outcome",
            visit=visit.index,
            nonce=nonce.hex[:8],
            result=counter_result(outcome).value,
            txn=outcome.txn_id,
            state=outcome.state.value,
            code=outcome.error.code if outcome.error is not None else None,
            served_s=round(time.monotonic() - started, 3),
            printed=outcome.printed,
        )
        if outcome.waiting and not outcome.offline:
            self._unknown_at_counter(terminal, visit, outcome)
        elif outcome.confirmed and visit.void_after:
            self._void(terminal, visit, outcome)

    def _unknown_at_counter(
        self, terminal: Terminal, visit: Visit, outcome: PaymentOutcome
    ) -> None:
        if visit.cancel_if_unknown:
            try:
                after = terminal.cancel_unknown(outcome.txn_id)
            except DomainError as exc:
                self.problem("cancel_unknown", exc)
                return
            self.emit("cancelled", visit=visit.index, txn=outcome.txn_id, state=after.state.value)
            return
        for _ in range(COUNTER_RESOLVE_PASSES):
            if time.time() >= self.settings.deadline:
                break
            try:
                terminal.resolve_pending(budget=3)
                now = terminal.payment(outcome.txn_id)
            except DomainError as exc:
                self.problem("resolve_at_counter", exc)
                return
            if not now.waiting:
                self.emit("resolved", visit=visit.index, txn=now.txn_id, state=now.state.value)
                break
            time.sleep(PAUSE_S)
        self.print_waiting(terminal)

    def _void(self, terminal: Terminal, visit: Visit, outcome: PaymentOutcome) -> None:
        supervisor = self.plan.supervisor
        try:
            after = terminal.void(
                outcome.txn_id,
                supervisor=supervisor.account,
                supervisor_password=supervisor.password,
            )
        except DomainError as exc:
            self.emit("voided", visit=visit.index, txn=outcome.txn_id, state=None, code=exc.code)
            return
        self.emit("voided", visit=visit.index, txn=outcome.txn_id, state=after.state.value)
