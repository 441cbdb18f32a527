"""SimpleRNN, LSTM and GRU (Keras door): thin constructors over the whole-sequence ops.

inputs (N, T, F) (Keras's batch-major layout) → (N, T, units) with ``return_sequences=True``, else
the last step's output (N, units); ``return_state=True`` returns ``[output, h]`` (``[output, h, c]``
for the LSTM). ``initial_state`` is a list of (N, units) tensors. Weights as Keras: ``kernel``
(F, G·units), ``recurrent_kernel`` (units, G·units), ``bias`` (G·units,) — (2, 3·units) for the
GRU with ``reset_after=True`` — with the gate blocks in Keras's order (LSTM i, f, c, o; GRU z, r, h),
which the ops take as they are (no copies: see docs/sequence-ops.md).

Masking: a mask arriving from ``Embedding(mask_zero=True)`` or ``Masking`` (or passed as
``mask=``, (N, T) booleans) makes each sequence skip its padded steps: the state is carried
unchanged and the output there repeats the last real one (zeros with
``zero_output_for_mask=True``). With ``return_sequences=True`` the mask travels on.

``dropout`` drops input features with one mask per sequence, the same at every step (Keras's
recurrent dropout of the inputs), in training only. Not provided: ``recurrent_dropout`` and
``stateful`` (the ops carry no per-step mask on h, nor state between calls), activations other
than tanh (SimpleRNN: tanh or relu) and the sigmoid recurrent activation, and GRU
``reset_after=False``: asking for them raises a ValueError (or TypeError for an unknown argument).
"""

from __future__ import annotations

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..nn.parameter import Parameter
from ..ops import getitem, gru, lstm, mul, rnn, transpose
from ..tensor import Tensor
from .base import Layer, register
from .dropout import dropout_mask
from .embedding import check_bool, positive_int


class RNNLayer(Layer):
    """Shared by SimpleRNN, LSTM and GRU (see the module docstring)."""

    gates = 1
    n_states = 1

    def __init__(
        self,
        units: int,
        activation="tanh",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        seed: int | None = None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        for gone in ("recurrent_dropout", "stateful"):
            if gone in kwargs:
                raise TypeError(
                    f"{type(self).__name__}: {gone} is not provided by chainrule's recurrent "
                    "layers (see docs/sequence-layers.md); remove the argument"
                )
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.units = positive_int(self, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = check_bool(self, "use_bias", use_bias)
        self.return_sequences = check_bool(self, "return_sequences", return_sequences)
        self.return_state = check_bool(self, "return_state", return_state)
        self.go_backwards = check_bool(self, "go_backwards", go_backwards)
        self.unroll = check_bool(self, "unroll", unroll)  # a speed hint in Keras: same results
        self.zero_output_for_mask = check_bool(self, "zero_output_for_mask", zero_output_for_mask)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
                0 <= dropout < 1):  # fmt: skip
            raise ValueError(f"{self.describe()}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.seed = seed
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._regularizers = {
            "kernel": regularizers.get(kernel_regularizer),
            "recurrent_kernel": regularizers.get(recurrent_regularizer),
            "bias": regularizers.get(bias_regularizer),
        }
        self._constraints = {
            "kernel": constraints.get(kernel_constraint),
            "recurrent_kernel": constraints.get(recurrent_constraint),
            "bias": constraints.get(bias_constraint),
        }
        self.kernel = self.recurrent_kernel = self.bias = None
        self.input_dim = None

    # ------------------------------------------------------------------ weights
    def _bias_value(self) -> np.ndarray:
        return np.asarray(self.bias_initializer((self.gates * self.units,), self.dtype))

    def build(self, input_shape) -> None:
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{self.describe()}: expects inputs (batch, timesteps, features), "
                             f"got shape {input_shape}")  # fmt: skip
        self.input_dim = int(input_shape[-1])
        GH = self.gates * self.units
        self.kernel = Parameter(np.asarray(
            self.kernel_initializer((self.input_dim, GH), self.dtype), dtype=self.dtype))  # fmt: skip
        self.recurrent_kernel = Parameter(np.asarray(
            self.recurrent_initializer((self.units, GH), self.dtype), dtype=self.dtype))  # fmt: skip
        if self.use_bias:
            self.bias = Parameter(np.asarray(self._bias_value(), dtype=self.dtype))

    # ------------------------------------------------------------------ the computation
    def _run(self, x, states, mask):
        """The op on time-major x (T, N, F): (outputs (T, N, H), *final states)."""
        raise NotImplementedError  # each subclass maps its weights onto its op

    def _check_inputs(self, x, initial_state, mask):
        if x.ndim != 3:
            raise ValueError(f"{self.describe()}: expects inputs (batch, timesteps, features), "
                             f"got shape {x.shape}")  # fmt: skip
        N, T, F = x.shape
        if F != self.input_dim:
            raise ValueError(f"{self.describe()}: built for {self.input_dim} input features, got "
                             f"{F} (input shape {x.shape})")  # fmt: skip
        states = [None] * self.n_states
        if initial_state is not None:
            if isinstance(initial_state, Tensor) or not isinstance(initial_state, (list, tuple)):
                initial_state = [initial_state]
            if len(initial_state) != self.n_states:
                raise ValueError(f"{self.describe()}: initial_state needs {self.n_states} "
                                 f"tensor(s), got {len(initial_state)}")  # fmt: skip
            states = []
            for s in initial_state:
                s = s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=self.dtype))
                if tuple(s.shape) != (N, self.units):
                    raise ValueError(f"{self.describe()}: each initial state must have shape "
                                     f"{(N, self.units)}, got {tuple(s.shape)}")  # fmt: skip
                states.append(s)
        if mask is not None:
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            if mask.shape != (N, T):
                raise ValueError(f"{self.describe()}: mask must have shape (batch, timesteps) = "
                                 f"{(N, T)}, got {mask.shape}")  # fmt: skip
            mask = mask.astype(bool)
        return states, mask

    def forward(self, inputs, initial_state=None, mask=None):
        states, mask = self._check_inputs(inputs, initial_state, mask)
        x = inputs
        if self.training and self.dropout > 0:
            keep = dropout_mask((x.shape[0], 1, x.shape[2]), self.dropout, x.data.dtype)
            x = mul(x, Tensor._wrap(keep))
        x = transpose(x, (1, 0, 2))  # (T, N, F)
        if self.go_backwards:
            x = getitem(x, slice(None, None, -1))
            mask = None if mask is None else mask[:, ::-1]
        outs, *finals = self._run(x, states, mask)
        out = transpose(outs, (1, 0, 2)) if self.return_sequences else getitem(outs, -1)
        return [out, *finals] if self.return_state else out

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences:
            return None
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
        return mask[:, ::-1] if self.go_backwards else mask

    def compute_output_shape(self, input_shape):
        N, T = input_shape[0], input_shape[1]
        out = (N, T, self.units) if self.return_sequences else (N, self.units)
        if self.return_state:
            return [out] + [(N, self.units)] * self.n_states
        return out

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._regularizers["kernel"]),
            "recurrent_regularizer": regularizers.serialize(self._regularizers["recurrent_kernel"]),
            "bias_regularizer": regularizers.serialize(self._regularizers["bias"]),
            "kernel_constraint": constraints.serialize(self._constraints["kernel"]),
            "recurrent_constraint": constraints.serialize(self._constraints["recurrent_kernel"]),
            "bias_constraint": constraints.serialize(self._constraints["bias"]),
            "dropout": self.dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "seed": self.seed,
        }

    def extra_repr(self) -> str:
        return (f"{self.name!r}, units={self.units}, return_sequences={self.return_sequences}, "
                f"return_state={self.return_state}")  # fmt: skip


