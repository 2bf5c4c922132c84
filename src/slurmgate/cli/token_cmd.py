"""``slurmgate token``: print ``SLURM_JWT=<token>`` as ``scontrol token`` does.

So ``export $(slurmgate token lifespan=3600)`` works unchanged. The token is signed locally
with the gateway's key, so only users who can read the key can mint one; as slurmctld does,
only root and administrators may mint a token for someone else.
"""

from __future__ import annotations

import argparse
import os
import pwd
import sys
from typing import Any

from slurmgate.auth.keys import ensure_key, load_key
from slurmgate.auth.tokens import INFINITE_LIFESPAN, mint
from slurmgate.cli.common import EXIT_USAGE, CommandError, add_settings_options, settings_from
from slurmgate.domain.errors import ConfigError


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "token",
        help="print a JWT for the REST API, as `scontrol token`",
        description=(
            "Print SLURM_JWT=<token> for the REST API, as `scontrol token` does: "
            "use it as `export $(slurmgate token lifespan=3600)`."
        ),
    )
    parser.add_argument(
        "options",
        nargs="*",
        metavar="username=NAME|lifespan=SECONDS",
        help="whom the token is for (default: you; others only for root and admins) and "
        "how many seconds it lives (default: auth.default_lifespan, 1800), or 'infinite'",
    )
    add_settings_options(parser)


def parse_options(options: list[str]) -> tuple[str | None, int | None, bool]:
    """(username, lifespan, lifespan given) from scontrol-style ``key=value`` words."""
    username: str | None = None
    lifespan: int | None = None
    lifespan_given = False
    for option in options:
        key, sep, value = option.partition("=")
        key = key.lower()
        if sep and key == "username":
            if not value or any(c.isspace() for c in value):
                raise CommandError(f"invalid user name: {value!r}", EXIT_USAGE)
            username = value
        elif sep and key == "lifespan":
            lifespan = _parse_lifespan(value)
            lifespan_given = True
        else:
            raise CommandError(
                f"invalid option: `{option}` (expected username=NAME or lifespan=SECONDS)",
                EXIT_USAGE,
            )
    return username, lifespan, lifespan_given


def _parse_lifespan(value: str) -> int | None:
    if value.lower() in ("infinite", "unlimited"):
        return None
    if not value.isdigit() or not 0 < int(value) <= INFINITE_LIFESPAN:
        raise CommandError(
            f"invalid lifespan: {value!r} (expected 1..{INFINITE_LIFESPAN} seconds or 'infinite')",
            EXIT_USAGE,
        )
    return int(value)


def run(args: argparse.Namespace) -> int:
    username, lifespan, lifespan_given = parse_options(args.options)
    settings = settings_from(args)
    if not lifespan_given:
        lifespan = settings.auth.default_lifespan

    euid = os.geteuid()
    try:
        caller = pwd.getpwuid(euid).pw_name
    except KeyError:
        raise CommandError(
            f"uid {euid} has no user name: cannot tell whom the token is for"
        ) from None
    user = username or caller
    if user != caller and euid != 0 and caller not in settings.auth.admins:
        raise CommandError(
            f"user {caller} may not create a token for user {user}: "
            "only root and administrators (auth.admins) may"
        )

    key_path = settings.jwt_key_path
    try:
        if settings.backend == "local" and settings.auth.jwt_key is None and ensure_key(key_path):
            # stderr, so that `export $(slurmgate token)` still sees only the token.
            print(
                f"slurmgate: created a new JWT key {key_path}; a running slurmgate accepts "
                "this token only if it uses the same key",
                file=sys.stderr,
            )
        key = load_key(key_path)
    except ConfigError as exc:
        raise CommandError(exc.description) from None

    print(f"SLURM_JWT={mint(key, user, lifespan)}")
    return 0
