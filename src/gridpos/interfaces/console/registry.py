"""The console's pages and their navigation: a page is shown in the menu only once it is
registered, and only to those whose role allows it.

A later page plugs in as a :class:`ConsoleModule` — its routes and its :class:`Page` entries —
passed to :func:`~gridpos.interfaces.console.app.create_console_app` (the default list is
:func:`~gridpos.interfaces.console.app.default_modules`). The planned pages and their sections:

=====================  ====================================  ===========
section                page (key)                            permission
=====================  ====================================  ===========
monitoring             实时监控 (monitoring)                 monitoring.view
operations             代理商 (agents), POS终端 (terminals),  agents.view, terminals.view,
                       用电客户 (customers), 收费明细          customers.view, payments.view,
                       (payments), 扎帐记录 (batches)         batches.view
finance                MIS进账 (mis_postings), 统计报表        mis_postings.view, reports.view
                       (reports)
reconciliation         对账批次 (reconciliation_runs), 差异    reconciliation.view
                       明细 (reconciliation_differences),
                       待处理差错 (reconciliation_queue); the
                       float and 银电联网 file pages join it
system                 组织机构 (organisations), 操作员与角色  organisations.view,
                       (operators), 参数设置 (parameters),    operators.view, parameters.view,
                       审计日志 (audit)                       audit.view
=====================  ====================================  ===========
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from starlette.routing import BaseRoute

from gridpos.application.console import Actor, Permission
from gridpos.interfaces.console.i18n import N_


class Section(StrEnum):
    """The groups of the menu, in menu order."""

    MONITORING = "monitoring"
    OPERATIONS = "operations"
    FINANCE = "finance"
    RECONCILIATION = "reconciliation"
    SYSTEM = "system"


SECTION_LABELS: dict[Section, str] = {
    Section.MONITORING: N_("Monitoring"),
    Section.OPERATIONS: N_("Operations"),
    Section.FINANCE: N_("Finance"),
    Section.RECONCILIATION: N_("Reconciliation"),
    Section.SYSTEM: N_("System"),
}


@dataclass(frozen=True, slots=True)
class Page:
    """A menu entry: ``path`` under the console, ``label`` a message id, shown to actors with
    ``permission`` (and, when the page refuses some of them further, only to those ``shown_to``
    accepts: the same rule its use case applies); ``order`` places it within its section."""

    key: str
    path: str
    label: str
    section: Section
    permission: Permission
    order: int = 100
    shown_to: Callable[[Actor], bool] | None = None

    def offered_to(self, actor: Actor) -> bool:
        """Whether the menu offers the page to ``actor``."""
        if not actor.can(self.permission):
            return False
        return self.shown_to is None or self.shown_to(actor)


@dataclass(frozen=True, slots=True)
class ConsoleModule:
    """A part of the console: its routes and the pages it adds to the menu."""

    name: str
    routes: Sequence[BaseRoute]
    pages: Sequence[Page] = ()


@dataclass(frozen=True, slots=True)
class NavSection:
    """One group of the menu as an actor sees it."""

    section: Section
    label: str
    pages: tuple[Page, ...]


@dataclass(slots=True)
class PageRegistry:
    """The registered pages."""

    pages: dict[str, Page] = field(default_factory=dict)

    def register(self, pages: Iterable[Page]) -> None:
        """Add pages. Raises ``ValueError`` for a key or path registered twice."""
        for page in pages:
            if page.key in self.pages:
                raise ValueError(f"console page {page.key!r} is registered twice")
            if any(known.path == page.path for known in self.pages.values()):
                raise ValueError(f"console path {page.path!r} is registered twice")
            self.pages[page.key] = page

    def get(self, key: str) -> Page | None:
        """The page ``key`` if it is registered."""
        return self.pages.get(key)

    def navigation(self, actor: Actor) -> list[NavSection]:
        """The menu of ``actor``: registered pages offered to them, by section and order."""
        sections: list[NavSection] = []
        for section in Section:
            visible = sorted(
                (
                    page
                    for page in self.pages.values()
                    if page.section is section and page.offered_to(actor)
                ),
                key=lambda page: (page.order, page.key),
            )
            if visible:
                sections.append(NavSection(section, SECTION_LABELS[section], tuple(visible)))
        return sections
