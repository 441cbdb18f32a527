"""Bidirectional (Keras door): a recurrent layer run forwards and backwards over the sequence.

``Bidirectional(LSTM(64, return_sequences=True))``: inputs (N, T, F) → (N, T, 128) with the
default ``merge_mode="concat"`` ("sum", "mul", "ave" keep 64; None returns the two outputs as a
list). The backward copy is built from the layer's config with ``go_backwards`` flipped (or is
``backward_layer``); its sequence output is reversed back so step t of both halves describes
input step t. ``return_state=True`` returns ``[output, *forward states, *backward states]``.
A mask (from ``Embedding(mask_zero=True)`` or ``mask=``) reaches both directions, each skipping
the padding (so the backward pass starts at each sequence's last real step).
"""

from __future__ import annotations

from ..ops import add, concatenate, getitem, mul
from .base import Layer, deserialize, register, serialize
from .recurrent import RNNLayer

_MERGES = ("concat", "sum", "mul", "ave", None)


@register
class Bidirectional(Layer):
    """See the module docstring; weights live in ``forward_layer`` and ``backward_layer``."""

    default_name = "bidirectional"
    autocast = False

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, RNNLayer):
            raise TypeError(f"{self.describe()}: layer must be a recurrent layer (SimpleRNN, LSTM, "
                            f"GRU), got {type(layer).__name__}")  # fmt: skip
        if merge_mode not in _MERGES:
            raise ValueError(f"{self.describe()}: merge_mode must be one of {_MERGES}, got "
                             f"{merge_mode!r}")  # fmt: skip
        if weights is not None:
            raise ValueError(f"{self.describe()}: weights= is not supported; call set_weights "
                             "after building")  # fmt: skip
        self.merge_mode = merge_mode
        self.layer_config = serialize(layer)
        config = layer.get_config()
        config["name"] = "forward_" + layer.name
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            config = dict(
                config, name="backward_" + layer.name, go_backwards=not layer.go_backwards
            )
            self.backward_layer = type(layer).from_config(config)
            self._custom_backward = False
        else:
            if not isinstance(backward_layer, RNNLayer):
                raise TypeError(f"{self.describe()}: backward_layer must be a recurrent layer, "
                                f"got {type(backward_layer).__name__}")  # fmt: skip
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(f"{self.describe()}: backward_layer must have go_backwards="
                                 f"{not layer.go_backwards} (the opposite of layer's)")  # fmt: skip
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(f"{self.describe()}: layer and backward_layer differ in "
                                     f"{attr}")  # fmt: skip
            self.backward_layer = backward_layer
            self._custom_backward = True
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = self.return_sequences  # as Keras: padded steps give zeros
        self.built = True

    def build(self, input_shape) -> None:
        """Each direction builds on its first call."""

    def forward(self, inputs, initial_state=None, mask=None, training=None):
        fw_state = bw_state = None
        if initial_state is not None:
            n = self.forward_layer.n_states
            if len(initial_state) != 2 * n:
                raise ValueError(f"{self.describe()}: initial_state needs {2 * n} tensors "
                                 f"(forward then backward states), got {len(initial_state)}")  # fmt: skip
            fw_state, bw_state = list(initial_state[:n]), list(initial_state[n:])
        kw = {} if training is None else {"training": training}
        fw = self.forward_layer(inputs, initial_state=fw_state, mask=mask, **kw)
        bw = self.backward_layer(inputs, initial_state=bw_state, mask=mask, **kw)
        states = []
        if self.return_state:
            fw, *fs = fw
            bw, *bs = bw
            states = fs + bs
        if self.return_sequences:
            bw = getitem(bw, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            out = concatenate([fw, bw], axis=-1)
        elif self.merge_mode == "sum":
            out = add(fw, bw)
        elif self.merge_mode == "mul":
            out = mul(fw, bw)
        elif self.merge_mode == "ave":
            out = mul(add(fw, bw), 0.5)
        else:
            out = [fw, bw]
        if self.return_state:
            return ([*out] if self.merge_mode is None else [out]) + states
        return out

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences or self.merge_mode is None:
            return None
        return mask

    def compute_output_shape(self, input_shape):
        N, T = input_shape[0], input_shape[1]
        units = self.forward_layer.units * (2 if self.merge_mode == "concat" else 1)
        out = (N, T, units) if self.return_sequences else (N, units)
        if self.merge_mode is None:
            out = [out, out]
        elif self.return_state:
            out = [out]
        if self.return_state:
            return out + [(N, self.forward_layer.units)] * (2 * self.forward_layer.n_states)
        return out

    def get_config(self) -> dict:
        config = {**super().get_config(), "layer": self.layer_config,
                  "merge_mode": self.merge_mode}  # fmt: skip
        if self._custom_backward:
            config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Bidirectional:
        config = dict(config)
        entry = config.pop("layer", None)
        if not isinstance(entry, dict):
            raise TypeError(f"Bidirectional: config 'layer' must be a layer entry, got {entry!r}")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            if not isinstance(backward, dict):
                raise TypeError("Bidirectional: config 'backward_layer' must be a layer entry")
            backward = deserialize(backward)
        return cls(deserialize(entry), backward_layer=backward, **config)
