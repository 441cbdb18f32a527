"""Model: a Module that knows how to train itself (compile / fit / evaluate / predict).

Three ways to make one:

* functional: ``Model(inputs, outputs)`` from ``Input(...)`` placeholders (several inputs and
  outputs, shared layers) — see :mod:`.functional`;
* :class:`~chainrule.training.sequential.Sequential` for a plain stack;
* subclassing: define layers in ``__init__`` and ``call(self, x, training=False)``.

The loops live in :mod:`.trainer`; this file holds the model's structure, ``compile`` and the
one-step primitives they use. The hand-written loop stays first-class: ``model(x)`` is an ordinary
differentiable call, so ``loss.backward(); opt.step()`` works on any Model.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import numpy as np

from .. import optim
from ..layers.base import unique_name
from ..nn.module import Module
from ..tensor import Tensor
from . import functional as fx
from .compile_utils import CompiledLoss, describe, resolve_metrics


class Model(Module):
    """A trainable network. ``Model(inputs, outputs, name=None)`` builds a functional graph;
    ``Model()`` in a subclass's ``__init__`` starts a subclassed model (override ``call``).

    After ``compile``: ``optimizer``, ``loss`` (as given), ``compile_config`` (JSON-able when
    strings or objects with ``get_config`` were given). During ``fit``: ``stop_training`` (set it to
    stop), ``train_state`` ({"epoch", "batch", "order"}), ``resume_state`` (set by a callback in
    ``on_train_begin`` to resume mid-epoch).
    """

    def __init__(self, inputs=None, outputs=None, name: str | None = None):
        super().__init__(name=name)
        if self.name is None:  # Keras-style automatic names: model, model_1, net, ...
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in type(self).__name__)
            self.name = unique_name(snake.lstrip("_"))
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.compile_config: dict | None = None
        self.stop_training = False
        self.train_state: dict | None = None
        self.resume_state: dict | None = None
        self.history = None
        self._graph = None
        self._compiled_loss = None
        self._metrics: list[list] | None = None
        if inputs is None and outputs is None:
            return
        if inputs is None or outputs is None:
            raise ValueError("Model: give both inputs and outputs (functional API), or neither")
        self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ structure
    def _init_graph(self, inputs, outputs) -> None:
        self._multi_in = isinstance(inputs, (list, tuple, dict))
        self._multi_out = isinstance(outputs, (list, tuple, dict))
        ins = list(inputs.values()) if isinstance(inputs, dict) else list(_listify(inputs))
        outs_named = outputs if isinstance(outputs, dict) else None
        outs = list(outputs.values()) if isinstance(outputs, dict) else list(_listify(outputs))
        for what, group in (("inputs", ins), ("outputs", outs)):
            for s in group:
                if not isinstance(s, fx.SymbolicTensor):
                    raise TypeError(
                        f"Model: {what} must come from Input(...) and layer calls on it, got "
                        f"{type(s).__name__}"
                    )
        for s in ins:
            if s.node is not None:
                raise ValueError(f"Model: input {s!r} is not an Input(...) placeholder")
        nodes = fx.topological_nodes(ins, outs)
        layers: list[Module] = []
        for node in nodes:
            if all(node.layer is not seen for seen in layers):
                layers.append(node.layer)
        self.layers = layers
        self._graph = (ins, outs, nodes)
        self.input_names = list(inputs) if isinstance(inputs, dict) else [s.name for s in ins]
        if outs_named is not None:
            self.output_names = list(outs_named)
        else:
            self.output_names = _unique(
                [_layer_name(o.node.layer) if o.node else o.name for o in outs]
            )
        self.built = True

    @property
    def input_names(self) -> list[str]:
        return self.__dict__.get("_input_names", ["input"])

    @input_names.setter
    def input_names(self, names: list[str]) -> None:
        self._input_names = list(names)

    @property
    def output_names(self) -> list[str]:
        return self.__dict__.get("_output_names", ["output"])

    @output_names.setter
    def output_names(self, names: list[str]) -> None:
        self._output_names = list(names)

    def _keeps_int_inputs(self) -> list[bool]:
        """Per input: whether integer data stays integer (Input(dtype=int), or an Embedding-like
        first layer that does not cast its input)."""
        if self._graph is not None:
            return [s.dtype.kind in "iub" for s in self._graph[0]]
        layers = getattr(self, "layers", None) or []
        return [bool(layers) and getattr(layers[0], "autocast", True) is False]

    # ------------------------------------------------------------------ calling
    def call(self, x, training: bool = False):
        """The forward pass. Functional models replay their graph; subclasses override this."""
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed Model must implement call(self, x, training=False)"
            )
        ins, outs, nodes = self._graph
        if isinstance(x, dict):
            x = [x[n] for n in self.input_names]
        values = list(x) if self._multi_in else [x]
        if len(values) != len(ins):
            raise ValueError(f"{self._label()}: expects {len(ins)} inputs, got {len(values)}")
        results = fx.run_graph(nodes, ins, outs, values)
        return results if self._multi_out else results[0]

    def forward(self, x, training: bool | None = None):
        if training is None:
            training = self.training
        if self._call_takes_training():
            return self.call(x, training=training)
        return self.call(x)

    def _call_takes_training(self) -> bool:
        cached = self.__dict__.get("_takes_training")
        if cached is None:
            params = inspect.signature(self.call).parameters
            cached = "training" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
            self._takes_training = cached
        return cached

    def _run(self, xs: list, training: bool) -> list:
        """Forward on a list of input arrays/tensors; always returns a list of output Tensors."""
        x = xs if len(xs) > 1 or self._graph is not None and self._multi_in else xs[0]
        out = self.forward(x, training=training)
        if isinstance(out, dict):
            out = [out[n] for n in self.output_names]
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def _label(self) -> str:
        return f"{type(self).__name__} '{self.name}'" if self.name else type(self).__name__

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None) -> None:
        """Choose the optimiser, loss(es), metrics and loss weights (strings or objects).

        ``loss``/``metrics``/``loss_weights`` may be one value, a list in output order, or a dict
        by output name. Unknown names raise ValueError here, not at fit time.
        """
        if loss is None:
            raise ValueError(f"{self._label()}.compile: a loss is required (e.g. loss='mse')")
        opt = optim.get(optimizer)
        compiled = None
        if self._graph is not None:  # outputs are known: resolve (and check) everything now
            compiled = CompiledLoss(loss, loss_weights, self.output_names)
            metric_objs = resolve_metrics(metrics, self.output_names, compiled.losses)
        else:  # Sequential / subclassed: outputs are known after the first forward; check names
            CompiledLoss(loss if not isinstance(loss, (list, dict)) else "mse", None, ["output"])
            resolve_metrics(metrics if not isinstance(metrics, dict) else None, ["output"], ["mse"])
            metric_objs = None
        self.optimizer = opt
        self.loss = loss
        self._compile_args = (loss, metrics, loss_weights)
        self._compiled_loss = compiled
        self._metrics = metric_objs
        self.compile_config = {
            "optimizer": optimizer if isinstance(optimizer, str) else describe(opt),
            "loss": describe(loss),
            "metrics": describe(metrics),
            "loss_weights": describe(loss_weights),
        }
        self.compiled = True

    def _bind_outputs(self, n_outputs: int) -> None:
        """Resolve losses and metrics once the number of outputs is known."""
        if self._compiled_loss is not None:
            return
        if self._graph is None and n_outputs > 1 and self.output_names == ["output"]:
            self.output_names = [f"output_{i}" for i in range(n_outputs)]
        loss, metrics, loss_weights = self._compile_args
        self._compiled_loss = CompiledLoss(loss, loss_weights, self.output_names)
        self._metrics = resolve_metrics(metrics, self.output_names, self._compiled_loss.losses)

    def metric_names(self) -> list[str]:
        """Log keys of the compiled metrics (``accuracy``; ``out_accuracy`` with several outputs)."""
        if not self._metrics:
            return []
        multi = len(self.output_names) > 1
        return [
            f"{out}_{m.name}" if multi else m.name
            for out, ms in zip(self.output_names, self._metrics)
            for m in ms
        ]

    # ------------------------------------------------------------------ loops (see trainer.py)
    def fit(self, x=None, y=None, batch_size: int | None = 32, epochs: int = 1, verbose: int = 1,
            callbacks=None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, class_weight: dict | None = None, sample_weight=None,
            initial_epoch: int = 0, distributed=None,
            detect_anomaly: bool = False):  # fmt: skip
        """Train for ``epochs`` epochs; returns a History (``.history[name]`` per-epoch lists).

        ``x``: an array (N, ...), a list/dict of arrays (several inputs) or a DataLoader yielding
        ``(x, y)`` or ``(x, y, sample_weight)``. ``batch_size=None`` is full-batch gradient descent.
        ``distributed``: True or a ``chainrule.distributed.DataParallel`` for data-parallel
        training over the ranks of an MPI job (``batch_size`` is then the global batch; see
        docs/distributed.md).
        ``detect_anomaly=True`` runs the whole fit in anomaly mode (see :mod:`chainrule.anomaly`):
        the first NaN or inf in a forward or backward pass raises an AnomalyError naming its op,
        layer and source line. It slows every op; use it to find a problem, not routinely.
        """
        if detect_anomaly:
            from ..anomaly import detect_anomaly as _anomaly_mode

            with _anomaly_mode():
                return self.fit(x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                validation_data, shuffle, class_weight, sample_weight,
                                initial_epoch, distributed)  # fmt: skip
        from .trainer import fit

        kwargs = {"batch_size": batch_size, "epochs": epochs, "verbose": verbose,
                  "callbacks": callbacks, "validation_split": validation_split,
                  "validation_data": validation_data, "shuffle": shuffle,
                  "class_weight": class_weight, "sample_weight": sample_weight,
                  "initial_epoch": initial_epoch}  # fmt: skip
        if distributed is None or distributed is False:
            return fit(self, x, y, **kwargs)
        from ..distributed.strategy import resolve

        strategy = resolve(distributed)
        try:
            return fit(self, x, y, strategy=strategy, **kwargs)
        finally:
            strategy.end(self)

    def evaluate(self, x=None, y=None, batch_size: int | None = 32, verbose: int = 0,
                 sample_weight=None, callbacks=None, return_dict: bool = False):  # fmt: skip
        """Loss and metrics over ``(x, y)``: a float, ``[loss, *metrics]``, or a dict."""
        from .trainer import evaluate

        return evaluate(self, x, y, batch_size=batch_size, verbose=verbose,
                        sample_weight=sample_weight, callbacks=callbacks, return_dict=return_dict)  # fmt: skip

    def predict(self, x, batch_size: int | None = 32, callbacks=None):
        """Outputs for ``x``, computed in batches without a graph: an array (list for several)."""
        from .trainer import predict

        out = predict(self, x, batch_size=batch_size, callbacks=callbacks)
        outs = out if isinstance(out, (list, tuple)) else [out]
        if any(np.asarray(o).dtype.kind == "f" and not np.isfinite(o).all() for o in outs):
            _warn_non_finite_outputs(self)
        return out

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """One optimiser step on one batch; returns the loss (and metrics) of that batch."""
        from .trainer import train_on_batch

        return train_on_batch(self, x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch without updating anything."""
        from .trainer import test_on_batch

        return test_on_batch(self, x, y, sample_weight, return_dict)

    # ------------------------------------------------------------------ weights and config
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter and buffer array, in state_dict order."""
        return [np.array(v, copy=True) for v in self.state_dict().values()]

    def set_weights(self, weights: list) -> None:
        keys = list(self.state_dict())
        if len(weights) != len(keys):
            raise ValueError(
                f"{self._label()}.set_weights: got {len(weights)} arrays, expected {len(keys)}"
            )
        self.load_state_dict(dict(zip(keys, weights)))

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write the weights as ``.npz``, atomically (temporary file, fsync, rename)."""
        from ..callbacks.model_checkpoint import save_weights_npz

        save_weights_npz(self, path)

    def load_weights(self, path: str | os.PathLike) -> None:
        """Load weights written by :meth:`save_weights` (shape-checked; nothing changes on error).

        The archive's directory is checked before anything is inflated: only this model's tensor
        names, each no larger than the tensor it replaces (a zip bomb is refused unread)."""
        import zipfile

        expected = {k: np.asarray(v).nbytes for k, v in self.state_dict().items()}
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ValueError(
                f"{self._label()}.load_weights: {path} is not an .npz archive ({exc})"
            ) from None
        if len(infos) > len(expected):
            raise ValueError(f"{self._label()}.load_weights: {path} holds {len(infos)} arrays, "
                             f"the model has {len(expected)}")  # fmt: skip
        for info in infos:
            name = info.filename.removesuffix(".npy")
            if name not in expected or info.file_size > expected[name] + 2**16:
                raise ValueError(
                    f"{self._label()}.load_weights: {path}: member {info.filename[:100]!r} "
                    "is not one of this model's tensors or is larger than it"
                )
        with np.load(path, allow_pickle=False) as data:
            self.load_state_dict({k: data[k] for k in data.files})

    def save(self, path: str | os.PathLike, include_optimizer: bool = False) -> None:
        """Write architecture, weights and (optionally) optimizer state to one zip file, atomically;
        ``chainrule.load_model(path)`` rebuilds the model (docs/model-format.md)."""
        from ..io.model_file import save_model

        save_model(self, path, include_optimizer=include_optimizer)

    def get_config(self) -> dict[str, Any]:
        """Functional models: layers and graph connections as JSON (see :mod:`.graph_config`)."""
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__} is a subclassed Model: its structure lives in Python code "
                "(call), so it cannot be rebuilt from a config. Save its weights instead, or build "
                "it with Sequential or the functional API."
            )
        from .graph_config import graph_to_config

        return graph_to_config(self)

    @classmethod
    def from_config(cls, config: dict) -> Model:
        from .graph_config import graph_from_config

        return graph_from_config(config, cls)

    def plot(self, path="model.png", engine: str = "auto"):
        """Draw the layers (name, type, output shape, parameters) to ``path`` (.png, .svg, .pdf,
        .dot): Keras's ``plot_model``. See :func:`chainrule.viz.plot_model`."""
        from ..viz import plot_model

        return plot_model(self, path, engine=engine)

    def summary(self, print_fn=print) -> str:
        """Print (and return) each layer's output shape and parameter count, and the totals."""
        from .summary import summary

        return summary(self, print_fn)


def _warn_non_finite_outputs(model) -> None:
    """predict's warning: outputs with NaN/inf, naming the weights that hold NaN/inf if any."""
    import warnings

    from ..io.model_file import NonFiniteWeightsWarning, non_finite

    bad = non_finite({k: np.asarray(v) for k, v in model.state_dict().items()})
    cause = (
        f"weights {', '.join(repr(k) for k in bad[:10])} hold NaN or infinite values"
        if bad
        else "the weights are finite, so the inputs or an overflow are the cause"
    )
    warnings.warn(
        f"{model._label()}.predict: outputs contain NaN or infinite values ({cause})",
        NonFiniteWeightsWarning,
        stacklevel=3,
    )


def _listify(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _layer_name(layer) -> str:
    return getattr(layer, "name", None) or type(layer).__name__.lower()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k}")
    return out


def as_tensor_list(xs) -> list[Tensor]:
    return [x if isinstance(x, Tensor) else Tensor._wrap(x) for x in xs]
