"""Module: the base of every layer and model.

A Module finds its parameters and sub-modules by walking its attributes (including lists, tuples and
dicts of them), so a layer only assigns ``self.kernel = Parameter(...)`` and the rest follows.

Layers build lazily: ``__call__`` runs ``build(input_shape)`` once, on the first input, before
``forward``. A layer that knows its input size up front may build in ``__init__`` instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from .. import anomaly as _anomaly
from ..tensor import Tensor
from . import hooks as _hooks
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list
    unexpected_keys: list


def _array(value):
    """The array of a Tensor (or the value itself)."""
    return value.data if isinstance(value, Tensor) else value


def _check_name(module, name, kind: str) -> None:
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(
            f"{type(module).__name__}: {kind} name must be a non-empty string without '.', "
            f"got {name!r}"
        )


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
        out = self._run_forward(*args, **kwargs)
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

    # ------------------------------------------------------------ hooks (issue 18; see nn/hooks.py)
    def _run_forward(self, *args, **kwargs):
        """``forward``, surrounded by the module's hooks when it has any (every door's
        ``__call__`` runs forward through this)."""
        if _hooks.has_hooks(self):
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args)`` (or ``(module, args, kwargs)``) before each forward; it may
        return replacement args. Returns a handle with ``remove()``."""
        return _hooks.add_hook(self, "_forward_pre_hooks", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args, output)`` (or ``(module, args, kwargs, output)``) after each
        forward; it may return a replacement output. Returns a handle with ``remove()``."""
        return _hooks.add_hook(self, "_forward_hooks", hook, prepend, with_kwargs=with_kwargs)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_input, grad_output)`` once the gradients with respect to the
        positional inputs are computed; it may return replacement ``grad_input``. Returns a handle
        with ``remove()``."""
        return _hooks.add_hook(self, "_backward_hooks", hook, prepend)

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

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules (each once) with their attribute names, in definition order."""
        seen = set()
        for key, value in self._children():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield key, value

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter once (shared ones under their first name), in definition order: a
        module's own parameters first, then its sub-modules' (PyTorch's order and names)."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, mod in mods:
            for key, value in mod._children():
                if isinstance(value, Parameter) and (not remove_duplicate or id(value) not in seen):
                    seen.add(id(value))
                    yield (f"{mname}.{key}" if mname else key), value

    def parameters(self, recurse: bool = True) -> list[Parameter]:
        """The parameters of :meth:`named_parameters`, as a list (an iterable, as in PyTorch)."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def trainable_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def named_buffers(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, np.ndarray | Tensor]]:
        """Non-trainable state saved with the weights (e.g. BatchNorm running statistics).

        A module lists the attribute names of its buffers in ``_buffers`` (a tuple of strings; see
        :meth:`register_buffer`). Values are arrays (Keras-style layers) or Tensors (``nn``).
        """
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, mod in mods:
            for key in getattr(mod, "_buffers", ()):
                value = getattr(mod, key, None)
                if value is not None:
                    yield (f"{mname}.{key}" if mname else key), value

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray | Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (default), or to zeros in place."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    # ------------------------------------------------------------ PyTorch registration API
    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Keep ``tensor`` (a Tensor, array or None) as state that is not trained; it is saved in
        ``state_dict`` unless ``persistent=False``."""
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, (Tensor, np.ndarray)):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: '{name}' must be a Tensor or None, "
                f"got {type(tensor).__name__}"
            )
        object.__setattr__(self, name, tensor)
        if name not in getattr(self, "_buffers", ()):
            self._buffers = tuple(getattr(self, "_buffers", ())) + (name,)
        skip = set(getattr(self, "_non_persistent_buffers", ()))
        skip.discard(name) if persistent else skip.add(name)
        self._non_persistent_buffers = frozenset(skip)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: '{name}' must be a Parameter or "
                f"None, got {type(param).__name__}"
            )
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        _check_name(self, name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: '{name}' must be a Module, got "
                f"{type(module).__name__}"
            )
        setattr(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` ("" is this module)."""
        if not target:
            return self
        mods = dict(self.named_modules())
        if target not in mods:
            raise AttributeError(f"{type(self).__name__} has no submodule '{target}'")
        return mods[target]

    def apply(self, fn) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------ dtype and device
    def to(self, *args, **kwargs) -> Module:
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(tensor)``: casts floating
        parameters and buffers in place. Only the CPU device exists."""
        from ..torch_api import parse_to

        dtype = parse_to(type(self).__name__ + ".to", args, kwargs)
        if dtype is not None:
            self._cast(dtype)
        return self

    def cpu(self) -> Module:
        return self

    def float(self) -> Module:
        return self._cast(np.float32)

    def double(self) -> Module:
        return self._cast(np.float64)

    def _cast(self, dtype) -> Module:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: only floating dtypes, got {dtype}")
        for p in self.parameters():
            if p.data.dtype != dtype:
                p.data = p.data.astype(dtype)
                p.grad = None
        for m in self.modules():
            for key in getattr(m, "_buffers", ()):
                value = getattr(m, key, None)
                arr = _array(value) if value is not None else None
                if arr is not None and arr.dtype.kind == "f" and arr.dtype != dtype:
                    if isinstance(value, Tensor):
                        value.data = arr.astype(dtype)
                    else:
                        object.__setattr__(m, key, arr.astype(dtype))
            if isinstance(getattr(m, "dtype", None), np.dtype):
                m.dtype = dtype
        return self

    def count_params(self) -> int:
        return int(sum(p.data.size for p in self.parameters()))

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (``mode=True``) or evaluation mode for this module and all below it."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(  # noqa: TRY004 - PyTorch raises ValueError here
                f"{type(self).__name__}.train: mode must be a bool, got {mode!r}"
            )
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # ------------------------------------------------------------ state
    def state_dict(self, prefix: str = "") -> OrderedDict[str, np.ndarray]:
        """Parameter and buffer arrays by dotted name (the arrays themselves, not copies), with
        PyTorch's names (``fc1.weight``, ``0.bias``, ``bn.running_mean``) for ``nn`` modules."""
        state = OrderedDict()
        for name, kind, owner, key in self._state_entries():
            value = getattr(owner, key) if kind == "buffer" else owner
            state[prefix + name] = _array(value)
        return state

    def _state_entries(self) -> Iterator[tuple[str, str, object, str]]:
        """(name, kind, owner, key) of every state-dict entry in PyTorch's order: module by
        module (depth first), each module's parameters, then its persistent buffers. A shared
        parameter appears under each of its names, as in PyTorch; for a parameter, ``owner`` is
        the Parameter itself."""
        for mname, mod in self.named_modules():
            for key, value in mod._children():
                if isinstance(value, Parameter):
                    yield (f"{mname}.{key}" if mname else key), "param", value, key
            skip = getattr(mod, "_non_persistent_buffers", ())
            for key in getattr(mod, "_buffers", ()):
                if key not in skip and getattr(mod, key, None) is not None:
                    yield (f"{mname}.{key}" if mname else key), "buffer", mod, key

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or Tensors) into this module's parameters and buffers.

        Every entry is checked before anything is written: a missing or unexpected name (with
        ``strict``) or a wrong shape raises a ValueError naming it, and the module is left unchanged.
        Returns ``(missing_keys, unexpected_keys)`` as PyTorch does.
        """
        if not isinstance(state, dict):
            raise TypeError(
                f"load_state_dict into {type(self).__name__}: expected a dict of arrays, got "
                f"{type(state).__name__}"
            )
        state = {k: _array(v) for k, v in state.items()}
        params, buffers, owners = {}, {}, {}
        for name, kind, owner, key in self._state_entries():
            if kind == "param":
                params[name] = owner
            else:
                buffers[name] = _array(getattr(owner, key))
                owners[name] = (owner, key)
        missing_keys = [n for n, *_ in self._state_entries() if n not in state]
        unexpected_keys = [k for k in state if k not in params and k not in buffers]
        problems = []
        if strict:
            if missing_keys:
                problems.append(f"missing entries: {missing_keys}")
            if unexpected_keys:
                problems.append(f"unexpected entries: {unexpected_keys}")
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
            elif k in buffers:
                mod, key = owners[k]
                current = getattr(mod, key)
                arr = np.array(value, dtype=_array(current).dtype, copy=True)
                if isinstance(current, Tensor):
                    current.data = arr
                else:
                    setattr(mod, key, arr)
        return IncompatibleKeys(missing_keys, unexpected_keys)

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
