"""Link profiles: how a loopback connection is made to behave like a LAN, GPRS or a mountain valley.

A profile is plain data. Probabilities apply per request (see :mod:`.decisions`); latency, jitter
and bandwidth apply per direction to every byte (see :mod:`.shaping`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from gridpos.sim.link.cuts import CutKind
from gridpos.sim.link.errors import setting_error

MAX_ONE_WAY_MS = 60_000
MAX_STALL_S = 600.0
MIN_BANDWIDTH_BPS = 1_000


@dataclass(frozen=True, slots=True)
class LinkProfile:
    """How the link behaves.

    ``one_way_ms`` ± ``jitter_ms`` is added to every chunk each way (never reordering bytes);
    ``bandwidth_bps`` (bits per second, ``None`` for no cap) paces each direction; a request is
    stalled with ``stall_probability`` for a uniform ``stall_min_s``–``stall_max_s``; each cut
    kind hits a request with its own probability; ``handshake`` makes a new connection cost one
    round trip before its first byte reaches the server, as TCP's handshake does.
    """

    name: str
    one_way_ms: int = 0
    jitter_ms: int = 0
    bandwidth_bps: int | None = None
    stall_probability: float = 0.0
    stall_min_s: float = 0.0
    stall_max_s: float = 0.0
    drop_request_probability: float = 0.0
    cut_before_answer_probability: float = 0.0
    cut_mid_answer_probability: float = 0.0
    black_hole_probability: float = 0.0
    handshake: bool = True

    @property
    def one_way_s(self) -> float:
        return self.one_way_ms / 1000

    @property
    def jitter_s(self) -> float:
        return self.jitter_ms / 1000

    @property
    def bytes_per_s(self) -> float | None:
        return None if self.bandwidth_bps is None else self.bandwidth_bps / 8

    def cut_probabilities(self) -> tuple[tuple[CutKind, float], ...]:
        """Each cut kind with its probability, always in the same order (the draw depends on it)."""
        return (
            (CutKind.DROP_REQUEST, self.drop_request_probability),
            (CutKind.CUT_BEFORE_ANSWER, self.cut_before_answer_probability),
            (CutKind.CUT_MID_ANSWER, self.cut_mid_answer_probability),
            (CutKind.BLACK_HOLE, self.black_hole_probability),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


GOOD = LinkProfile(name="good", one_way_ms=1, jitter_ms=0, bandwidth_bps=None)
GPRS = LinkProfile(name="gprs", one_way_ms=500, jitter_ms=100, bandwidth_bps=32_000)
MOUNTAIN = replace(
    GPRS,
    name="mountain",
    stall_probability=0.03,
    stall_min_s=5.0,
    stall_max_s=20.0,
    drop_request_probability=0.02,
    cut_before_answer_probability=0.02,
    cut_mid_answer_probability=0.01,
    black_hole_probability=0.01,
)
PROFILES: dict[str, LinkProfile] = {p.name: p for p in (GOOD, GPRS, MOUNTAIN)}

_FIELD_NAMES = tuple(f.name for f in fields(LinkProfile))
_PROBABILITIES = (
    "stall_probability",
    "drop_request_probability",
    "cut_before_answer_probability",
    "cut_mid_answer_probability",
    "black_hole_probability",
)


def profile_named(name: str) -> LinkProfile:
    """The built-in profile ``good``, ``gprs`` or ``mountain``.

    Raises :class:`~gridpos.sim.link.errors.LinkSettingError` ``link_profile_unknown``.
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise setting_error(
            "link_profile_unknown",
            "profile",
            f"没有名为 {name!r} 的链路配置（可用：{', '.join(PROFILES)}）",
            f"no link profile named {name!r} (known: {', '.join(PROFILES)})",
            given=name,
        ) from None


def profile_from_data(data: object, *, base: LinkProfile | None = None) -> LinkProfile:
    """A profile from a name, or from a mapping of fields over a base profile.

    The mapping may name its base (``"base": "gprs"``); otherwise a ``name`` that is a built-in
    profile is the base, else ``base``, else ``good``. Raises
    :class:`~gridpos.sim.link.errors.LinkSettingError` (``link_profile_unknown``,
    ``link_profile_invalid``) naming the field.
    """
    if isinstance(data, str):
        return profile_named(data)
    if not isinstance(data, Mapping):
        raise _invalid("profile", "应为配置名称或字段对象", "must be a profile name or an object")
    values = dict(data)
    base_name = values.pop("base", None)
    if base_name is not None:
        if not isinstance(base_name, str):
            raise _invalid("profile.base", "应为配置名称", "must be a profile name")
        start = profile_named(base_name)
    elif isinstance(values.get("name"), str) and values["name"] in PROFILES:
        start = PROFILES[values["name"]]
    else:
        start = base or GOOD
    unknown = sorted(set(values) - set(_FIELD_NAMES))
    if unknown:
        raise _invalid(f"profile.{unknown[0]}", "不是链路配置的字段", "is not a profile field")
    checked = {key: _check_field(key, value) for key, value in values.items()}
    profile = replace(start, **checked)
    _check_profile(profile)
    return profile


def _check_field(key: str, value: Any) -> Any:
    field = f"profile.{key}"
    if key == "name":
        if not isinstance(value, str) or not value.strip() or len(value) > 40:
            raise _invalid(field, "应为 1–40 个字符的名称", "must be a name of 1–40 characters")
        return value
    if key == "handshake":
        if not isinstance(value, bool):
            raise _invalid(field, "应为 true 或 false", "must be true or false")
        return value
    if key == "bandwidth_bps":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < MIN_BANDWIDTH_BPS:
            raise _invalid(
                field,
                f"应为不小于 {MIN_BANDWIDTH_BPS} 的整数（比特/秒）或 null",
                f"must be an integer of at least {MIN_BANDWIDTH_BPS} bits/s, or null",
            )
        return value
    if key in ("one_way_ms", "jitter_ms"):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_ONE_WAY_MS
        ):
            raise _invalid(
                field,
                f"应为 0–{MAX_ONE_WAY_MS} 的整数（毫秒）",
                f"must be an integer from 0 to {MAX_ONE_WAY_MS} (ms)",
            )
        return value
    number = _number(field, value)
    if key in _PROBABILITIES and not 0.0 <= number <= 1.0:
        raise _invalid(field, "概率应在 0 到 1 之间", "a probability is between 0 and 1")
    if key in ("stall_min_s", "stall_max_s") and not 0.0 <= number <= MAX_STALL_S:
        raise _invalid(
            field, f"应在 0 到 {MAX_STALL_S:g} 秒之间", f"must be 0 to {MAX_STALL_S:g} seconds"
        )
    return number


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(field, "应为数字", "must be a number")
    return float(value)


def _check_profile(profile: LinkProfile) -> None:
    if profile.stall_min_s > profile.stall_max_s:
        raise _invalid("profile.stall_min_s", "不应大于 stall_max_s", "must not exceed stall_max_s")
    total = sum(p for _, p in profile.cut_probabilities())
    if total > 1.0 + 1e-9:
        raise _invalid(
            "profile.drop_request_probability",
            "各种断开的概率之和不应超过 1",
            "the cut probabilities must not add up to more than 1",
        )


def _invalid(field: str, message_zh: str, message_en: str) -> Exception:
    return setting_error(
        "link_profile_invalid", field, f"链路配置 {field}：{message_zh}", f"{field} {message_en}"
    )
