"""Which API version to speak, from the server's own OpenAPI document.

Every slurmrestd serves its document at ``/openapi/v3`` (older ones at ``/openapi``), and
slurmgate does too: the paths it lists say which versions the server offers. The client
speaks the newest version it knows that the server offers, separately for ``/slurm/`` and
``/slurmdb/`` (a server may offer accounting in other versions, or none). The paths of
slurmgate's own endpoints (``/slurmgate/v1/events``) tell slurmgate from a plain slurmrestd.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from slurmgate.cli.client.errors import ClientError, ServerError, UsageError
from slurmgate.cli.client.transport import Transport

#: The versions this client speaks, newest first: the data_parser family, then 22.05's.
KNOWN = tuple(f"v0.0.{n}" for n in (45, 44, 43, 42, 41, 40, 38, 37, 36))
EVENTS = "/slurmgate/v1/events"
OUTPUT = "/slurmgate/v1/job/{job_id}/output"
_VERSIONED = re.compile(r"^/(slurm|slurmdb)/(v\d+\.\d+\.\d+)/")


def legacy(version: str) -> bool:
    """Whether ``version`` is of slurmrestd 22.05's family (v0.0.36-38), not the data_parser's."""
    return version in ("v0.0.36", "v0.0.37", "v0.0.38")


@dataclass(frozen=True)
class Server:
    url: str
    #: The version spoken to ``/slurm/``.
    version: str
    #: The version spoken to ``/slurmdb/``; None where the server offers no accounting.
    accounting: str | None
    #: Whether the server has slurmgate's own endpoints (event stream, job output).
    events: bool
    output: bool

    @property
    def legacy(self) -> bool:
        return legacy(self.version)

    @property
    def slurmgate(self) -> bool:
        """Whether the server is slurmgate, whose ``GET jobs`` also takes filters."""
        return self.events or self.output


def discover(transport: Transport, wanted: str | None = None) -> Server:
    document = _document(transport)
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        raise ClientError(f"{transport.url} answered no OpenAPI document: is it slurmrestd?")
    return choose(transport.url, paths, wanted)


def choose(url: str, paths: Iterable[str], wanted: str | None = None) -> Server:
    """What to speak to a server whose document lists ``paths``: ``wanted``, or the newest."""
    paths = set(paths)
    offered: dict[str, set[str]] = {"slurm": set(), "slurmdb": set()}
    for path in paths:
        found = _VERSIONED.match(path)
        if found:
            offered[found.group(1)].add(found.group(2))
    if wanted is not None:
        if wanted not in KNOWN:
            raise UsageError(f"unknown API version {wanted!r} (known: {', '.join(KNOWN)})")
        if wanted not in offered["slurm"]:
            raise ClientError(
                f"the server does not offer {wanted} (it offers: {_listed(offered['slurm'])})"
            )
    version = wanted or next((v for v in KNOWN if v in offered["slurm"]), None)
    if version is None:
        raise ClientError(
            "the server offers none of the API versions this client speaks "
            f"({_listed(offered['slurm'])}; known: {', '.join(KNOWN)})"
        )
    # Accounting in the same version, else the newest of the same family, else the newest.
    accounting = next(
        (v for v in (version, *KNOWN) if v in offered["slurmdb"] and legacy(v) == legacy(version)),
        next((v for v in KNOWN if v in offered["slurmdb"]), None),
    )
    return Server(
        url=url,
        version=version,
        accounting=accounting,
        events=EVENTS in paths,
        output=OUTPUT in paths,
    )


def _document(transport: Transport) -> object:
    for path in ("/openapi/v3", "/openapi"):
        reply = transport.request("GET", path)
        if reply.status == 404:
            continue
        if reply.status in (401, 403):
            hint = "" if transport.settings.token else " (no token: set SLURM_JWT or --token)"
            raise ServerError(reply.status, reply.errors(), f"authentication refused{hint}")
        if reply.status >= 300:
            raise ServerError(reply.status, reply.errors(), f"GET {path}")
        return reply.json()
    raise ClientError(f"{transport.url} has no OpenAPI document (/openapi/v3): is it slurmrestd?")


def _listed(versions: set[str]) -> str:
    return ", ".join(sorted(versions)) or "none"
