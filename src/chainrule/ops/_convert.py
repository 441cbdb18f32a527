"""Turning op arguments into tensors without breaking the dtype rules.

The rules are PyTorch's type promotion:

- Python scalars (and NumPy scalars) never decide the dtype within their category: ``x * 2.0`` stays
  float32 for a float32 ``x``, ``i + 1`` stays int32 for an int32 ``i``; a float scalar with an
  integer or bool tensor gives the default float (float32).
- A 0-d tensor (or 0-d array) does not promote a dimensioned operand of its category or above:
  float32 (3,) ⊕ float64 () → float32. It wins only with a higher category (int (3,) ⊕ float64 ()
  → float64).
- Operands of one tier (both dimensioned, or both 0-d) of different categories take the higher
  category's dtype (int32 ⊕ float16 → float16); of one category, NumPy's promotion (f32 ⊕ f64 → f64).

A tensor that requires grad is cast through a differentiable ``astype``, so its gradient comes back
in its own dtype.
"""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT
from ..tensor import Tensor, _to_array

#: dtype kind → category, in promotion order (bool < integer < floating < complex)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def ensure_tensor(value, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor that requires no grad.

    A Python or NumPy scalar takes the dtype of ``like`` within its category (see the module notes).
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float, bool, np.number, np.bool_)):
        dtype = like.data.dtype
        kind = dtype.kind
        if kind in "fc":
            return Tensor._wrap(np.asarray(value, dtype=dtype))
        if isinstance(value, (float, np.floating)):
            return Tensor._wrap(np.asarray(value, dtype=DEFAULT_FLOAT))
        if kind in "iu" or isinstance(value, (bool, np.bool_)):
            try:
                return Tensor._wrap(np.asarray(value, dtype=dtype))
            except OverflowError:  # 300 with a uint8 tensor: fall back to int64
                return Tensor._wrap(np.asarray(value, dtype=np.int64))
        return Tensor._wrap(np.asarray(value, dtype=np.int64))  # bool tensor ⊕ int scalar
    return Tensor._wrap(_to_array(value))


def cast(t: Tensor, dtype) -> Tensor:
    """``t`` in ``dtype``; differentiable (the gradient returns in t's dtype) when t requires grad."""
    if t.data.dtype == dtype:
        return t
    if t.requires_grad and np.dtype(dtype).kind in "fc":
        from .elementwise import AsType  # imported here: elementwise imports this module

        return AsType.apply(t, dtype=np.dtype(dtype))
    return Tensor._wrap(t.data.astype(dtype))


def result_dtype(a: Tensor, b: Tensor):
    """The dtype PyTorch gives a binary op on tensors ``a`` and ``b`` (see the module notes)."""
    da, db = a.data.dtype, b.data.dtype
    if da == db:
        return da
    ca, cb = _CATEGORY.get(da.kind, 4), _CATEGORY.get(db.kind, 4)
    za, zb = a.data.ndim == 0, b.data.ndim == 0
    if za != zb:  # a 0-d operand wins only with a higher category than the dimensioned one
        if za:
            return da if ca > cb else db
        return db if cb > ca else da
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


def _group_dtype(dtypes: list):
    """The promoted dtype of one tier: the highest category wins; within it, NumPy's promotion."""
    top = max(_CATEGORY.get(d.kind, 4) for d in dtypes)
    out = None
    for d in dtypes:
        if _CATEGORY.get(d.kind, 4) == top:
            out = d if out is None else np.promote_types(out, d)
    return out


def result_dtype_of(*tensors: Tensor):
    """:func:`result_dtype` for any number of tensors (PyTorch's tiers: dimensioned, then 0-d)."""
    dims = [t.data.dtype for t in tensors if t.data.ndim]
    zeros = [t.data.dtype for t in tensors if not t.data.ndim]
    if not dims or not zeros:
        return _group_dtype(dims or zeros)
    d, z = _group_dtype(dims), _group_dtype(zeros)
    return z if _CATEGORY.get(z.kind, 4) > _CATEGORY.get(d.kind, 4) else d


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    dtype = result_dtype(a, b)
    return cast(a, dtype), cast(b, dtype)


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors of one dtype, promoted as PyTorch does."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = ensure_tensor(b, a)
    else:
        b = ensure_tensor(b)
        a = ensure_tensor(a, b)
    if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
        return _promote(a, b)
    return a, b


def scalar_param(value, op: str, name: str):
    """A number parameter (a slope, an epsilon, a padding value) as a Python number. A tensor that
    requires grad is refused: it would silently get no gradient; other tensors must hold one value."""
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(
                f"{op}: {name} must be a number; a tensor that requires grad would get no "
                "gradient through it"
            )
        value = value.data
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise TypeError(f"{op}: {name} must be a number, got an array of shape {value.shape}")
        value = value.item()
    return value


def floating(a, op: str) -> Tensor:
    """``a`` for an op that computes in floating point (exp, sigmoid, …): an integer or bool tensor
    is converted to the default float (float32), as PyTorch does."""
    a = ensure_tensor(a)
    if a.data.dtype.kind in "fc":
        return a
    if a.data.dtype.kind in "biu":
        return Tensor._wrap(a.data.astype(DEFAULT_FLOAT))
    raise TypeError(f"{op}: expected a numeric tensor, got dtype {a.data.dtype}")


def float_only(a, op: str) -> Tensor:
    """``a`` for an op that PyTorch defines only on floating-point tensors (elu, softmax, mean, …):
    a TypeError naming the op for any other dtype, never a silently wrong integer result."""
    a = ensure_tensor(a)
    if a.data.dtype.kind in "fc":
        return a
    raise TypeError(
        f"{op}: expected a floating-point tensor, got dtype {a.data.dtype}; convert it first, "
        "e.g. x.float()"
    )


def not_bool(a, op: str) -> Tensor:
    """``a`` for an op defined on numbers but not on bool (relu, abs, neg), as in PyTorch."""
    a = ensure_tensor(a)
    if a.data.dtype.kind == "b":
        raise TypeError(f"{op}: not defined for bool tensors; convert first, e.g. x.float()")
    return a
