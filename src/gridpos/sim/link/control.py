"""Changing a running link: one function for a mapping of changes, and a small HTTP endpoint on a
second loopback port so a test or the fleet can script a ``gridpos link`` process.

Endpoint (JSON in and out, one request per connection):

- ``GET /stats`` — the counters (:class:`~gridpos.sim.link.stats.StatsSnapshot`);
  ``GET /stats?detail=0`` — the totals only, without each exchange and connection;
- ``GET /control`` — the settings in force;
- ``POST /control`` — change them: ``{"profile": "mountain" | {...}, "script": {...} | [...] |
  null, "seed": 7, "partition": true, "partition_mode": "black_hole" | "reset" | "fin",
  "reset_stats": true}`` (every key optional). Everything is checked before anything changes; a
  refusal is a 400 with the error's code, field and messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from gridpos.sim.link.cuts import PartitionMode
from gridpos.sim.link.errors import LinkSettingError, setting_error
from gridpos.sim.link.profiles import LinkProfile, profile_from_data
from gridpos.sim.link.proxy import LinkProxy
from gridpos.sim.link.script import LinkScript, script_from_data

CONTROL_KEYS = frozenset(
    {"profile", "script", "seed", "partition", "partition_mode", "reset_stats"}
)
MAX_BODY_BYTES = 1024 * 1024
MAX_HEAD_BYTES = 16 * 1024
READ_TIMEOUT_S = 5.0


def apply_control(proxy: LinkProxy, changes: object) -> dict[str, object]:
    """Check every change, then apply them all; return the settings now in force.

    Raises :class:`~gridpos.sim.link.errors.LinkSettingError` (``link_control_invalid``, or the
    profile's and script's own codes) and then changes nothing.
    """
    if not isinstance(changes, Mapping):
        raise _invalid("control", "应为对象", "must be an object")
    unknown = sorted(set(changes) - CONTROL_KEYS)
    if unknown:
        raise _invalid(unknown[0], "不是可以修改的设置", "is not a setting that can be changed")
    profile: LinkProfile | None = None
    if "profile" in changes:
        profile = profile_from_data(changes["profile"], base=proxy.profile)
    script: LinkScript | None = None
    if "script" in changes:
        script = script_from_data(changes["script"])
    seed = changes.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _invalid("seed", "应为整数", "must be a whole number")
    partition = changes.get("partition")
    if partition is not None and not isinstance(partition, bool):
        raise _invalid("partition", "应为 true 或 false", "must be true or false")
    mode = PartitionMode.BLACK_HOLE
    if changes.get("partition_mode") is not None:
        try:
            mode = PartitionMode(changes["partition_mode"])
        except ValueError:
            known = ", ".join(m.value for m in PartitionMode)
            raise _invalid(
                "partition_mode", f"应为 {known} 之一", f"must be one of {known}"
            ) from None
    reset_stats = changes.get("reset_stats", False)
    if not isinstance(reset_stats, bool):
        raise _invalid("reset_stats", "应为 true 或 false", "must be true or false")

    if seed is not None:
        proxy.set_seed(seed)
    if profile is not None:
        proxy.set_profile(profile)
    if script is not None:
        proxy.set_script(script)
    if partition is not None:
        proxy.partition(partition, mode=mode)
    if reset_stats:
        proxy.reset_stats()
    return proxy.settings()


def _invalid(field: str, message_zh: str, message_en: str) -> LinkSettingError:
    return setting_error(
        "link_control_invalid", field, f"链路控制 {field}：{message_zh}", f"{field} {message_en}"
    )


async def start_control(proxy: LinkProxy, *, host: str, port: int) -> asyncio.Server:
    """Serve the control endpoint of ``proxy`` on ``host:port`` (port 0: any free port)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await _answer(proxy, reader)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
        writer.write(
            f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode("ascii")
            + payload
        )
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(READ_TIMEOUT_S):
                await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, port, limit=MAX_HEAD_BYTES)


async def _answer(proxy: LinkProxy, reader: asyncio.StreamReader) -> tuple[int, Any]:
    async with asyncio.timeout(READ_TIMEOUT_S):
        head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return 400, _error("link_control_invalid", "request", "请求行无效", "bad request line")
    method, (target, _, query) = parts[0], parts[1].partition("?")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            if not value.strip().isdigit() or int(value) > MAX_BODY_BYTES:
                return 400, _error(
                    "link_control_invalid", "body", "请求体过大或长度无效", "body too large"
                )
            length = int(value)
    body = b""
    if length:
        async with asyncio.timeout(READ_TIMEOUT_S):
            body = await reader.readexactly(length)
    if target == "/stats":
        if method != "GET":
            return 405, _error("link_method", "method", "只支持 GET", "only GET")
        totals = proxy.snapshot().as_dict()
        if "detail=0" in query.split("&") or "detail=false" in query.split("&"):
            del totals["exchanges"], totals["connections"]
        return 200, totals
    if target != "/control":
        return 404, _error("link_not_found", "path", "没有这个地址", "no such path")
    if method == "GET":
        return 200, proxy.settings()
    if method != "POST":
        return 405, _error("link_method", "method", "只支持 GET 和 POST", "only GET and POST")
    try:
        changes = json.loads(body or b"{}")
    except ValueError:
        return 400, _error("link_control_invalid", "body", "请求体不是 JSON", "body is not JSON")
    try:
        return 200, apply_control(proxy, changes)
    except LinkSettingError as exc:
        return 400, exc.as_dict()


def _error(code: str, field: str, message_zh: str, message_en: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message_zh": message_zh, "message_en": message_en}
