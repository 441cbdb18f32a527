"""Find, verify and (if allowed) download the files a dataset loader reads.

Where a file is looked for, in order:

1. the ``data_dir=`` argument of the loader, else the folder named by ``$CHAINRULE_DATA``;
2. the cache folder ``$XDG_CACHE_HOME/chainrule/datasets`` (default ``~/.cache/chainrule/datasets``);
3. a download from the dataset's canonical source into that cache, unless ``$CHAINRULE_OFFLINE=1``.

Each dataset keeps its files in a sub-folder (``mnist/``, ``sst2/`` …) of those roots. Every file is
checked against its published sha256 before use; a file that is present but wrong is reported, never
silently replaced. A download is streamed to a temporary file beside its target, verified, then moved
into place with :func:`os.replace`, so a target path only ever holds a complete, verified file.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

# hashlib, tempfile, urllib, tarfile and zipfile are imported where used: they cost ~0.1 s of
# `import chainrule` (urllib.request pulls in http.client, ssl and email) and most programs never
# download or unpack a file.

DOWNLOAD_TIMEOUT_S = 30.0
_log = logging.getLogger("chainrule.datasets")
_CHUNK = 1 << 20


class DatasetError(Exception):
    """Base class of every error a dataset loader raises about its files."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A file is in none of the searched folders and could not be downloaded."""


class ChecksumError(DatasetError, ValueError):
    """A file's sha256 differs from the published one."""


class CorruptFileError(DatasetError, ValueError):
    """A file (or downloaded archive) cannot be read: truncated, wrong format or wrong size."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset.

    ``name`` is its path inside the dataset's folder, ``sha256``/``size`` its published checksum and
    byte count, ``url`` its canonical source. When the source is an archive, ``member`` names the file
    inside it (the archive itself is not kept: the member is extracted, verified and moved into place).
    """

    name: str
    sha256: str
    size: int
    url: str
    member: str | None = None


