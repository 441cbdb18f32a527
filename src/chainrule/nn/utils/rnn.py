"""``torch.nn.utils.rnn`` for chainrule: ``pad_sequence``, ``PackedSequence`` and packing.

A :class:`PackedSequence` here keeps the padded, time-major tensor (T, N, *) with the lengths, in
the caller's batch order, and the recurrent modules run it with a mask of the real steps (state
carried over padding, zero outputs there): the same results as PyTorch's packed computation,
without re-laying the batch out per step. ``.data`` and ``.batch_sizes`` give PyTorch's packed
layout (steps of the batch sorted by decreasing length) when asked for.
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...tensor import Tensor


def _lengths(lengths, n: int) -> np.ndarray:
    arr = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"pack_padded_sequence: expected {n} lengths (one per sequence), got "
                         f"shape {arr.shape}")  # fmt: skip
    if arr.dtype.kind not in "iu":
        raise TypeError(f"pack_padded_sequence: lengths must be integers, got {arr.dtype}")
    return arr.astype(np.int64)


class PackedSequence:
    """Padded time-major data (T, N, *) with ``lengths`` (N,); see the module doc."""

    def __init__(self, padded: Tensor, lengths: np.ndarray, sorted_indices=None):
        self.padded = padded
        self.lengths = lengths
        self.sorted_indices = None if sorted_indices is None else np.asarray(sorted_indices)
        self.unsorted_indices = (
            None if sorted_indices is None else np.argsort(self.sorted_indices, kind="stable")
        )

    @classmethod
    def _from_padded(cls, padded: Tensor, like: PackedSequence) -> PackedSequence:
        return cls(padded, like.lengths, like.sorted_indices)

    def _order(self) -> np.ndarray:
        return np.argsort(-self.lengths, kind="stable")

    @property
    def batch_sizes(self) -> Tensor:
        """(max length,) int64: how many sequences are still running at each step."""
        steps = np.arange(int(self.lengths.max()))
        return Tensor((self.lengths[None, :] > steps[:, None]).sum(axis=1).astype(np.int64))

    @property
    def data(self) -> Tensor:
        """PyTorch's packed layout (Σ lengths, *): step by step, longest sequences first."""
        order = self._order()
        T = int(self.lengths.max())
        valid = np.arange(T)[:, None] < self.lengths[order][None, :]
        return self.padded[:T][:, order][valid]

    def __iter__(self):
        yield from (self.data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def __repr__(self) -> str:
        return f"PackedSequence(padded shape={tuple(self.padded.shape)}, lengths={self.lengths})"


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:  # fmt: skip
    """Pack a padded batch (T, N, *) (or (N, T, *) with ``batch_first``) with sequence ``lengths``
    (each in [1, T]). With ``enforce_sorted`` the lengths must decrease, as in PyTorch."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input needs at least 2 dimensions, got {x.shape}")
    if batch_first:
        x = x.transpose(0, 1)
    T, N = x.shape[:2]
    lens = _lengths(lengths, N)
    if lens.size and (lens.min() < 1 or lens.max() > T):
        raise ValueError(f"pack_padded_sequence: every length must be in [1, {T}] for input of "
                         f"{T} steps, got {lens.tolist()}")  # fmt: skip
    if enforce_sorted and (np.diff(lens) > 0).any():
        raise RuntimeError("pack_padded_sequence: `lengths` array must be sorted in decreasing "
                           "order when `enforce_sorted` is True (or pass enforce_sorted=False)")  # fmt: skip
    sorted_indices = None if enforce_sorted else np.argsort(-lens, kind="stable")
    return PackedSequence(x, lens, sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):  # fmt: skip
    """(padded (T, N, *) or (N, T, *), lengths int64 (N,)) with T = max length (or
    ``total_length``) and ``padding_value`` past each sequence's end."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got "
                        f"{type(sequence).__name__}")  # fmt: skip
    lens = sequence.lengths
    T = int(lens.max())
    if total_length is not None and total_length < T:
        raise ValueError(f"pad_packed_sequence: total_length={total_length} is less than the "
                         f"longest sequence ({T})")  # fmt: skip
    x = sequence.padded[:T]
    valid = np.arange(T)[:, None] < lens[None, :]
    valid = valid.reshape(valid.shape + (1,) * (x.ndim - 2))
    fill = Tensor(np.full((1,) * x.ndim, padding_value, dtype=x.dtype))
    x = ops.where(valid, x, fill)
    if total_length is not None and total_length > T:
        pad = Tensor(np.full((total_length - T,) + tuple(x.shape[1:]), padding_value, x.dtype))
        x = ops.concatenate([x, pad], axis=0)
    if batch_first:
        x = x.transpose(0, 1)
    return x, Tensor(lens.copy())


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:  # fmt: skip
    """Stack tensors of shapes (L_i, *) into (max L, N, *) (or (N, max L, *) with
    ``batch_first``), padding on ``padding_side`` ("right" or "left") with ``padding_value``."""
    seqs = [s if isinstance(s, Tensor) else Tensor(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")  # fmt: skip
    trail = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if s.ndim < 1 or tuple(s.shape[1:]) != trail or s.dtype != seqs[0].dtype:
            raise ValueError(f"pad_sequence: sequence {i} has shape {tuple(s.shape)} and dtype "
                             f"{s.dtype}; expected (L, *{trail}) of {seqs[0].dtype}")  # fmt: skip
    T = max(s.shape[0] for s in seqs)
    rows = []
    for s in seqs:
        missing = T - s.shape[0]
        if missing:
            pad = Tensor(np.full((missing,) + trail, padding_value, dtype=s.dtype))
            s = ops.concatenate([s, pad] if padding_side == "right" else [pad, s], axis=0)
        rows.append(s)
    return ops.stack(rows, axis=0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (decreasing lengths unless ``enforce_sorted=False``)."""
    seqs = list(sequences)
    lengths = [s.shape[0] for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)
