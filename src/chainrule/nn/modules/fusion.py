"""Conv + ReLU fusion inside ``nn.Sequential`` (PyTorch door).

``nn.Sequential(nn.Conv2d(...), nn.ReLU(), ...)`` is the usual PyTorch CNN. Run module by module, the
ReLU is a graph node of its own: a pass that writes a new array of the convolution's output size,
a saved mask, and a product with it in backward. The conv op already fuses the ReLU (the Keras
door's ``Conv2D(activation="relu")``): it clamps its fresh output in place and masks the gradient
inside its own backward. ``Sequential.forward`` therefore runs a ``Conv1d``/``Conv2d`` directly
followed by a ``ReLU`` as that one fused node when nothing can observe the difference:

- the conv output is never visible: inside ``Sequential`` it only goes to the ReLU;
- neither module has hooks (a hook would see, or replace, the intermediate tensor);
- neither class overrides ``forward`` (a subclass may do something else);
- anomaly mode is off (it names the module running each op) and the input is not a
  functional-API placeholder.

Values and gradients are identical: ``relu(conv(x))`` either way, and the fused backward masks the
gradient with ``output > 0``, which is ``pre-activation > 0``. Both modules still record their
``input_shape`` / ``output_shape`` as a separate call would.
"""

from __future__ import annotations

from ... import anomaly as _anomaly
from .. import hooks as _hooks
from .activation import ReLU
from .conv import Conv1d, Conv2d

_FUSED_FORWARD = {Conv1d: Conv1d.forward, Conv2d: Conv2d.forward}


def _conv_relu(conv, act) -> bool:
    """Whether ``conv`` then ``act`` may run as one fused conv+ReLU node."""
    if not isinstance(act, ReLU) or type(act).forward is not ReLU.forward:
        return False
    for base, forward in _FUSED_FORWARD.items():
        if isinstance(conv, base):
            if type(conv).forward is not forward:
                return False
            break
    else:
        return False
    return not (_hooks.has_hooks(conv) or _hooks.has_hooks(act))


def run_sequential(modules: list, input):
    """``input`` through ``modules`` in order, fusing each eligible (conv, ReLU) pair."""
    n = len(modules)
    if n < 2 or _anomaly.state.on:
        for module in modules:
            input = module(input)
        return input
    i = 0
    while i < n:
        module = modules[i]
        if (
            i + 1 < n
            and _conv_relu(module, modules[i + 1])
            and not getattr(input, "_symbolic", False)
        ):
            act = modules[i + 1]
            if not module.built:  # as Module.__call__ does on the first call
                module.build(tuple(input.shape) if hasattr(input, "shape") else None)
                module.built = True
            out = module._forward(input, "relu")
            if hasattr(input, "shape"):
                module.input_shape = tuple(input.shape)
            module.output_shape = act.input_shape = act.output_shape = tuple(out.shape)
            act.built = True
            input = out
            i += 2
        else:
            input = module(input)
            i += 1
    return input
