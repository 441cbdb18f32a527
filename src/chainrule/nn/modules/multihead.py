"""MultiheadAttention (PyTorch door): ``torch.nn.MultiheadAttention`` over the attention op.

query (L, N, E) (or (N, L, E) with ``batch_first``, or unbatched (L, E)), key (S, N, kdim), value
(S, N, vdim) → (attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, or
(N, num_heads, L, S), or None with ``need_weights=False``).

Parameters as PyTorch (names, shapes, initialisation), so a torch state dict loads strictly:
``in_proj_weight`` (3E, E) when kdim = vdim = E, else ``q_proj_weight`` (E, E), ``k_proj_weight``
(E, kdim), ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E,); ``out_proj`` a Linear(E, E).

Masks with PyTorch's meaning (note: the opposite of ``scaled_dot_product_attention``'s boolean
masks): ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N·num_heads, L, S), where True
means "do not attend"; float masks are added to the scores. ``is_causal`` is PyTorch's hint that
``attn_mask`` is the causal mask (it requires ``attn_mask``). With ``need_weights=False`` the
product runs in the fused attention op; otherwise the weights are formed explicitly (as PyTorch
does) and returned. ``add_bias_kv`` and ``add_zero_attn`` are not provided (ValueError).
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import Linear
from .utils import check_prob, check_size, factory_dtype


def _additive(mask, dtype, what: str) -> Tensor | None:
    """PyTorch's mask (True = blocked, or float added) as a float tensor to add, or None."""
    if mask is None:
        return None
    m = mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))
    if m.dtype == bool:
        return Tensor(np.where(m.data, -np.inf, 0.0).astype(dtype))
    if m.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {what} must be boolean or floating, got {m.dtype}")
    return m if m.dtype == dtype else ops.astype(m, dtype)


