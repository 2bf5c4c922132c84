"""Local account lookups (passwd and group), the way slurmctld resolves a job's user."""

from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    uid: int
    gid: int
    home: str
    login_shell: str


def _from_pwd(entry: pwd.struct_passwd) -> UserInfo:
    return UserInfo(
        name=entry.pw_name,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        home=entry.pw_dir,
        login_shell=entry.pw_shell or "/bin/sh",
    )


def lookup_user(name: str) -> UserInfo | None:
    """The passwd entry of ``name``, or None when no such local user exists."""
    try:
        return _from_pwd(pwd.getpwnam(name))
    except KeyError:
        return None


def lookup_uid(uid: int) -> UserInfo | None:
    try:
        return _from_pwd(pwd.getpwuid(uid))
    except KeyError:
        return None


def current_user() -> UserInfo:
    """The account this process runs as; synthesised when it has no passwd entry (containers).

    Its home is ``$HOME`` when set, as for any program its user starts: that is where a shell
    of the same user would put ``~``, and where the jobs it runs as itself start.
    """
    uid = os.geteuid()
    home = os.environ.get("HOME")
    found = lookup_uid(uid)
    if found is not None:
        return replace(found, home=home) if home else found
    return UserInfo(
        name=os.environ.get("USER") or str(uid),
        uid=uid,
        gid=os.getegid(),
        home=home or "/",
        login_shell="/bin/sh",
    )


def uid_table(names: list[str], cache: dict[str, int], unknown: int) -> dict[str, int]:
    """The uid of each name (``unknown`` for a name without one), remembered in ``cache``."""
    for name in names:
        if name not in cache:
            found = lookup_user(name)
            cache[name] = found.uid if found else unknown
    return dict(cache)


def group_name(gid: int) -> str:
    """The group's name, or its number as text (what ``id`` prints for an unknown group)."""
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def running_as_root() -> bool:
    return os.geteuid() == 0
