"""``torch.save`` / ``torch.load`` for state dicts, in chainrule's safe container (never pickle).

``save(obj, path)`` stores nested dicts / lists / tuples of tensors, arrays, numbers, strings, bools
and None (a model's ``state_dict()``, an optimiser's, a checkpoint dict with the epoch and the
loss) as a zip holding one JSON skeleton and one safetensors blob. ``load(path)`` gives the same
structure back with every array as a :class:`~chainrule.Tensor` (tuples come back as lists).

A PyTorch ``.pt`` file is a pickle: ``load`` refuses it before reading any of it as code and says
how to convert it (through safetensors, which :func:`load` also reads directly).
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .container import (
    ModelFileError,
    decode_json,
    decode_tensors,
    encode_json,
    encode_tensors,
    join_arrays,
    read_archive,
    split_arrays,
    write_archive,
)

HEADER = "chainrule-torch-save.json"
TENSORS = "tensors.safetensors"
FORMAT = "chainrule.torch_save"
VERSION = 1

_CONVERT_HINT = (
    "Convert it once inside PyTorch (its own loader, with weights_only=True) to a safetensors "
    "file with safetensors.torch.save_file, then `chainrule.load('model.safetensors')` (or "
    "chainrule.io.torch_interop for models)."
)


def _encode_floats(x: Any) -> Any:
    """Non-finite floats (``best_loss = inf``) as ``{"__float__": "inf"}``: JSON has no inf/nan."""
    if isinstance(x, float) and not math.isfinite(x):
        return {"__float__": repr(x)}
    if isinstance(x, dict):
        return {k: _encode_floats(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_encode_floats(v) for v in x]
    return x


def _decode(x: Any) -> Any:
    from ..tensor import Tensor

    if isinstance(x, dict):
        if set(x) == {"__float__"} and x["__float__"] in ("inf", "-inf", "nan"):
            return float(x["__float__"])
        return {k: _decode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if isinstance(x, np.ndarray):
        return Tensor(x)
    return x


def save(obj: Any, f: str | os.PathLike, pickle_module=None, pickle_protocol=None, **kwargs):
    """Write ``obj`` (nested dicts/lists of tensors, arrays and plain values) to ``f``, atomically.

    Anything else (a whole Module, a lambda, an arbitrary object) raises TypeError: save
    ``model.state_dict()`` instead, as PyTorch recommends.
    """
    if pickle_module is not None:
        raise TypeError("save: chainrule never pickles; pickle_module is not supported")
    if hasattr(f, "write"):
        raise TypeError("save: give a file path (file objects are not supported)")
    try:
        skeleton, arrays = split_arrays(obj)
    except TypeError as exc:
        raise TypeError(
            f"save: {exc}. chainrule.save stores state dicts (nested dicts/lists of tensors, "
            "numbers and strings); save model.state_dict(), not the model object"
        ) from None
    header = {"format": FORMAT, "version": VERSION, "object": _encode_floats(skeleton)}
    write_archive(f, {HEADER: encode_json(header), TENSORS: encode_tensors(arrays)})


def _refuse_pickle(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(9)
    if head[8:9] == b"{":  # safetensors: an 8-byte header length (its low byte may be 0x80), "{"
        return
    if head[:1] == b"\x80":
        raise ModelFileError(f"{path}: this is a Python pickle (a legacy PyTorch file); "
                             f"chainrule never unpickles. {_CONVERT_HINT}")  # fmt: skip
    if head[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            return
        if any(n.endswith("data.pkl") for n in names):
            raise ModelFileError(
                f"{path}: this is a PyTorch file (torch.save's zip of pickles); chainrule never "
                f"unpickles. {_CONVERT_HINT}"
            )


def load(
    f: str | os.PathLike, map_location=None, pickle_module=None, *, weights_only: bool = True,
    mmap=None, **kwargs,
) -> Any:  # fmt: skip
    """Read what :func:`save` wrote (or a ``.safetensors`` file: a dict of tensors).

    ``weights_only`` is always in effect (nothing but data is ever read); ``map_location`` may
    only name the CPU. A PyTorch pickle is refused with instructions to convert it.
    """
    if pickle_module is not None:
        raise TypeError("load: chainrule never unpickles; pickle_module is not supported")
    if weights_only is False:
        raise ValueError(
            "load: weights_only=False would unpickle arbitrary objects; chainrule files hold "
            "data only, so load them with weights_only=True (the default)"
        )
    if map_location is not None and not callable(map_location):
        from ..torch_api import device

        loc = map_location if isinstance(map_location, (str, device)) else None
        if loc is None or device(loc).type != "cpu":
            raise ValueError(f"load: map_location must name the CPU, got {map_location!r}")
    if hasattr(f, "read"):
        raise TypeError("load: give a file path (file objects are not supported)")
    path = Path(f)
    if not path.is_file():
        raise FileNotFoundError(f"load: no such file: {path}")
    _refuse_pickle(path)
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head != b"PK":  # not a zip: a bare safetensors file
        data = path.read_bytes()
        return _decode(decode_tensors(data, str(path)))
    members = read_archive(path, allowed={HEADER, TENSORS}, required={HEADER, TENSORS})
    header = decode_json(members[HEADER], f"{path}: {HEADER}")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a file written by chainrule.save")
    if header.get("version") != VERSION:
        raise ModelFileError(
            f"{path}: format version {header.get('version')!r}, this chainrule reads {VERSION}"
        )
    arrays = decode_tensors(members[TENSORS], f"{path}: {TENSORS}")
    return _decode(join_arrays(header.get("object"), arrays, str(path)))
