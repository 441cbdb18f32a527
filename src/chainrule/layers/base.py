"""Layer: a Module with a name, a dtype, a config, and a place in the layer registry (Keras 3's
``keras.layers.Layer``).

Every layer is registered by class name (``@register``) so a model can be rebuilt from the JSON
list of ``{"class_name": ..., "config": ...}`` entries that :func:`serialize` produces — no pickle.
Layers get automatic unique names as in Keras (``dense``, ``dense_1``, …), overridable by ``name=``.

Inputs are cast to the layer's dtype (float32 unless told), as Keras does: a float64 array fed to a
float32 model gives float32 outputs and never creates float64 parameters.
"""

from __future__ import annotations

import inspect
from collections import defaultdict

import numpy as np

from .. import anomaly as _anomaly
from .. import custom_objects as _custom
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..ops import astype
from ..tensor import Tensor
from .keras_api import KerasLayerAPI

LAYERS: dict[str, type] = {}
_NAME_COUNTS: defaultdict = defaultdict(int)


def register(cls=None, *, aliases: tuple = ()):
    """Class decorator: add a layer class to ``LAYERS`` under its name (and ``aliases``)."""

    def deco(c):
        LAYERS[c.__name__] = c
        for alias in aliases:
            LAYERS[alias] = c
        return c

    return deco(cls) if cls is not None else deco


def get(name: str) -> type:
    """The layer class registered as ``name``; ValueError listing the known names otherwise."""
    cls = LAYERS.get(name) if isinstance(name, str) else None
    if cls is None:
        custom = _custom.lookup(name)
        cls = custom if isinstance(custom, type) and issubclass(custom, Module) else None
    if cls is None:
        raise ValueError(
            f"unknown layer class {name!r}; known: {sorted(LAYERS)} (pass custom classes with "
            "custom_objects=)"
        )
    return cls


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, …"""
    n = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Restart automatic naming (``dense``, ``dense_1``, …) from scratch."""
    _NAME_COUNTS.clear()


def serialize(layer: Layer) -> dict:
    """``{"class_name": ..., "config": ...}``: JSON-serialisable, enough to rebuild the layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(entry: dict) -> Layer:
    """Rebuild a layer from :func:`serialize`'s output."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ValueError(
            f"layer entry must be a dict with 'class_name' and 'config', got {entry!r}"
        )
    name = entry["class_name"]
    return get(name).from_config(_custom.check_config(entry.get("config", {}), f"layer {name!r}"))


def as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def is_structure(x) -> bool:
    """A list, tuple or dict of inputs (several tensors passed to one layer)."""
    return type(x) in (list, tuple, dict)


def flatten_structure(x) -> list:
    if isinstance(x, dict):
        return list(x.values())
    return list(x) if is_structure(x) else [x]


