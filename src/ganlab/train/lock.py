"""A run folder's lock: one writer at a time (train, resume, overwrite), readers always welcome.

The lock is an OS advisory lock (``fcntl.flock``) on ``FOLDER/.lock``, a file holding the PID
of its holder as text. The kernel drops it when the holder's file descriptor closes — on
exit, on an exception and on SIGKILL alike — so a killed run never leaves a stale lock, and a
lock file left behind by a dead process is simply taken again. Read-only commands (eval,
sample, report) never take it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from ganlab.errors import GanlabError

NAME = ".lock"


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "another process"
    return f"process {text}" if text.isdigit() else "another process"


class FolderLock:
    """The exclusive lock of ``folder`` (its ``.lock`` file); ``release()`` or ``with`` ends it."""

    def __init__(self, folder: str | Path, fd: int) -> None:
        self.folder, self.fd = Path(folder), fd

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def held(self) -> bool:
        return self.fd >= 0

    def release(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def try_lock(folder: str | Path) -> FolderLock | None:
    """The lock of ``folder`` if no other process holds it, else None (the folder must exist)."""
    path = Path(folder) / NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        # the file may have been replaced (its folder renamed or deleted) between open and lock:
        # a lock on an inode nobody else will open again guards nothing, so try again
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
        if not Path(folder).is_dir():
            raise FileNotFoundError(errno.ENOENT, "folder vanished", str(folder))
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return FolderLock(folder, fd)


def lock_folder(folder: str | Path, what: str = "run folder") -> FolderLock:
    """The lock of ``folder``, or a one-line GanlabError naming the PID that holds it."""
    folder = Path(folder)
    try:
        lock = try_lock(folder)
    except OSError as err:
        raise GanlabError(f"cannot lock {what} {folder}: {err.strerror or err}", "check that the folder exists and is writable") from None
    if lock is None:
        raise GanlabError(
            f"{what} {folder} is in use by {_holder(folder / NAME)} (it holds {folder / NAME})",
            "wait for it to finish or stop it, then try again; eval, sample and report work meanwhile",
        )
    return lock
