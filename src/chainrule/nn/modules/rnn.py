"""Recurrent modules of the PyTorch door: ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells.

Thin constructors over the whole-sequence ops (``chainrule.ops.rnn``/``lstm``/``gru``, one layer
and one direction per op call): parameters carry PyTorch's names, shapes and initialisation
(``weight_ih_l{k}[_reverse]`` (G·H, in), ``weight_hh_l{k}`` (G·H, H), ``bias_ih_l{k}``,
``bias_hh_l{k}`` (G·H,), all U(−1/√H, 1/√H)), so a torch state dict loads with ``strict=True``.
The ops read the weights through transposed views (no copy per call).

Stacking feeds each layer's outputs (both directions concatenated) to the next, with dropout in
between in training mode; the reverse direction runs the op on the time-reversed input and
reverses its outputs. A :class:`~chainrule.nn.utils.rnn.PackedSequence` input runs with a mask of
the real steps: the final states are those after each sequence's last real step and the padded
outputs are zeros, as in PyTorch. ``proj_size`` (LSTM projections) is not provided.
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...random import get_generator
from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from ..parameter import Parameter
from .utils import check_prob, check_size, factory_dtype

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _run_op(mode: str, x, w_ih, w_hh, b_ih, b_hh, state, mask):
    """One layer, one direction, time-major: (outputs, h_n[, c_n]) from the ops."""
    zero = mask is not None
    if mode == "LSTM":
        return ops.lstm(x, w_ih.T, w_hh.T, b_ih, b_hh, state[0], state[1], mask=mask,
                        zero_output_for_mask=zero)  # fmt: skip
    if mode == "GRU":
        return ops.gru(x, w_ih.T, w_hh.T, b_ih, b_hh, state[0], mask=mask,
                       zero_output_for_mask=zero)  # fmt: skip
    return ops.rnn(x, w_ih.T, w_hh.T, b_ih, b_hh, state[0], mask=mask,
                   nonlinearity=mode[4:].lower(), zero_output_for_mask=zero)  # fmt: skip


def _reverse(t: Tensor) -> Tensor:
    return t[::-1]


class RNNBase(Module):
    """Shared by RNN, LSTM and GRU. input (T, N, input_size) (or (N, T, ·) with ``batch_first``,
    or unbatched (T, input_size)) → (output (T, N, D·H), h_n (num_layers·D, N, H)[, c_n])."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.num_layers = check_size(name, "num_layers", num_layers)
        for arg, value in (("bias", bias), ("batch_first", batch_first),
                           ("bidirectional", bidirectional)):  # fmt: skip
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name}: {arg} must be a bool, got {value!r}")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.dropout = check_prob(name, dropout)
        dt = factory_dtype(name, device, dtype)
        G, H = _GATES[mode], self.hidden_size
        self._flat_names: list[str] = []
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else H * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes = {"weight_ih": (G * H, in_size), "weight_hh": (G * H, H)}
                if self.bias:
                    shapes.update(bias_ih=(G * H,), bias_hh=(G * H,))
                for base, shape in shapes.items():
                    pname = f"{base}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(np.empty(shape, dtype=dt)))
                    self._flat_names.append(pname)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Every weight and bias from U(−1/√hidden_size, 1/√hidden_size), as PyTorch."""
        gen = get_generator()
        bound = 1.0 / math.sqrt(self.hidden_size)
        for pname in self._flat_names:
            p = getattr(self, pname)
            p.data[...] = gen.uniform(-bound, bound, p.shape).astype(p.data.dtype)

    def _layer_params(self, layer: int, suffix: str):
        get = lambda base: getattr(self, f"{base}_l{layer}{suffix}")
        if self.bias:
            return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")
        return get("weight_ih"), get("weight_hh"), None, None

    def _check_state(self, h, name: str, shape: tuple, dtype) -> Tensor:
        h = h if isinstance(h, Tensor) else Tensor(h)
        if tuple(h.shape) != shape:
            raise ValueError(
                f"{type(self).__name__}: expected {name} of shape {shape}, got {tuple(h.shape)}"
            )
        if h.dtype != dtype:
            raise TypeError(f"{type(self).__name__}: {name} has dtype {h.dtype}, input {dtype}")
        return h

    def forward(self, input, hx=None):
        from ..utils.rnn import PackedSequence

        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        mask = None
        if packed:
            x, lengths = input.padded, input.lengths
            mask = np.arange(x.shape[0])[None, :] < lengths[:, None]  # (N, T)
            batched = True
        else:
            x = input if isinstance(input, Tensor) else Tensor(input)
            if x.ndim not in (2, 3):
                raise ValueError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape "
                                 f"{tuple(x.shape)}")  # fmt: skip
            batched = x.ndim == 3
            if not batched:
                x = x.unsqueeze(1)
            elif self.batch_first:
                x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {x.shape[-1]} (input shape {tuple(x.shape)}, time-major)"
            )
        if x.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{name}: input dtype {x.dtype} differs from the weights' "
                            f"{self.weight_ih_l0.dtype}; cast one of them")  # fmt: skip
        N, H = x.shape[1], self.hidden_size
        LD = self.num_layers * self.num_directions
        n_states = 2 if self.mode == "LSTM" else 1
        if hx is None:
            states = None
        else:
            if self.mode == "LSTM":
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
                hx = tuple(hx)
            else:
                hx = (hx,)
            want = (LD, N, H) if batched else (LD, H)
            hx = tuple(self._check_state(h, n, want, x.dtype) for h, n in zip(hx, ("h_0", "c_0")))
            if not batched:
                hx = tuple(h.unsqueeze(1) for h in hx)
            states = hx
        finals = [[] for _ in range(n_states)]
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[: self.num_directions]):
                k = layer * self.num_directions + d
                state = (None, None) if states is None else tuple(s[k] for s in states)
                if n_states == 1:
                    state = (state[0],)
                xin = layer_in if d == 0 else _reverse(layer_in)
                m = None if mask is None else (mask if d == 0 else mask[:, ::-1])
                res = _run_op(self.mode, xin, *self._layer_params(layer, suffix), state, m)
                outs.append(res[0] if d == 0 else _reverse(res[0]))
                for j in range(n_states):
                    finals[j].append(res[1 + j])
            layer_in = outs[0] if len(outs) == 1 else ops.concatenate(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        out = layer_in
        finals = [ops.stack(f, axis=0) for f in finals]
        if packed:  # kept in the caller's batch order throughout: nothing to unsort
            out = PackedSequence._from_padded(out, input)
        elif not batched:
            out = out.squeeze(1)
            finals = [f.squeeze(1) for f in finals]
        elif self.batch_first:
            out = out.transpose(0, 1)
        if self.mode == "LSTM":
            return out, (finals[0], finals[1])
        return out, finals[0]

    def flatten_parameters(self) -> None:
        """PyTorch's cuDNN weight compaction: nothing to do on the CPU."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        per = 4 if self.bias else 2
        ps = [getattr(self, n) for n in self._flat_names]
        return [ps[i : i + per] for i in range(0, len(ps), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.mode in ("RNN_RELU",):
            s += ", nonlinearity='relu'"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh) (or relu).
    Returns (output, h_n); see :class:`RNNBase` for shapes."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype)  # fmt: skip


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o stacked in the weights' rows (PyTorch's order).
    Returns (output, (h_n, c_n)); ``hx`` is a tuple (h_0, c_0)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):  # fmt: skip
        if proj_size != 0:
            raise ValueError(f"LSTM: proj_size={proj_size!r} (projected LSTM states) is not "
                             "provided; only proj_size=0")  # fmt: skip
        self.proj_size = 0
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)  # fmt: skip


