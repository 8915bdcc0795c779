"""Benchmarks that drive gridpos from outside and print JSON: ``gridpos bench …``.

:mod:`.payments` measures payments per second through ``gridpos serve`` against a raw-SQL
baseline (:mod:`.baseline`), with terminals driven by :mod:`.driver` in a county seeded by
:mod:`.county`.
"""

from gridpos.sim.bench.payments import BenchConfig, run_payments_bench

__all__ = ["BenchConfig", "run_payments_bench"]
