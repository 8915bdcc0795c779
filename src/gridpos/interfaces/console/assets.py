"""The console's own stylesheet, and the front-end packages served from ``node_modules``
(installed by ``npm ci`` from the lockfile; never a CDN, nothing copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

_log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# the files a page may load, by the name it loads them under
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "htmx-ext-sse.min.js": "htmx-ext-sse/dist/sse.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
}
_CACHE = "public, max-age=86400"


def asset_routes(node_modules: Path | None) -> list[BaseRoute]:
    """``/static/…`` (ours) and ``/vendor/<name>`` (the pinned packages)."""
    if node_modules is None:
        _log.warning("console_node_modules_missing")

    async def vendor(request: Request) -> Response:
        name = request.path_params["name"]
        relative = VENDOR_FILES.get(name)
        if relative is None or node_modules is None:
            raise HTTPException(404)
        path = node_modules / relative
        if not path.is_file():
            raise HTTPException(404)
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": _CACHE})

    return [
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/vendor/{name}", vendor, methods=["GET"]),
    ]
