"""`gridpos link`: the link emulator as a process, scriptable through its control endpoint.

    gridpos link --listen 127.0.0.1:9000 --upstream 127.0.0.1:8000 --profile gprs --seed 7 \\
        [--script cuts.json] [--control 127.0.0.1:9001]

The first line printed says where it listens (useful with port 0); SIGTERM or Ctrl-C stops it,
closing every connection, and it prints its totals as JSON on the way out.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Annotated

import typer

from gridpos.sim.link import (
    LinkProxy,
    LinkSettingError,
    parse_address,
    profile_from_data,
    script_from_data,
    start_control,
)
from gridpos.sim.link.errors import setting_error
from gridpos.sim.link.proxy import DEFAULT_IDLE_TIMEOUT_S


def link(
    listen: Annotated[str, typer.Option(help="host:port to listen on (port 0: any).")] = (
        "127.0.0.1:9000"
    ),
    upstream: Annotated[str, typer.Option(help="host:port of the server.")] = "127.0.0.1:8000",
    profile: Annotated[
        str,
        typer.Option(
            help='good | gprs | mountain, or JSON such as \'{"base":"gprs","jitter_ms":0}\'.'
        ),
    ] = "gprs",
    seed: Annotated[int, typer.Option(help="Same seed, same decisions.")] = 7,
    script: Annotated[
        Path | None, typer.Option(help="JSON file of per-request rules.", dir_okay=False)
    ] = None,
    control: Annotated[
        str | None, typer.Option(help="host:port of the HTTP control endpoint (/control, /stats).")
    ] = None,
    idle_timeout: Annotated[
        float, typer.Option(help="Close a connection idle this many seconds.", min=0.1)
    ] = DEFAULT_IDLE_TIMEOUT_S,
) -> None:
    """Proxy TCP to the server the way GPRS would carry it: latency, bandwidth, stalls and cuts."""
    try:
        listen_at = parse_address(listen, field="listen")
        upstream_at = parse_address(upstream, field="upstream")
        control_at = parse_address(control, field="control") if control else None
        chosen = profile_from_data(_profile_argument(profile))
        rules = script_from_data(_read_script(script)) if script else None
    except LinkSettingError as exc:
        typer.echo(f"link: {exc}", err=True)
        raise typer.Exit(2) from exc
    proxy = LinkProxy(upstream=upstream_at, profile=chosen, seed=seed, idle_timeout_s=idle_timeout)
    if rules is not None:
        proxy.set_script(rules)
    try:
        asyncio.run(_serve(proxy, listen_at=listen_at, control_at=control_at))
    except OSError as exc:
        typer.echo(f"link: cannot listen: {exc}", err=True)
        raise typer.Exit(1) from exc


def _profile_argument(text: str) -> object:
    if not text.lstrip().startswith("{"):
        return text
    try:
        return json.loads(text)
    except ValueError:
        raise setting_error(
            "link_profile_invalid",
            "profile",
            "链路配置不是有效的 JSON",
            "profile is not valid JSON",
        ) from None


def _read_script(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise setting_error(
            "link_script_invalid",
            "script",
            f"无法读取链路脚本 {path}",
            f"cannot read the script {path}: {exc}",
        ) from exc


async def _serve(
    proxy: LinkProxy, *, listen_at: tuple[str, int], control_at: tuple[str, int] | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    host, port = await proxy.start(host=listen_at[0], port=listen_at[1])
    line = (
        f"link listening on {host}:{port} -> {proxy.upstream[0]}:{proxy.upstream[1]}"
        f" (profile {proxy.profile.name}, seed {proxy.seed})"
    )
    control_server = None
    if control_at is not None:
        control_server = await start_control(proxy, host=control_at[0], port=control_at[1])
        bound = control_server.sockets[0].getsockname()
        line += f"; control http://{bound[0]}:{bound[1]}"
    typer.echo(line)
    await stop.wait()
    if control_server is not None:
        control_server.close()
    await proxy.stop()
    totals = proxy.snapshot().as_dict()
    totals.pop("exchanges")
    totals.pop("connections")
    typer.echo("link stopped " + json.dumps(totals, sort_keys=True))
