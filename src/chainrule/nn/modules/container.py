"""Containers (PyTorch door): Sequential, ModuleList, ModuleDict.

Children are named as PyTorch names them (``0``, ``1``, … or the dict keys), so state-dict keys
are PyTorch's (``0.weight``, ``blocks.2.bias``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

from typing_extensions import Self

from ..module import Module
from .fusion import run_sequential


class _Container(Module):
    """Holds its children in ``_modules`` (name → Module) and names them by key."""

    def __init__(self):
        super().__init__()
        self._modules: OrderedDict[str, Module] = OrderedDict()

    def _children(self):
        for k, v in self._modules.items():
            if v is not None:
                yield k, v
        for k, v in super()._children():
            if not k.startswith("_modules."):
                yield k, v

    def _add(self, name: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: {type(module).__name__} is not a Module subclass"
            )
        self._modules[str(name)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __dir__(self):
        return list(super().__dir__()) + [k for k in self._modules if not k.isdigit()]

    def __getattr__(self, name: str):  # children by name, as PyTorch allows (model.fc)
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


def _index(container, idx: int) -> int:
    n = len(container)
    if not -n <= idx < n:
        raise IndexError(f"{type(container).__name__}: index {idx} is out of range ({n} modules)")
    return idx % n


class Sequential(_Container):
    """``Sequential(m1, m2, …)`` or ``Sequential(OrderedDict(name=m, …))``: forward runs each
    module on the previous one's output."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self._add(name, module)
        else:
            for i, module in enumerate(args):
                self._add(str(i), module)

    def forward(self, input):
        # a Conv1d/Conv2d followed by a ReLU runs as one fused node (see fusion.py)
        return run_sequential(list(self._modules.values()), input)

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(self, idx)][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(self, idx)]
        self._add(key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        for key in keys[idx] if isinstance(idx, slice) else [keys[_index(self, idx)]]:
            del self._modules[key]
        if all(k.isdigit() for k in self._modules):  # renumber, as PyTorch does
            self._modules = OrderedDict((str(i), m) for i, m in enumerate(self._modules.values()))

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self._add(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules = OrderedDict()
        for i, m in enumerate(mods):
            self._add(str(i), m)
        return self


class ModuleList(_Container):
    """A list of modules whose parameters are registered (``ModuleList([m1, m2])``)."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(mods[idx])
        return mods[_index(self, idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self._add(str(_index(self, idx)), module)

    def __delitem__(self, idx) -> None:
        mods = list(self._modules.values())
        del mods[idx]
        self._modules = OrderedDict()
        self.extend(mods)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> Self:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self._add(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules = OrderedDict()
        self.extend(mods)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it instead")


class ModuleDict(_Container):
    """A dict of modules whose parameters are registered (``ModuleDict({"a": m})``)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self._add(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self._add(key, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(); index it instead")
