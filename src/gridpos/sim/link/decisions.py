"""Deciding what happens to each request: the script first, else the profile's probabilities.

The chances for request ``n`` are drawn from a generator seeded with the link's seed and ``n``
alone, so the same seed gives the same decision for the same request index whatever the timing,
the chunking of bytes or the script rules that fired before.
"""

from __future__ import annotations

import random

from gridpos.sim.link.cuts import StallOn
from gridpos.sim.link.profiles import LinkProfile
from gridpos.sim.link.script import EMPTY_SCRIPT, PASS, Decision, LinkScript


class Decider:
    """The seeded, scripted decision for each request the link sees (not thread-safe)."""

    def __init__(self, *, seed: int, script: LinkScript = EMPTY_SCRIPT) -> None:
        self.seed = seed
        self._script = script
        self._matches = [0] * len(script.rules)

    @property
    def script(self) -> LinkScript:
        return self._script

    def set_script(self, script: LinkScript) -> None:
        """Replace the script; ``nth`` counts start again from zero."""
        self._script = script
        self._matches = [0] * len(script.rules)

    def decide(self, *, index: int, method: str, path: str, profile: LinkProfile) -> Decision:
        """The decision for the request with global ``index`` (1-based)."""
        chosen: Decision | None = None
        for position, rule in enumerate(self._script.rules):
            if not rule.matches_kind(method=method, path=path):
                continue
            self._matches[position] += 1
            if chosen is not None:
                continue
            if rule.request is not None and rule.request != index:
                continue
            if rule.nth is not None and rule.nth != self._matches[position]:
                continue
            chosen = rule.decision(rule=position)
        if chosen is not None:
            return chosen
        return chance_decision(seed=self.seed, index=index, profile=profile)


def chance_decision(*, seed: int, index: int, profile: LinkProfile) -> Decision:
    """The profile's probabilities applied to request ``index`` under ``seed``.

    Four numbers are always drawn — cut, stall, stall length, stall direction — so each decision
    depends on nothing but the seed, the index and the profile.
    """
    draws = random.Random(f"gridpos-link/{seed}/{index}")  # noqa: S311 - emulation, not security
    cut_draw, stall_draw, length_draw, side_draw = (draws.random() for _ in range(4))
    cut = None
    threshold = 0.0
    for kind, probability in profile.cut_probabilities():
        threshold += probability
        if cut_draw < threshold:
            cut = kind
            break
    stall_s = 0.0
    stall_on = StallOn.ANSWER
    if stall_draw < profile.stall_probability:
        stall_s = profile.stall_min_s + (profile.stall_max_s - profile.stall_min_s) * length_draw
        stall_on = StallOn.REQUEST if side_draw < 0.5 else StallOn.ANSWER
    if cut is None and stall_s == 0.0:
        return PASS
    return Decision(cut=cut, stall_s=stall_s, stall_on=stall_on)
