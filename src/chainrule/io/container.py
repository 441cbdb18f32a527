"""The chainrule container: a zip archive of JSON documents and safetensors blobs.

Model files and checkpoints share this container. Reading it never runs code from the file: JSON is
parsed with :mod:`json`, arrays are decoded by ``safetensors.numpy.load`` (a format with no code in
it), and no pickle is involved anywhere. Before a byte is decompressed the archive is checked: only
known member names (no folders, no ``..``), no duplicates, bounded sizes and compression ratios.

Nested state (an optimiser's ``state_dict``, a training state) is stored as a JSON skeleton in which
every array is replaced by ``{"__array__": "<key>"}`` plus one safetensors blob holding the arrays,
see :func:`split_arrays` / :func:`join_arrays`.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write_with

MAX_JSON_BYTES = 64 * 2**20
"""Largest JSON member accepted (64 MiB)."""
MAX_TENSOR_BYTES = 16 * 2**30
"""Largest safetensors member accepted (16 GiB)."""
MAX_RATIO = 200
"""Largest uncompressed/compressed size ratio accepted for a deflated member (zip-bomb guard)."""


class ModelFileError(ValueError):
    """A model or checkpoint file that is malformed, truncated, tampered with or incompatible."""


# ----------------------------------------------------------------------------- archive
def write_archive(path: str | os.PathLike, members: dict[str, bytes]) -> Path:
    """Write ``members`` (name → bytes) as a zip at ``path``, atomically (temp file, fsync, rename).

    JSON members are deflated; safetensors members are stored as they are (they rarely compress).
    """

    def writer(f) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            for name, data in members.items():
                method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = method
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)

    return atomic_write_with(path, writer)


def read_archive(
    path: str | os.PathLike, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, bytes]:
    """Read a container, checking its table of contents before decompressing anything.

    ``allowed`` lists the member names this kind of file may hold, ``required`` those it must hold.
    Raises :class:`ModelFileError` for a missing, truncated or corrupted file, an unexpected or
    duplicated member, a member larger than the limits, or a CRC mismatch.
    """
    path = Path(path)
    allowed = set(allowed)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        zf = zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as exc:
        raise ModelFileError(
            f"{path}: not a chainrule file or truncated/corrupted zip archive ({exc})"
        ) from None
    out: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        for info in infos:
            name = info.filename
            if name not in allowed:
                raise ModelFileError(
                    f"{path}: unexpected member {name!r}; a chainrule file holds only "
                    f"{sorted(allowed)}"
                )
            if names.count(name) > 1:
                raise ModelFileError(f"{path}: member {name!r} appears more than once")
            limit = MAX_JSON_BYTES if name.endswith(".json") else MAX_TENSOR_BYTES
            if info.file_size > limit:
                raise ModelFileError(
                    f"{path}: member {name!r} is {info.file_size} bytes, over the {limit}-byte limit"
                )
            if (
                info.compress_type != zipfile.ZIP_STORED
                and info.file_size > 2**20
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise ModelFileError(f"{path}: member {name!r} has a suspicious compression ratio")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFileError(f"{path}: member {name!r} uses an unsupported compression")
        missing = [m for m in required if m not in names]
        if missing:
            raise ModelFileError(f"{path}: missing member(s) {missing}")
        for info in infos:
            try:
                data = zf.read(info)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                raise ModelFileError(
                    f"{path}: member {info.filename!r} is truncated or corrupted ({exc})"
                ) from None
            if len(data) != info.file_size:
                raise ModelFileError(f"{path}: member {info.filename!r} is truncated")
            out[info.filename] = data
    return out


# ----------------------------------------------------------------------------- JSON
def encode_json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys (NaN/Infinity rejected)."""
    return json.dumps(obj, indent=1, sort_keys=True, allow_nan=False).encode("utf-8")


def decode_json(data: bytes, what: str) -> Any:
    """Parse a JSON member; ``what`` names it in the error."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{what}: invalid JSON ({exc})") from None


# ----------------------------------------------------------------------------- tensors
def encode_tensors(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """Serialise name → array to safetensors bytes (arrays made contiguous only where needed)."""
    from .safetensors_ import st_numpy

    st = st_numpy()
    ready = {k: np.asarray(v, order="C") for k, v in arrays.items()}
    return st.save(ready, metadata=metadata)


def decode_tensors(data: bytes, what: str) -> dict[str, np.ndarray]:
    """Parse safetensors bytes into name → array; anything else (a pickle, garbage) is rejected."""
    from .safetensors_ import st_numpy

    st = st_numpy()
    try:
        return dict(st.load(data))
    except Exception as exc:  # noqa: BLE001 - SafetensorError has no stable import path
        head = data[:2]
        hint = (
            " (the bytes look like a Python pickle, which chainrule never loads)"
            if head[:1] == b"\x80"
            else ""
        )
        raise ModelFileError(f"{what}: not a valid safetensors blob: {exc}{hint}") from None


# ----------------------------------------------------------------------------- nested state
def split_arrays(obj: Any, prefix: str = "") -> tuple[Any, dict[str, np.ndarray]]:
    """Separate arrays from a nested structure of dicts/lists/scalars.

    Returns a JSON-ready skeleton (each array replaced by ``{"__array__": key}``, each dict with a
    non-string key by ``{"__items__": [[key, value], ...]}``, NumPy scalars by Python scalars) and
    the key → array mapping.
    """
    arrays: dict[str, np.ndarray] = {}

    def walk(x: Any, key: str) -> Any:
        if isinstance(x, np.ndarray):
            arrays[key] = np.asarray(x)
            return {"__array__": key}
        if hasattr(x, "data") and isinstance(x.data, np.ndarray):  # a Tensor
            arrays[key] = x.data
            return {"__array__": key}
        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, dict):
            if all(isinstance(k, str) for k in x) and "__array__" not in x and "__items__" not in x:
                return {k: walk(v, f"{key}.{k}" if key else k) for k, v in x.items()}
            items = []
            for i, (k, v) in enumerate(x.items()):
                k = k.item() if isinstance(k, np.generic) else k
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise TypeError(
                        f"split_arrays: unsupported dict key {k!r} at {key or '<root>'}"
                    )
                items.append([k, walk(v, f"{key}.{i}" if key else str(i))])
            return {"__items__": items}
        if isinstance(x, (list, tuple)):
            return [walk(v, f"{key}.{i}" if key else str(i)) for i, v in enumerate(x)]
        if x is None or isinstance(x, (str, int, float, bool)):
            return x
        raise TypeError(f"split_arrays: cannot store a {type(x).__name__} at {key or '<root>'}")

    return walk(obj, prefix), arrays


def join_arrays(skeleton: Any, arrays: dict[str, np.ndarray], what: str) -> Any:
    """Inverse of :func:`split_arrays`; a reference to a missing array raises ModelFileError."""

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            if set(x) == {"__array__"}:
                key = x["__array__"]
                if not isinstance(key, str) or key not in arrays:
                    raise ModelFileError(f"{what}: refers to array {key!r}, which the file lacks")
                return arrays[key]
            if set(x) == {"__items__"}:
                items = x["__items__"]
                if not isinstance(items, list) or not all(
                    isinstance(p, list) and len(p) == 2 for p in items
                ):
                    raise ModelFileError(f"{what}: malformed '__items__' entry")
                return {k: walk(v) for k, v in items}
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(skeleton)
