"""The web console: server-rendered Jinja2 pages with htmx 2 (and its SSE extension for live
pages), both languages from Babel catalogs, for the company, its stations, auditors and agents.

Routes parse, authorise (every endpoint is made by :func:`~gridpos.interfaces.console.web.
console_page`: session, CSRF, permission), call one use case of
:mod:`gridpos.application.console` and render. New pages plug in as a
:class:`~gridpos.interfaces.console.registry.ConsoleModule`.
"""

from gridpos.interfaces.console.app import (
    MOUNT_PATH,
    console_routes,
    create_console_app,
    default_modules,
)
from gridpos.interfaces.console.config import ConsoleConfig, CookieSecurity
from gridpos.interfaces.console.registry import ConsoleModule, Page, Section

__all__ = [
    "MOUNT_PATH",
    "ConsoleConfig",
    "ConsoleModule",
    "CookieSecurity",
    "Page",
    "Section",
    "console_routes",
    "create_console_app",
    "default_modules",
]
