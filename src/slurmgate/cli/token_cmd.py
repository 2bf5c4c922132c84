"""``slurmgate token``: print ``SLURM_JWT=<token>`` as ``scontrol token`` does.

So ``export $(slurmgate token lifespan=3600)`` works unchanged. The token is signed locally
with the gateway's key (the primary rotation key when there is one), so only users who can
read the key can mint one; as slurmctld does, only root and administrators may mint a token for
someone else. ``slurmgate token revoke`` and ``slurmgate token list-revoked`` manage the
revocation list a running gateway reads within a second.
"""

from __future__ import annotations

import argparse
import os
import pwd
import sys
import time
from typing import Any

from slurmgate.auth.keyring import format_time
from slurmgate.auth.keys import ensure_key
from slurmgate.auth.revocation import RevocationStore, keep_until, parse_before
from slurmgate.auth.setup import build_issuer, load_keyring, revocation_path
from slurmgate.auth.tokens import INFINITE_LIFESPAN
from slurmgate.cli.common import EXIT_USAGE, CommandError, add_settings_options, settings_from
from slurmgate.config import Settings
from slurmgate.domain.errors import ConfigError, InvalidRequest


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "token",
        help="print a JWT for the REST API, as `scontrol token`",
        description=(
            "Print SLURM_JWT=<token> for the REST API, as `scontrol token` does: "
            "use it as `export $(slurmgate token lifespan=3600)`. "
            "`slurmgate token revoke jti=ID` revokes one token, "
            "`slurmgate token revoke username=NAME [before=UNIXTIME|now]` every token of a user "
            "issued before then, `slurmgate token list-revoked` shows what is revoked."
        ),
    )
    parser.add_argument(
        "options",
        nargs="*",
        metavar="username=NAME|lifespan=SECONDS",
        help="whom the token is for (default: you; others only for root and admins) and "
        "how many seconds it lives (default: auth.default_lifespan, 1800; at most "
        "auth.max_lifespan), or 'infinite'; or `revoke ...`, `list-revoked`",
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
    words: list[str] = args.options
    if words and words[0] == "revoke":
        return _revoke(args, words[1:])
    if words and words[0] == "list-revoked":
        if len(words) > 1:
            raise CommandError(f"list-revoked takes no options, not {words[1]!r}", EXIT_USAGE)
        return _list_revoked(args)
    return _mint(args, words)


def _mint(args: argparse.Namespace, options: list[str]) -> int:
    username, lifespan, lifespan_given = parse_options(options)
    settings = settings_from(args)
    caller, privileged = _caller(settings)
    user = username or caller
    if user != caller and not privileged:
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
        issuer = build_issuer(settings, load_keyring(settings))
    except ConfigError as exc:
        raise CommandError(exc.description) from None
    try:
        issued = issuer.issue(user, lifespan, infinite=lifespan_given and lifespan is None)
    except InvalidRequest as exc:
        raise CommandError(exc.description, EXIT_USAGE) from None
    print(f"SLURM_JWT={issued.token}")
    return 0


def _caller(settings: Settings) -> tuple[str, bool]:
    """Who runs the command, and whether they may act for others (root or an admin)."""
    euid = os.geteuid()
    try:
        caller = pwd.getpwuid(euid).pw_name
    except KeyError:
        raise CommandError(f"uid {euid} has no user name: cannot tell who is asking") from None
    return caller, euid == 0 or caller in settings.auth.admins


def _revoke(args: argparse.Namespace, options: list[str]) -> int:
    fields: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        key = key.lower()
        if not sep or key not in ("jti", "username", "before") or key in fields or not value:
            raise CommandError(
                f"invalid option: `{option}` (expected jti=ID, or username=NAME "
                "[before=UNIXTIME|now])",
                EXIT_USAGE,
            )
        fields[key] = value
    if ("jti" in fields) == ("username" in fields) or ("jti" in fields and "before" in fields):
        raise CommandError(
            "revoke needs either jti=ID, or username=NAME [before=UNIXTIME|now]", EXIT_USAGE
        )
    now = time.time()
    before = 0
    if "username" in fields:
        # Words first, whoever runs it: a misuse is a usage error (2) for anyone.
        try:
            before = parse_before(fields.get("before", "now"), now)
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
    settings = settings_from(args)
    caller, privileged = _caller(settings)
    if "username" in fields and fields["username"] != caller and not privileged:
        raise CommandError(
            f"user {caller} may not revoke the tokens of user {fields['username']}: "
            "only root and administrators (auth.admins) may"
        )
    store = _open_store(settings)
    try:
        if "jti" in fields:
            # A token's id is random: whoever knows it has held the token, so anyone may.
            expires = keep_until(settings.auth.max_lifespan, settings.auth.leeway, now)
            store.revoke_token(fields["jti"], by=caller, expires_at=expires)
            print(f"revoked token {fields['jti']}")
        else:
            entry = store.revoke_user(fields["username"], before, by=caller)
            print(
                f"revoked the tokens of user {entry.user} issued before "
                f"{format_time(entry.before)} ({entry.before})"
            )
    except ConfigError as exc:
        raise CommandError(exc.description) from None
    finally:
        store.close()
    return 0


def _list_revoked(args: argparse.Namespace) -> int:
    store = _open_store(settings_from(args))
    try:
        tokens, users = store.entries()
    finally:
        store.close()
    print(f"{'KIND':<6}{'SUBJECT':<26}{'UNTIL/BEFORE':<22}{'REVOKED AT':<22}BY")
    for user in users:
        print(
            f"{'user':<6}{user.user:<26}{format_time(user.before):<22}"
            f"{format_time(user.revoked_at):<22}{user.revoked_by}"
        )
    for token in tokens:
        until = format_time(token.expires_at) if token.expires_at is not None else "-"
        print(
            f"{'jti':<6}{token.jti:<26}{until:<22}"
            f"{format_time(token.revoked_at):<22}{token.revoked_by}"
        )
    return 0


def _open_store(settings: Settings) -> RevocationStore:
    try:
        return RevocationStore(revocation_path(settings))
    except ConfigError as exc:
        raise CommandError(exc.description) from None
