"""Step: one model's data preparation and its train / test step, shared by every loop.

``prepare`` checks and converts a whole (x, y, weights) set once, probing the model on one sample
(evaluation mode, no graph, no random draw) so that a wrong feature count, a label out of range or
a target of the wrong shape raises before any weight changes. ``train`` is the per-batch hot path:
forward, loss + regularisation, backward, optimiser step, constraints, clear gradients.
"""

from __future__ import annotations

import numpy as np

from ..function import no_grad
from ..tensor import Tensor
from . import data_adapter as da
from .dense_replay import DenseReplay


class Step:
    def __init__(self, model):
        self.model = model
        self.bound = False
        self.strategy = None  # chainrule.distributed.DataParallel during a distributed fit
        self._probed = None  # (feature shape, dtype) of each input the probe last accepted
        self._replay = False  # the captured dense step (dense_replay.py); False: not tried yet
        self._float = None  # the first floating parameter's dtype, once the model has one

    # ------------------------------------------------------------------ preparation
    def _dtype(self):
        """The model's float dtype: its first floating parameter's (float32 while it has none)."""
        if self._float is not None:
            return self._float
        for _, p in self.model.named_parameters():
            if p.data.dtype.kind == "f":
                self._float = p.data.dtype
                return self._float
        return np.dtype(np.float32)

    def prepare_x(self, x, what: str) -> list[np.ndarray]:
        model = self.model
        names = model.input_names
        xs = da.convert_inputs(x, names, self._dtype(), model._keeps_int_inputs())
        if len({len(a) for a in xs}) > 1:
            raise ValueError(
                f"{what}: inputs have different numbers of samples {[len(a) for a in xs]}"
            )
        signature = tuple((a.shape[1:], a.dtype.str) for a in xs)
        if signature != self._probed:  # a Step reused across calls probes each new input shape
            self._probe(xs, what)
            self._probed = signature
        dtype = self._dtype()
        return [a.astype(dtype, copy=False) if a.dtype.kind == "f" else a for a in xs]

    def _probe(self, xs: list[np.ndarray], what: str) -> None:
        """Run one sample through the model: builds it, checks the input shape, binds outputs."""
        model = self.model
        was = model.training
        model.eval()
        try:
            with no_grad():
                outs = model._run([Tensor._wrap(a[:1]) for a in xs], False)
        except (ValueError, TypeError) as e:
            shapes = [tuple(a.shape) for a in xs]
            raise ValueError(
                f"{what}: {model._label()} cannot take input of shape "
                f"{shapes[0] if len(shapes) == 1 else shapes}: {e}"
            ) from e
        finally:
            model.train(was)
        self.out_shapes = [tuple(o.shape[1:]) for o in outs]
        if model.compiled:
            model._bind_outputs(len(outs))
            self._bind()

    def _bind(self) -> None:
        if self.bound:
            return
        model = self.model
        self.loss = model._compiled_loss
        self.metrics = model._metrics
        self.names = model.output_names
        self.multi = len(self.names) > 1
        self.params = model.trainable_parameters()
        self.constraints = [
            (c, getattr(m, attr))
            for m in model.modules()
            for attr, c in (getattr(m, "_constraints", None) or {}).items()
            if c is not None and getattr(m, attr, None) is not None
        ]
        self.reg_modules = [
            m for m in model.modules()
            if any(r is not None for r in (getattr(m, "_regularizers", None) or {}).values())
        ]  # fmt: skip
        self.bound = True

    def prepare(self, x, y, sample_weight, class_weight, what: str):
        """(xs, ys, weights or None, n) with every check done; nothing has changed on error."""
        model = self.model
        if y is None:
            raise ValueError(f"{what}: y is required with array inputs")
        x_list = da.as_list(x, model.input_names, "inputs")
        raw_y = y if isinstance(y, dict) else (list(y) if isinstance(y, (list, tuple)) and len(
            model.output_names) > 1 else [y])  # fmt: skip
        named = [(f"x[{i}]" if len(x_list) > 1 else "x", _len(a)) for i, a in enumerate(x_list)]
        ys_for_len = list(raw_y.values()) if isinstance(raw_y, dict) else raw_y
        named += [
            (f"y[{i}]" if len(ys_for_len) > 1 else "y", _len(a)) for i, a in enumerate(ys_for_len)
        ]
        da.check_lengths([(k, np.empty(v)) for k, v in named if v is not None])
        dtype = self._dtype()
        ys = da.convert_targets(y, model.output_names, dtype, self._sparse())
        n = len(ys[0])
        # weights checked before the probe (which may build the model): loose limits here, the
        # exact ones (the output's rank and class count) once the output shape is known
        da.sample_weights(sample_weight, class_weight, ys[0], n, dtype, max(ys[0].ndim, 1))
        pre = (list(model.output_names), self._sparse())
        xs = self.prepare_x(x, what)
        if pre != (list(self.names), list(self.loss.sparse)):  # outputs bound by the probe
            ys = da.convert_targets(y, self.names, dtype, self.loss.sparse)
        n = da.check_lengths([("x", xs[0])] + [(f"y ({k})", a) for k, a in zip(self.names, ys)])
        for name, arr, sparse, shape in zip(self.names, ys, self.loss.sparse, self.out_shapes):
            self._check_target(name, arr, sparse, shape)
        w = self._weights(sample_weight, class_weight, ys[0], n)
        return xs, ys, w, n

    def _sparse(self) -> list[bool]:
        """Which outputs take sparse labels: as compiled, or a guess (none) before the outputs are
        bound; the targets are converted again after the probe when the guess was wrong."""
        model = self.model
        n = len(model.output_names)
        compiled = model._compiled_loss
        return (
            [False] * n if compiled is None or len(compiled.sparse) != n else list(compiled.sparse)
        )

    def _weights(self, sample_weight, class_weight, y0: np.ndarray, n: int):
        out_shape = self.out_shapes[0]
        rank = max(len(out_shape), 1)
        classes = (out_shape[-1] if out_shape[-1] > 1 else 2) if out_shape else 2
        return da.sample_weights(sample_weight, class_weight, y0, n, self._dtype(), rank, classes)

    def _check_target(self, name: str, y: np.ndarray, sparse: bool, out_shape: tuple) -> None:
        what = f"y (output {name!r})" if self.multi else "y"
        if sparse:
            fits = out_shape and (
                y.shape[1:] == out_shape[:-1] or (len(out_shape) == 1 and y.shape[1:] == (1,))
            )
            if not fits:
                raise ValueError(
                    f"{what}: sparse labels of shape {y.shape} do not fit outputs (None, "
                    f"{', '.join(map(str, out_shape))}): labels need the output's shape without "
                    "its last (class) axis"
                )
            da.check_label_range(y, out_shape[-1], what)
            return
        if y.shape[1:] != out_shape and not (y.ndim == 1 and out_shape in ((), (1,))):
            hint = ""
            if y.ndim == 1 and len(out_shape) == 1:
                hint = "; for integer class labels use loss='sparse_categorical_crossentropy'"
            raise ValueError(
                f"{what} has shape {y.shape} but the model's output is (None, "
                f"{', '.join(map(str, out_shape))}){hint}"
            )

    def loader_batch(self, batch, need_y: bool = True):
        """(xs, ys, w) from one DataLoader batch: ``(x, y)``, ``(x, y, w)`` or just ``x``."""
        if isinstance(batch, (list, tuple)) and len(batch) in (2, 3):
            x, y, *rest = batch
            w = rest[0] if rest else None
        elif not need_y:
            x, y, w = batch, None, None
        else:
            raise ValueError("DataLoader batches must be (x, y) or (x, y, sample_weight)")
        if not need_y:
            return self.prepare_x(x, "predict") if not self.bound else self._fast_x(x), None, None
        if not self.bound:
            xs, ys, w, _ = self.prepare(x, y, w, None, "DataLoader batch")
            return xs, ys, w
        xs = self._fast_x(x)
        ys = da.convert_targets(y, self.names, self._dtype(), self.loss.sparse)
        for name, arr, sparse, shape in zip(self.names, ys, self.loss.sparse, self.out_shapes):
            self._check_target(name, arr, sparse, shape)
        if w is not None:
            w = self._weights(w, None, ys[0], len(ys[0]))
        return xs, ys, w

    def _fast_x(self, x) -> list[np.ndarray]:
        dtype = self._dtype()
        return da.convert_inputs(x, self.model.input_names, dtype, self.model._keeps_int_inputs())

    # ------------------------------------------------------------------ metrics and logs
    def reset_metrics(self) -> None:
        self.seen = 0
        self.loss_sum = 0.0
        self.term_sums = [0.0] * len(self.model.output_names)
        for ms in self.model._metrics or []:
            for m in ms:
                m.reset_state()

    def _record(self, total, terms, outs, ys, n: int) -> None:
        self.seen += n
        self.loss_sum += float(total.data) * n
        if self.multi:
            for i, t in enumerate(terms):
                self.term_sums[i] += float(t.data) * n
        for ms, out, y in zip(self.metrics, outs, ys):
            for m in ms:
                m.update_state(y, out.data)

    def logs(self, cheap: bool = False) -> dict:
        """Running means since the last reset: ``loss``, ``<out>_loss`` (several outputs), metrics."""
        seen = self.seen or 1
        logs = {"loss": self.loss_sum / seen}
        if self.multi:
            for name, s in zip(self.names, self.term_sums):
                logs[f"{name}_loss"] = s / seen
        for name, ms in zip(self.names, self.metrics or []):
            for m in ms:
                if cheap and not getattr(m, "per_batch_result", True):
                    continue
                logs[f"{name}_{m.name}" if self.multi else m.name] = m.result()
        return logs

    # ------------------------------------------------------------------ the steps
    def _loss(self, xs, ys, w, training: bool):
        outs = self.model._run([Tensor._wrap(a) for a in xs], training)
        total, terms = self.loss(ys, outs, w)
        for m in self.reg_modules:
            r = m.regularization_loss()
            if r is not None:
                total = total + r
        return total, terms, outs

    def train(self, xs, ys, w) -> None:
        model = self.model
        opt = model.optimizer
        if not opt.built:
            if not self.params:
                raise ValueError(f"{model._label()}: has no trainable parameters to optimise")
            opt.build(self.params)
        strategy = self.strategy
        if self._replay is False:
            self._replay = DenseReplay.capture(self) if strategy is None else None
        replay = self._replay
        # gradient observers (e.g. callbacks.GradientMonitor) see the gradients before the
        # optimizer step consumes and clears them; ``model._gradient_observers`` is a list of
        # callables ``f(params)`` (the trainable Parameters, their ``.grad`` set)
        observers = model.__dict__.get("_gradient_observers")
        stepped = False
        scale = getattr(opt, "loss_scale_factor", None)  # Keras's option: scaled backward pass
        if replay is not None and strategy is None and scale is None and replay.applies(xs, ys, w):
            # the replay may apply the optimizer's update itself (then no .grad is left)
            loss, logits, stepped = replay.run(xs[0], ys[0], None if observers else opt)
            total = Tensor._wrap(loss)
            terms, outs = [total], [Tensor._wrap(logits)]
        elif strategy is None:
            total, terms, outs = self._loss(xs, ys, w, True)
            (total if scale is None else opt.scale_loss(total)).backward()
        else:  # data parallel: this rank's part; gradients averaged over every rank's samples
            n = len(xs[0])
            strategy.before_step(self, n)
            total = None
            if n:  # (a small last batch may leave a rank without samples)
                total, terms, outs = self._loss(xs, ys, w, True)
                (total if scale is None else opt.scale_loss(total)).backward()
            strategy.after_backward()
        if observers:
            for observe in observers:
                observe(self.params)
        if not stepped:
            opt.step()
        for c, p in self.constraints:
            c.apply_(p.data)
        for p in self.params:
            p.grad = None
        if total is not None:
            self._record(total, terms, outs, ys, len(xs[0]))

    def test(self, xs, ys, w) -> None:
        total, terms, outs = self._loss(xs, ys, w, False)
        self._record(total, terms, outs, ys, len(xs[0]))


def _len(a):
    data = a.data if isinstance(a, Tensor) else a
    try:
        return len(data)
    except TypeError:
        return None