def _require(layer: Layer, what: str, fn, allowed: dict) -> str:
    for name, ref in allowed.items():
        if fn is ref:
            return name
    raise ValueError(f"{layer.describe()}: {what} must be one of {sorted(allowed)} (the fused "
                     f"recurrent op computes only these), got {fn!r}")  # fmt: skip


@register
class SimpleRNN(RNNLayer):
    """h_t = activation(x_t · kernel + h_{t−1} · recurrent_kernel + bias); activation tanh or relu."""

    default_name = "simple_rnn"

    def __init__(self, units: int, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self._nonlinearity = _require(self, "activation", self.activation,
                                      {"tanh": activations.tanh, "relu": activations.relu})  # fmt: skip

    def _run(self, x, states, mask):
        return rnn(x, self.kernel, self.recurrent_kernel, self.bias, None, states[0],
                   nonlinearity=self._nonlinearity, mask=mask,
                   zero_output_for_mask=self.zero_output_for_mask)  # fmt: skip


@register
class LSTM(RNNLayer):
    """Long short-term memory, gates i, f, c, o (Keras's order); states [h, c].

    ``unit_forget_bias=True`` (the default) starts the forget gate's bias at one."""

    default_name = "lstm"
    gates = 4
    n_states = 2

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias: bool = True, **kwargs):  # fmt: skip
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = check_bool(self, "unit_forget_bias", unit_forget_bias)
        _require(self, "activation", self.activation, {"tanh": activations.tanh})
        _require(self, "recurrent_activation", self.recurrent_activation,
                 {"sigmoid": activations.sigmoid})  # fmt: skip

    def _bias_value(self) -> np.ndarray:
        if not self.unit_forget_bias:
            return super()._bias_value()
        H, init = self.units, self.bias_initializer
        return np.concatenate([np.asarray(init((H,), self.dtype)), np.ones(H, self.dtype),
                               np.asarray(init((2 * H,), self.dtype))])  # fmt: skip

    def _run(self, x, states, mask):
        return lstm(x, self.kernel, self.recurrent_kernel, self.bias, None, states[0], states[1],
                    mask=mask, zero_output_for_mask=self.zero_output_for_mask)  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}  # fmt: skip


@register
class GRU(RNNLayer):
    """Gated recurrent unit, gates z, r, h (Keras's order), reset gate applied after the recurrent
    product (``reset_after=True``, Keras's default): ``bias`` (2, 3·units) = input and recurrent
    biases."""

    default_name = "gru"
    gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 reset_after: bool = True, **kwargs):  # fmt: skip
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        if not check_bool(self, "reset_after", reset_after):
            raise ValueError(f"{self.describe()}: reset_after=False (reset before the recurrent "
                             "product) is not provided; use the default reset_after=True")  # fmt: skip
        self.reset_after = True
        _require(self, "activation", self.activation, {"tanh": activations.tanh})
        _require(self, "recurrent_activation", self.recurrent_activation,
                 {"sigmoid": activations.sigmoid})  # fmt: skip

    def _bias_value(self) -> np.ndarray:
        GH = 3 * self.units
        return np.asarray(self.bias_initializer((2, GH), self.dtype)).reshape(2, GH)

    def _run(self, x, states, mask):
        b_ih = b_hh = None
        if self.bias is not None:
            b_ih, b_hh = getitem(self.bias, 0), getitem(self.bias, 1)
        return gru(x, self.kernel, self.recurrent_kernel, b_ih, b_hh, states[0], gate_order="zrn",
                   mask=mask, zero_output_for_mask=self.zero_output_for_mask)  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}  # fmt: skip


__all__ = ["GRU", "LSTM", "RNNLayer", "SimpleRNN"]
