"""``GET /`` (the page) and ``GET /web/{path}`` (its scripts, styles and images).

The files ship in the package (``static/``) and are read once, when the routes are made; each
answer carries a strong ``ETag`` (304 on ``If-None-Match``) and the page's security headers: a
Content-Security-Policy that allows the page's own files and requests to its own origin only,
no inline script or style, no framing, no referrer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slurmgate.domain import NotFound

STATIC = Path(__file__).parent / "static"
#: What the page may load and call: its own files, its own origin. No inline script or style,
#: no plugins, no <base>, no framing by other pages, forms posted nowhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
#: The audit log's action for the page and its files.
ACTION = "web"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


class WebAssets:
    """Every file under ``root`` with a known type, read into memory (they are small)."""

    def __init__(self, root: Path = STATIC) -> None:
        self.files: dict[str, Asset] = {}
        for path in sorted(root.rglob("*")):
            media_type = MEDIA_TYPES.get(path.suffix)
            if media_type is None or not path.is_file():
                continue
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            self.files[path.relative_to(root).as_posix()] = Asset(body, media_type, etag)

    def answer(self, request: Request, name: str) -> Response:
        request.state.action = ACTION
        if not request.app.state.settings.web.enabled:
            where = request.url.path
            raise NotFound(f"Unable to find path {where} (web.enabled is false)", source=where)
        asset = self.files.get(name)
        if asset is None:
            raise NotFound(f"Unable to find path {request.url.path}", source=request.url.path)
        headers = {
            **SECURITY_HEADERS,
            "ETag": asset.etag,
            # Revalidated at every load: a gateway upgrade shows its new page at once.
            "Cache-Control": "no-cache",
        }
        if asset.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)


def web_routes(assets: WebAssets | None = None) -> list[BaseRoute]:
    files = assets if assets is not None else WebAssets()

    async def page(request: Request) -> Response:
        return files.answer(request, "index.html")

    async def asset(request: Request) -> Response:
        return files.answer(request, request.path_params["path"])

    return [
        Route("/", page, methods=["GET"]),
        Route("/web/{path:path}", asset, methods=["GET"]),
    ]
