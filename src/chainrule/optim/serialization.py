"""get_config / from_config / state_dict / load_state_dict, shared by every optimiser.

``state_dict()`` layout (arrays and JSON-able values kept apart, so a model file can put the arrays
in safetensors and the rest in JSON)::

    {"config": {...},            # get_config(): JSON-able hyper-parameters (lr may be a schedule)
     "param_groups": [{"params": [0, 1], "lr": ..., ...}, ...],   # JSON-able, flat param indices
     "iterations": int,
     "state": {param_index: {buffer_name: ndarray}}}            # only arrays (steps are 0-d int64)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import xp
from ._checks import Params
from .schedules import LearningRateSchedule, deserialize_lr, serialize_lr

if TYPE_CHECKING:
    from .base import Optimizer


#: options added with the PyTorch door (issue 11); older files lack them
_ADDED_FLAGS = frozenset(
    {"maximize", "foreach", "differentiable", "fused", "capturable", "decoupled_weight_decay"}
)


class SerializationMixin:
    """Mixed into :class:`~chainrule.optim.base.Optimizer`; relies on its ``defaults``,
    ``param_groups``, ``_params``, ``_state``, ``iterations``, ``_validated`` and ``_state_spec``."""

    def get_config(self) -> dict[str, Any]:
        """JSON-able hyper-parameters (the defaults; per-group values are in state_dict)."""
        cfg = {"name": type(self).__name__}
        for k, v in self.defaults.items():
            cfg[k] = serialize_lr(v) if k == "lr" else (list(v) if isinstance(v, tuple) else v)
        cfg.update(
            clipnorm=self.clipnorm, clipvalue=self.clipvalue, global_clipnorm=self.global_clipnorm
        )
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any], params: Params = None) -> Optimizer:
        """Rebuild from :meth:`get_config` output (``params`` may be attached later)."""
        cfg = {k: v for k, v in config.items() if k != "name"}
        if "lr" in cfg:
            cfg["lr"] = deserialize_lr(cfg["lr"])
        if "betas" in cfg:
            cfg["betas"] = tuple(cfg["betas"])
        return cls(params, **cfg)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly (layout in the module docstring). Arrays are copies."""
        groups, index = [], 0
        for g in self.param_groups:
            n = len(g["params"])
            entry = {
                k: (serialize_lr(v) if k == "lr" else list(v) if isinstance(v, tuple) else v)
                for k, v in g.items()
                if k != "params"
            }
            entry["params"] = list(range(index, index + n))
            groups.append(entry)
            index += n
        state = {
            i: {k: v.copy() for k, v in s.items()}
            for i, s in enumerate(self._state)
            if s is not None
        }
        return {
            "config": self.get_config(),
            "param_groups": groups,
            "iterations": int(self.iterations),
            "state": state,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters, step count and buffers. Everything is checked (keys, param
        counts, buffer names and shapes) before anything changes; raises ValueError otherwise."""
        name = type(self).__name__
        missing = {"param_groups", "iterations", "state"} - set(state_dict)
        if missing:
            raise ValueError(f"{name}.load_state_dict: missing key(s) {sorted(missing)}")
        saved_name = state_dict.get("config", {}).get("name", name)
        if saved_name != name:
            raise ValueError(f"{name}.load_state_dict: state was saved by {saved_name}")
        iterations = state_dict["iterations"]
        if (
            isinstance(iterations, bool)
            or not isinstance(iterations, (int, np.integer))
            or (iterations < 0)
        ):
            raise ValueError(
                f"{name}.load_state_dict: iterations must be an int >= 0, got {iterations!r}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: {len(saved_groups)} param groups saved, "
                f"optimizer has {len(self.param_groups)}"
            )
        new_groups = []
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved.get("params", ())) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {gi} saved with "
                    f"{len(saved.get('params', ()))} parameters, has "
                    f"{len(group['params'])}"
                )
            opts = {k: v for k, v in saved.items() if k != "params"}
            # extra keys (a scheduler's initial_lr, max_lr …) travel with the group, as in PyTorch
            missing = set(self.defaults) - set(opts) - _ADDED_FLAGS
            if missing:
                raise ValueError(
                    f"{name}.load_state_dict: group {gi} options {sorted(opts)} do "
                    f"not match {sorted(self.defaults)}"
                )
            # PyTorch's flags, which files written before they existed lack, keep their value
            opts = {**{k: v for k, v in group.items() if k != "params"}, **opts}
            opts["lr"] = self._restored_lr(opts["lr"], group["lr"])
            if "betas" in opts:
                opts["betas"] = tuple(opts["betas"])
            new_groups.append(self._validated(opts))
        new_state: list[dict | None] = [None] * len(self._params)
        owner = []  # the (restored) group of each parameter, by flat index
        for opts, group in zip(new_groups, self.param_groups):
            owner += [opts] * len(group["params"])
        for key, bufs in state_dict["state"].items():
            i = int(key)
            if not 0 <= i < len(self._params):
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {i}, but the "
                    f"optimizer has {len(self._params)}"
                )
            param = self._params[i].data
            spec = self._state_spec(param, owner[i])
            if set(bufs) != set(spec):
                raise ValueError(
                    f"{name}.load_state_dict: parameter {i} state has buffers "
                    f"{sorted(bufs)}, expected {sorted(spec)}"
                )
            loaded = {}
            for k, (shape, dt) in spec.items():
                arr = bufs[k]
                if tuple(np.shape(arr)) != tuple(shape):
                    raise ValueError(
                        f"{name}.load_state_dict: parameter {i} buffer '{k}' has "
                        f"shape {tuple(np.shape(arr))}, expected {tuple(shape)}"
                    )
                dtype = param.dtype if dt is None else dt
                loaded[k] = xp(param).array(arr, dtype=dtype, copy=True)
            new_state[i] = loaded
        for group, opts in zip(self.param_groups, new_groups):
            group.update(opts)
        self._state = new_state
        self.iterations = int(iterations)

    def _restored_lr(self, saved, current):
        """A saved lr: a float, or a schedule config. A schedule that cannot be rebuilt from its
        config (a lambda) keeps the current one when the configs agree."""
        if (
            isinstance(current, LearningRateSchedule)
            and isinstance(saved, dict)
            and saved == serialize_lr(current)
        ):
            return current
        return deserialize_lr(saved)