class GRU(RNNBase):
    """GRU with gates r, z, n stacked in the weights' rows (PyTorch's order and equations).
    Returns (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):  # fmt: skip
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)  # fmt: skip


# ------------------------------------------------------------------ cells (one time step)
class RNNCellBase(Module):
    """One step: input (N, input_size) or (input_size,) → next state(s) of shape (N, H) or (H,)."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):  # fmt: skip
        super().__init__()
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dt = factory_dtype(name, device, dtype)
        G, H = _GATES[self._mode], self.hidden_size
        self.weight_ih = Parameter(np.empty((G * H, self.input_size), dtype=dt))
        self.weight_hh = Parameter(np.empty((G * H, H), dtype=dt))
        self.bias_ih = Parameter(np.empty((G * H,), dtype=dt)) if bias else None
        self.bias_hh = Parameter(np.empty((G * H,), dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        gen = get_generator()
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            p.data[...] = gen.uniform(-bound, bound, p.shape).astype(p.data.dtype)

    def _step(self, input, states: tuple):
        name = type(self).__name__
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(x.shape)}")  # fmt: skip
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        N, H = x.shape[0], self.hidden_size
        checked = []
        for s, sname in zip(states, ("h", "c")):
            if s is not None:
                s = s if isinstance(s, Tensor) else Tensor(s)
                want = (N, H) if batched else (H,)
                if tuple(s.shape) != want:
                    raise ValueError(f"{name}: expected {sname} of shape {want}, got "
                                     f"{tuple(s.shape)}")  # fmt: skip
                if not batched:
                    s = s.unsqueeze(0)
            checked.append(s)
        if len(checked) == 1:
            checked.append(None)
        res = _run_op(self._mode, x.unsqueeze(0), self.weight_ih, self.weight_hh, self.bias_ih,
                      self.bias_hh, tuple(checked), None)  # fmt: skip
        finals = res[1:]
        return finals if batched else tuple(f.squeeze(0) for f in finals)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu); h defaults to zeros."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self._mode = "RNN_" + nonlinearity.upper()
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None) -> Tensor:
        return self._step(input, (hx,))[0]


class LSTMCell(RNNCellBase):
    """(h', c') from input and ``hx`` = (h, c) (zeros when None)."""

    _mode = "LSTM"

    def forward(self, input, hx=None) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h, c)")
        h, c = self._step(input, (None, None) if hx is None else tuple(hx))
        return h, c


class GRUCell(RNNCellBase):
    """h' from input and h (zeros when None), PyTorch's GRU equations."""

    _mode = "GRU"

    def forward(self, input, hx=None) -> Tensor:
        return self._step(input, (hx,))[0]
