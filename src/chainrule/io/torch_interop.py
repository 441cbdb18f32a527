"""Weights for PyTorch: chainrule state_dict names and layouts → ``torch.nn`` ones.

The mapping (docs/model-format.md has the table):

==================  =========================  ===============================  ===========
chainrule layer     chainrule tensor           PyTorch tensor                   layout
==================  =========================  ===============================  ===========
Dense               ``<p>.kernel`` (in, out)   ``<p>.weight`` (out, in)         transposed
Dense               ``<p>.bias`` (out,)        ``<p>.bias``                     same
BatchNorm           ``gamma`` / ``beta``       ``weight`` / ``bias``            same
BatchNorm           ``running_mean/var``       ``running_mean/var`` (+ ``num_batches_tracked`` = 0)
LayerNorm           ``gamma`` / ``beta``       ``weight`` / ``bias``            same
==================  =========================  ===============================  ===========

``<p>`` is the chainrule path, e.g. ``layers.1`` for the second layer of a Sequential: the matching
PyTorch module keeps each layer at the same index of a ``ModuleList``/``nn.Sequential`` (activations
and parameter-free layers occupy their index too, or are applied in ``forward``). ``strip_prefix``
removes a leading path component (``"layers."``) to target a bare ``nn.Sequential``. Numerical
conventions to mirror on the PyTorch side: BatchNorm's ``eps`` (chainrule default 1e-3) and, for
training, momentum (chainrule 0.99 = PyTorch 0.01).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes
from .container import encode_tensors


def _layer_maps() -> dict[type, dict[str, tuple[str, bool]]]:
    """Layer class → {chainrule attribute: (torch name, transpose)}."""
    from ..layers import BatchNormalization, Dense, LayerNormalization

    return {
        Dense: {"kernel": ("weight", True), "bias": ("bias", False)},
        BatchNormalization: {
            "gamma": ("weight", False),
            "beta": ("bias", False),
            "running_mean": ("running_mean", False),
            "running_var": ("running_var", False),
        },
        LayerNormalization: {"gamma": ("weight", False), "beta": ("bias", False)},
    }


def export_torch_state_dict(model, strip_prefix: str = "") -> dict[str, np.ndarray]:
    """``model``'s weights under PyTorch names and layouts (see the module docstring).

    Returns name → contiguous array, ready for ``torch.from_numpy`` or a safetensors file. Raises a
    ValueError for a layer with parameters that has no known PyTorch counterpart.
    """
    from ..layers import BatchNormalization

    maps = _layer_maps()
    out: dict[str, np.ndarray] = {}
    for mname, mod in model.named_modules():
        own = [k for k, v in mod._children() if not hasattr(v, "_children")]
        own += [k for k in getattr(mod, "_buffers", ()) if getattr(mod, k, None) is not None]
        if not own:
            continue
        table = next((t for cls, t in maps.items() if type(mod) is cls), None)
        if table is None:
            raise ValueError(
                f"export_torch_state_dict: no PyTorch mapping for {type(mod).__name__} "
                f"'{mname}' (supported: {', '.join(c.__name__ for c in maps)})"
            )
        prefix = f"{mname}." if mname else ""
        if strip_prefix and prefix.startswith(strip_prefix):
            prefix = prefix[len(strip_prefix) :]
        for attr in own:
            if attr not in table:
                raise ValueError(
                    f"export_torch_state_dict: {type(mod).__name__} '{mname}' has tensor '{attr}' "
                    "with no PyTorch counterpart"
                )
            value = getattr(mod, attr)
            arr = (
                value.data
                if hasattr(value, "data") and not isinstance(value, np.ndarray)
                else value
            )
            name, transpose = table[attr]
            out[prefix + name] = np.asarray(arr.T if transpose else arr, order="C")
        if isinstance(mod, BatchNormalization):
            out[prefix + "num_batches_tracked"] = np.zeros((), dtype=np.int64)
    return out


def save_torch_weights(model, path: str | os.PathLike, strip_prefix: str = "") -> Path:
    """Write :func:`export_torch_state_dict` as a safetensors file (atomically) that
    ``safetensors.torch.load_file(path)`` reads into a ``load_state_dict``-ready dict."""
    return atomic_write_bytes(path, encode_tensors(export_torch_state_dict(model, strip_prefix)))
