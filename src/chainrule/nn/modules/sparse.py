"""Embedding (PyTorch door): a (num_embeddings, embedding_dim) table looked up by integer indices."""

from __future__ import annotations

import numpy as np

from ...ops import embedding as embedding_op
from ...random import get_generator
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from .utils import check_size, factory_dtype


def _check_padding_idx(module: str, padding_idx, rows: int) -> int | None:
    """PyTorch's rule: an int in [-rows, rows), stored non-negative; None for no padding row."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{module}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -rows <= padding_idx < rows:
        raise ValueError(
            f"{module}: padding_idx must be within num_embeddings ({rows}), got {padding_idx}"
        )
    return int(padding_idx) % rows


def renorm_rows_(weight: Tensor, indices, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``max_norm``: rescale, in place and outside autograd, every looked-up row whose
    ``norm_type``-norm exceeds ``max_norm`` to have norm ``max_norm``."""
    rows = np.unique(np.asarray(indices.data if isinstance(indices, Tensor) else indices))
    if rows.size == 0:
        return
    w = weight.data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale[:, None]


class Embedding(Module):
    """indices (*) integers → (*, embedding_dim).

    ``weight`` (num_embeddings, embedding_dim) drawn from N(0, 1) as in PyTorch; the ``padding_idx``
    row (if any) starts at zero and never receives a gradient. ``max_norm`` renormalises the rows
    looked up, in place, before each lookup (PyTorch's behaviour). ``scale_grad_by_freq`` and
    ``sparse`` gradients are not provided: passing True raises a ValueError (gradients are dense).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings = check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_size("Embedding", "embedding_dim", embedding_dim)
        self.padding_idx = _check_padding_idx("Embedding", padding_idx, self.num_embeddings)
        if max_norm is not None and (isinstance(max_norm, bool) or not max_norm > 0):
            raise ValueError(f"Embedding: max_norm must be a positive number, got {max_norm!r}")
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        for name, flag in (("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
            if flag:
                raise ValueError(f"Embedding: {name}=True is not supported (gradients are dense)")
        self.scale_grad_by_freq, self.sparse = False, False
        dt = factory_dtype("Embedding", device, dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=dt))
            self.reset_parameters()
        else:
            w = np.asarray(_weight.data if isinstance(_weight, Tensor) else _weight)
            if w.shape != shape:
                raise ValueError(f"Embedding: _weight has shape {w.shape}, expected {shape}")
            self.weight = Parameter(w.astype(dt, copy=True))
        self.weight.requires_grad = not _freeze

    def reset_parameters(self) -> None:
        """Redraw the table from N(0, 1) and zero the padding row."""
        w = self.weight.data
        w[...] = get_generator().standard_normal(w.shape).astype(w.dtype)
        if self.padding_idx is not None:
            w[self.padding_idx] = 0

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (2-D); frozen unless ``freeze=False``.
        The table keeps its dtype (as PyTorch does)."""
        w = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got {w.shape}")
        return cls(
            w.shape[0], w.shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
            _weight=w, _freeze=freeze, dtype=w.dtype if w.dtype.kind == "f" else None,
        )  # fmt: skip

    def forward(self, input) -> Tensor:
        if self.max_norm is not None:
            renorm_rows_(self.weight, input, self.max_norm, self.norm_type)
        try:
            return embedding_op(input, self.weight, self.padding_idx)
        except (ValueError, TypeError) as err:
            raise type(err)(
                f"Embedding({self.num_embeddings}, {self.embedding_dim}): {err}"
            ) from None

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s
