"""Opening the socket's Unix listener safely: a private socket file that replaces nothing.

The Unix socket is bound under a temporary name, chmod 0600 and put in place with link(2),
which fails rather than replace anything that appeared meanwhile: we never clobber a file that
is not our stale socket, and the socket is never reachable with wider permissions (it is not
listening until it has its final mode). A socket path that answers a connect belongs to a live
daemon and is left alone.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket as stdsocket
import stat
from pathlib import Path

import trio

from lfr.errors import ConfigError, StateError

MAX_UNIX_PATH = 107  # sun_path is 108 bytes including the NUL


class SocketPathError(ConfigError):
    """The Unix socket path cannot be used (not a socket, too long, someone else's)."""


class SocketInUseError(StateError):
    """Another process is already serving on this Unix socket."""


def _clear_stale(path: Path) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise SocketPathError(f"{path} exists and is not a socket; refusing to replace it")
    if st.st_uid != os.getuid():
        raise SocketPathError(f"{path} belongs to another user; refusing to replace it")
    probe = stdsocket.socket(stdsocket.AF_UNIX, stdsocket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)  # stale: left by a daemon that died
        return
    except OSError as exc:
        raise SocketPathError(f"cannot probe existing socket {path}: {exc}") from exc
    finally:
        probe.close()
    raise SocketInUseError(f"{path} is in use by a running daemon")


async def open_unix_listener(path: Path, *, backlog: int = 128) -> tuple[trio.SocketListener, int]:
    """Listen on `path` (mode 0600). Returns the listener and the socket file's inode, so the
    owner can remove exactly its own socket at shutdown."""
    path = Path(os.path.abspath(path))  # noqa: ASYNC240 - joins with the cwd, no disk access
    if len(os.fsencode(path)) > MAX_UNIX_PATH:
        raise SocketPathError(f"socket path {path} is longer than {MAX_UNIX_PATH} bytes")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _clear_stale(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    sock = trio.socket.socket(stdsocket.AF_UNIX, stdsocket.SOCK_STREAM)
    try:
        await sock.bind(os.fspath(tmp))
        os.chmod(tmp, 0o600)
        sock.listen(backlog)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise SocketPathError(
                f"{path} appeared while starting; refusing to replace it"
            ) from None
        inode = os.lstat(path).st_ino
    except BaseException:
        sock.close()
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return trio.SocketListener(sock), inode


def remove_unix_socket(path: Path, inode: int) -> None:
    """Remove the socket file if it is still the one we created."""
    try:
        if os.lstat(path).st_ino == inode:
            path.unlink()
    except FileNotFoundError:
        pass


def is_peer_gone(exc: BaseException) -> bool:
    """Errors that just mean the client went away."""
    if isinstance(exc, (trio.BrokenResourceError, trio.ClosedResourceError)):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.ECONNRESET)
