"""The terminal API: every route of :mod:`gridpos.protocol.terminal.routes`, signed, as ASGI."""

from gridpos.interfaces.terminal_api.app import terminal_routes

__all__ = ["terminal_routes"]
