"""Module: the base of every layer and model.

A Module finds its parameters and sub-modules by walking its attributes (including lists, tuples and
dicts of them), so a layer only assigns ``self.kernel = Parameter(...)`` and the rest follows.

Layers build lazily: ``__call__`` runs ``build(input_shape)`` once, on the first input, before
``forward``. A layer that knows its input size up front may build in ``__init__`` instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from .. import anomaly as _anomaly
from .parameter import Parameter


class Module:
    """Base class: override ``forward(x)``, and ``build(input_shape)`` for lazy layers."""

    training: bool = True
    built: bool = False
    input_shape: tuple | None = None
    output_shape: tuple | None = None

    def __init__(self, name: str | None = None):
        self.training = True
        self.built = False
        self.name = name

    # ------------------------------------------------------------ calling
    def build(self, input_shape: tuple) -> None:
        """Create parameters from the first input's shape (batch axis included)."""

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        # -- anomaly mode (chainrule.anomaly): track the running layer; one flag test when off
        if _anomaly.state.on and not _anomaly.is_current(self):
            return _anomaly.call_module(self, args, kwargs)
        # -- end anomaly mode
        first = args[0] if args else None
        sym = first[0] if type(first) in (list, tuple) and first else first
        if getattr(sym, "_symbolic", False):  # a functional-API Input: record a graph node
            return sym.call_layer(self, args, kwargs)
        if not self.built:
            self.build(tuple(first.shape) if hasattr(first, "shape") else None)
            self.built = True
        out = self.forward(*args, **kwargs)
        if hasattr(first, "shape"):
            self.input_shape = tuple(first.shape)
        if hasattr(out, "shape"):
            self.output_shape = tuple(out.shape)
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Output shape for an input of ``input_shape`` (batch axis first; it may be None).

        This generic version runs the module once on zeros, in evaluation mode and without
        recording a graph; layers override it with a direct computation.
        """
        from ..function import no_grad
        from ..tensor import Tensor

        shape = tuple(1 if n is None else n for n in input_shape)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                out = self(Tensor(np.zeros(shape, dtype=np.float32)))
        finally:
            self.train(was_training)
        return (input_shape[0],) + tuple(out.shape[1:])

    # ------------------------------------------------------------ regularisation
    def regularization_loss(self):
        """Sum of this module's own weight penalties (``_regularizers``: attribute → Regularizer),
        as a 0-d Tensor, or None when it has none."""
        total = None
        for attr, reg in (getattr(self, "_regularizers", None) or {}).items():
            param = getattr(self, attr, None)
            if reg is None or param is None:
                continue
            term = reg(param)
            total = term if total is None else total + term
        return total

    def regularization_losses(self) -> list:
        """Every module's ``regularization_loss()`` in the tree (the non-None ones): add their
        sum to the training loss."""
        losses = []
        for m in self.modules():
            term = m.regularization_loss()
            if term is not None:
                losses.append(term)
        return losses

    def apply_constraints(self) -> None:
        """Apply every module's weight constraints (``_constraints``: attribute → Constraint) in
        place; call after each optimiser step."""
        for m in self.modules():
            for attr, constraint in (getattr(m, "_constraints", None) or {}).items():
                param = getattr(m, attr, None)
                if constraint is not None and param is not None:
                    constraint.apply_(param.data)

    # ------------------------------------------------------------ traversal
    def _children(self) -> Iterator[tuple[str, object]]:
        """(name, value) for attributes holding Parameters or Modules (also inside containers)."""
        for key, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    if isinstance(v, (Parameter, Module)):
                        yield f"{key}.{i}", v
            elif isinstance(value, dict):
                for k, v in value.items():
                    if isinstance(v, (Parameter, Module)):
                        yield f"{key}.{k}", v

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            subs = [
                (f"{name}.{k}" if name else k, v)
                for k, v in mod._children()
                if isinstance(v, Module)
            ]
            stack.extend(reversed(subs))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once (shared ones under their first name), in definition order."""
        seen = set()
        for mname, mod in self.named_modules(prefix):
            for key, value in mod._children():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{mname}.{key}" if mname else key), value

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def trainable_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """Non-trainable state saved with the weights (e.g. BatchNorm running statistics).

        A module lists the attribute names of its buffers in ``_buffers`` (a tuple of strings).
        """
        for mname, mod in self.named_modules():
            for key in getattr(mod, "_buffers", ()):
                value = getattr(mod, key, None)
                if value is not None:
                    yield (f"{mname}.{key}" if mname else key), value

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def count_params(self) -> int:
        return int(sum(p.data.size for p in self.parameters()))

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # ------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameter and buffer arrays by dotted name (the arrays themselves, not copies)."""
        state = OrderedDict((k, p.data) for k, p in self.named_parameters())
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays into this module's parameters and buffers.

        Every entry is checked before anything is written: a missing or unexpected name (with
        ``strict``) or a wrong shape raises a ValueError naming it, and the module is left unchanged.
        """
        params = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        owners = {}
        for mname, mod in self.named_modules():
            for key in getattr(mod, "_buffers", ()):
                owners[f"{mname}.{key}" if mname else key] = (mod, key)
        problems = []
        if strict:
            missing = [k for k in list(params) + list(buffers) if k not in state]
            unexpected = [k for k in state if k not in params and k not in buffers]
            if missing:
                problems.append(f"missing entries: {missing}")
            if unexpected:
                problems.append(f"unexpected entries: {unexpected}")
        for k, value in state.items():
            target = params[k].data if k in params else buffers.get(k)
            if target is None:
                continue
            shape = tuple(np.shape(value))
            if shape != tuple(target.shape):
                problems.append(f"'{k}' has shape {shape}, the model expects {tuple(target.shape)}")
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for k, value in state.items():
            if k in params:
                p = params[k]
                p.data = np.array(value, dtype=p.data.dtype, copy=True)
                p.grad = None
            elif k in owners:
                mod, key = owners[k]
                setattr(mod, key, np.array(value, dtype=getattr(mod, key).dtype, copy=True))

    # ------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        subs = [(k, v) for k, v in self._children() if isinstance(v, Module)]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not subs:
            return head + ")"
        lines = [head]
        for k, v in subs:
            body = repr(v).replace("\n", "\n  ")
            lines.append(f"  ({k}): {body}")
        return "\n".join(lines) + "\n)"
