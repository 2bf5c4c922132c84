"""``slurmgate serve``: run the gateway until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import gc
import importlib.util
import logging
import os
import resource
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from slurmgate import __version__
from slurmgate.auth.keys import ensure_key, load_key
from slurmgate.cli.common import CommandError, add_settings_options, settings_from
from slurmgate.cli.listen import open_listeners
from slurmgate.cli.tls import server_context
from slurmgate.config import Settings
from slurmgate.domain.errors import SlurmgateError

logger = logging.getLogger("slurmgate")

#: Seconds requests in flight get to finish once a stop is asked for.
GRACEFUL_SHUTDOWN_SECONDS = 10


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="run the REST gateway",
        description="Run the REST gateway until SIGTERM or SIGINT.",
    )
    parser.add_argument(
        "--listen",
        metavar="ADDR",
        help="':PORT' (every interface), 'HOST:PORT', '[::1]:PORT' or 'unix:/PATH' "
        "(SLURMGATE_LISTEN; default :6820)",
    )
    parser.add_argument(
        "--backend",
        metavar="NAME",
        help="'local': the embedded cluster (default); 'slurm': a real cluster through "
        "libslurm (SLURMGATE_BACKEND)",
    )
    parser.add_argument(
        "--allow-root",
        action="store_true",
        default=None,
        help="run even as root, which is refused otherwise (SLURMGATE_ALLOW_ROOT)",
    )
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="debug, info, warning or error (SLURMGATE_LOG_LEVEL; default info)",
    )
    add_settings_options(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(
        args,
        listen=args.listen,
        backend=args.backend,
        allow_root=args.allow_root,
        log_level=args.log_level,
    )
    _configure_logging(settings)
    if os.geteuid() == 0 and not settings.allow_root:
        raise CommandError(
            "slurmgate should not be run as the root user: run it as a dedicated user "
            "(see docs/deployment.md), or pass --allow-root (SLURMGATE_ALLOW_ROOT=true)"
        )
    try:
        if settings.backend == "local" and settings.auth.jwt_key is None:
            ensure_key(settings.jwt_key_path)
        load_key(settings.jwt_key_path)  # fail here, in one line, rather than inside the app
        # Imported late: `slurmgate token` and `version` need none of the web stack.
        from slurmgate.app import create_app

        ssl_context = server_context(settings.tls)
        app = create_app(settings)
        listeners = open_listeners(settings.listen)
    except SlurmgateError as exc:  # ConfigError mostly; whatever the backend refuses too
        raise CommandError(exc.description) from None

    import uvicorn

    from slurmgate.api.errors import envelope
    from slurmgate.cli.connection import gateway_protocol

    def render(error: SlurmgateError, path: str) -> tuple[int, bytes]:
        # Every refusal of the HTTP server itself is rendered here: count it for the metrics.
        if app.state.metrics is not None:
            app.state.metrics.connection_refused(_refusal(error))
        return envelope(error, app.state.backend.info, path)

    config = uvicorn.Config(
        app,
        loop="uvloop" if _importable("uvloop") else "asyncio",
        # uvicorn's httptools protocol, extended with the limits it lacks (cli/connection.py).
        http=gateway_protocol(settings.limits, render),
        # The client address is resolved by the gateway's own middleware, from
        # network.trusted_proxies only: uvicorn must not rewrite it first.
        proxy_headers=False,
        ssl_context_factory=(lambda _config, _default: ssl_context) if ssl_context else None,
        ws="none",
        lifespan="on",
        log_config=None,
        # uvicorn's own start and stop chatter only when debugging; its errors always.
        log_level="debug" if settings.log_level == "debug" else "warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = uvicorn.Server(config)
    _raise_file_limit(settings.limits.max_connections)
    logger.info(
        "slurmgate %s starting: backend=%s listen=%s%s state_dir=%s jwt_key=%s pid=%d",
        __version__,
        settings.backend,
        settings.listen,
        " (https)" if ssl_context else "",
        settings.state_dir,
        settings.jwt_key_path,
        os.getpid(),
    )
    with _stop_signals() as stop_requested:
        try:
            if not stop_requested:
                _tune_garbage_collector()
                server.run(sockets=listeners.sockets)
        finally:
            listeners.close()
    if not server.started and not stop_requested:
        raise CommandError("slurmgate did not start: see the errors above")
    logger.info("slurmgate stopped")
    return 0


@contextmanager
def _stop_signals() -> Iterator[list[int]]:
    """Note SIGTERM and SIGINT that arrive outside uvicorn's own handling.

    uvicorn handles both while it runs, then re-raises the signal to the handler that was in
    place before it: this one, so that the socket is cleaned up and the exit status is 0.
    """
    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _tune_garbage_collector() -> None:
    """Fewer, cheaper collections: each request allocates thousands of short-lived objects,
    and the default threshold (700) ran a collection every few requests, which showed in the
    99th percentile. What was made at start (modules, settings, the binding) is never
    collectable: frozen, later collections do not walk it."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def _configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        # Under systemd the journal stamps every line already (it sets JOURNAL_STREAM).
        stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
        handler.setFormatter(logging.Formatter(stamp + "%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    logger.setLevel(level)


def _refusal(error: SlurmgateError) -> str:
    """The reason label of a refusal by the HTTP server (cli/connection.py)."""
    from slurmgate.api.errors import HeadersTooLarge, RequestTimeout, ServerBusy

    if isinstance(error, ServerBusy):
        return "busy"
    if isinstance(error, RequestTimeout):
        return "header_timeout"
    if isinstance(error, HeadersTooLarge):
        return "headers_too_large"
    return "not_http"


#: Descriptors beyond the connections: listeners, the database, the audit log, jobs' pipes.
SPARE_FILES = 256


def _raise_file_limit(connections: int) -> None:
    """Raise the soft limit on open files as far as the hard one allows, up to what
    ``limits.max_connections`` needs (each connection, an event stream's too, is one); say so
    when even the hard limit is short (LimitNOFILE= in the systemd unit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft >= wanted:
        return
    raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if raised > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
    if raised < wanted:
        logger.warning(
            "open files are limited to %d: fewer than limits.max_connections (%d) plus %d; "
            "raise the limit (LimitNOFILE=) or lower limits.max_connections",
            raised,
            connections,
            SPARE_FILES,
        )


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