class MultiheadAttention(Module):
    """See the module docstring for shapes, masks and parameters."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = "MultiheadAttention"
        self.embed_dim = check_size(name, "embed_dim", embed_dim)
        self.num_heads = check_size(name, "num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{name}: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")  # fmt: skip
        if add_bias_kv or add_zero_attn:
            raise ValueError(f"{name}: add_bias_kv and add_zero_attn are not provided")
        self.kdim = self.embed_dim if kdim is None else check_size(name, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else check_size(name, "vdim", vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout = check_prob(name, dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        dt = factory_dtype(name, device, dtype)
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dt))
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight = Parameter(np.empty((E, E), dtype=dt))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype=dt))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype=dt))
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype=dt)) if bias else None
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        self.out_proj = Linear(E, E, bias=bias, dtype=dt)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Xavier-uniform projections, zero biases, as PyTorch."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            self.in_proj_bias.data[...] = 0
            self.out_proj.bias.data[...] = 0

    def _project(self, x, which: int) -> Tensor:
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight[which * E : (which + 1) * E]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[which]
        b = None if self.in_proj_bias is None else self.in_proj_bias[which * E : (which + 1) * E]
        return F.linear(x, w, b)

    def _fused_heads(self, x: Tensor, layout: tuple) -> tuple:
        """Self-attention's q, k, v heads (N, h, L, d) from ONE product of ``x`` ((L, N, E), or
        (N, L, E) when ``layout`` is (1, 0, 2)) with the whole ``in_proj_weight``."""
        A, B = x.shape[:2]
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)  # (A, B, 3E)
        qkv = ops.reshape(qkv, (A, B, 3, self.num_heads, self.head_dim))
        order = (2, 0, 3, 1, 4) if layout[0] == 1 else (2, 1, 3, 0, 4)  # (3, N, h, L, d)
        qkv = ops.transpose(qkv, order)
        return qkv[0], qkv[1], qkv[2]

    def _heads(self, x: Tensor) -> Tensor:
        """(T, N, E) → (N, h, T, d)."""
        T, N = x.shape[:2]
        return ops.transpose(ops.reshape(x, (T, N, self.num_heads, self.head_dim)), (1, 2, 0, 3))

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):  # fmt: skip
        name = "MultiheadAttention"
        q, k, v = (t if isinstance(t, Tensor) else Tensor(t) for t in (query, key, value))
        batched = q.ndim == 3
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D, got "
                             f"{q.shape}, {k.shape}, {v.shape}")  # fmt: skip
        if not batched:
            q, k, v = q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))
                key_padding_mask = key_padding_mask[None]
        # self-attention (one tensor as query, key and value, one in_proj_weight): a single
        # (·, E) @ (E, 3E) product in the input's own layout, split into heads by views
        fused = query is key and key is value and self._qkv_same_embed_dim
        layout = (1, 0, 2) if batched and self.batch_first else (0, 1, 2)
        source = q  # as given (batch-first or time-major)
        if not fused and layout[0] == 1:
            q, k, v = (ops.transpose(t, layout) for t in (q, k, v))
        shapes = [tuple(t.shape[i] for i in layout) if fused else tuple(t.shape) for t in (q, k, v)]
        L, N, E = shapes[0]
        S = shapes[1][0]
        for what, shp, dim in (("query", shapes[0], self.embed_dim), ("key", shapes[1], self.kdim),
                               ("value", shapes[2], self.vdim)):  # fmt: skip
            if shp[-1] != dim:
                raise ValueError(f"{name}: {what} has {shp[-1]} features, expected {dim} "
                                 f"(shape {shp}, time-major)")  # fmt: skip
            if shp[1] != N:
                raise ValueError(f"{name}: {what} batch size {shp[1]} differs from query's {N}")
        if shapes[2][0] != S:
            raise ValueError(f"{name}: key length {S} and value length {v.shape[0]} differ")
        if is_causal and attn_mask is None:
            raise RuntimeError(f"{name}: Need attn_mask if specifying the is_causal hint")
        h, dt = self.num_heads, q.dtype
        mask = _additive(attn_mask, dt, "attn_mask")
        if mask is not None:
            if tuple(mask.shape) == (L, S):
                pass
            elif tuple(mask.shape) == (N * h, L, S):
                mask = ops.reshape(mask, (N, h, L, S))
            else:
                raise ValueError(f"{name}: attn_mask must have shape {(L, S)} or "
                                 f"{(N * h, L, S)}, got {tuple(mask.shape)}")  # fmt: skip
        kpm = _additive(key_padding_mask, dt, "key_padding_mask")
        if kpm is not None:
            if tuple(kpm.shape) != (N, S):
                raise ValueError(f"{name}: key_padding_mask must have shape {(N, S)}, got "
                                 f"{tuple(kpm.shape)}")  # fmt: skip
            kpm = ops.reshape(kpm, (N, 1, 1, S))
            mask = kpm if mask is None else ops.add(mask, kpm)
        if fused:
            qh, kh, vh = self._fused_heads(source, layout)
        else:
            qh = self._heads(self._project(q, 0))
            kh = self._heads(self._project(k, 1))
            vh = self._heads(self._project(v, 2))
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = ops.mul(ops.matmul(qh, ops.transpose(kh, (0, 1, 3, 2))),
                             dt.type(1.0 / np.sqrt(self.head_dim)))  # fmt: skip
            if mask is not None:
                scores = ops.add(scores, mask)
            weights = ops.softmax(scores, axis=-1)
            if p > 0:
                weights = F.dropout(weights, p, True)
            out = ops.matmul(weights, vh)
        else:
            out = ops.scaled_dot_product_attention(qh, kh, vh, mask, dropout_p=p)
        if fused and layout[0] == 1:  # straight back to (N, L, E)
            out = self.out_proj(ops.reshape(ops.transpose(out, (0, 2, 1, 3)), (N, L, E)))
        else:
            out = ops.reshape(ops.transpose(out, (2, 0, 1, 3)), (L, N, E))  # (L, N, E)
            out = self.out_proj(out)
        if weights is not None and average_attn_weights:
            weights = ops.mean(weights, axis=1)
        if not batched:
            out = out.squeeze(1)
            if weights is not None:
                weights = weights.squeeze(0)
        elif self.batch_first and not fused:
            out = ops.transpose(out, (1, 0, 2))
        return out, weights
