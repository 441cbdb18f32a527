"""A captured training step for plain dense classifiers, replayed with preallocated buffers.

Issue 19: ``Model.fit`` on a dense network spent ~10-15 % more per step than a hand-written NumPy
loop at batches 32 and 128 (recording the graph, the engine's walk, layer calls, fresh activation
and mask arrays). For the commonest model, that overhead is avoidable: when :meth:`capture`
finds

- a ``Sequential`` made only of ``Dense`` layers (exact class, activation ``None``/``"linear"``
  or ``"relu"``, every weight trainable, no regularizer, constraint or hook),
- one output compiled with ``SparseCategoricalCrossentropy(from_logits=True)`` (mean reduction,
  no ``ignore_class``, loss weight 1),
- and, at each step, 2-D inputs of the weights' dtype, no sample or class weights, no data
  parallelism and anomaly mode off,

:meth:`run` performs the forward pass, loss and backward pass directly: matrix products into
activation buffers kept per batch size, the bias add and ReLU in place, the softmax
cross-entropy gradient ``(softmax − one-hot) / N`` computed once, weight gradients as fresh
arrays, the input gradients and their ReLU masks in reused buffers. The arithmetic is the
graph's (same operations in the same order and dtype), the gradients land in ``.grad`` exactly as
``backward()`` leaves them (accumulated onto any gradient already there), and the optimizer's own
``step()`` then runs unchanged (schedules, clipping, weight decay, every optimizer). Anything
outside that envelope, checked again before every step (a callback may freeze a layer or add a
hook mid-fit), takes the general path.

One exception to "the optimizer's own step": plain SGD with momentum (either door's form, no
Nesterov, weight decay or clipping; ``SGD.fused_momentum`` decides) with NumPy's OpenBLAS at hand.
Then each weight gradient is computed straight into its momentum buffer by one BLAS call with
``β`` (``v = μ·v − lr·aᵀg``, ops/_blas.py), the step is applied here and ``.grad`` stays unset;
the optimizer's buffers, iteration count and schedule advance exactly as its ``step()`` would,
and the weights equal that path's to float rounding. MLP 784-512-512-10 at batch 32, one thread,
CPU per step (``python -m benchmarks.profile_step``, ``CHAINRULE_BLAS=0`` against the default):
1.045 → 0.915 ms with Keras's form; PyTorch's form gains less (1.03 → 0.98 ms in a one-off
measurement) because ``p −= lr·v`` is one more pass.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import anomaly as _anomaly
from ..function import is_grad_enabled
from ..nn import hooks as _hooks
from ..ops import _blas
from ..ops.loss import _log_softmax, check_labels
from ..optim.sgd import _BLOCK

_NAME = "sparse_categorical_crossentropy"


class DenseReplay:
    """The captured step of one model (see the module docstring). Build with :meth:`capture`."""

    def __init__(self, model, layers: list, units: int, dtype: np.dtype):
        self.model = model
        #: per layer: (layer, kernel Parameter, bias Parameter or None, ReLU?)
        self.layers = layers
        self.units, self.dtype = units, dtype
        #: the parameters in layer order (kernel, then bias); ``_unchanged`` keeps them current
        self.params = [p for _, k, b, _ in layers for p in (k, b) if p is not None]
        self._buffers: dict[int, tuple] = {}
        self._scratch: dict[np.dtype, np.ndarray] = {}  # one block, for the fused update

    # ------------------------------------------------------------------ eligibility
    @classmethod
    def capture(cls, step) -> DenseReplay | None:
        """The replay of ``step``'s model, or None when its model, loss or optimizer setup is
        outside the envelope of the module docstring."""
        from ..layers.dense import Dense
        from ..losses import SparseCategoricalCrossentropy
        from .sequential import Sequential

        model, loss = step.model, getattr(step, "loss", None)
        if type(model) is not Sequential or loss is None or len(loss.losses) != 1:
            return None
        fn = loss.losses[0]
        if (
            type(fn) is not SparseCategoricalCrossentropy
            or not fn.from_logits
            or fn.ignore_class is not None
            or fn._mode != "mean"
            or loss.weights != [1.0]
        ):
            return None
        layers = []
        for layer in model.layers:
            if type(layer) is not Dense or not layer.built:
                return None
            relu = layer.activation is activations.relu
            if not relu and layer.activation is not activations.linear:
                return None
            layers.append((layer, layer.kernel, layer.bias if layer.use_bias else None, relu))
        if not layers:
            return None
        dtype = layers[0][1].data.dtype
        replay = cls(model, layers, layers[-1][0].units, dtype)
        return replay if replay._unchanged() else None

    def _unchanged(self) -> bool:
        """Whether the captured structure still holds (cheap: checked before every step)."""
        model = self.model
        if _anomaly.state.on or _hooks.has_hooks(model) or len(model.layers) != len(self.layers):
            return False
        relu_fn = activations.relu
        for (layer, kernel, bias, relu), now in zip(self.layers, model.layers):
            if (
                now is not layer
                or layer.kernel is not kernel
                or (layer.bias if layer.use_bias else None) is not bias
                or (layer.activation is relu_fn) is not relu
                or _hooks.has_hooks(layer)
            ):
                return False
            for extra in (layer._regularizers, layer._constraints):
                for value in extra.values():
                    if value is not None:
                        return False
            for p in (kernel, bias):
                if p is None:
                    continue
                d = p.__dict__
                if (
                    not p.requires_grad
                    or p.data.dtype != self.dtype
                    or "_hooks" in d
                    or "_post_accumulate_hooks" in d
                ):
                    return False
        return True

    def applies(self, xs: list, ys: list, sample_weight) -> bool:
        """Whether this batch can take the replay (structure unchanged, plain inputs)."""
        if sample_weight is not None or len(xs) != 1 or len(ys) != 1 or not is_grad_enabled():
            return False
        x = xs[0]
        return (
            isinstance(x, np.ndarray)
            and x.ndim == 2
            and x.dtype == self.dtype
            and x.shape[1] == self.layers[0][1].data.shape[0]
            and self._unchanged()
        )

    # ------------------------------------------------------------------ the step
    def _buffers_for(self, n: int) -> tuple:
        bufs = self._buffers.get(n)
        if bufs is None:
            widths = [k.data.shape[1] for _, k, _, _ in self.layers]
            acts = [np.empty((n, w), self.dtype) for w in widths]
            back = [np.empty((n, w), self.dtype) for w in widths[:-1]]
            mask = np.empty((n, max(widths)), bool)
            scale = np.ones((), self.dtype) / n  # the mean's gradient, as the Mean node makes it
            if len(self._buffers) > 4:  # a few batch sizes (the last batch is often smaller)
                self._buffers.clear()
            bufs = self._buffers[n] = (acts, back, mask, np.arange(n), scale)
        return bufs

    def run(self, x: np.ndarray, y, optimizer=None) -> tuple[np.ndarray, np.ndarray, bool]:
        """Forward, loss and backward on one batch; fills every parameter's ``.grad``, or, when
        ``optimizer`` can hand this step's rule over (:meth:`_fused_plan`), applies the update
        itself and leaves ``.grad`` unset.

        Returns (the mean loss as a 0-d array, the logits (N, units): a buffer reused by the next
        step of this batch size, whether the parameters were updated)."""
        n = x.shape[0]
        labels = y.data if hasattr(y, "_data") else np.asarray(y)
        if labels.shape != (n,) and labels.shape == (n, 1):
            labels = labels.reshape(n)
        if labels.shape != (n,):
            raise ValueError(
                f"{_NAME}: y_pred {(n, self.units)} needs integer labels of shape {(n,)}, "
                f"got {labels.shape}"
            )
        labels = check_labels(labels, self.units, _NAME)
        plan = None if optimizer is None else self._fused_plan(optimizer)
        acts, back, mask, rows, scale = self._buffers_for(n)
        a = x
        for (layer, kernel, bias, relu), z in zip(self.layers, acts):
            np.matmul(a, kernel._data, out=z)
            if bias is not None:
                z += bias._data
            if relu:
                np.maximum(z, 0, out=z)
            layer.input_shape, layer.output_shape = a.shape, z.shape
            a = z
        logp, grad = _log_softmax(a, 1)
        loss = (-logp[rows, labels]).mean()
        grad[rows, labels] -= 1
        grad *= scale
        g = grad
        for i in range(len(self.layers) - 1, -1, -1):
            _, kernel, bias, _ = self.layers[i]
            a_in = x if i == 0 else acts[i - 1]
            gp = None
            if i:  # the input gradient first: it needs this layer's weights before the update
                gp = back[i - 1]
                np.matmul(g, kernel._data.T, out=gp)
                if self.layers[i - 1][3]:  # the layer below applied a ReLU: mask its gradient
                    mk = mask[:, : gp.shape[1]]
                    np.greater(a_in, 0, out=mk)
                    np.multiply(gp, mk, out=gp)
            if plan is None:
                _add_grad(kernel, a_in.T @ g)
                if bias is not None:
                    _add_grad(bias, g.sum(axis=(0,)))
            else:
                scale, rules = plan
                krule, brule = rules[i]
                self._momentum_update(kernel._data, krule, scale, a_in, g)
                if bias is not None:
                    self._momentum_update(bias._data, brule, scale, None, g)
            if gp is not None:
                g = gp
        if plan is not None:
            optimizer.end_fused_step()
        return np.asarray(loss), a, plan is not None

    def _fused_plan(self, optimizer) -> tuple[float, list] | None:
        """``(scale, [(kernel's rule, bias's rule) per layer])`` when ``optimizer`` is SGD with
        momentum and nothing else (``SGD.fused_momentum``: a rule is ``(buffer, alpha, beta)``)
        and NumPy's BLAS takes a β (ops/_blas.py): the weight gradient then goes straight into
        the momentum buffer, ``v = alpha·(aᵀ·g) + beta·v`` in one matrix product, and
        ``p += scale·v``. That skips writing and re-reading the gradient and two passes over
        ``v`` (docs/performance.md has the measurement). The result equals the optimizer's own
        step up to float rounding (the product and the scaling are one fused operation)."""
        fused = getattr(optimizer, "fused_momentum", None)
        if fused is None or not _blas.available():
            return None
        plan = fused(self.params)
        if plan is None:
            return None
        scale, rules = plan
        it = iter(rules)
        return scale, [(next(it), None if b is None else next(it)) for _, _, b, _ in self.layers]

    def _momentum_update(self, param, rule, scale: float, a_in, g) -> None:
        """``v = alpha·grad + beta·v; p += scale·v`` with the gradient ``a_inᵀ·g`` (a kernel;
        BLAS computes it into ``v``) or ``Σ_rows g`` (a bias, ``a_in`` None)."""
        buf, alpha, beta = rule
        if a_in is None or not _blas.gemm_at_b(a_in, g, buf, alpha, beta):
            grad = g.sum(axis=0) if a_in is None else a_in.T @ g
            grad *= alpha
            buf *= beta
            buf += grad
        if scale == 1.0:
            param += buf
            return
        # p += scale·v through one cache-sized block of scratch (v and p cross memory once)
        p, v = param.reshape(-1), buf.reshape(-1)
        tmp = self._scratch.get(buf.dtype)
        if tmp is None:
            tmp = self._scratch[buf.dtype] = np.empty(_BLOCK, buf.dtype)
        for start in range(0, p.size, _BLOCK):
            t = tmp[: min(_BLOCK, p.size - start)]
            np.multiply(v[start : start + _BLOCK], scale, out=t)
            p[start : start + _BLOCK] += t


def _add_grad(param, g: np.ndarray) -> None:
    """``param.grad`` as ``backward()`` leaves it: the new array, or the sum with one already
    there (a fresh array: the old one may be referenced elsewhere)."""
    param.grad = g if param.grad is None else param.grad + g
