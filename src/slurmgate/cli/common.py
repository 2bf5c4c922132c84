"""What every subcommand shares: loading settings and reporting failures in one line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from slurmgate.config import Settings, load_settings
from slurmgate.domain.errors import ConfigError

#: Exit statuses: 1 the command failed, 2 it was used or configured wrongly (as argparse does).
EXIT_FAILURE = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A failure to report as one line on stderr, then exit with ``status``."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def report(message: str) -> None:
    print(f"slurmgate: error: {message}", file=sys.stderr)


def settings_from(args: argparse.Namespace, **flags: Any) -> Settings:
    """Settings from the file, the environment and these flags (None: not given)."""
    jwt_key: Path | None = getattr(args, "jwt_key", None)
    if jwt_key is not None:
        flags["auth"] = {"jwt_key": jwt_key}
    try:
        return load_settings(args.config, state_dir=args.state_dir, **flags)
    except ConfigError as exc:
        raise CommandError(exc.description, EXIT_USAGE) from None


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """The options ``serve`` and ``token`` share, so both find the same key."""
    parser.add_argument("--config", type=Path, metavar="FILE.toml", help="settings file (TOML)")
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="where the embedded cluster keeps its state and key (SLURMGATE_STATE_DIR)",
    )
    parser.add_argument(
        "--jwt-key",
        type=Path,
        metavar="FILE",
        help="HS256 key, Slurm's jwt_hs256.key (SLURMGATE_AUTH__JWT_KEY; "
        "default: STATE_DIR/jwt_hs256.key, created if missing)",
    )
