"""Jinja2 templates in both languages: one environment per locale, each with its catalog
installed (so rendering never swaps translations under another request's feet)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gridpos.interfaces.console.i18n import LOCALES, translations

TEMPLATE_DIR = Path(__file__).parent / "templates"
# the county's time (China keeps no summer time); shown times are local, stored times UTC
COUNTY_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` in the county's time, or a dash for none."""
    if moment is None:
        return "—"
    return moment.astimezone(COUNTY_TIME).strftime(pattern)


class Renderer:
    """Renders the console's templates in a locale."""

    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        loader = FileSystemLoader(str(template_dir))
        self._environments: dict[str, Environment] = {}
        for locale in LOCALES:
            environment = Environment(
                loader=loader,
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            environment.install_gettext_translations(  # type: ignore[attr-defined]
                translations(locale), newstyle=True
            )
            environment.filters["local_time"] = local_time
            self._environments[locale] = environment

    def render(self, locale: str, template: str, context: Mapping[str, Any]) -> str:
        """The template rendered in ``locale``."""
        return self._environments[locale].get_template(template).render(context)

    def gettext(self, locale: str, message: str) -> str:
        """``message`` translated into ``locale``."""
        return translations(locale).gettext(message)
