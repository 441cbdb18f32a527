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

import itertools
import json
import math
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write_with

MAX_JSON_BYTES = 4 * 2**20
"""Largest JSON member accepted (4 MiB: configs, optimizer skeletons and histories are far smaller)."""
MAX_TENSOR_BYTES = 16 * 2**30
"""Largest safetensors member accepted (16 GiB); it must also be *stored*, so its size is bounded
by the archive's own size on disk."""
MAX_RATIO = 200
"""Largest uncompressed/compressed size ratio accepted for a deflated member (zip-bomb guard)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays/objects accepted in a JSON member."""
MAX_INT_DIGITS = 64
"""Longest integer literal accepted in a JSON member (generator states need 39 digits)."""
TENSOR_DTYPES = frozenset({
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool",
})  # fmt: skip
"""The array dtypes a chainrule file may hold."""


class ModelFileError(ValueError):
    """A model or checkpoint file that is malformed, truncated, tampered with or incompatible.

    Every problem with a file's content raises this (never a bare KeyError, TypeError,
    RecursionError ...); the message names the file and the member/field at fault.
    """


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


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """Inflate one member, never producing more than its (already checked) declared size."""
    name = info.filename
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError,
            NotImplementedError, zlib.error) as exc:  # fmt: skip
        raise ModelFileError(f"{path}: member {name!r} is truncated or corrupted ({exc})") from None
    if len(data) != info.file_size:
        raise ModelFileError(
            f"{path}: member {name!r} holds {len(data)} bytes, its zip entry declares "
            f"{info.file_size}"
        )
    return data


def _check_directory(path: Path, most: int) -> None:
    """Read the end-of-central-directory record before zipfile parses the directory: a file
    claiming more entries than a chainrule file has, or a huge directory, is refused without
    building thousands of entries in memory."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - (2**16 + 22)))
            tail = f.read()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc})") from None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return  # zipfile reports the precise problem
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    directory = int.from_bytes(tail[at + 12 : at + 16], "little")
    if entries != 0xFFFF and entries > most:
        raise ModelFileError(f"{path}: {entries} members; a chainrule file holds at most {most}")
    if directory != 0xFFFFFFFF and directory > most * (46 + 64 + 2**10):
        raise ModelFileError(f"{path}: zip directory of {directory} bytes is far too large")


def read_archive(
    path: str | os.PathLike, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, bytes]:
    """Read a container, checking its table of contents before decompressing anything.

    ``allowed`` lists the member names this kind of file may hold, ``required`` those it must hold.
    Raises :class:`ModelFileError` for a missing, truncated or corrupted file, an unexpected or
    duplicated member, a member larger than the limits (JSON: ``MAX_JSON_BYTES``; safetensors:
    stored, at most ``MAX_TENSOR_BYTES`` and no larger than the archive), an encrypted member, a
    suspicious compression ratio, or a CRC mismatch.
    """
    path = Path(path)
    allowed = set(allowed)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    archive_bytes = path.stat().st_size
    _check_directory(path, len(allowed))
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError,
            OverflowError, struct.error) as exc:  # fmt: skip
        raise ModelFileError(
            f"{path}: not a chainrule file or truncated/corrupted zip archive ({exc})"
        ) from None
    out: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        if len(infos) > len(allowed):
            raise ModelFileError(
                f"{path}: {len(infos)} members; a chainrule file holds at most {len(allowed)} "
                f"({sorted(allowed)})"
            )
        names = [i.filename for i in infos]
        declared = 0
        for info in infos:
            name = info.filename
            if name not in allowed:
                raise ModelFileError(
                    f"{path}: unexpected member {name[:200]!r}; a chainrule file holds only "
                    f"{sorted(allowed)}"
                )
            if names.count(name) > 1:
                raise ModelFileError(f"{path}: member {name!r} appears more than once")
            if info.flag_bits & 0x1:
                raise ModelFileError(f"{path}: member {name!r} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFileError(f"{path}: member {name!r} uses an unsupported compression")
            is_json = name.endswith(".json")
            limit = MAX_JSON_BYTES if is_json else MAX_TENSOR_BYTES
            if info.file_size > limit:
                raise ModelFileError(
                    f"{path}: member {name!r} is {info.file_size} bytes, over the {limit}-byte limit"
                )
            if info.compress_size > archive_bytes:
                raise ModelFileError(
                    f"{path}: member {name!r} declares {info.compress_size} compressed bytes, "
                    f"more than the whole {archive_bytes}-byte file"
                )
            if not is_json and info.compress_type != zipfile.ZIP_STORED:
                raise ModelFileError(
                    f"{path}: member {name!r} is compressed; chainrule stores tensor members "
                    "uncompressed"
                )
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise ModelFileError(
                    f"{path}: stored member {name!r} declares {info.file_size} bytes but "
                    f"occupies {info.compress_size}"
                )
            if (
                info.compress_type != zipfile.ZIP_STORED
                and info.file_size > 2**16
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise ModelFileError(f"{path}: member {name!r} has a suspicious compression ratio")
            declared += info.compress_size
        if declared > archive_bytes:
            raise ModelFileError(
                f"{path}: members declare {declared} bytes, more than the {archive_bytes}-byte file"
            )
        missing = [m for m in required if m not in names]
        if missing:
            raise ModelFileError(f"{path}: missing member(s) {missing}")
        for info in infos:
            out[info.filename] = _read_member(zf, info, path)
    return out


# ----------------------------------------------------------------------------- JSON
def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _json_constant(text: str):
    raise ValueError(f"{text} is not valid JSON (write non-finite numbers as strings)")


def _json_object(pairs: list) -> dict:
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k[:100]!r}")
        out[k] = v
    return out


_LONG_NUMBER = re.compile(f"[0-9]{{{MAX_INT_DIGITS + 1}}}")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_depth_ok(text: str, limit: int) -> bool:
    """Whether ``text``'s nesting of [ and { stays within ``limit`` (brackets in strings ignored)."""
    if text.count("[") + text.count("{") <= limit:
        return True
    codes = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8"), dtype=np.uint8)
    step = np.isin(codes, (0x5B, 0x7B)).astype(np.int64) - np.isin(codes, (0x5D, 0x7D))
    return not step.size or int(np.cumsum(step).max()) <= limit


NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
"""How JSON members (and the CLI's history/metrics JSON) write non-finite numbers: as these
strings, since strict JSON has no NaN or Infinity."""


def float_to_json(value: float) -> float | str:
    """A float, or ``"nan"``/``"inf"``/``"-inf"`` when it is not finite."""
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def float_from_json(value: Any, what: str) -> float:
    """Inverse of :func:`float_to_json`; anything else raises ModelFileError naming ``what``."""
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelFileError(
            f"{what} must be a number (or 'nan', 'inf', '-inf'), got {value!r:.60}"
        )
    return float(value)


def encode_json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys (NaN/Infinity rejected)."""
    return json.dumps(obj, indent=1, sort_keys=True, allow_nan=False).encode("utf-8")


def decode_json(data: bytes, what: str) -> Any:
    """Parse a JSON member strictly; ``what`` names it in the error.

    Rejected: invalid UTF-8 or JSON, ``NaN``/``Infinity`` and numbers that overflow a float
    (``1e400``), integers longer than ``MAX_INT_DIGITS`` digits, duplicate keys, nesting deeper
    than ``MAX_JSON_DEPTH``.
    """
    if len(data) > MAX_JSON_BYTES:
        raise ModelFileError(f"{what}: {len(data)} bytes, over the {MAX_JSON_BYTES}-byte limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{what}: invalid JSON (not UTF-8: {exc})") from None
    if _LONG_NUMBER.search(text) and _LONG_NUMBER.search(_JSON_STRING.sub('""', text)):
        raise ModelFileError(f"{what}: invalid JSON (a number longer than {MAX_INT_DIGITS} digits)")
    if not _json_depth_ok(text, MAX_JSON_DEPTH):
        raise ModelFileError(f"{what}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        obj = json.loads(
            text,
            parse_float=_json_float,
            parse_constant=_json_constant,
            object_pairs_hook=_json_object,
        )
    except (json.JSONDecodeError, ValueError, RecursionError, OverflowError) as exc:
        raise ModelFileError(f"{what}: invalid JSON ({exc})") from None
    return obj


# ----------------------------------------------------------------------------- tensors
def encode_tensors(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """Serialise name → array to safetensors bytes (arrays made contiguous only where needed)."""
    from .safetensors_ import st_numpy

    st = st_numpy()
    ready = {k: np.asarray(v, order="C") for k, v in arrays.items()}
    return st.save(ready, metadata=metadata)


_ST_DTYPES = {
    "F16": "float16", "F32": "float32", "F64": "float64", "I8": "int8", "I16": "int16",
    "I32": "int32", "I64": "int64", "U8": "uint8", "U16": "uint16", "U32": "uint32",
    "U64": "uint64", "BOOL": "bool",
}  # fmt: skip


def tensor_header(data: bytes, what: str) -> dict[str, tuple[tuple[int, ...], str]]:
    """Name → (shape, dtype) from a safetensors blob's header, read without touching the data.

    Checks what the header declares against the bytes actually there: each tensor's byte range
    lies inside the blob, matches its shape × dtype size, and ranges do not overlap. Raises
    :class:`ModelFileError` otherwise (a pickle or other bytes included).
    """
    hint = (
        " (the bytes look like a Python pickle, which chainrule never loads)"
        if data[:1] == b"\x80"
        else ""
    )
    if len(data) < 8:
        raise ModelFileError(f"{what}: not a valid safetensors blob: too short{hint}")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > MAX_JSON_BYTES:
        raise ModelFileError(
            f"{what}: not a valid safetensors blob: header length {n} exceeds the "
            f"{len(data)}-byte blob{hint}"
        )
    header = decode_json(data[8 : 8 + n], f"{what} header")
    if not isinstance(header, dict):
        raise ModelFileError(f"{what}: safetensors header is not an object")
    body = len(data) - 8 - n
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                raise ModelFileError(f"{what}: __metadata__ must map strings to strings")
            continue
        where = f"{what}: tensor {name[:200]!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(f"{where} must have exactly dtype, shape and data_offsets")
        dtype = _ST_DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
        if dtype is None:
            raise ModelFileError(f"{where} has unsupported dtype {entry['dtype']!r:.40}")
        shape, offsets = entry["shape"], entry["data_offsets"]
        if (
            not isinstance(shape, list)
            or len(shape) > 32
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise ModelFileError(f"{where} has an invalid shape {shape!r:.200}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= body
        ):
            raise ModelFileError(
                f"{where} has data offsets {offsets!r:.100} outside the {body} data bytes"
            )
        size = math.prod(shape) * np.dtype(dtype).itemsize
        if offsets[1] - offsets[0] != size:
            raise ModelFileError(
                f"{where}: shape {tuple(shape)} {dtype} needs {size} bytes, its data offsets "
                f"span {offsets[1] - offsets[0]}"
            )
        if size:
            spans.append((offsets[0], offsets[1], name))
        out[name] = (tuple(shape), dtype)
    spans.sort()
    for (_, end, a), (start, _, b) in itertools.pairwise(spans):
        if start < end:
            raise ModelFileError(f"{what}: tensors {a!r} and {b!r} overlap")
    return out


def decode_tensors(data: bytes, what: str) -> dict[str, np.ndarray]:
    """Parse safetensors bytes into name → array; anything else (a pickle, garbage) is rejected.

    The header is checked first (:func:`tensor_header`), so nothing is allocated beyond what the
    blob holds."""
    from .safetensors_ import st_numpy

    header = tensor_header(data, what)
    st = st_numpy()
    try:
        arrays = dict(st.load(data))
    except Exception as exc:  # noqa: BLE001 - SafetensorError has no stable import path
        raise ModelFileError(f"{what}: not a valid safetensors blob: {exc}") from None
    for name, arr in arrays.items():
        if name not in header or str(arr.dtype) not in TENSOR_DTYPES:
            raise ModelFileError(f"{what}: tensor {name!r} could not be decoded")
    return arrays


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
                    isinstance(p, list)
                    and len(p) == 2
                    and (p[0] is None or isinstance(p[0], (str, int, float, bool)))
                    for p in items
                ):
                    raise ModelFileError(f"{what}: malformed '__items__' entry")
                return {k: walk(v) for k, v in items}
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(skeleton)