def cache_root() -> Path:
    """The download cache: ``$XDG_CACHE_HOME/chainrule/datasets`` or ``~/.cache/chainrule/datasets``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chainrule" / "datasets"


def offline() -> bool:
    """True when ``$CHAINRULE_OFFLINE`` forbids downloads (any value but '', '0', 'false', 'no')."""
    return os.environ.get("CHAINRULE_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def search_roots(data_dir: str | os.PathLike | None) -> list[Path]:
    """The folders searched, in order: ``data_dir`` (or ``$CHAINRULE_DATA``), then the cache."""
    roots: list[Path] = []
    given = data_dir if data_dir is not None else os.environ.get("CHAINRULE_DATA") or None
    if given is not None:
        roots.append(Path(given).expanduser())
    cache = cache_root()
    if cache not in roots:
        roots.append(cache)
    return roots


# Verified files, keyed by identity, so that loading a dataset twice hashes it once per process.
_verified: dict[tuple, str] = {}


def _file_key(path: Path) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _how_to_get(dataset: str, spec: RemoteFile, roots: list[Path]) -> str:
    source = spec.url + (f" (member {spec.member!r} of that archive)" if spec.member else "")
    return (
        f"To get it: download {source} and place it at {roots[0] / dataset / spec.name} "
        f"(or set CHAINRULE_DATA to a folder holding {dataset}/{spec.name}); "
        f"expected sha256 {spec.sha256}, {spec.size:,} bytes."
    )


def verify(
    path: Path, spec: RemoteFile, dataset: str, roots: list[Path], shown: str | None = None
) -> None:
    """Raise :class:`ChecksumError` unless ``path`` has the published size and sha256.

    ``shown`` describes the file in the message when ``path`` is a temporary name.
    """
    key = _file_key(path)
    if _verified.get(key) == spec.sha256:
        return
    size = key[1]
    digest = sha256_of(path) if size == spec.size else None
    if digest != spec.sha256:
        got = f"sha256 {digest}" if digest is not None else f"{size:,} bytes"
        advice = (
            "The download was incomplete or the source has changed; nothing was saved."
            if shown
            else "The file is corrupt, truncated or a different version; delete it and fetch it again."
        )
        raise ChecksumError(
            f"{dataset}: {shown or f'file {path}'} failed verification: expected sha256 "
            f"{spec.sha256} ({spec.size:,} bytes), got {got}. {advice} "
            f"{_how_to_get(dataset, spec, roots)}"
        )
    _verified[key] = spec.sha256


def locate(
    dataset: str, files: list[RemoteFile], data_dir: str | os.PathLike | None = None
) -> dict[str, Path]:
    """Paths of verified copies of ``files`` (dataset folder ``dataset``), downloading missing ones.

    Returns ``{spec.name: path}``. Raises :class:`DatasetNotFoundError` for a file that is nowhere
    and cannot be downloaded, :class:`ChecksumError` for a present but wrong file.
    """
    roots = search_roots(data_dir)
    found: dict[str, Path] = {}
    archives: dict[str, Path] = {}  # archive URL -> its downloaded copy, shared by its members
    try:
        for spec in files:
            for root in roots:
                candidate = root / dataset / spec.name
                if candidate.is_file():
                    verify(candidate, spec, dataset, roots)
                    found[spec.name] = candidate
                    break
            else:
                found[spec.name] = _download(dataset, spec, roots, archives)
    finally:
        for archive in archives.values():
            archive.unlink(missing_ok=True)
    return found


def _download(dataset: str, spec: RemoteFile, roots: list[Path], archives: dict[str, Path]) -> Path:
    """Download ``spec`` into the cache (verified, atomically renamed); returns its path."""
    if offline():
        raise DatasetNotFoundError(
            f"{dataset}: file {spec.name!r} not found (looked in {_looked(dataset, spec, roots)}) "
            f"and downloads are disabled by CHAINRULE_OFFLINE. {_how_to_get(dataset, spec, roots)}"
        )
    target = cache_root() / dataset / spec.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetNotFoundError(
            f"{dataset}: file {spec.name!r} not found (looked in {_looked(dataset, spec, roots)}) "
            f"and the cache folder {target.parent} cannot be created ({exc}); set XDG_CACHE_HOME "
            f"to a writable folder. {_how_to_get(dataset, spec, roots)}"
        ) from exc
    if spec.member is None:
        tmp = _fetch_url(dataset, spec, roots, target.parent)
    else:
        if spec.url not in archives:
            archives[spec.url] = _fetch_url(dataset, spec, roots, target.parent)
        tmp = _extract_member(archives[spec.url], spec, dataset, roots, target.parent)
    try:
        shown = f"the file {spec.name!r} downloaded from {spec.url}"
        verify(tmp, spec, dataset, roots, shown=shown)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _looked(dataset: str, spec: RemoteFile, roots: list[Path]) -> str:
    return ", ".join(str(r / dataset / spec.name) for r in roots)


def _temp_in(folder: Path, name: str) -> tuple[int, Path]:
    import tempfile

    from ..io.atomic import new_file_mode

    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    if hasattr(os, "fchmod"):  # the final file honours the umask, not mkstemp's 0600
        os.fchmod(fd, new_file_mode())
    return fd, Path(tmp_name)


def _fetch_url(dataset: str, spec: RemoteFile, roots: list[Path], folder: Path) -> Path:
    """Stream ``spec.url`` into a temporary file in ``folder``; returns its path."""
    import urllib.error
    import urllib.request

    fd, tmp = _temp_in(folder, spec.url.rsplit("/", 1)[-1] or "download")
    _log.info("%s: downloading %s into %s", dataset, spec.url, folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(spec.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    shutil.copyfileobj(response, out, _CHUNK)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise DatasetNotFoundError(
                    f"{dataset}: file {spec.name!r} not found (looked in "
                    f"{_looked(dataset, spec, roots)}) and the download from {spec.url} failed: "
                    f"{exc}. {_how_to_get(dataset, spec, roots)}"
                ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _extract_member(
    archive: Path, spec: RemoteFile, dataset: str, roots: list[Path], folder: Path
) -> Path:
    """Copy member ``spec.member`` of the downloaded ``archive`` (tar or zip) to a temporary file."""
    import tarfile
    import zipfile

    fd, tmp = _temp_in(folder, Path(spec.name).name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                if zipfile.is_zipfile(archive):
                    with zipfile.ZipFile(archive) as zf, zf.open(spec.member) as src:
                        shutil.copyfileobj(src, out, _CHUNK)
                else:
                    with tarfile.open(archive, "r:*") as tf:
                        src = tf.extractfile(spec.member)
                        if src is None:
                            raise KeyError(spec.member)
                        with src:
                            shutil.copyfileobj(src, out, _CHUNK)
            except (
                tarfile.TarError,
                zipfile.BadZipFile,
                gzip.BadGzipFile,
                zlib.error,
                KeyError,
                EOFError,
            ) as exc:
                raise CorruptFileError(
                    f"{dataset}: the archive downloaded from {spec.url} is truncated or corrupt, or "
                    f"lacks {spec.member!r} ({type(exc).__name__}: {exc}). "
                    f"{_how_to_get(dataset, spec, roots)}"
                ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
