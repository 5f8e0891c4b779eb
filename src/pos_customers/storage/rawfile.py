"""Reading a database file's bytes without opening and closing it again in this process.

On POSIX systems closing *any* descriptor of a file drops every advisory lock this process holds on
it, including the locks SQLite's own connections rely on. A header check or a copy made with
``open()``/``close()`` while the app (or a test, or the command line) has the same file open lets
another process believe it holds the last connection: it checkpoints and deletes the WAL under our
feet, and the next write here is lost or reports "disk I/O error" / "database disk image is
malformed" (SQLite's "How To Corrupt An SQLite Database File", 2.2).

So when this process already has the file open, its bytes are read with ``pread`` on that
descriptor, and nothing is closed. Otherwise there are no locks to lose and the file is opened
plainly.
"""

from __future__ import annotations

import os
from pathlib import Path

_FD_DIRS = ("/proc/self/fd", "/dev/fd")
_CHUNK = 1 << 20


def open_descriptor(path: Path) -> int | None:
    """A descriptor this process already holds on ``path``'s file, or None (or where no descriptor
    list can be read: Windows, whose locks are not dropped by another handle's close)."""
    try:
        target = os.stat(path)
    except OSError:
        return None
    for folder in _FD_DIRS:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                st = os.stat(f"{folder}/{name}")
            except OSError:
                continue  # closed meanwhile, or the descriptor of the listing itself
            if st.st_ino == target.st_ino and st.st_dev == target.st_dev:
                return int(name)
        return None
    return None


def read_head(path: Path, size: int) -> tuple[bytes, int]:
    """The first ``size`` bytes of ``path`` and the file's length. Raises OSError like ``open``."""
    fd = open_descriptor(path)
    if fd is not None:
        try:
            return os.pread(fd, size, 0), os.fstat(fd).st_size
        except OSError:
            pass  # closed between the listing and the read: nothing of ours holds it now
    with open(path, "rb") as fh:
        return fh.read(size), os.fstat(fh.fileno()).st_size


def copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` (a new file) without closing a descriptor of ``src``'s file that
    SQLite in this process may hold locks through."""
    fd = open_descriptor(src)
    if fd is None:
        import shutil

        shutil.copyfile(src, dst)
        return
    with open(dst, "wb") as out:
        offset = 0
        while chunk := os.pread(fd, _CHUNK, offset):
            out.write(chunk)
            offset += len(chunk)
