"""A county's rows generated in a process of its own while the caller loads them.

Generating the rows (names, readings, bills, arrears) and loading them into the database each take
about half of a county's time on one core. :class:`BackgroundRows` runs :class:`CountyRows` in a
forked child that hands the caller one station's chunk at a time through a pipe, so the next
station is generated while this one is loaded: the two cores work at once. The child runs the very
same generator from the very same seed, so the rows are exactly those of :class:`CountyRows`.

Forking is safe only from a process with one thread (a lock held by another thread would stay
held in the child); elsewhere — or where ``fork`` does not exist — the rows are generated in the
caller's own process, one chunk after the other, as before.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Final

from gridpos.domain.penalty import PenaltyRules
from gridpos.domain.tariff import TariffSchedule
from gridpos.refmis.generator.rows import CountyChunk, CountyRows
from gridpos.refmis.generator.spec import CountySpec, CountySummary

CHILD_EXIT_TIMEOUT_S: Final[float] = 10.0


@dataclass(frozen=True, slots=True)
class _Finished:
    summary: CountySummary
    last_change_seq: int


@dataclass(frozen=True, slots=True)
class _Failed:
    text: str


class GenerationFailedError(RuntimeError):
    """The generating process stopped with an error (its traceback is the message)."""


def _produce(
    sink: Connection, spec: CountySpec, schedule: TariffSchedule, rules: PenaltyRules
) -> None:
    """The child: every chunk, then the summary (or the error that stopped it)."""
    try:
        rows = CountyRows(spec, schedule=schedule, rules=rules)
        for chunk in rows.chunks():
            sink.send(chunk)
        sink.send(_Finished(summary=rows.summary, last_change_seq=rows.last_change_seq))
    except BaseException:  # every failure, even an interrupt, goes back to the caller
        sink.send(_Failed(text=traceback.format_exc()))
    finally:
        sink.close()


def can_fork() -> bool:
    """True when the rows may be generated in a forked child here."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class BackgroundRows:
    """The rows of ``spec``, generated in a child process when :func:`can_fork` (or when
    ``in_child`` insists); iterate :meth:`chunks` once, then read ``summary`` and
    ``last_change_seq``.

    Raises :class:`GenerationFailedError` from :meth:`chunks` when the child fails.
    """

    def __init__(
        self,
        spec: CountySpec,
        *,
        schedule: TariffSchedule,
        rules: PenaltyRules,
        in_child: bool | None = None,
    ) -> None:
        self.spec = spec
        self.schedule = schedule
        self.rules = rules
        self.in_child = can_fork() if in_child is None else in_child
        self._finished: _Finished | None = None

    def _result(self) -> _Finished:
        if self._finished is None:
            raise RuntimeError("the county's rows have not all been generated yet")
        return self._finished

    @property
    def summary(self) -> CountySummary:
        """The county's summary (once :meth:`chunks` has been iterated)."""
        return self._result().summary

    @property
    def last_change_seq(self) -> int:
        """The change sequence number of the last row."""
        return self._result().last_change_seq

    def chunks(self) -> Iterator[CountyChunk]:
        """Each station's chunk, in the generator's order."""
        if not self.in_child:
            local = CountyRows(self.spec, schedule=self.schedule, rules=self.rules)
            yield from local.chunks()
            self._finished = _Finished(local.summary, local.last_change_seq)
            return
        context = multiprocessing.get_context("fork")
        source, sink = context.Pipe(duplex=False)
        child = context.Process(
            target=_produce,
            args=(sink, self.spec, self.schedule, self.rules),
            name="gridpos-county-rows",
            daemon=True,
        )
        child.start()
        sink.close()  # the child holds its own end; EOF then means it is gone
        try:
            while True:
                try:
                    message = source.recv()
                except EOFError as exc:
                    raise GenerationFailedError(
                        f"the generating process ended without finishing (exit {child.exitcode})"
                    ) from exc
                if isinstance(message, _Finished):
                    self._finished = message
                    return
                if isinstance(message, _Failed):
                    raise GenerationFailedError(message.text)
                yield message
        finally:
            source.close()
            child.join(CHILD_EXIT_TIMEOUT_S)
            if child.is_alive():
                child.kill()
                child.join()
