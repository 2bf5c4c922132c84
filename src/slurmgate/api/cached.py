"""HTTP for responses served from the mirror: ETag and If-None-Match, gzip, freshness.

``X-Slurmgate-Data-Age`` says how many seconds old the data is (the time since the load that
found it current began); it never exceeds ``mirror.max_age`` while slurmctld answers.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from slurmgate.api.requests import header_values
from slurmgate.api.responses import ReadyResponse
from slurmgate.mirror import Rendered

AGE_HEADER = "X-Slurmgate-Data-Age"
#: Smaller bodies are sent as they are: compressing them saves less than it costs.
GZIP_MIN_BYTES = 1024


async def cached_response(request: Request, rendered: Rendered) -> Response:
    headers = header_values(request.scope)
    compressible = len(rendered.body) >= GZIP_MIN_BYTES
    compress = compressible and accepts_gzip(headers.get("accept-encoding", ""))
    etag = rendered.gzip_etag if compress else rendered.etag
    head = [
        (b"etag", etag.encode("latin-1")),
        # Per user (PrivateData) and changing by the second: clients revalidate, proxies
        # keep nothing.
        _NO_CACHE,
        (_AGE, b"%.3f" % rendered.age),
    ]
    if compressible:  # smaller bodies are the same whatever the client accepts
        head.append(_VARY)
    head.extend(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in rendered.headers
    )
    if matches(headers.get("if-none-match"), (rendered.etag, rendered.gzip_etag)):
        return ReadyResponse(b"", head, 304)
    if compress:
        head.append(_GZIP)
        body = await rendered.gzipped()
    else:
        body = rendered.body
    head.append((b"content-length", b"%d" % len(body)))
    head.append(_JSON)
    return ReadyResponse(body, head)


_AGE = AGE_HEADER.lower().encode()
_NO_CACHE = (b"cache-control", b"private, no-cache")
_VARY = (b"vary", b"Accept-Encoding")
_GZIP = (b"content-encoding", b"gzip")
_JSON = (b"content-type", b"application/json")


def fresh_response(request: Request, body: bytes, age: float) -> Response:
    """A small response rendered per request: ETag from its bytes, no compression."""
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", AGE_HEADER: f"{age:.3f}"}
    if matches(header_values(request.scope).get("if-none-match"), (etag,)):
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
