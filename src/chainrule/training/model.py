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
from ..layers.keras_api import KerasLayerAPI
from ..nn.module import Module
from ..tensor import Tensor
from . import functional as fx
from .compile_utils import CompiledLoss, describe, resolve_metrics
from .keras_methods import KerasModelMethods


class Model(KerasModelMethods, KerasLayerAPI, Module):
    """A trainable network. ``Model(inputs, outputs, name=None)`` builds a functional graph;
    ``Model()`` in a subclass's ``__init__`` starts a subclassed model (override ``call``).

    After ``compile``: ``optimizer``, ``loss`` (as given), ``compile_config`` (JSON-able when
    strings or objects with ``get_config`` were given). During ``fit``: ``stop_training`` (set it to
    stop), ``train_state`` ({"epoch", "batch", "order"}), ``resume_state`` (set by a callback in
    ``on_train_begin`` to resume mid-epoch).
    """

    def __init__(self, inputs=None, outputs=None, name: str | None = None,
                 trainable: bool = True, **kwargs):  # fmt: skip
        if kwargs:
            raise TypeError(f"Model: unexpected keyword argument(s) {sorted(kwargs)}")
        super().__init__(name=name)  # for Sequential this also runs the layer stack's __init__
        self.training = False  # Keras: model(x) runs in inference mode; fit trains
        self._trainable = bool(trainable)
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

    def __getattr__(self, name: str):
        if name == "layers":  # a subclassed model: its direct sub-layers, in definition order
            return [v for _, v in self._children() if isinstance(v, Module)]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

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

    def _keeps_int_inputs(self) -> list:
        """Per input: whether integer data stays integer (Input(dtype=int), or an Embedding-like
        first layer that does not cast its input); ``"text"`` where the first layer takes strings
        (a TextVectorization, directly or as the first layer of a nested model)."""
        if self._graph is not None:
            return [
                "text" if s.dtype.kind == "U" else s.dtype.kind in "iub" for s in self._graph[0]
            ]
        first = (getattr(self, "layers", None) or [None])[0]
        while first is not None and getattr(first, "layers", None) and first._graph is None:
            first = first.layers[0]
        if getattr(first, "accepts_text", False):
            return ["text"]
        return [first is not None and getattr(first, "autocast", True) is False]

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
        """``training`` given and different from the current mode switches every layer to it for
        this call (Keras propagates it to the layers inside)."""
        if training is None:
            training = self.training
        elif bool(training) != self.training:
            was = self.training
            self.train(bool(training))
            try:
                return self.forward(x, training=bool(training))
            finally:
                self.train(was)
        if self._call_takes_training():
            return self.call(x, training=training)
        return self.call(x)

    def __call__(self, *args, **kwargs):
        if not self.built:  # a subclassed model's first call builds its layers: no extra pass
            self.built = True
        return super().__call__(*args, **kwargs)

    def build(self, input_shape=None) -> None:
        """Create every weight by running the model once on zeros of ``input_shape`` (batch axis
        first, may be None), as ``keras.Model.build`` does for subclassed models."""
        if input_shape is None or self.__dict__.get("_building"):
            return
        from ..function import no_grad

        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        zeros = [Tensor(np.zeros((1, *tuple(s)[1:]), dtype=np.float32)) for s in shapes]
        self._building = True
        was = self.training
        self.eval()
        try:
            with no_grad():
                self.forward(zeros if isinstance(input_shape, list) else zeros[0])
        finally:
            self._building = False
            self.train(was)
        self.built = True

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
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile="auto", auto_scale_loss: bool = True) -> None:  # fmt: skip
        """Choose the optimiser, loss(es), metrics and loss weights (strings or objects).

        Keras 3's signature and argument order. ``loss``/``metrics``/``loss_weights`` may be one
        value, a list in output order, or a dict by output name. Unknown names raise ValueError
        here, not at fit time. ``loss=None`` is allowed for a model whose own ``train_step``
        computes the loss. ``run_eagerly``/``jit_compile``/``steps_per_execution`` are accepted
        and change nothing (chainrule always runs eagerly); ``weighted_metrics`` is not supported.
        """
        if weighted_metrics is not None:
            raise ValueError(f"{self._label()}.compile: weighted_metrics is not supported")
        weights = loss_weights.values() if isinstance(loss_weights, dict) else (
            loss_weights if isinstance(loss_weights, (list, tuple)) else [loss_weights])  # fmt: skip
        if any(w is not None and not isinstance(w, (int, float)) for w in weights):
            raise TypeError(
                f"{self._label()}.compile: loss_weights must be numbers, got {loss_weights!r} "
                "(Keras's order is compile(optimizer, loss, loss_weights, metrics): pass "
                "metrics=[...] by keyword)"
            )
        opt = _get_optimizer(optimizer)
        compiled = None
        if loss is None:
            metric_objs = None
        elif self._graph is not None:  # outputs are known: resolve (and check) everything now
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
        self._loss_tracker = None
        self.compile_config = {
            "optimizer": optimizer if isinstance(optimizer, str) else describe(opt),
            "loss": describe(loss),
            "metrics": describe(metrics),
            "loss_weights": describe(loss_weights),
        }
        self.compiled = True

    def _bind_outputs(self, n_outputs: int) -> None:
        """Resolve losses and metrics once the number of outputs is known."""
        if self._metrics is not None and (self._compiled_loss is not None or self.loss is None):
            return
        if self._graph is None and n_outputs > 1 and self.output_names == ["output"]:
            self.output_names = [f"output_{i}" for i in range(n_outputs)]
        loss, metrics, loss_weights = self._compile_args
        if loss is None:
            self._metrics = resolve_metrics(metrics, self.output_names, [None] * n_outputs)
            return
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
    def fit(self, x=None, y=None, batch_size: int | None = 32, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, class_weight: dict | None = None, sample_weight=None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1, distributed=None,
            detect_anomaly: bool = False):  # fmt: skip
        """Train for ``epochs`` epochs; returns a History (``.history[name]`` per-epoch lists).

        ``x``: an array (N, ...), a list/dict of arrays (several inputs) or a DataLoader yielding
        ``(x, y)`` or ``(x, y, sample_weight)``. ``batch_size=None`` means 32, as in Keras;
        full-batch gradient descent is ``batch_size=len(x)``. ``verbose="auto"`` is 1. ``steps_per_epoch`` caps the batches per
        epoch; ``validation_freq`` validates every that many epochs. A subclass that overrides
        ``train_step(self, data)`` gets each batch as Tensors (see docs/migrating.md).
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
                return self.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                                callbacks=callbacks, validation_split=validation_split,
                                validation_data=validation_data, shuffle=shuffle,
                                class_weight=class_weight, sample_weight=sample_weight,
                                initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                                validation_steps=validation_steps,
                                validation_batch_size=validation_batch_size,
                                validation_freq=validation_freq, distributed=distributed)  # fmt: skip
        from .trainer import fit

        if validation_steps is not None:
            raise ValueError(f"{self._label()}.fit: validation_steps is not supported")
        kwargs = {"batch_size": batch_size, "epochs": epochs, "verbose": _verbose(verbose),
                  "callbacks": callbacks, "validation_split": validation_split,
                  "validation_data": validation_data, "shuffle": shuffle,
                  "class_weight": class_weight, "sample_weight": sample_weight,
                  "initial_epoch": initial_epoch, "steps_per_epoch": steps_per_epoch,
                  "validation_batch_size": validation_batch_size,
                  "validation_freq": validation_freq}  # fmt: skip
        if distributed is None or distributed is False:
            return fit(self, x, y, **kwargs)
        from ..distributed.strategy import resolve

        strategy = resolve(distributed)
        try:
            return fit(self, x, y, strategy=strategy, **kwargs)
        finally:
            strategy.end(self)

    def evaluate(self, x=None, y=None, batch_size: int | None = 32, verbose="auto",
                 sample_weight=None, steps=None, callbacks=None, return_dict: bool = False,
                 **kwargs):  # fmt: skip
        """Loss and metrics over ``(x, y)``: a float, ``[loss, *metrics]``, or a dict."""
        from .trainer import evaluate

        if steps is not None or kwargs:
            raise ValueError(f"{self._label()}.evaluate: steps= and other arguments unsupported")
        return evaluate(self, x, y, batch_size=batch_size, verbose=_verbose(verbose, quiet=True),
                        sample_weight=sample_weight, callbacks=callbacks, return_dict=return_dict)  # fmt: skip

    def predict(self, x, batch_size: int | None = 32, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x``, computed in batches without a graph: an array (list for several)."""
        from .trainer import predict

        if steps is not None:
            raise ValueError(f"{self._label()}.predict: steps= is not supported")
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

    def export(self, filepath: str | os.PathLike, format: str = "onnx", verbose: bool | None = None,
               input_signature=None, **kwargs):  # fmt: skip
        """Write the model for inference, as ``keras.Model.export``; ``format="onnx"`` is the one
        format chainrule writes (Keras's TensorFlow/OpenVINO formats raise a ValueError).

        ``input_signature``: an example input (array or list of arrays) or an input shape
        (``(None, 784)``); None uses the model's ``input_shape``. ``kwargs`` go to
        :func:`chainrule.onnx.export` (``opset_version``, ``dynamic_axes``, …). The batch axis is
        dynamic. Returns the ``onnx.ModelProto``.
        """
        from ..onnx.export import export_keras_model

        return export_keras_model(self, filepath, format, verbose, input_signature, **kwargs)

    # ------------------------------------------------------------------ weights and config
    def save(self, filepath: str | os.PathLike, overwrite: bool = True, zipped=None,
             include_optimizer: bool = False, **kwargs) -> None:  # fmt: skip
        """Write architecture, weights (and optionally optimizer state) to one zip file,
        atomically; ``chainrule.models.load_model(path)`` rebuilds the model
        (docs/model-format.md). ``"model.keras"`` and ``"model.zip"`` are both fine."""
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   **kwargs)  # fmt: skip

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

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None) -> str:  # fmt: skip
        """Print (and return) each layer's output shape and parameter count, and the totals."""
        from .summary import summary

        return summary(self, print_fn or print)


def _verbose(verbose, quiet: bool = False) -> int:
    """Keras's ``verbose="auto"``: 1 (a progress bar) for fit, 0 where ``quiet``."""
    if verbose == "auto":
        return 0 if quiet else 1
    return int(verbose)


def _get_optimizer(identifier):
    """An optimizer object from a name (``chainrule.optimizers.get``: the Keras class with Keras's
    defaults), a ``serialize`` dict, a ``get_config()`` dict of either door (``optim.get``) or an
    optimizer object."""
    from .. import optimizers

    if isinstance(identifier, dict) and "class_name" not in identifier:
        return optim.get(identifier)
    return optimizers.get(identifier)


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
