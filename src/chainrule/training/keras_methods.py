"""Keras 3 Model methods beyond the training loop: weights files, ``to_json``, ``get_layer``,
``metrics``, ``compute_loss`` and the overridable ``train_step`` / ``test_step``.

:class:`~chainrule.training.model.Model` inherits them; they rely on its ``state_dict``,
``layers``, ``get_config`` and ``_label``.
"""

from __future__ import annotations

import os

import numpy as np


class KerasModelMethods:
    """Mixin for :class:`~chainrule.training.model.Model` (see the module docstring)."""

    def save_weights(self, filepath: str | os.PathLike, overwrite: bool = True,
                     max_shard_size=None) -> None:  # fmt: skip
        """Write the weights (every parameter and buffer, by name) atomically. Any file name is
        accepted, Keras's ``*.weights.h5`` included; the content is always an ``.npz`` archive
        (no pickle), read back by :meth:`load_weights`."""
        from ..callbacks.model_checkpoint import save_weights_npz

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{self._label()}.save_weights: {filepath} exists")
        save_weights_npz(self, filepath)

    def load_weights(self, filepath: str | os.PathLike, skip_mismatch: bool = False,
                     **kwargs) -> None:  # fmt: skip
        """Load weights written by :meth:`save_weights` (shape-checked; nothing changes on error).
        ``filepath`` may also be a whole saved model (``model.save``): its weights are used.

        An ``.npz`` archive's directory is checked before anything is inflated: only this model's
        tensor names, each no larger than the tensor it replaces (a zip bomb is refused unread)."""
        import zipfile

        path = os.fspath(filepath)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
            if "model.safetensors" in names:
                from ..io.container import decode_tensors, read_archive

                members = read_archive(
                    path, ("model.safetensors",), required=("model.safetensors",)
                )
                state = decode_tensors(members["model.safetensors"], f"{path}: model.safetensors")
                self._load_state(state, skip_mismatch)
                return
        expected = {k: np.asarray(v).nbytes for k, v in self.state_dict().items()}
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ValueError(
                f"{self._label()}.load_weights: {path} is not an .npz archive ({exc})"
            ) from None
        if len(infos) > len(expected) and not skip_mismatch:
            raise ValueError(f"{self._label()}.load_weights: {path} holds {len(infos)} arrays, "
                             f"the model has {len(expected)}")  # fmt: skip
        for info in infos:
            name = info.filename.removesuffix(".npy")
            if name not in expected and skip_mismatch:
                continue
            if name not in expected or info.file_size > expected[name] + 2**16:
                raise ValueError(
                    f"{self._label()}.load_weights: {path}: member {info.filename[:100]!r} "
                    "is not one of this model's tensors or is larger than it"
                )
        with np.load(path, allow_pickle=False) as data:
            self._load_state({k: data[k] for k in data.files if k in expected}, skip_mismatch)

    def _load_state(self, state: dict, skip_mismatch: bool) -> None:
        if skip_mismatch:
            mine = self.state_dict()
            state = {
                k: v for k, v in state.items()
                if k in mine and tuple(np.shape(v)) == tuple(mine[k].shape)
            }  # fmt: skip
            self.load_state_dict(state, strict=False)
        else:
            self.load_state_dict(state)

    def to_json(self, **kwargs) -> str:
        """The model's architecture as a JSON string (``{"class_name", "config"}``)."""
        import json

        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)  # fmt: skip

    def get_layer(self, name: str | None = None, index: int | None = None):
        """A layer by ``name`` or by ``index`` in :attr:`layers`."""
        layers = list(self.layers)
        if index is not None:
            if name is not None:
                raise ValueError(f"{self._label()}.get_layer: give name or index, not both")
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"{self._label()}.get_layer: index {index} out of range ({len(layers)} layers)"
                )
            return layers[index]
        for layer in layers:
            if getattr(layer, "name", None) == name:
                return layer
        raise ValueError(
            f"{self._label()}: no layer named {name!r}; layers: "
            f"{[getattr(m, 'name', None) for m in layers]}"
        )

    # ------------------------------------------------------------------ custom training steps
    @property
    def metrics(self) -> list:
        """Keras 3's ``model.metrics``: ``[loss tracker (Mean "loss"), compile metrics]`` once
        compiled; a subclass may override it with its own list of metrics."""
        if not self.compiled:
            return []
        from .custom_step import compile_metrics_of, loss_tracker_of

        return [loss_tracker_of(self), compile_metrics_of(self)]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` against ``y`` plus the layers' regularisation terms,
        as a 0-d Tensor (call ``.backward()`` on it)."""
        from .custom_step import compute_loss

        return compute_loss(self, y, y_pred, sample_weight)

    def train_step(self, data):
        """One training step on ``data`` (``(x, y)`` or ``(x, y, sample_weight)`` of Tensors):
        forward, :meth:`compute_loss`, backward, ``optimizer.apply``, metrics; returns the logs.
        Override it to customise ``fit`` (the torch-backend pattern of the Keras guide)."""
        from .custom_step import default_train_step

        return default_train_step(self, data)

    def test_step(self, data):
        """One evaluation step: forward, loss, metrics; returns the logs."""
        from .custom_step import default_test_step

        return default_test_step(self, data)

    def get_metrics_result(self) -> dict:
        """Current results of :attr:`metrics` as one flat dict of floats."""
        from .custom_step import flatten_logs

        return flatten_logs({m.name: m.result() for m in self.metrics})

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()
