"""The OpenAPI section for slurmgate's own paths (/slurmgate/v1/...), outside slurmrestd's.

Their answers carry the envelope (``meta``, ``errors``, ``warnings``) of ``envelope``, the
API version whose schemas the rest of the document already holds.
"""

from __future__ import annotations

from typing import Any

from slurmgate.api.openapi_push import push_paths
from slurmgate.api.token_routes import PREFIX
from slurmgate.auth.tokens import INFINITE_LIFESPAN

_JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def slurmgate_schemas(envelope: str) -> dict[str, Any]:
    def answer(description: str, properties: dict[str, Any], required: list[str]) -> Any:
        return {
            "type": "object",
            "description": description,
            "required": [*required, "errors"],
            "properties": {
                **properties,
                "meta": _ref(f"{envelope}_meta"),
                "errors": {"type": "array", "items": _ref(f"{envelope}_error")},
                "warnings": {"type": "array", "items": _ref(f"{envelope}_warning")},
            },
        }

    return {
        # What every failure answers: the envelope alone, its errors filled in.
        "slurmgate_v1_failure": answer("a failure; see errors", {}, []),
        "slurmgate_v1_token_refresh_request": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "lifespan": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": INFINITE_LIFESPAN,
                    "description": "seconds the new token lives; default auth.default_lifespan, "
                    "at most auth.max_lifespan",
                }
            },
        },
        "slurmgate_v1_token_refresh_response": answer(
            "a new token for the caller's user",
            {
                "token": {"type": "string", "description": "the new JWT"},
                "expires_at": {"type": "integer", "description": "Unix time it expires"},
            },
            ["token", "expires_at"],
        ),
        "slurmgate_v1_token_revoke_request": {
            "type": "object",
            "additionalProperties": False,
            "description": 'either "jti", or "username" with an optional "before"',
            "properties": {
                "jti": {"type": "string", "description": "id of the token to revoke"},
                "username": {
                    "type": "string",
                    "description": "revoke this user's tokens issued before `before`",
                },
                "before": {
                    "oneOf": [{"type": "integer"}, {"type": "string", "enum": ["now"]}],
                    "description": 'Unix time, or "now" (the default)',
                },
            },
        },
        "slurmgate_v1_token_revoke_response": answer(
            "what is now revoked",
            {
                "revoked": {
                    "type": "object",
                    "properties": {
                        "jti": {"type": "string"},
                        "username": {"type": "string"},
                        "before": {"type": "integer"},
                        "revoked_at": {"type": "integer"},
                    },
                }
            },
            ["revoked"],
        ),
    }


def _operation(name: str, summary: str, description: str, request_required: bool) -> dict[str, Any]:
    response = {_JSON: {"schema": _ref(f"slurmgate_v1_{name}_response")}}
    return {
        "post": {
            "tags": ["slurmgate"],
            "operationId": f"slurmgate_v1_{name}",
            "summary": summary,
            "description": description,
            "requestBody": {
                "required": request_required,
                "content": {_JSON: {"schema": _ref(f"slurmgate_v1_{name}_request")}},
            },
            "responses": {
                "200": {"description": "success", "content": response},
                "default": {
                    "description": "failure; see errors",
                    "content": {_JSON: {"schema": _ref("slurmgate_v1_failure")}},
                },
            },
        }
    }


def slurmgate_paths() -> dict[str, Any]:
    return {
        f"{PREFIX}/token/refresh": _operation(
            "token_refresh",
            "trade a valid token for a new one",
            "Answers a new token for the same user, living `lifespan` seconds (never more "
            "than auth.max_lifespan). The old token stays valid until it expires.",
            request_required=False,
        ),
        f"{PREFIX}/token/revoke": _operation(
            "token_revoke",
            "revoke a token, or a user's tokens issued before a time",
            "Administrators only (403 otherwise). Every endpoint refuses a revoked token.",
            request_required=True,
        ),
        **push_paths(),
    }


TAG = {
    "name": "slurmgate",
    "description": "slurmgate's own methods: token refresh and revocation, job and node events, "
    "job output, metrics",
}


#: slurmgate's own query parameters of GET jobs: without them, slurmrestd's answer.
_JOB_FILTERS = {
    "users": "only jobs of these users (comma-separated names)",
    "accounts": "only jobs charged to these accounts (comma-separated)",
    "partitions": "only jobs in these partitions (comma-separated; a job pending in several "
    "partitions matches any of them)",
    "states": "only jobs in these base states (comma-separated, e.g. PENDING,RUNNING)",
    "job_ids": "only these jobs (comma-separated ids; an array's or a heterogeneous job's id "
    "selects all its parts)",
    "name": "only jobs with exactly this name",
}


def job_list_parameters() -> list[dict[str, Any]]:
    """GET jobs' filters and pagination (slurmgate's; additive to slurmrestd's API)."""
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"slurmgate: {description}",
            "schema": {"type": "string"},
        }
        for name, description in _JOB_FILTERS.items()
    ]
    params.append(
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "slurmgate: at most this many jobs, in job id order; the response's "
            "X-Slurmgate-Next-Cursor header (and Link rel=next) names the next page",
            "schema": {"type": "integer", "minimum": 1},
        }
    )
    params.append(
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "slurmgate: the X-Slurmgate-Next-Cursor of the previous page "
            "(opaque); send the same filters and limit with it",
            "schema": {"type": "string"},
        }
    )
    return params


def mirror_headers(*, paged: bool) -> dict[str, Any]:
    """Headers of answers served from slurmgate's shared mirror."""
    headers: dict[str, Any] = {
        "ETag": {
            "description": "identifies this body; send it in If-None-Match to get 304 while "
            "nothing changed",
            "schema": {"type": "string"},
        },
        "X-Slurmgate-Data-Age": {
            "description": "seconds since the data was known current (at most mirror.max_age "
            "while slurmctld answers)",
            "schema": {"type": "number"},
        },
    }
    if paged:
        headers["X-Slurmgate-Next-Cursor"] = {
            "description": "cursor of the next page; absent on the last page",
            "schema": {"type": "string"},
        }
        headers["Link"] = {
            "description": 'the next page\'s URL, rel="next"; absent on the last page',
            "schema": {"type": "string"},
        }
    return headers


#: Answer to If-None-Match naming the current ETag.
NOT_MODIFIED = {"description": "not modified: the ETag sent in If-None-Match is current"}
