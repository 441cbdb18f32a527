"""The weight-handling half of Keras's Layer API, shared by layers and models.

``trainable`` (a flag that freezes or unfreezes every weight below), ``trainable_weights``,
``non_trainable_weights``, ``weights``, ``get_weights()`` / ``set_weights()``. Weights are
:class:`~chainrule.nn.Parameter` objects; ``get_weights`` returns copies of the arrays in
``state_dict`` order (parameters, then buffers such as BatchNormalization's moving statistics).
"""

from __future__ import annotations

import numpy as np


class KerasLayerAPI:
    """Mixin for :class:`~chainrule.nn.Module` subclasses (Keras ``Layer`` and ``Model``)."""

    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, flag: bool) -> None:
        """Freeze (False) or unfreeze (True) every weight of this layer and the layers inside it;
        ``fit`` then leaves frozen weights alone (compile again after changing it, as in Keras)."""
        flag = bool(flag)
        for m in self.modules():
            m.__dict__["_trainable"] = flag
            for _, p in m._children():
                if hasattr(p, "requires_grad") and not hasattr(p, "modules"):
                    p.requires_grad = flag and getattr(p, "trainable", True)

    @property
    def trainable_weights(self) -> list:
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list:
        return [p for p in self.parameters() if not p.requires_grad]

    @property
    def weights(self) -> list:
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def variables(self) -> list:
        return self.weights

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight and buffer array, in ``state_dict`` order."""
        return [np.array(v, copy=True) for v in self.state_dict().values()]

    def set_weights(self, weights: list) -> None:
        """Load arrays in :meth:`get_weights` order (count and shapes checked before any write)."""
        keys = list(self.state_dict())
        if len(weights) != len(keys):
            who = getattr(self, "describe", None)
            label = who() if callable(who) else type(self).__name__
            raise ValueError(
                f"{label}.set_weights: got {len(weights)} arrays, expected {len(keys)} "
                f"({', '.join(keys)})"
            )
        self.load_state_dict(dict(zip(keys, weights)))
