"""Scripted per-request actions: which request to hit (by index, by method and path, the nth
match) and what to do to it (cut it one way or another, stall it, or let it through).

As JSON (a file for ``gridpos link --script`` or the body of ``POST /control``)::

    {"rules": [
      {"request": 3, "cut": "cut_before_answer"},
      {"method": "POST", "path": "^/t/v1/payments$", "nth": 2,
       "cut": "cut_mid_answer", "answer_bytes": 40, "closing": "fin"},
      {"path": "/status", "stall_s": 2.5, "stall_on": "answer"},
      {"nth": 5}
    ]}

``request`` is the link's global request index (1-based, as in its stats). ``method`` matches
exactly (case-insensitive), ``path`` is a regular expression searched in the request target.
``nth`` picks the nth request matching the rule's method and path (every request when it names
neither), counted from when the script was set. The first rule that fires decides; a rule with no
``cut`` and no ``stall_s`` lets its request through untouched, whatever the probabilities say.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from gridpos.sim.link.cuts import DEFAULT_CLOSING, Closing, CutKind, StallOn
from gridpos.sim.link.errors import setting_error
from gridpos.sim.link.profiles import MAX_STALL_S

MAX_RULES = 1_000
_E = TypeVar("_E", CutKind, Closing, StallOn)
_RULE_KEYS = frozenset(
    {"request", "method", "path", "nth", "cut", "closing", "answer_bytes", "stall_s", "stall_on"}
)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the link does to one request. The empty decision lets it through untouched."""

    cut: CutKind | None = None
    closing: Closing | None = None
    answer_bytes: int | None = None
    stall_s: float = 0.0
    stall_on: StallOn = StallOn.ANSWER
    rule: int | None = None

    @property
    def effective_closing(self) -> Closing | None:
        """The closing asked for, else the cut kind's default (black holes are always silent)."""
        if self.cut is None:
            return None
        if self.cut is CutKind.BLACK_HOLE:
            return Closing.SILENT
        return self.closing or DEFAULT_CLOSING[self.cut]


PASS = Decision()


@dataclass(frozen=True, slots=True)
class ScriptRule:
    """One line of a script: which requests it matches and the action it takes."""

    request: int | None = None
    method: str | None = None
    path: str | None = None
    nth: int | None = None
    cut: CutKind | None = None
    closing: Closing | None = None
    answer_bytes: int | None = None
    stall_s: float = 0.0
    stall_on: StallOn = StallOn.ANSWER

    def matches_kind(self, *, method: str, path: str) -> bool:
        """Whether a request with this method and target is one this rule counts."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    def decision(self, *, rule: int) -> Decision:
        return Decision(
            cut=self.cut,
            closing=self.closing,
            answer_bytes=self.answer_bytes,
            stall_s=self.stall_s,
            stall_on=self.stall_on,
            rule=rule,
        )

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key in ("request", "method", "path", "nth", "answer_bytes"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        for key in ("cut", "closing"):
            value = getattr(self, key)
            if value is not None:
                body[key] = str(value)
        if self.stall_s:
            body["stall_s"] = self.stall_s
            body["stall_on"] = str(self.stall_on)
        return body


@dataclass(frozen=True, slots=True)
class LinkScript:
    """The rules in order; the empty script leaves every request to the profile's chances."""

    rules: tuple[ScriptRule, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"rules": [rule.as_dict() for rule in self.rules]}


EMPTY_SCRIPT = LinkScript()


def script_from_data(data: object) -> LinkScript:
    """A script from ``{"rules": [...]}`` or a bare list of rules (``None`` is the empty script).

    Raises :class:`~gridpos.sim.link.errors.LinkSettingError` ``link_script_invalid`` naming the
    rule and field, e.g. ``script.rules[2].cut``.
    """
    if data is None:
        return EMPTY_SCRIPT
    if isinstance(data, Mapping):
        if set(data) - {"rules"}:
            raise _invalid("script", "只应有 rules 字段", "has only the field rules")
        data = data.get("rules", [])
    if not isinstance(data, list):
        raise _invalid("script.rules", "应为规则列表", "must be a list of rules")
    if len(data) > MAX_RULES:
        raise _invalid("script.rules", f"最多 {MAX_RULES} 条", f"has at most {MAX_RULES} rules")
    return LinkScript(tuple(_rule(i, item) for i, item in enumerate(data)))


def _rule(position: int, item: object) -> ScriptRule:
    where = f"script.rules[{position}]"
    if not isinstance(item, Mapping):
        raise _invalid(where, "应为对象", "must be an object")
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise _invalid(f"{where}.{unknown[0]}", "不是规则的字段", "is not a rule field")
    request = _positive(where, "request", item.get("request"))
    nth = _positive(where, "nth", item.get("nth"))
    if request is not None and nth is not None:
        raise _invalid(f"{where}.nth", "不能与 request 同用", "cannot be used with request")
    method = item.get("method")
    if method is not None and (
        not isinstance(method, str) or not re.fullmatch(r"[A-Za-z]{1,20}", method)
    ):
        raise _invalid(f"{where}.method", "应为 HTTP 方法名", "must be an HTTP method")
    path = item.get("path")
    if path is not None:
        if not isinstance(path, str):
            raise _invalid(f"{where}.path", "应为正则表达式", "must be a regular expression")
        try:
            re.compile(path)
        except re.error:
            raise _invalid(
                f"{where}.path", "不是有效的正则表达式", "is not a valid regular expression"
            ) from None
    cut = _enum(where, "cut", item.get("cut"), CutKind)
    closing = _enum(where, "closing", item.get("closing"), Closing)
    if closing is not None and cut is None:
        raise _invalid(f"{where}.closing", "只用于断开", "applies only to a cut")
    answer_bytes = item.get("answer_bytes")
    if answer_bytes is not None:
        if cut is not CutKind.CUT_MID_ANSWER:
            raise _invalid(
                f"{where}.answer_bytes", "只用于 cut_mid_answer", "applies only to cut_mid_answer"
            )
        if isinstance(answer_bytes, bool) or not isinstance(answer_bytes, int) or answer_bytes < 0:
            raise _invalid(f"{where}.answer_bytes", "应为非负整数", "must be a whole number ≥ 0")
    stall_s = item.get("stall_s", 0.0)
    if (
        isinstance(stall_s, bool)
        or not isinstance(stall_s, int | float)
        or not math.isfinite(stall_s)
        or not 0 <= stall_s <= MAX_STALL_S
    ):
        raise _invalid(
            f"{where}.stall_s",
            f"应在 0 到 {MAX_STALL_S:g} 秒之间",
            f"must be 0 to {MAX_STALL_S:g} seconds",
        )
    stall_on = _enum(where, "stall_on", item.get("stall_on"), StallOn) or StallOn.ANSWER
    return ScriptRule(
        request=request,
        method=method,
        path=path,
        nth=nth,
        cut=cut,
        closing=closing,
        answer_bytes=answer_bytes,
        stall_s=float(stall_s),
        stall_on=stall_on,
    )


def _positive(where: str, key: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(f"{where}.{key}", "应为正整数", "must be a whole number ≥ 1")
    return value


def _enum(where: str, key: str, value: object, kind: type[_E]) -> _E | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = repr(value)
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise _invalid(f"{where}.{key}", f"应为 {known} 之一", f"must be one of {known}") from None


def _invalid(field: str, message_zh: str, message_en: str) -> Exception:
    return setting_error(
        "link_script_invalid", field, f"链路脚本 {field}：{message_zh}", f"{field} {message_en}"
    )
