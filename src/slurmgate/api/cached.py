"""HTTP for responses served from the mirror: ETag and If-None-Match, gzip, freshness.

``X-Slurmgate-Data-Age`` says how many seconds old the data is (the time since the load that
found it current began); it never exceeds ``mirror.max_age`` while slurmctld answers.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from slurmgate.mirror import Rendered
from slurmgate.mirror.rendered import Parts

AGE_HEADER = "X-Slurmgate-Data-Age"
#: Smaller bodies are sent as they are: compressing them saves less than it costs.
GZIP_MIN_BYTES = 1024


class PartsResponse(Response):
    """A body sent in the parts it is kept in (a list's segments: mirror/pieces.py), one
    after the other, without joining them into one copy per answer."""

    def __init__(self, parts: Parts, headers: dict[str, str]) -> None:
        self.parts = parts
        length = str(sum(len(part) for part in parts))
        super().__init__(None, headers={**headers, "Content-Length": length},
                         media_type="application/json")  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        last = len(self.parts) - 1
        for i, part in enumerate(self.parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < last})


async def cached_response(request: Request, rendered: Rendered, age: float) -> Response:
    compress = rendered.length >= GZIP_MIN_BYTES and accepts_gzip(
        request.headers.get("accept-encoding", "")
    )
    etag = rendered.gzip_etag if compress else rendered.etag
    headers = {
        "ETag": etag,
        "Vary": "Accept-Encoding",
        # Per user (PrivateData) and changing by the second: clients revalidate, proxies
        # keep nothing.
        "Cache-Control": "private, no-cache",
        AGE_HEADER: f"{age:.3f}",
    }
    headers.update(rendered.headers)
    if matches(request.headers.get("if-none-match"), (rendered.etag, rendered.gzip_etag)):
        return Response(status_code=304, headers=headers)
    if compress:
        headers["Content-Encoding"] = "gzip"
        parts = await rendered.gzipped_parts()
    else:
        parts = rendered.parts
    if len(parts) > 1:
        return PartsResponse(parts, headers)
    return Response(parts[0], headers=headers, media_type="application/json")


def fresh_response(request: Request, body: bytes, age: float) -> Response:
    """A small response rendered per request: ETag from its bytes, no compression."""
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", AGE_HEADER: f"{age:.3f}"}
    if matches(request.headers.get("if-none-match"), (etag,)):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type="application/json")


def accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding admits gzip (``gzip;q=0`` refuses it)."""
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def matches(if_none_match: str | None, etags: tuple[str, ...]) -> bool:
    """RFC 9110's weak comparison of If-None-Match with the response's ETags."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.removeprefix("W/") in etags:
            return True
    return False
