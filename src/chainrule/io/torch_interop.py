"""Weights between chainrule and PyTorch, both ways, through safetensors files.

**To PyTorch** (:func:`export_torch_state_dict`, :func:`save_torch_weights`): each module's tensors
are renamed and re-laid-out for ``torch.nn``:

- Keras ``Dense``: ``<p>.kernel`` (in, out) → ``<p>.weight`` (out, in), transposed;
  ``<p>.bias`` → ``<p>.bias``.
- ``BatchNormalization``: ``gamma``/``beta`` → ``weight``/``bias``; ``running_mean``/``running_var``
  as they are, plus ``num_batches_tracked`` = 0.
- ``LayerNormalization``: ``gamma``/``beta`` → ``weight``/``bias``.
- PyTorch-door ``nn.*`` modules: the same names and layouts (nothing to do).
- Other Keras layers: by the op that reads each weight (below).

A layer class is added with :func:`register_torch_layout` (attribute → (torch name, axis
permutation or None)). A Keras layer with no registered table is handled op by op: the model is
run once (on ``example_input``, or zeros of its ``input_shape``) while its ops are recorded, and
each weight takes the layout of the op that consumed it — a ``linear`` kernel is transposed, a
``conv2d`` kernel (kh, kw, in, out) becomes (out, in, kh, kw), a ``conv1d`` one (k, in, out)
becomes (out, in, k), a ``conv_transpose2d`` one (kh, kw, out, in) becomes (in, out, kh, kw), an
embedding table stays — and Keras names map to PyTorch's (``kernel``/``gamma``/``embeddings`` →
``weight``, ``beta`` → ``bias``, ``moving_mean``/``moving_variance`` →
``running_mean``/``running_var``).
So a layer class built on those ops needs nothing registered.

``<p>`` is the chainrule path, e.g. ``layers.1`` for the second layer of a Sequential: the matching
PyTorch module keeps each layer at the same index of a ``ModuleList``/``nn.Sequential``.
``strip_prefix`` removes a leading path component (``"layers."``) to target a bare
``nn.Sequential``. Numerical conventions to mirror on the PyTorch side: BatchNorm's ``eps``
(Keras door default 1e-3) and, for training, momentum (0.99 here = PyTorch 0.01).

**From PyTorch** (:func:`load_torch_weights`): a ``state_dict`` saved by
``safetensors.torch.save_file`` loads into the PyTorch-door model of the same architecture (same
names and layouts as ``torch.nn``), checked entry by entry before anything is written.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes
from .container import encode_tensors

#: layer class → {attribute: (torch name, axis permutation or None)}
_LAYOUTS: dict[type, dict[str, tuple[str, tuple[int, ...] | None]]] = {}

#: Keras attribute names → PyTorch's (for layers handled op by op)
_KERAS_NAMES = {
    "kernel": "weight", "gamma": "weight", "embeddings": "weight", "beta": "bias",
    "bias": "bias", "moving_mean": "running_mean", "moving_variance": "running_var",
    "running_mean": "running_mean", "running_var": "running_var",
}  # fmt: skip


def register_torch_layout(layer_cls: type, table: dict[str, tuple[str, tuple | None]]) -> None:
    """Declare how ``layer_cls``'s tensors map to its ``torch.nn`` counterpart:
    ``{attribute: (torch name, axis permutation or None)}``."""
    _LAYOUTS[layer_cls] = dict(table)


def _builtin_layouts() -> None:
    if _LAYOUTS:
        return
    from ..layers import BatchNormalization, Dense, LayerNormalization

    register_torch_layout(Dense, {"kernel": ("weight", (1, 0)), "bias": ("bias", None)})
    register_torch_layout(
        BatchNormalization,
        {"gamma": ("weight", None), "beta": ("bias", None),
         "running_mean": ("running_mean", None), "running_var": ("running_var", None)},
    )  # fmt: skip
    register_torch_layout(LayerNormalization, {"gamma": ("weight", None), "beta": ("bias", None)})


def _op_permutations(model, example_input) -> dict[int, tuple[int, ...] | None]:
    """id(weight) → the permutation its consuming op implies (see the module docstring)."""
    from ..onnx.trace import trace
    from ..ops import conv, conv_transpose, linalg
    from ..tensor import Tensor

    if example_input is None:
        shape = getattr(model, "input_shape", None)
        if not isinstance(shape, tuple):
            raise ValueError(
                "export_torch_state_dict: the model has layers without a registered PyTorch "
                "layout and no input_shape; pass example_input= to trace them"
            )
        example_input = np.zeros((2, *shape[1:]), dtype=np.float32)
    was = getattr(model, "training", False)
    model.eval()
    try:
        tr = trace(model, [Tensor(np.asarray(example_input))])
    finally:
        model.train(was)
    perms: dict[int, tuple[int, ...] | None] = {}
    for rec in tr.records:
        weight = rec.inputs[1] if len(rec.inputs) > 1 else None
        if rec.op in (linalg.Linear, linalg.LinearReLU):
            perms[id(weight)] = (1, 0)
        elif rec.op is conv.Conv and not rec.params["torch_w"]:
            perms[id(weight)] = (2, 1, 0) if rec.params["one_d"] else (3, 2, 0, 1)
        elif rec.op is conv_transpose.ConvTranspose and not rec.params["torch_w"]:
            perms[id(weight)] = (3, 2, 0, 1)
        for t in rec.inputs:
            perms.setdefault(id(t), None)
    return perms


def _is_torch_door(mod) -> bool:
    return type(mod).__module__.startswith("chainrule.nn.")


def export_torch_state_dict(
    model, strip_prefix: str = "", example_input=None
) -> dict[str, np.ndarray]:
    """``model``'s weights under PyTorch names and layouts (see the module docstring).

    Returns name → contiguous array, ready for ``torch.from_numpy`` or a safetensors file. Raises a
    ValueError naming a layer whose tensors have no known PyTorch counterpart.
    """
    from ..layers import BatchNormalization

    _builtin_layouts()
    perms = None if example_input is None else _op_permutations(model, example_input)
    out: dict[str, np.ndarray] = {}
    for mname, mod in model.named_modules():
        own = [k for k, v in mod._children() if not hasattr(v, "_children")]
        own += [k for k in getattr(mod, "_buffers", ()) if getattr(mod, k, None) is not None]
        if not own:
            continue
        prefix = f"{mname}." if mname else ""
        if strip_prefix and prefix.startswith(strip_prefix):
            prefix = prefix[len(strip_prefix) :]
        table = _LAYOUTS.get(type(mod))
        for attr in own:
            value = getattr(mod, attr)
            arr = np.asarray(
                value.data
                if hasattr(value, "data") and not isinstance(value, np.ndarray)
                else value
            )
            if table is not None and attr in table:
                name, perm = table[attr]
            elif table is None and _is_torch_door(mod):
                name, perm = attr, None
            elif table is None and attr in _KERAS_NAMES:
                if perms is None:
                    perms = _op_permutations(model, example_input)
                if id(value) not in perms and attr in ("kernel", "embeddings"):
                    raise ValueError(
                        f"export_torch_state_dict: {type(mod).__name__} '{mname}' weight '{attr}' "
                        "is not read by any op in a forward pass"
                    )
                name, perm = _KERAS_NAMES[attr], perms.get(id(value))
            else:
                raise ValueError(
                    f"export_torch_state_dict: no PyTorch mapping for {type(mod).__name__} "
                    f"'{mname}' tensor '{attr}' (register one with register_torch_layout)"
                )
            out[prefix + name] = np.ascontiguousarray(arr.transpose(perm) if perm else arr)
        if isinstance(mod, BatchNormalization) or (
            table is None and not _is_torch_door(mod) and "running_mean" in own
        ):
            out[prefix + "num_batches_tracked"] = np.zeros((), dtype=np.int64)
    return out


def save_torch_weights(
    model, path: str | os.PathLike, strip_prefix: str = "", example_input=None
) -> Path:
    """Write :func:`export_torch_state_dict` as a safetensors file (atomically) that
    ``safetensors.torch.load_file(path)`` reads into a ``load_state_dict``-ready dict."""
    sd = export_torch_state_dict(model, strip_prefix, example_input)
    return atomic_write_bytes(path, encode_tensors(sd))


def load_torch_weights(model, path: str | os.PathLike, strict: bool = True):
    """Load a PyTorch ``state_dict`` saved with ``safetensors.torch.save_file`` into ``model`` (a
    PyTorch-door model with the same architecture); returns ``load_state_dict``'s
    ``(missing_keys, unexpected_keys)``. Shapes and names are checked before anything is written."""
    from .torch_serialization import load

    state = load(path)
    if not isinstance(state, dict):
        raise TypeError(f"load_torch_weights: {path} does not hold a state_dict")
    return model.load_state_dict(state, strict=strict)
