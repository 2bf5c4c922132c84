"""HTTP for responses served from the mirror: ETag and If-None-Match, gzip, freshness.

``X-Slurmgate-Data-Age`` says how many seconds old the data is (the time since the load that
found it current began); it never exceeds ``mirror.max_age`` while slurmctld answers.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from slurmgate.mirror import Rendered

AGE_HEADER = "X-Slurmgate-Data-Age"
#: Smaller bodies are sent as they are: compressing them saves less than it costs.
GZIP_MIN_BYTES = 1024


async def cached_response(request: Request, rendered: Rendered) -> Response:
    compress = len(rendered.body) >= GZIP_MIN_BYTES and accepts_gzip(
        request.headers.get("accept-encoding", "")
    )
    etag = rendered.gzip_etag if compress else rendered.etag
    headers = {
        "ETag": etag,
        "Vary": "Accept-Encoding",
        # Per user (PrivateData) and changing by the second: clients revalidate, proxies
        # keep nothing.
        "Cache-Control": "private, no-cache",
        AGE_HEADER: f"{rendered.age:.3f}",
    }
    headers.update(rendered.headers)
    if matches(request.headers.get("if-none-match"), (rendered.etag, rendered.gzip_etag)):
        return Response(status_code=304, headers=headers)
    if compress:
        headers["Content-Encoding"] = "gzip"
        body = await rendered.gzipped()
    else:
        body = rendered.body
    return Response(body, headers=headers, media_type="application/json")


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
