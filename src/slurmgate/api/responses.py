"""Responses: JSON rendered with orjson (rendering is a hot path for big job lists), and
answers whose head is made already."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response


class JSONResponse(Response):
    media_type = "application/json"

    def __init__(
        self,
        content: object,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(content, status_code=status_code, headers=headers)

    def render(self, content: object) -> bytes:
        # Every key slurmgate renders is a string: OPT_NON_STR_KEYS would cost 60% more here.
        return orjson.dumps(content)


class ReadyResponse(Response):
    """A response whose head is given as bytes already (answers from the mirror): Starlette's
    would lower-case and encode every header again, per request."""

    def __init__(
        self, body: bytes, raw_headers: list[tuple[bytes, bytes]], status_code: int = 200
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = raw_headers
