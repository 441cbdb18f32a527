"""Flatten and Unflatten (PyTorch door)."""

from __future__ import annotations

from ... import ops
from ...tensor import Tensor
from ..module import Module


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 12) → (N, 3, 4) for dim=1, size (3, 4)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        shape = tuple(input.shape)
        dim = self.dim % len(shape)
        sizes = list(self.unflattened_size)
        known = 1
        for n in sizes:
            known *= n if n != -1 else 1
        if -1 in sizes:
            sizes[sizes.index(-1)] = shape[dim] // known if known else 0
        total = 1
        for n in sizes:
            total *= n
        if total != shape[dim]:
            raise ValueError(
                f"Unflatten: unflattened_size {self.unflattened_size} does not multiply to the "
                f"size {shape[dim]} of dim {self.dim} (input shape {shape})"
            )
        return ops.reshape(input, shape[:dim] + tuple(sizes) + shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
