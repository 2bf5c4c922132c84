"""Opening a job's output file for a user: never a file that user could not read themselves.

The gateway runs as root or as a service user that can read more than the user asking. So the
file is opened step by step from ``/``, each directory without following a symbolic link, and
each checked for the user's search permission; the file itself is opened with O_NOFOLLOW (a
job could have replaced its output with a link to somebody else's file), then ``fstat``-ed:
it must be a regular file the user may read by its owner, group and mode, and by its access
ACL when it has one. Directories above the file are the real ones (``realpath``): a link in
the job's path to its directory is followed as the user's own open would follow it, but each
directory reached is checked.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
import struct
from dataclasses import dataclass

from slurmgate.domain import Conflict, NotFound, PermissionDenied

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO put in the output's place must not hang the gateway's open.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
READ, SEARCH = 4, 1
_ACL = "system.posix_acl_access"
# linux/posix_acl_xattr.h: a version, then (tag, permissions, id) entries.
_ACL_HEADER, _ACL_ENTRY = struct.Struct("<I"), struct.Struct("<HHI")
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    uid: int
    gids: frozenset[int]


def identity(user: str) -> Identity:
    """``user``'s uid and groups on this host, as the kernel would check them for their open."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise PermissionDenied(
            f"User {user} is unknown on the gateway's host: which files they may read cannot "
            "be told"
        ) from None
    gids = {entry.pw_gid, *os.getgrouplist(user, entry.pw_gid)}
    return Identity(user, entry.pw_uid, frozenset(gids))


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _acl_allows(data: bytes, info: os.stat_result, who: Identity, want: int) -> bool:
    """POSIX.1e's access check against an access ACL (the mode's group bits are its mask)."""
    entries: list[tuple[int, int, int]] = [
        _ACL_ENTRY.unpack_from(data, at) for at in range(4, len(data), _ACL_ENTRY.size)
    ]
    mask = next((perm for tag, perm, _ in entries if tag == _MASK), 7)
    if info.st_uid == who.uid:
        return any(tag == _USER_OBJ and perm & want == want for tag, perm, _ in entries)
    named = [perm for tag, perm, uid in entries if tag == _USER and uid == who.uid]
    if named:
        return bool(named[0] & mask & want == want)
    groups = [
        perm
        for tag, perm, gid in entries
        if (tag == _GROUP_OBJ and info.st_gid in who.gids) or (tag == _GROUP and gid in who.gids)
    ]
    if groups:
        return any(perm & mask & want == want for perm in groups)
    return any(tag == _OTHER and perm & want == want for tag, perm, _ in entries)


def allows(fd: int, info: os.stat_result, who: Identity, want: int) -> bool:
    """Whether ``who`` has ``want`` (READ, SEARCH) on the open file ``fd``."""
    if who.uid == 0:
        return True
    try:
        # Through /proc: an O_PATH descriptor has no xattrs of its own to read.
        data = os.getxattr(f"/proc/self/fd/{fd}", _ACL)
    except OSError:
        data = b""
    if len(data) >= _ACL_HEADER.size + _ACL_ENTRY.size:
        return _acl_allows(data, info, who, want)
    mode = info.st_mode
    if info.st_uid == who.uid:
        bits = mode >> 6
    elif info.st_gid in who.gids:
        bits = mode >> 3
    else:
        bits = mode
    return bits & want == want


def _refused(path: str, exc: OSError, who: Identity) -> Exception:
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return NotFound(f"{path} does not exist on the gateway's host", source="output")
    if isinstance(exc, PermissionError) and who.uid == os.geteuid():
        # The gateway runs as the job's user: what it may not open, the user may not read.
        return PermissionDenied(f"User {who.name} may not read {path}", source="output")
    return Conflict(
        f"The gateway cannot open {path}: {exc.strerror} (it must run where the job's "
        "output is, as a user that may read it)",
        source="output",
    )


def _open_directory(real: str, who: Identity) -> int:
    """The directory ``real`` (a real path), each step checked for ``who``'s search right."""
    fd = os.open("/", _DIR_FLAGS)
    walked = "/"
    try:
        for part in [*(p for p in real.split("/") if p), None]:
            if not allows(fd, os.fstat(fd), who, SEARCH):
                raise PermissionDenied(f"User {who.name} may not search {walked}", source="output")
            if part is None:
                return fd
            following = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = following
            walked = os.path.join(walked, part)
    except BaseException:
        os.close(fd)
        raise
    raise AssertionError("unreachable")  # the loop returns at its last step


def open_for(path: str, who: Identity) -> tuple[int, os.stat_result]:
    """``path`` opened for reading on behalf of ``who``: the descriptor and its status."""
    directory, name = os.path.split(path)
    if not path.startswith("/") or not name:
        raise Conflict(f"The job's output path {path!r} is not a file's absolute path")
    try:
        parent = _open_directory(os.path.realpath(directory), who)
        try:
            file = os.open(name, _FILE_FLAGS, dir_fd=parent)
        finally:
            os.close(parent)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PermissionDenied(
                f"{path} is a symbolic link: the gateway does not follow it", source="output"
            ) from None
        raise _refused(path, exc, who) from None
    try:
        info = os.fstat(file)
        if not stat.S_ISREG(info.st_mode):
            raise Conflict(f"{path} is not a regular file", source="output")
        if not allows(file, info, who, READ):
            raise PermissionDenied(
                f"User {who.name} may not read {path} (owner {user_name(info.st_uid)}, group "
                f"{group_name(info.st_gid)}, mode {stat.filemode(info.st_mode)})",
                source="output",
            )
    except BaseException:
        os.close(file)
        raise
    return file, info


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
