"""The OpenAPI section for slurmgate's own paths (/slurmgate/v1/...), outside slurmrestd's.

Their answers carry the envelope (``meta``, ``errors``, ``warnings``) of ``envelope``, the
API version whose schemas the rest of the document already holds.
"""

from __future__ import annotations

from typing import Any

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
    }


TAG = {"name": "slurmgate", "description": "slurmgate's own methods: token refresh, revocation"}
