"""How the console is served: cookie security and where the front-end packages are."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

SECURE_COOKIES_ENV = "GRIDPOS_CONSOLE_SECURE_COOKIES"
NODE_MODULES_ENV = "GRIDPOS_NODE_MODULES"


class CookieSecurity(StrEnum):
    """When cookies get the ``Secure`` flag."""

    AUTO = "auto"  # when the request came over HTTPS (behind a proxy: uvicorn --proxy-headers)
    ALWAYS = "always"
    NEVER = "never"  # the local demo over plain http, explicitly


def find_node_modules(start: Path | None = None) -> Path | None:
    """The ``node_modules`` folder of the checkout this package runs from, or None."""
    here = (start or Path(__file__)).resolve()
    for folder in here.parents:
        candidate = folder / "node_modules"
        if (candidate / "htmx.org").is_dir():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """Settings of the console's HTTP side."""

    cookie_security: CookieSecurity = CookieSecurity.AUTO
    node_modules: Path | None = None

    @classmethod
    def from_env(cls) -> ConsoleConfig:
        """From ``GRIDPOS_CONSOLE_SECURE_COOKIES`` (auto, always, never) and
        ``GRIDPOS_NODE_MODULES`` (default: the checkout's ``node_modules``).

        Raises ``ValueError`` for an unknown cookie setting.
        """
        security = CookieSecurity(os.environ.get(SECURE_COOKIES_ENV, "auto").strip().lower())
        configured = os.environ.get(NODE_MODULES_ENV)
        node_modules = Path(configured).resolve() if configured else find_node_modules()
        return cls(cookie_security=security, node_modules=node_modules)