def map_structure(fn, x):
    if isinstance(x, dict):
        return {k: fn(v) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(fn(v) for v in x)
    return fn(x)


def shape_of(x):
    """The input shape handed to ``build``: a tuple, or a list/dict of tuples for several inputs."""
    if is_structure(x):
        return map_structure(lambda v: tuple(v.shape) if hasattr(v, "shape") else None, x)
    return tuple(x.shape) if hasattr(x, "shape") else None


class Layer(KerasLayerAPI, Module):
    """Base of every Keras-door layer, built-in or written by a user.

    A user layer writes ``build(input_shape)`` (creating weights with :meth:`add_weight`),
    ``call(self, inputs, training=None)`` and ``get_config()``, exactly as in Keras 3; built-in
    layers implement ``forward`` instead (``call`` and ``forward`` are the same thing here).
    ``inputs`` may be a Tensor or a list/tuple/dict of Tensors: a structure reaches ``call`` as a
    structure of Tensors, each with its graph, so every branch of a multi-input layer trains.
    ``input_shape`` includes the batch axis (a list of shapes for a list of inputs).

    ``autocast = False`` leaves input dtypes alone (shape-only layers). Keyword arguments as in
    Keras: ``name``, ``dtype`` (float32 by default), ``trainable``, and ``input_shape`` /
    ``input_dim`` (the first layer of a Sequential: the model builds from them).
    """

    default_name = "layer"
    autocast = True

    def _kernel_and_bias_options(self, activation, use_bias, kernel_initializer,
                                 bias_initializer, kernel_regularizer, bias_regularizer,
                                 kernel_constraint, bias_constraint) -> None:  # fmt: skip
        """Resolve the options every kernel-and-bias layer (Dense, ConvND, …) takes, by Keras's
        names; the weights themselves are made in ``build``."""
        from .. import activations, constraints, initializers, regularizers

        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._regularizers = {
            "kernel": regularizers.get(kernel_regularizer),
            "bias": regularizers.get(bias_regularizer),
        }
        self._constraints = {
            "kernel": constraints.get(kernel_constraint),
            "bias": constraints.get(bias_constraint),
        }
        self.kernel = None
        self.bias = None

    def _children(self):
        """As Module's, but a weight held under two attributes (``self.w = self.add_weight(...)``
        registers it under its Keras name, then the user's assignment under ``w``) counts once,
        under its first name, as Keras tracks each variable once."""
        seen = set()
        for key, value in super()._children():
            if isinstance(value, Parameter):
                if id(value) in seen:
                    continue
                seen.add(id(value))
            yield key, value

    def __init__(
        self,
        name: str | None = None,
        dtype="float32",
        trainable: bool = True,
        input_shape=None,
        input_dim: int | None = None,
        batch_size: int | None = None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"{type(self).__name__}: name must be a string, got {type(name).__name__}"
            )
        auto = type(self).__dict__.get("default_name") or _snake(type(self).__name__)
        Module.__init__(self, name=name or unique_name(auto))
        self.training = False  # Keras: a layer called directly runs in inference mode
        dtype = "float32" if dtype is None else dtype
        dtype = dtype.get("config", {}).get("name", "float32") if isinstance(dtype, dict) else dtype
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(
                f"{type(self).__name__} '{self.name}': dtype must be floating, got {dtype}"
            )
        if not hasattr(self, "_regularizers"):
            self._regularizers: dict = {}
        if not hasattr(self, "_constraints"):
            self._constraints: dict = {}
        self._trainable = bool(trainable)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._input_shape_arg = None
        if input_shape is not None:
            if isinstance(input_shape, (int, np.integer)):
                input_shape = (int(input_shape),)
            self._input_shape_arg = tuple(input_shape)

    def __call__(self, inputs, *args, **kwargs):
        # -- anomaly mode (chainrule.anomaly): track the running layer; one flag test when off
        if _anomaly.state.on and not _anomaly.is_current(self):
            return _anomaly.call_module(self, (inputs, *args), kwargs)
        # -- end anomaly mode
        if any(getattr(v, "_symbolic", False) for v in flatten_structure(inputs)):
            return flatten_structure(inputs)[0].call_layer(self, (inputs, *args), kwargs)
        in_mask = getattr(inputs, "_keras_mask", None)
        if in_mask is not None and "mask" not in kwargs and _takes_mask(self):
            kwargs["mask"] = in_mask
        inputs = map_structure(self._convert, inputs)
        out = self._call_converted(inputs, *args, **kwargs)
        out_mask = self.compute_mask(inputs, kwargs.get("mask", in_mask))
        if out_mask is not None and isinstance(out, Tensor):
            out._keras_mask = out_mask
        return out

    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The mask the output carries to the next layer (Keras's mask propagation): (N, T)
        booleans, True at real steps, or None. By default a layer passes its input's mask on
        when ``supports_masking`` is True and drops it otherwise; mask-making layers
        (``Embedding(mask_zero=True)``, ``Masking``) and sequence-reducing ones override this.
        See docs/sequence-layers.md."""
        return mask if self.supports_masking else None

    def _call_converted(self, inputs, *args, **kwargs):
        if not self.built:
            self.build(shape_of(inputs))
            self.built = True
            if not self._trainable:
                self.trainable = False  # freeze the weights build just made
        training = kwargs.get("training")
        if (
            training is not None
            and not _takes_training(type(self).forward)
            and not (type(self).forward is Layer.forward and _takes_training(type(self).call))
        ):  # a built-in layer: `training=` sets its mode for this call, as in Keras
            del kwargs["training"]
            if bool(training) != self.training:
                was = self.training
                self.train(bool(training))
                try:
                    out = self._run_forward(inputs, *args, **kwargs)
                finally:
                    self.train(was)
                return self._record_shapes(inputs, out)
        elif "training" in kwargs and training is None:
            del kwargs["training"]  # training=None: the layer's current mode
        out = self._run_forward(inputs, *args, **kwargs)
        return self._record_shapes(inputs, out)

    def _record_shapes(self, inputs, out):
        self.input_shape = shape_of(inputs)
        if hasattr(out, "shape"):
            self.output_shape = tuple(out.shape)
        return out

    def _convert(self, x):
        x = as_tensor(x)
        if self.autocast and x.data.dtype != self.dtype and x.data.dtype.kind in "fiub":
            x = astype(x, self.dtype)
        return x

    def forward(self, inputs, *args, **kwargs):
        """Calls :meth:`call`, passing ``training`` when ``call`` takes it and it was not given."""
        if "training" not in kwargs and _takes_training(type(self).call):
            kwargs["training"] = self.training
        return self.call(inputs, *args, **kwargs)

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; a user layer overrides this (or ``forward``)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(self, inputs, training=None)"
        )

    # ------------------------------------------------------------------ weights (Keras API)
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer=None,
        constraint=None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Parameter:
        """Create a weight (a :class:`~chainrule.nn.Parameter`) owned by this layer.

        As Keras 3: ``shape`` () by default; ``initializer`` defaults to ``"glorot_uniform"``
        (``"zeros"`` for non-float dtypes); ``trainable=False`` makes a weight the optimiser never
        changes (it is still saved). The weight is also reachable as ``layer.<name>``.
        """
        from .. import constraints, initializers, regularizers

        shape = () if shape is None else tuple(int(n) for n in np.atleast_1d(shape)) if np.ndim(
            shape) else (int(shape),)  # fmt: skip
        dt = self.dtype if dtype is None else np.dtype(dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dt.kind == "f" else "zeros"
        init = initializers.get(initializer)
        param = Parameter(np.asarray(init(shape, dt), dtype=dt), requires_grad=bool(trainable))
        param.trainable = bool(trainable)
        key = self._weight_key(name or "variable")
        param.name = name or key
        setattr(self, key, param)
        if regularizer is not None:
            self._regularizers[key] = regularizers.get(regularizer)
        if constraint is not None:
            self._constraints[key] = constraints.get(constraint)
        return param

    def _weight_key(self, name: str) -> str:
        key = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "variable"
        if key[0].isdigit():
            key = "w_" + key
        base, k = key, 1
        while key in self.__dict__ or key in type(self).__dict__:
            key, k = f"{base}_{k}", k + 1
        return key

    # ------------------------------------------------------------------ the rest
    def describe(self) -> str:
        """``Dense 'dense_1'``: how error messages name this layer."""
        return f"{type(self).__name__} '{self.name}'"

    def compute_output_shape(self, input_shape):
        """Shape-preserving by default; layers that change shapes override it."""
        if type(self).call is not Layer.call and type(self).forward is Layer.forward:
            return Module.compute_output_shape(self, input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype.name}
        if not self._trainable:
            config["trainable"] = False
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def accepted_arguments(cls) -> set[str]:
    """Every keyword a layer class's constructor takes (its own and, through ``**kwargs``, those
    of the classes it passes them on to, down to :class:`Layer`)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        params = inspect.signature(init).parameters
        names.update(k for k, p in params.items() if k != "self" and p.kind not in (
            p.VAR_KEYWORD, p.VAR_POSITIONAL))  # fmt: skip
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()) or klass is Layer:
            break
    return names


def _snake(name: str) -> str:
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return out or "layer"


_TAKES_TRAINING: dict = {}
_TAKES_MASK: dict = {}


def _takes_mask(layer) -> bool:
    """Whether a layer's ``forward`` (or, for a user layer, ``call``) names a ``mask`` parameter,
    so that an incoming mask is passed to it (as Keras does for ``call(..., mask=None)``)."""
    fn = type(layer).forward
    if fn is Layer.forward:
        fn = type(layer).call
    cached = _TAKES_MASK.get(fn)
    if cached is None:
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        cached = "mask" in params
        _TAKES_MASK[fn] = cached
    return cached


def _takes_training(fn) -> bool:
    cached = _TAKES_TRAINING.get(fn)
    if cached is None:
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        cached = "training" in params
        _TAKES_TRAINING[fn] = cached
    return cached
