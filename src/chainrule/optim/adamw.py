"""AdamW: Adam with weight decay decoupled from the gradient."""

from __future__ import annotations

from ._checks import LR, Params
from .adam import Adam


class AdamW(Adam):
    """Before the Adam step (with no L2 term in the gradient) the weights shrink (in
    :meth:`Optimizer.step`, which every decoupled optimiser shares)::

        p *= 1 - lr · weight_decay

    PyTorch's rule and defaults (weight_decay=1e-2). Keras's AdamW decays the same way;
    ``optim.get("adamw")`` uses Keras's defaults (weight_decay=0.004, eps=1e-7).
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Params = None,
        lr: LR = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        **clip,
    ):
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            maximize=maximize, foreach=foreach, capturable=capturable,
            differentiable=differentiable, fused=fused, **clip,
        )  # fmt: skip
