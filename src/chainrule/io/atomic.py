"""Atomic file writing: a reader sees either the old file or the complete new one, never a mix.

The bytes go to a temporary file in the destination's folder, are flushed and ``fsync``-ed, and the
temporary file is renamed over the destination with ``os.replace`` (atomic on POSIX and Windows
within one file system); finally the folder itself is ``fsync``-ed so the rename survives a power
cut. A process killed at any point leaves the previous file intact (plus, at worst, a stray
``.<name>.*.tmp`` file that the next write in that folder ignores).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entry table (a no-op where the platform cannot open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    """The process's umask (read without changing it where /proc allows; else set and restored)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The permission bits ``open(path, "w")`` gives a new file: ``0o666 & ~umask``."""
    return 0o666 & ~_umask()


def _final_mode(path: Path) -> int:
    """The permission bits the written file gets: an existing file keeps its own; a new one gets
    ``0o666 & ~umask``, as ``open(path, "w")`` would give it (mkstemp's 0600 is only for the
    temporary file while it is being written)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return new_file_mode()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Context manager yielding a binary file whose content replaces ``path`` atomically on exit.

    If the block raises, the temporary file is removed and ``path`` is left untouched. The file's
    permissions honour the umask (new files) or stay those of the file it replaces.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _final_mode(path))
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path) as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_with(path: str | os.PathLike, writer: Callable[[BinaryIO], None]) -> Path:
    """Call ``writer(file)`` on a temporary binary file, then move it over ``path`` atomically."""
    with atomic_open(path) as f:
        writer(f)
    return Path(path)
